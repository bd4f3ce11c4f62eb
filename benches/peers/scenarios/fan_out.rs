//! Scenario 10: fan-out. One configuration followed by many handles in
//! many processes (10 processes of 100 handles each, in a full run); one
//! write at a time; the time until the last handle of the last process
//! holds it, and how many watches the server keeps for them (`wchs`).

use std::collections::HashMap;

use crate::*;

const PATH: &str = PROPAGATE_ZNODE;

/// Child process: `handles` separate `confo.watch::<Propagate>()` calls,
/// each handle waiting on its own `changed()`; one `lat` line per change,
/// once every handle has it, timed at the last one.
pub(crate) async fn fan_follow(url: &str, handles: usize) -> Result<(), String> {
    let confo = Confo::from_url(url).await.map_err(err_string)?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, u64, u64)>();
    for _ in 0..handles {
        let mut live = confo.watch::<Propagate>().await.map_err(err_string)?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok(value) = live.changed().await {
                if tx.send((value.seq, value.sent_ns, wall_ns())).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut stop_rx = ready_until_stdin_closes()?;
    // seq -> (handles that have it, when the last one got it).
    let mut seen: HashMap<u64, (usize, u64)> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(3600);
    while Instant::now() < deadline {
        tokio::select! {
            _ = &mut stop_rx => break,
            got = rx.recv() => {
                let Some((seq, sent_ns, at)) = got else { break };
                let entry = seen.entry(seq).or_insert((0, 0));
                entry.0 += 1;
                entry.1 = entry.1.max(at);
                if entry.0 == handles {
                    let last = entry.1;
                    seen.retain(|&s, _| s > seq);
                    let line = format!("lat {} {seq}\n", last.saturating_sub(sent_ns));
                    let mut out = std::io::stdout();
                    out.write_all(line.as_bytes()).map_err(err_string)?;
                    out.flush().map_err(err_string)?;
                }
            }
        }
    }
    Ok(())
}

/// The server's watch count: `Total watches:` of the `wchs` command.
fn server_watches(port: u16) -> Result<u64, String> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(err_string)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(err_string)?;
    stream.write_all(b"wchs").map_err(err_string)?;
    let mut report = String::new();
    stream.read_to_string(&mut report).map_err(err_string)?;
    report
        .lines()
        .find_map(|l| l.strip_prefix("Total watches:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no 'Total watches:' in the wchs answer: {report}"))
}

/// One round: `processes` followers of `handles` each, `writes` writes.
/// Returns the last-follower latencies and the watches the followers added
/// on the server.
async fn fan_out_round(
    ctx: &Ctx,
    which: &str,
    writes: usize,
    next_seq: &mut u64,
) -> Result<(Vec<u64>, u64), String> {
    let (processes, handles) = (ctx.plan.fan_processes, ctx.plan.fan_handles);
    let before = server_watches(ctx.port)?;
    let mut followers = Vec::with_capacity(processes);
    let started = futures::future::join_all((0..processes).map(|_| {
        let cmd = if which == "confo" {
            let mut cmd = tokio::process::Command::new(&ctx.self_exe);
            cmd.args(["fan-follow", "--url", &ctx.url, "--handles"])
                .arg(handles.to_string());
            cmd
        } else {
            let mut cmd = tokio::process::Command::new(&ctx.python);
            cmd.arg(&ctx.peers_py)
                .args(["kazoo-fan-follow", "--path", PATH, "--port"])
                .arg(ctx.port.to_string())
                .arg("--handles")
                .arg(handles.to_string());
            cmd
        };
        Follower::start(cmd)
    }))
    .await;
    let mut failure = None;
    for f in started {
        match f {
            Ok(f) => followers.push(f),
            Err(e) => failure = Some(e),
        }
    }
    if let Some(e) = failure {
        for f in followers {
            f.stop().await;
        }
        return Err(format!("{which}: {e}"));
    }
    let result = fan_out_writes(ctx, &mut followers, writes, next_seq).await;
    let watches = server_watches(ctx.port).map(|after| after.saturating_sub(before));
    for f in followers {
        f.stop().await;
    }
    Ok((result?, watches?))
}

async fn fan_out_writes(
    ctx: &Ctx,
    followers: &mut [Follower],
    writes: usize,
    next_seq: &mut u64,
) -> Result<Vec<u64>, String> {
    let payload = "x".repeat(64);
    let mut samples = Vec::with_capacity(writes);
    let start = Instant::now();
    for _ in 0..writes {
        *next_seq += 1;
        let seq = *next_seq;
        write_change(ctx, seq, &payload).await?;
        let mut last = 0u64;
        for f in followers.iter_mut() {
            last = last.max(wait_for(f, seq).await?);
        }
        samples.push(last);
        if start.elapsed() > ROUND_BUDGET {
            break;
        }
    }
    Ok(samples)
}

/// The latency a follower reports for `seq` (older lines are skipped).
async fn wait_for(follower: &mut Follower, seq: u64) -> Result<u64, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    for _ in 0..1_000 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = follower.next_line(left).await?;
        let mut parts = line.split_whitespace().skip(1);
        let lat: Option<u64> = parts.next().and_then(|v| v.parse().ok());
        let got: Option<u64> = parts.next().and_then(|v| v.parse().ok());
        if let (Some(lat), Some(got)) = (lat, got) {
            if got == seq {
                return Ok(lat);
            }
        }
    }
    Err(format!("change {seq} never reached every handle"))
}

pub(crate) async fn scenario_10(ctx: &Ctx) -> Vec<Row> {
    let (processes, handles) = (ctx.plan.fan_processes, ctx.plan.fan_handles);
    eprintln!(
        "bench: scenario 10 (fan-out: {} handles in {processes} processes)",
        processes * handles
    );
    let rounds = 2;
    let per_round = ctx.plan.fan_writes.div_ceil(rounds);
    let mut s = Samples::default();
    let mut watches: BTreeMap<&str, u64> = BTreeMap::new();
    let mut seq = 1_000_000;
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            ["confo", "kazoo"]
        } else {
            ["kazoo", "confo"]
        };
        for which in order {
            if s.failed(which) {
                continue;
            }
            match fan_out_round(ctx, which, per_round, &mut seq).await {
                Ok((samples, added)) => {
                    s.add(which, Ok(samples));
                    watches.insert(which, added);
                }
                Err(e) => s.add(which, Err(e)),
            }
        }
    }
    let sc = "10 fan-out, last follower";
    let describe = |what: &str, which: &str| {
        let w = watches
            .get(which)
            .map(|w| format!("; server watches: {w} ({processes} processes, 1 znode)"))
            .unwrap_or_default();
        format!("{what}: {handles} handles x {processes} processes{w}")
    };
    let mut confo = s.row(sc, "confo");
    confo.implementation = describe("confo watch::<T>() per handle", "confo");
    let mut kazoo = s.row(sc, "kazoo");
    kazoo.implementation = describe("kazoo DataWatch per handle", "kazoo");
    if confo.median.is_some() {
        confo.ratio_vs_confo = Some(1.0);
        confo.target = format!("p99 < 10 ms; {processes} server watches");
        confo.met = confo
            .p99
            .map(|p| p < 10e6 && watches.get("confo") == Some(&(processes as u64)));
    }
    kazoo.target = "confo p99 <= kazoo's".into();
    if let (Some(c50), Some(k50)) = (confo.median, kazoo.median) {
        kazoo.ratio_vs_confo = Some(k50 / c50);
    }
    if let (Some(c99), Some(k99)) = (confo.p99, kazoo.p99) {
        kazoo.met = Some(c99 <= k99);
    }
    vec![confo, kazoo]
}
