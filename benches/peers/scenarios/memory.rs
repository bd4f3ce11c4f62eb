//! Scenario 6: memory of 10,000 live values.

use crate::*;

pub(crate) async fn scenario_6(ctx: &Ctx) -> Vec<Row> {
    let count = ctx.plan.rss_count;
    eprintln!("bench: scenario 6 (RSS with {count} Live handles)");
    let sc = format!("6 RSS, {count} Live");
    let mut rows = Vec::new();
    for (label, url) in [
        ("confo, ZooKeeper", ctx.url.clone()),
        ("confo, memory backend (reference)", "mem://".to_owned()),
    ] {
        let mut cmd = tokio::process::Command::new(&ctx.self_exe);
        cmd.args(["rss", "--url", &url, "--count", &count.to_string()])
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let out = match tokio::time::timeout(CHILD_TIMEOUT, cmd.output()).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => {
                rows.push(Row::failed(&sc, label, e.to_string()));
                continue;
            }
            Err(_) => {
                rows.push(Row::failed(&sc, label, "timed out"));
                continue;
            }
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or("").to_owned();
        let mut row = if let Some(rest) = line.strip_prefix("rss_kb ") {
            let nums: Vec<u64> = rest
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            let (before, after) = (nums.first().copied(), nums.get(1).copied());
            let mut row = Row::failed(&sc, label, "");
            if let (Some(b), Some(a)) = (before, after) {
                row.median = Some((a * 1024) as f64);
                row.samples = 1;
                row.note = format!("{:.1} MB before the handles", b as f64 / 1024.0);
            }
            row
        } else if let Some(m) = line.strip_prefix("unavailable ") {
            Row::failed(&sc, label, format!("not available ({m})"))
        } else {
            Row::failed(
                &sc,
                label,
                format!(
                    "no result: {} {}",
                    line,
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                ),
            )
        };
        row.unit = "bytes";
        row.target = "< 100 MB".into();
        row.met = row.median.map(|b| b < 100e6);
        rows.push(row);
    }
    rows
}

pub(crate) fn vm_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Child process: holds `count` live values and prints `rss_kb <before> <after>`.
pub(crate) async fn rss(url: &str, count: usize) -> Result<(), String> {
    let confo = Confo::from_url(url).await.map_err(err_string)?;
    let ns = scale_ns(count);
    let backend = confo.backend().map_err(err_string)?;
    if url.starts_with("mem://") {
        for i in 0..count {
            let path: ConfigPath = format!("{ns}/{}", item_name(i))
                .parse()
                .map_err(err_string)?;
            backend
                .write(&path, &item_json(i), confo::backend::Expect::Any)
                .await
                .map_err(err_string)?;
        }
    }
    let before = vm_rss_kb().unwrap_or(0);
    let decode: confo::live::Decoder<Item> = Arc::new(|describe, path, bytes| {
        serde_json::from_slice(bytes).map_err(|e| confo::Error::Backend {
            backend: describe.to_owned(),
            op: "decode",
            path: path.to_string(),
            message: e.to_string(),
        })
    });
    let paths: Vec<ConfigPath> = (0..count)
        .map(|i| format!("{ns}/{}", item_name(i)).parse())
        .collect::<Result<_, _>>()
        .map_err(err_string)?;
    let deadline = Instant::now() + Duration::from_secs(240);
    let lives: Vec<_> =
        futures::stream::iter(paths.iter().map(|p| confo.watch_with(p, decode.clone())))
            .buffer_unordered(32)
            .take_while(|_| std::future::ready(Instant::now() < deadline))
            .collect()
            .await;
    let mut held = Vec::with_capacity(lives.len());
    for live in lives {
        match live {
            Ok(l) => held.push(l),
            Err(e) => {
                println!("unavailable backend cannot watch yet: {e}");
                return Ok(());
            }
        }
    }
    if held.len() != count {
        return Err(format!(
            "only {} of {count} live values within 240 s",
            held.len()
        ));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = vm_rss_kb().unwrap_or(0);
    println!("rss_kb {before} {after}");
    drop(held);
    Ok(())
}
