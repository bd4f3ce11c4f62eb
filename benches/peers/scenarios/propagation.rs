//! Scenario 3: change propagation to another process.

use crate::*;

/// A follower process: prints `ready`, then `lat <ns> <seq>` per change seen.
pub(crate) struct Follower {
    pub(crate) child: tokio::process::Child,
    pub(crate) lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Follower {
    pub(crate) async fn start(mut cmd: tokio::process::Command) -> Result<Self, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start follower: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut follower = Follower {
            child,
            lines: BufReader::new(stdout).lines(),
        };
        // Bounded: at most 10 lines (e.g. a first value seen) before `ready`.
        for _ in 0..10 {
            let line = follower.next_line(Duration::from_secs(60)).await?;
            if line == "ready" {
                return Ok(follower);
            }
            if let Some(m) = line.strip_prefix("unavailable ") {
                return Err(format!("not available ({m})"));
            }
        }
        Err("the follower never said it was ready".into())
    }

    pub(crate) async fn next_line(&mut self, wait: Duration) -> Result<String, String> {
        match tokio::time::timeout(wait, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => Ok(line),
            Ok(Ok(None)) => Err("the follower exited".into()),
            Ok(Err(e)) => Err(format!("reading the follower: {e}")),
            Err(_) => Err(format!("no answer from the follower within {wait:?}")),
        }
    }

    pub(crate) async fn stop(mut self) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

pub(crate) async fn propagate_round(
    ctx: &Ctx,
    which: &str,
    changes: usize,
    next_seq: &mut u64,
) -> Result<Vec<u64>, String> {
    let cmd = if which == "confo" {
        let mut cmd = tokio::process::Command::new(&ctx.self_exe);
        cmd.args(["follow", "--url", &ctx.url]);
        cmd
    } else if which == "raw" {
        let mut cmd = tokio::process::Command::new(&ctx.self_exe);
        cmd.args(["follow-raw", "--port", &ctx.port.to_string()]);
        cmd
    } else {
        let mut cmd = tokio::process::Command::new(&ctx.python);
        cmd.arg(&ctx.peers_py).args([
            "kazoo-follow",
            "--path",
            "/confo/bench3/propagate",
            "--port",
            &ctx.port.to_string(),
        ]);
        cmd
    };
    let mut follower = Follower::start(cmd).await?;
    let payload = "x".repeat(64);
    let mut samples = Vec::with_capacity(changes);
    let start = Instant::now();
    let mut lost = 0;
    for _ in 0..changes {
        *next_seq += 1;
        let seq = *next_seq;
        write_change(ctx, seq, &payload).await?;
        // Wait for this change (an older line may still be in the pipe).
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match follower.next_line(left).await {
                Ok(line) => {
                    let mut parts = line.split_whitespace().skip(1);
                    let lat: Option<u64> = parts.next().and_then(|v| v.parse().ok());
                    let got: Option<u64> = parts.next().and_then(|v| v.parse().ok());
                    if got == Some(seq) {
                        if let Some(lat) = lat {
                            samples.push(lat);
                        }
                        break;
                    }
                }
                Err(e) if e.starts_with("no answer") => {
                    lost += 1;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if start.elapsed() > ROUND_BUDGET || lost > 10 {
            break;
        }
    }
    follower.stop().await;
    if lost > 10 {
        return Err(format!("{which}: more than 10 changes never arrived"));
    }
    Ok(samples)
}

/// Writes change `seq` of the followed configuration, stamped with the
/// wall clock just before the write.
pub(crate) async fn write_change(ctx: &Ctx, seq: u64, payload: &str) -> Result<(), String> {
    let bytes = serde_json::to_vec(&Propagate {
        seq,
        sent_ns: wall_ns(),
        payload: payload.to_owned(),
    })
    .map_err(err_string)?;
    ctx.raw
        .set_data(PROPAGATE_ZNODE, &bytes, None)
        .await
        .map(drop)
        .map_err(err_string)
}

/// The znode of the configuration scenarios 3 and 10 follow.
pub(crate) const PROPAGATE_ZNODE: &str = "/confo/bench3/propagate";

pub(crate) async fn scenario_3(ctx: &Ctx) -> Vec<Row> {
    eprintln!("bench: scenario 3 (change propagation to another process)");
    let per_round = ctx.plan.changes.div_ceil(ctx.plan.rounds);
    let mut s = Samples::default();
    let mut seq = 0;
    for round in 0..ctx.plan.rounds {
        let order = match round % 3 {
            0 => ["confo", "raw", "kazoo"],
            1 => ["raw", "kazoo", "confo"],
            _ => ["kazoo", "confo", "raw"],
        };
        for which in order {
            if s.failed(which) {
                continue;
            }
            let result = propagate_round(ctx, which, per_round, &mut seq).await;
            s.add(which, result);
        }
    }
    let sc = "3 change propagation";
    let mut confo = s.row(sc, "confo");
    confo.implementation = "confo Live<T> in another process".into();
    let mut raw = s.row(sc, "raw");
    raw.implementation =
        "raw zookeeper-client persistent watch + get_data in another process (floor)".into();
    if let (Some(c50), Some(r50)) = (confo.median, raw.median) {
        raw.ratio_vs_confo = Some(r50 / c50);
    }
    let mut kazoo = s.row(sc, "kazoo");
    kazoo.implementation = "kazoo DataWatch in another process".into();
    if confo.median.is_some() {
        confo.ratio_vs_confo = Some(1.0);
        confo.target = "p99 < 5 ms".into();
        confo.met = confo.p99.map(|p| p < 5e6);
    }
    if let (Some(c50), Some(c99), Some(k50), Some(k99)) =
        (confo.median, confo.p99, kazoo.median, kazoo.p99)
    {
        kazoo.ratio_vs_confo = Some(k50 / c50);
        kazoo.target = "confo p50 <= kazoo/2, p99 below kazoo's".into();
        kazoo.met = Some(c50 <= k50 / 2.0 && c99 < k99);
    } else {
        kazoo.target = "confo p50 <= kazoo/2, p99 below kazoo's".into();
    }
    vec![confo, raw, kazoo]
}

/// A follower's start: says `ready` on stdout, and returns a receiver that
/// fires when the parent closes our stdin (its way of stopping us).
pub(crate) fn ready_until_stdin_closes() -> Result<tokio::sync::oneshot::Receiver<()>, String> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
        let _ = stop_tx.send(());
    });
    let mut out = std::io::stdout();
    out.write_all(b"ready\n").map_err(err_string)?;
    out.flush().map_err(err_string)?;
    Ok(stop_rx)
}

