//! Profiling helpers, not scenarios: `peers rtt` and `peers profile-ns`.

use crate::*;

/// `peers rtt`: the round trip of one raw `get_data`, as the JVM warms up
/// (shows how much of a load is the server).
pub(crate) async fn rtt() -> Result<(), String> {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .map_err(err_string)?
        .map_err(err_string)?;
    let raw = zk::Client::connect(&server.connect_string())
        .await
        .map_err(err_string)?;
    ensure(&raw, "/confo").await?;
    let chunks: usize = std::env::var("RTT_CHUNKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    for chunk in 0..chunks.min(1_000) {
        let samples = time_async(0, 2_000, || async {
            raw.get_data("/confo").await.map_err(err_string)
        })
        .await?;
        println!(
            "gets {}..{}: median {:?} ns",
            chunk * 2_000,
            (chunk + 1) * 2_000,
            percentile(&samples, 50.0)
        );
    }
    Ok(())
}

/// `peers profile-ns --impl confo-typed|raw-multi|confo-use`: scenario 2
/// alone in a loop (about 20 s), to run under `perf record`.
pub(crate) async fn profile_ns(which: &str) -> Result<(), String> {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .map_err(err_string)?
        .map_err(err_string)?;
    let raw = zk::Client::connect(&server.connect_string())
        .await
        .map_err(err_string)?;
    seed_namespace(&raw, &scale_ns(1_000), 1_000).await?;
    let confo = Confo::from_url(&server.url()).await.map_err(err_string)?;
    let backend = confo.backend().map_err(err_string)?;
    let ctx = Ctx {
        plan: Plan::new(true),
        port: server.port(),
        url: server.url(),
        python: PathBuf::new(),
        peers_py: PathBuf::new(),
        confo_bin: PathBuf::new(),
        self_exe: PathBuf::new(),
        work: PathBuf::new(),
        raw,
        confo,
        backend,
    };
    eprintln!("profile-ns: seeded; pid {}", std::process::id());
    for _ in 0..20 {
        let s = load_namespace(&ctx, which, 1_000, 500).await?;
        println!(
            "{which}: median {:?} ns over {}",
            percentile(&s, 50.0),
            s.len()
        );
    }
    Ok(())
}
