//! Side-by-side benchmark of confo against its peers (issue 7).
//!
//! Run it through `scripts/bench.sh`, which builds this binary in release,
//! installs the Python peers (PyPI `confo` and `kazoo`) into a virtualenv
//! and calls `peers run`. This binary then:
//!
//! 1. starts ONE throwaway ZooKeeper on 127.0.0.1 (`confo::testing`; it is
//!    killed when this process ends, however it ends);
//! 2. seeds it;
//! 3. runs every scenario for confo and each peer in the same run,
//!    alternating implementations round after round, and keeps every sample;
//! 4. prints the table and writes `target/bench/results.json`.
//!
//! Python peers run as child processes of `peers.py` (beside this file), one per round,
//! and time themselves with `time.perf_counter_ns`, so interpreter start-up
//! and connecting are not counted. Every loop is bounded in count and time.
//!
//! It is a `harness = false` bench so that `cargo test` never builds or runs it.
//! Subcommands other than `run` are the child processes it starts itself:
//! `follow` (a `Live<T>` in another process, scenario 3) and `rss`
//! (one process holding 10,000 `Live` handles, scenario 6).
//!
//! One concern a file: `alloc.rs` (the counting allocator), `configs.rs`
//! (what the scenarios read), `plan.rs` (how much of everything), `stats.rs`
//! (samples, percentiles, rows, goals), `ctx.rs` (what the scenarios share),
//! `python.rs` (the Python peers), `seed.rs`, `scenarios/` (one file per
//! scenario), `profile.rs` (`rtt`, `profile-ns`), `report.rs` (the table and
//! results.json); this file parses the arguments and runs them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use confo::backend::{Backend, ZooKeeper};
use confo::testing::ZooKeeperServer;
use confo::{ConfigPath, Confo, Secret};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::io::Write as _;

use tokio::io::{AsyncBufReadExt, BufReader};
use zookeeper_client as zk;

mod alloc;
mod configs;
mod ctx;
mod plan;
mod profile;
mod python;
mod report;
mod scenarios;
mod seed;
mod stats;

use alloc::*;
use configs::*;
use ctx::*;
use plan::*;
use profile::*;
use report::*;
use scenarios::*;
use seed::*;
use stats::*;

// Entry point.

struct Args {
    command: String,
    flags: BTreeMap<String, String>,
    quick: bool,
}

fn parse_args() -> Args {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let command = args.next().unwrap_or_else(|| "help".into());
    let mut flags = BTreeMap::new();
    let mut quick = false;
    let rest: Vec<String> = args.collect();
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == "--quick" {
            quick = true;
        } else if let Some(key) = rest[i].strip_prefix("--") {
            if let Some(value) = rest.get(i + 1) {
                flags.insert(key.to_owned(), value.clone());
                i += 1;
            }
        }
        i += 1;
    }
    Args {
        command,
        flags,
        quick,
    }
}

fn flag(args: &Args, key: &str) -> Result<String, String> {
    args.flags
        .get(key)
        .cloned()
        .ok_or_else(|| format!("missing --{key}"))
}