/// A follower's line for one change seen: `lat <ns since the write> <seq>`.
pub(crate) fn report_latency(value: &Propagate) -> Result<(), String> {
    let now = wall_ns();
    let line = format!("lat {} {}\n", now.saturating_sub(value.sent_ns), value.seq);
    let mut out = std::io::stdout();
    out.write_all(line.as_bytes()).map_err(err_string)?;
    out.flush().map_err(err_string)
}

/// Child process: the floor of scenario 3, by hand on the raw client: a
/// persistent watch, and a `get_data` + decode for each event.
pub(crate) async fn follow_raw(port: &str) -> Result<(), String> {
    const PATH: &str = "/confo/bench3/propagate";
    let client = zk::Client::connect(&format!("127.0.0.1:{port}"))
        .await
        .map_err(err_string)?;
    let mut watcher = client
        .watch(PATH, zk::AddWatchMode::Persistent)
        .await
        .map_err(err_string)?;
    let mut stop_rx = ready_until_stdin_closes()?;
    let deadline = Instant::now() + Duration::from_secs(3600);
    while Instant::now() < deadline {
        tokio::select! {
            _ = &mut stop_rx => break,
            event = watcher.changed() => {
                if event.event_type != zk::EventType::NodeDataChanged {
                    continue;
                }
                let (data, _) = client.get_data(PATH).await.map_err(err_string)?;
                let value: Propagate = serde_json::from_slice(&data).map_err(err_string)?;
                report_latency(&value)?;
            }
        }
    }
    Ok(())
}

/// Child process: follows `bench3/propagate` with `confo.watch::<Propagate>()`.
pub(crate) async fn follow(url: &str) -> Result<(), String> {
    let confo = Confo::from_url(url).await.map_err(err_string)?;
    let mut live = match confo.watch::<Propagate>().await {
        Ok(live) => live,
        Err(e) => {
            println!("unavailable backend cannot watch yet: {e}");
            return Ok(());
        }
    };
    // Stop when the parent closes our stdin (or after an hour at most).
    let mut stop_rx = ready_until_stdin_closes()?;
    let deadline = Instant::now() + Duration::from_secs(3600);
    while Instant::now() < deadline {
        tokio::select! {
            _ = &mut stop_rx => break,
            changed = live.changed() => {
                let value = changed.map_err(err_string)?;
                report_latency(&value)?;
            }
        }
    }
    Ok(())
}