fn main() {
    let args = parse_args();
    // One thread: a reply wakes the task that waits for it on the same
    // thread, so a round trip pays no cross-thread wake-up (for confo and the
    // raw client alike). CONFO_BENCH_RUNTIME=multi measures on tokio's
    // multi-thread runtime (2 workers) instead.
    let multi = std::env::var("CONFO_BENCH_RUNTIME").is_ok_and(|v| v == "multi");
    let mut builder = if multi {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = builder.enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async {
        match args.command.as_str() {
            "run" => run(&args).await,
            "follow" => follow(&flag(&args, "url")?).await,
            "fan-follow" => {
                let handles = flag(&args, "handles")?.parse().map_err(err_string)?;
                fan_follow(&flag(&args, "url")?, handles).await
            }
            "follow-raw" => follow_raw(&flag(&args, "port")?).await,
            "rtt" => rtt().await,
            "profile-ns" => profile_ns(&flag(&args, "impl")?).await,
            "hot" => {
                let confo = Confo::from_url("mem://").await.map_err(err_string)?;
                let path: ConfigPath = "bench1/database".parse().map_err(err_string)?;
                let store = confo.backend().map_err(err_string)?;
                store
                    .write(&path, &database_json(), confo::backend::Expect::Any)
                    .await
                    .map_err(err_string)?;
                let live = confo.watch::<Database>().await.map_err(err_string)?;
                for _ in 0..3 {
                    let (s, allocs) = hot_read_cost(&live);
                    println!("median {:?} ns, {allocs} allocations", percentile(&s, 50.0));
                }
                Ok(())
            }
            "rss" => {
                let count = flag(&args, "count")?.parse().map_err(err_string)?;
                rss(&flag(&args, "url")?, count).await
            }
            _ => Err(
                "usage: peers run --python PY --peers benches/peers/peers.py --confo-bin BIN \
                      [--out target/bench] [--quick]   (use scripts/bench.sh)"
                    .into(),
            ),
        }
    });
    if let Err(e) = result {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let plan = Plan::new(args.quick);
    let out_dir = PathBuf::from(
        args.flags
            .get("out")
            .cloned()
            .unwrap_or("target/bench".into()),
    );
    std::fs::create_dir_all(&out_dir).map_err(err_string)?;
    let work = out_dir.join("work");
    std::fs::create_dir_all(&work).map_err(err_string)?;

    eprintln!("bench: starting ZooKeeper on 127.0.0.1");
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .map_err(err_string)?
        .map_err(err_string)?;
    eprintln!("bench: ZooKeeper at {}", server.connect_string());
    let raw = zk::Client::connect(&server.connect_string())
        .await
        .map_err(err_string)?;
    let confo = Confo::from_url(&server.url()).await.map_err(err_string)?;
    let backend = confo.backend().map_err(err_string)?;
    let ctx = Ctx {
        plan: plan.clone(),
        port: server.port(),
        url: server.url(),
        python: flag(args, "python")?.into(),
        peers_py: flag(args, "peers")?.into(),
        confo_bin: flag(args, "confo-bin")?.into(),
        self_exe: std::env::current_exe().map_err(err_string)?,
        work,
        raw,
        confo,
        backend,
    };
    seed(&ctx).await?;

    // `--only 1,5` runs those scenarios alone (2 and 7 go together; 4 uses 1).
    let only = args.flags.get("only").cloned().unwrap_or_default();
    let listed: Vec<&str> = only.split(',').map(str::trim).collect();
    let wanted = |n: &str| only.is_empty() || listed.contains(&n);
    let mut rows = Vec::new();
    if wanted("0") {
        rows.extend(scenario_0(&ctx));
    }
    if wanted("1") || wanted("4") {
        rows.extend(scenario_1(&ctx).await);
    }
    let load_one = rows.clone();
    if wanted("2") || wanted("7") {
        rows.extend(scenario_2_and_7(&ctx).await);
    }
    if wanted("3") {
        rows.extend(scenario_3(&ctx).await);
    }
    if wanted("4") {
        rows.extend(scenario_4(&ctx, &load_one).await);
    }
    if wanted("5") {
        rows.extend(scenario_5(&ctx).await);
    }
    if wanted("6") {
        rows.extend(scenario_6(&ctx).await);
    }
    if wanted("8") {
        rows.extend(scenario_8(&ctx).await);
    }
    if wanted("9") {
        rows.extend(scenario_9(&ctx).await);
    }
    if wanted("10") {
        rows.extend(scenario_10(&ctx).await);
    }
    // Scenario order in the table: by number.
    rows.sort_by_key(|r| {
        r.scenario
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    });

    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let report = Report {
        date: date.clone(),
        nproc,
        quick: plan.quick,
        zookeeper_port: ctx.port,
        rounds: plan.rounds,
        duration_s: started.elapsed().as_secs_f64(),
        rows: &rows,
    };
    let json = serde_json::to_string_pretty(&report).map_err(err_string)?;
    std::fs::write(out_dir.join("results.json"), json).map_err(err_string)?;
    let text = table(&rows);
    std::fs::write(out_dir.join("table.md"), &text).map_err(err_string)?;
    println!(
        "confo benchmarks, {date}, {nproc} cores{}, {} rounds, {:.0} s\n",
        if plan.quick { ", --quick" } else { "" },
        plan.rounds,
        started.elapsed().as_secs_f64()
    );
    println!("{text}");
    println!("ratio = implementation / confo (for peers: how many times slower than confo).");
    println!("written: {}/results.json and table.md", out_dir.display());
    drop(ctx);
    drop(server);
    Ok(())
}
