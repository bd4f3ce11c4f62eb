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
//! Python peers run as child processes of `bench/peers.py`, one per round,
//! and time themselves with `time.perf_counter_ns`, so interpreter start-up
//! and connecting are not counted. Every loop is bounded in count and time.
//!
//! It is a `harness = false` bench so that `cargo test` never builds or runs it.
//! Subcommands other than `run` are the child processes it starts itself:
//! `follow` (a `Live<T>` in another process, scenario 3) and `rss`
//! (one process holding 10,000 `Live` handles, scenario 6).

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

// ---------------------------------------------------------------------------
// Counting allocator: proves that `live.get()` does not allocate.

struct Counting;

thread_local! {
    /// Allocations made by this thread (const-initialised: counting never allocates).
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_here() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// ---------------------------------------------------------------------------
// The configurations the scenarios read.

/// Scenario 1: one typed configuration, alone in its namespace (so Python
/// confo's `reload` reads exactly one).
#[derive(confo::Confo, Deserialize, Serialize, Debug, Clone)]
#[confo(namespace = "bench1", name = "database")]
struct Database {
    host: String,
    port: u16,
    user: String,
    password: Secret<String>,
    vendor: String,
    pool_size: u32,
    timeout_ms: u64,
    replicas: Vec<String>,
}

fn database_json() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "host": "db.internal.example", "port": 5432, "user": "service",
        "password": "not-a-real-password", "vendor": "postgres",
        "pool_size": 16, "timeout_ms": 2500,
        "replicas": ["db-r1.internal.example", "db-r2.internal.example"]
    }))
    .expect("static JSON")
}

/// Scenarios 2, 5, 6, 7: the configurations of a namespace.
#[derive(Deserialize, Serialize, Debug, Clone)]
struct Item {
    host: String,
    port: u16,
    user: String,
    enabled: bool,
    pool: u32,
    tags: Vec<String>,
}

fn item_json(i: usize) -> Vec<u8> {
    serde_json::to_vec(&Item {
        host: format!("svc-{i}.internal.example"),
        port: 1024 + (i % 50_000) as u16,
        user: format!("user{i}"),
        enabled: i.is_multiple_of(2),
        pool: (i % 64) as u32,
        tags: vec!["bench".into(), format!("shard-{}", i % 16)],
    })
    .expect("static JSON")
}

fn item_name(i: usize) -> String {
    format!("cfg{i:05}")
}

/// Scenario 3: the value a writer changes and a `Live` follows.
#[derive(confo::Confo, Deserialize, Serialize, Debug, Clone)]
#[confo(namespace = "bench3", name = "propagate")]
struct Propagate {
    seq: u64,
    /// Wall-clock nanoseconds just before the write (same machine, same clock).
    sent_ns: u64,
    payload: String,
}

fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Plan: how much of everything (full run, or --quick for a smoke run).

#[derive(Debug, Clone)]
struct Plan {
    quick: bool,
    rounds: usize,
    load_one_iters: usize,
    scales: Vec<usize>,
    changes: usize,
    bulk: usize,
    bulk_rounds: usize,
    rss_count: usize,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Plan {
                quick,
                rounds: 2,
                load_one_iters: 50,
                scales: vec![10, 100, 1_000],
                changes: 100,
                bulk: 1_000,
                bulk_rounds: 1,
                rss_count: 1_000,
            }
        } else {
            Plan {
                quick,
                rounds: 5,
                load_one_iters: 200,
                scales: vec![10, 100, 1_000, 10_000],
                changes: 1_000,
                bulk: 10_000,
                bulk_rounds: 3,
                rss_count: 10_000,
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Results.

#[derive(Debug, Clone, Serialize)]
struct Row {
    scenario: String,
    implementation: String,
    /// Median in nanoseconds (for memory rows: bytes).
    median: Option<f64>,
    p99: Option<f64>,
    samples: usize,
    /// How many times slower than the confo row it is compared with (this / confo).
    ratio_vs_confo: Option<f64>,
    target: String,
    met: Option<bool>,
    unit: &'static str,
    note: String,
}

impl Row {
    fn new(scenario: &str, implementation: &str, samples: &[u64]) -> Self {
        Row {
            scenario: scenario.into(),
            implementation: implementation.into(),
            median: percentile(samples, 50.0),
            p99: percentile(samples, 99.0),
            samples: samples.len(),
            ratio_vs_confo: None,
            target: String::new(),
            met: None,
            unit: "ns",
            note: String::new(),
        }
    }

    fn failed(scenario: &str, implementation: &str, note: impl Into<String>) -> Self {
        let mut row = Row::new(scenario, implementation, &[]);
        row.note = note.into();
        row
    }
}

fn percentile(samples: &[u64], p: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    Some(sorted[rank.min(sorted.len() - 1)] as f64)
}

/// Samples per implementation, collected over alternating rounds.
#[derive(Default)]
struct Samples {
    by_impl: BTreeMap<String, Result<Vec<u64>, String>>,
}

impl Samples {
    fn add(&mut self, implementation: &str, result: Result<Vec<u64>, String>) {
        let entry = self
            .by_impl
            .entry(implementation.to_owned())
            .or_insert_with(|| Ok(Vec::new()));
        match (entry.is_ok(), result) {
            (true, Ok(more)) => entry.as_mut().expect("checked").extend(more),
            (true, Err(e)) => *entry = Err(e),
            (false, _) => {}
        }
    }

    fn failed(&self, implementation: &str) -> bool {
        matches!(self.by_impl.get(implementation), Some(Err(_)))
    }

    fn row(&self, scenario: &str, implementation: &str) -> Row {
        match self.by_impl.get(implementation) {
            Some(Ok(s)) => Row::new(scenario, implementation, s),
            Some(Err(e)) => Row::failed(scenario, implementation, e.clone()),
            None => Row::failed(scenario, implementation, "not run"),
        }
    }
}

/// Sets `ratio_vs_confo` = row / confo and checks `peer / confo >= at_least`
/// (a peer confo must beat) or `confo / peer <= within` (a floor confo must
/// stay close to).
enum Goal {
    None,
    FasterBy(f64),
    Within(f64),
}

fn compare(row: &mut Row, confo: Option<f64>, goal: Goal) {
    let (Some(c), Some(r)) = (confo, row.median) else {
        if !matches!(goal, Goal::None) {
            row.met = None;
        }
        return;
    };
    row.ratio_vs_confo = Some(r / c);
    match goal {
        Goal::None => {}
        Goal::FasterBy(x) => {
            row.target = format!("confo >= {x}x faster");
            row.met = Some(r / c >= x);
        }
        Goal::Within(x) => {
            row.target = format!("confo within {x}x");
            row.met = Some(c / r <= x);
        }
    }
}

// ---------------------------------------------------------------------------
// Context shared by the scenarios.

struct Ctx {
    plan: Plan,
    port: u16,
    url: String,
    python: PathBuf,
    peers_py: PathBuf,
    confo_bin: PathBuf,
    self_exe: PathBuf,
    work: PathBuf,
    raw: zk::Client,
    confo: Confo,
    backend: Arc<dyn Backend>,
}

/// Loop bounds: no scenario runs one implementation longer than this per round.
const ROUND_BUDGET: Duration = Duration::from_secs(60);
/// A child process (Python peer, follower) gets at most this long per call.
const CHILD_TIMEOUT: Duration = Duration::from_secs(300);

impl Ctx {
    /// Runs `bench/peers.py <args>` and returns its samples (one JSON line
    /// `{"samples_ns": [...]}` or `{"error": "..."}` on stdout).
    async fn python(&self, args: &[String]) -> Result<Vec<u64>, String> {
        let mut cmd = tokio::process::Command::new(&self.python);
        cmd.arg(&self.peers_py)
            .args(args)
            .arg("--port")
            .arg(self.port.to_string())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(CHILD_TIMEOUT, cmd.output())
            .await
            .map_err(|_| format!("peers.py {} timed out", args.join(" ")))?
            .map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().rev().find(|l| l.starts_with('{'));
        let Some(line) = line else {
            return Err(format!(
                "peers.py {} printed no result (exit {}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ));
        };
        #[derive(Deserialize)]
        struct Answer {
            samples_ns: Option<Vec<u64>>,
            error: Option<String>,
        }
        let answer: Answer =
            serde_json::from_str(line).map_err(|e| format!("bad peers.py answer {line}: {e}"))?;
        match (answer.samples_ns, answer.error) {
            (_, Some(e)) => Err(e),
            (Some(s), None) => Ok(s),
            (None, None) => Err("peers.py answered nothing".into()),
        }
    }
}

/// Times `iters` calls of `op` (after `warmup` untimed ones), stopping early
/// when the round's time budget is spent.
async fn time_async<F, Fut, T>(warmup: usize, iters: usize, mut op: F) -> Result<Vec<u64>, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    for _ in 0..warmup {
        std::hint::black_box(op().await?);
    }
    let start = Instant::now();
    let mut samples = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        let value = op().await?;
        samples.push(t.elapsed().as_nanos() as u64);
        drop(std::hint::black_box(value));
        if start.elapsed() > ROUND_BUDGET {
            break;
        }
    }
    Ok(samples)
}

fn err_string(e: impl std::fmt::Display) -> String {
    e.to_string()
}

// ---------------------------------------------------------------------------
// Seeding.

async fn ensure(raw: &zk::Client, path: &str) -> Result<(), String> {
    let create = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    match raw.create(path, b"", &create).await {
        Ok(_) | Err(zk::Error::NodeExists) => Ok(()),
        Err(e) => Err(format!("create {path}: {e}")),
    }
}

/// Creates `/confo/<ns>/cfg00000...` with `count` items, 500 per multi-request.
async fn seed_namespace(raw: &zk::Client, ns: &str, count: usize) -> Result<(), String> {
    ensure(raw, "/confo").await?;
    ensure(raw, &format!("/confo/{ns}")).await?;
    let create = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    let mut i = 0;
    while i < count {
        let end = (i + 500).min(count);
        let mut writer = raw.new_multi_writer();
        let data: Vec<(String, Vec<u8>)> = (i..end)
            .map(|j| (format!("/confo/{ns}/{}", item_name(j)), item_json(j)))
            .collect();
        for (path, bytes) in &data {
            writer
                .add_create(path, bytes, &create)
                .map_err(err_string)?;
        }
        writer
            .commit()
            .await
            .map_err(|e| format!("seeding {ns}: {e}"))?;
        i = end;
    }
    Ok(())
}

fn scale_ns(size: usize) -> String {
    format!("scale{size}")
}

async fn seed(ctx: &Ctx) -> Result<(), String> {
    let t = Instant::now();
    ensure(&ctx.raw, "/confo").await?;
    ensure(&ctx.raw, "/confo/bench1").await?;
    let create = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    ctx.raw
        .create("/confo/bench1/database", &database_json(), &create)
        .await
        .map_err(err_string)?;
    for &size in &ctx.plan.scales {
        seed_namespace(&ctx.raw, &scale_ns(size), size).await?;
    }
    if !ctx.plan.scales.contains(&ctx.plan.rss_count) {
        seed_namespace(&ctx.raw, &scale_ns(ctx.plan.rss_count), ctx.plan.rss_count).await?;
    }
    ensure(&ctx.raw, "/confo/bench3").await?;
    let first = serde_json::to_vec(&Propagate {
        seq: 0,
        sent_ns: 0,
        payload: "x".repeat(64),
    })
    .map_err(err_string)?;
    ctx.raw
        .create("/confo/bench3/propagate", &first, &create)
        .await
        .map_err(err_string)?;
    eprintln!("bench: seeded in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

// ---------------------------------------------------------------------------
// Scenario 1: load one typed configuration.

async fn scenario_1(ctx: &Ctx) -> Vec<Row> {
    eprintln!("bench: scenario 1 (load one typed configuration)");
    let iters = ctx.plan.load_one_iters;
    let warm = iters / 10;
    let mut s = Samples::default();
    for round in 0..ctx.plan.rounds {
        // Alternate the order every round, so no implementation always goes first.
        let mut order = ["confo", "raw", "kazoo", "pyconfo"];
        order.rotate_left(round % 4);
        for which in order {
            let result = match which {
                "confo" => {
                    time_async(warm, iters, || async {
                        Database::load(&ctx.confo).await.map_err(err_string)
                    })
                    .await
                }
                "raw" => {
                    time_async(warm, iters, || async {
                        let (data, _stat) = ctx
                            .raw
                            .get_data("/confo/bench1/database")
                            .await
                            .map_err(err_string)?;
                        serde_json::from_slice::<Database>(&data).map_err(err_string)
                    })
                    .await
                }
                "kazoo" => {
                    ctx.python(&[
                        "kazoo-get".into(),
                        "--path".into(),
                        "/confo/bench1/database".into(),
                        "--iters".into(),
                        iters.to_string(),
                    ])
                    .await
                }
                _ => {
                    ctx.python(&[
                        "pyconfo-reload".into(),
                        "--ns".into(),
                        "bench1".into(),
                        "--iters".into(),
                        iters.to_string(),
                    ])
                    .await
                }
            };
            s.add(which, result);
        }
    }
    let sc = "1 load one";
    let confo = s.row(sc, "confo").median;
    let mut rows = vec![s.row(sc, "confo")];
    rows[0].implementation = "confo Database::load".into();
    rows[0].ratio_vs_confo = confo.map(|_| 1.0);
    let mut raw = s.row(sc, "raw");
    raw.implementation = "raw zookeeper-client get_data + from_slice".into();
    compare(&mut raw, confo, Goal::Within(1.10));
    let mut kazoo = s.row(sc, "kazoo");
    kazoo.implementation = "kazoo get + json.loads".into();
    compare(&mut kazoo, confo, Goal::FasterBy(2.0));
    let mut py = s.row(sc, "pyconfo");
    py.implementation = "Python confo reload (1-config namespace)".into();
    compare(&mut py, confo, Goal::FasterBy(5.0));
    rows.extend([raw, kazoo, py]);
    rows
}

// ---------------------------------------------------------------------------
// Scenarios 2 and 7: load a namespace.

const NS_IMPLS: [&str; 8] = [
    "confo-use",
    "confo-typed",
    "raw-multi",
    "raw-list-multi",
    "raw-seq",
    "kazoo",
    "kazoo-async",
    "pyconfo",
];

fn ns_label(which: &str) -> &'static str {
    match which {
        "confo-use" => "confo use_namespace (manager, JSON maps)",
        "confo-typed" => "confo read_namespace + typed decode",
        "raw-multi" => "raw multi-read of the paths + decode (floor)",
        "raw-list-multi" => "raw list_children + multi-read + decode (floor with listing)",
        "raw-seq" => "raw sequential get_data + decode",
        "kazoo" => "kazoo get_children + get each",
        "kazoo-async" => "kazoo get_children + get_async all (pipelined)",
        _ => "Python confo use_namespace",
    }
}

/// Loads `size` configurations `iters` times with one implementation.
async fn load_namespace(
    ctx: &Ctx,
    which: &str,
    size: usize,
    iters: usize,
) -> Result<Vec<u64>, String> {
    let ns = scale_ns(size);
    let namespace: confo::Namespace = ns.parse().map_err(err_string)?;
    let paths: Vec<String> = (0..size)
        .map(|i| format!("/confo/{ns}/{}", item_name(i)))
        .collect();
    let warm = 1;
    match which {
        "confo-use" => {
            time_async(warm, iters, || async {
                ctx.confo.use_namespace(&ns).await.map_err(err_string)?;
                let n = ctx.confo.count().map_err(err_string)?;
                if n != size {
                    return Err(format!("confo read {n} configurations, not {size}"));
                }
                Ok(n)
            })
            .await
        }
        "confo-typed" => {
            time_async(warm, iters, || async {
                let all = confo::backend::read_namespace(&*ctx.backend, &namespace)
                    .await
                    .map_err(err_string)?;
                let items = all
                    .iter()
                    .map(|(_, v)| serde_json::from_slice::<Item>(&v.bytes))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err_string)?;
                if items.len() != size {
                    return Err(format!(
                        "confo read {} configurations, not {size}",
                        items.len()
                    ));
                }
                Ok(items)
            })
            .await
        }
        "raw-multi" => {
            time_async(warm, iters, || async {
                let mut reader = ctx.raw.new_multi_reader();
                for p in &paths {
                    reader.add_get_data(p).map_err(err_string)?;
                }
                let results = reader.commit().await.map_err(err_string)?;
                results
                    .into_iter()
                    .map(|r| match r {
                        zk::MultiReadResult::Data { data, .. } => {
                            serde_json::from_slice::<Item>(&data).map_err(err_string)
                        }
                        other => Err(format!("{other:?}")),
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
        }
        "raw-list-multi" => {
            let base = format!("/confo/{ns}");
            time_async(warm, iters, || async {
                let names = ctx.raw.list_children(&base).await.map_err(err_string)?;
                let mut reader = ctx.raw.new_multi_reader();
                for name in &names {
                    reader
                        .add_get_data(&format!("{base}/{name}"))
                        .map_err(err_string)?;
                }
                let results = reader.commit().await.map_err(err_string)?;
                results
                    .into_iter()
                    .map(|r| match r {
                        zk::MultiReadResult::Data { data, .. } => {
                            serde_json::from_slice::<Item>(&data).map_err(err_string)
                        }
                        other => Err(format!("{other:?}")),
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
        }
        "raw-seq" => {
            time_async(warm, iters, || async {
                let mut items = Vec::with_capacity(paths.len());
                for p in &paths {
                    let (data, _) = ctx.raw.get_data(p).await.map_err(err_string)?;
                    items.push(serde_json::from_slice::<Item>(&data).map_err(err_string)?);
                }
                Ok(items)
            })
            .await
        }
        "kazoo" | "kazoo-async" | "pyconfo" => {
            let sub = match which {
                "kazoo" => "kazoo-namespace",
                "kazoo-async" => "kazoo-namespace-async",
                _ => "pyconfo-namespace",
            };
            ctx.python(&[
                sub.into(),
                "--ns".into(),
                ns.clone(),
                "--expect".into(),
                size.to_string(),
                "--iters".into(),
                iters.to_string(),
            ])
            .await
        }
        other => Err(format!("unknown implementation {other}")),
    }
}

/// Iterations per round: about the same wall time for every size.
fn ns_iters(which: &str, size: usize) -> usize {
    let fast = matches!(
        which,
        "confo-use" | "confo-typed" | "raw-multi" | "raw-list-multi"
    );
    if fast {
        (20_000 / size).clamp(3, 100)
    } else {
        (2_000 / size).clamp(1, 30)
    }
}

async fn scenario_2_and_7(ctx: &Ctx) -> Vec<Row> {
    let mut rows = Vec::new();
    for &size in &ctx.plan.scales {
        eprintln!(
            "bench: scenario {} (namespace of {size})",
            if size == 1_000 { 2 } else { 7 }
        );
        let rounds = if size >= 10_000 {
            ctx.plan.rounds.min(3)
        } else {
            ctx.plan.rounds
        };
        let mut s = Samples::default();
        for round in 0..rounds {
            let mut order = NS_IMPLS.to_vec();
            order.rotate_left(round % NS_IMPLS.len());
            for which in order {
                if s.failed(which) {
                    continue;
                }
                let result = load_namespace(ctx, which, size, ns_iters(which, size)).await;
                s.add(which, result);
            }
        }
        let sc = if size == 1_000 {
            "2 namespace of 1,000".to_owned()
        } else {
            format!("7 scale: {size}")
        };
        let with_targets = size == 1_000;
        let confo = s.row(&sc, "confo-use").median;
        let typed = s.row(&sc, "confo-typed").median;
        for which in NS_IMPLS {
            let mut row = s.row(&sc, which);
            row.implementation = ns_label(which).into();
            let goal = match which {
                "raw-multi" if with_targets => Goal::Within(1.25),
                "raw-seq" if with_targets => Goal::FasterBy(20.0),
                "pyconfo" if with_targets => Goal::FasterBy(30.0),
                _ => Goal::None,
            };
            match which {
                "confo-use" => row.ratio_vs_confo = confo.map(|_| 1.0),
                "confo-typed" => compare(&mut row, confo, Goal::None),
                _ => compare(&mut row, confo, goal),
            }
            if which == "raw-list-multi" {
                if let (Some(t), Some(r)) = (typed, row.median) {
                    row.note = format!("typed confo: {:.2}x of this floor", t / r);
                }
            }
            if with_targets && matches!(which, "raw-multi" | "raw-seq" | "pyconfo") {
                // The same target checked against the typed confo row too.
                if let (Some(t), Some(r)) = (typed, row.median) {
                    row.note = match which {
                        "raw-multi" => format!("typed confo: {:.2}x of the floor", t / r),
                        _ => format!("typed confo: {:.1}x faster", r / t),
                    };
                }
            }
            rows.push(row);
        }
    }
    rows
}

// ---------------------------------------------------------------------------
// Scenario 3: change propagation to another process.

/// A follower process: prints `ready`, then `lat <ns> <seq>` per change seen.
struct Follower {
    child: tokio::process::Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Follower {
    async fn start(mut cmd: tokio::process::Command) -> Result<Self, String> {
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

    async fn next_line(&mut self, wait: Duration) -> Result<String, String> {
        match tokio::time::timeout(wait, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => Ok(line),
            Ok(Ok(None)) => Err("the follower exited".into()),
            Ok(Err(e)) => Err(format!("reading the follower: {e}")),
            Err(_) => Err(format!("no answer from the follower within {wait:?}")),
        }
    }

    async fn stop(mut self) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

async fn propagate_round(
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
        let bytes = serde_json::to_vec(&Propagate {
            seq,
            sent_ns: wall_ns(),
            payload: payload.clone(),
        })
        .map_err(err_string)?;
        ctx.raw
            .set_data("/confo/bench3/propagate", &bytes, None)
            .await
            .map_err(err_string)?;
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

async fn scenario_3(ctx: &Ctx) -> Vec<Row> {
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
fn ready_until_stdin_closes() -> Result<tokio::sync::oneshot::Receiver<()>, String> {
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
fn report_latency(value: &Propagate) -> Result<(), String> {
    let now = wall_ns();
    let line = format!("lat {} {}\n", now.saturating_sub(value.sent_ns), value.seq);
    let mut out = std::io::stdout();
    out.write_all(line.as_bytes()).map_err(err_string)?;
    out.flush().map_err(err_string)
}

/// Child process: the floor of scenario 3, by hand on the raw client: a
/// persistent watch, and a `get_data` + decode for each event.
async fn follow_raw(port: &str) -> Result<(), String> {
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
async fn follow(url: &str) -> Result<(), String> {
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

// ---------------------------------------------------------------------------
// Scenario 4: hot read.

/// Median cost of one `live.get()` over batches of calls, and the
/// allocations this thread made during all of them.
fn hot_read_cost<T>(live: &confo::Live<T>) -> (Vec<u64>, u64) {
    const BATCH: u64 = 100_000;
    const BATCHES: usize = 31;
    for _ in 0..BATCH {
        std::hint::black_box(live.get());
    }
    let mut per_call = Vec::with_capacity(BATCHES);
    let mut allocations = 0;
    for _ in 0..BATCHES {
        let before = allocations_here();
        let t = Instant::now();
        for _ in 0..BATCH {
            std::hint::black_box(live.get());
        }
        let elapsed = t.elapsed();
        allocations += allocations_here() - before;
        // Picoseconds would be truer; ns per call keeps the unit of the table.
        per_call.push((elapsed.as_nanos() as u64).div_ceil(BATCH));
    }
    (per_call, allocations)
}

async fn scenario_4(ctx: &Ctx, load_one: &[Row]) -> Vec<Row> {
    eprintln!("bench: scenario 4 (hot read)");
    let sc = "4 hot read";
    let mut rows = Vec::new();
    // On ZooKeeper when it can watch; on memory always (get() does not
    // depend on the backend: it is a pointer load).
    let mut measured = false;
    match ctx.confo.watch::<Database>().await {
        Ok(live) => {
            let (s, allocs) = hot_read_cost(&live);
            let mut row = Row::new(sc, "confo live.get() (ZooKeeper)", &s);
            row.target = "< 50 ns, 0 allocations".into();
            row.met = row.median.map(|m| m < 50.0 && allocs == 0);
            row.note = format!("{allocs} allocations in {} calls", 31 * 100_000);
            row.ratio_vs_confo = Some(1.0);
            rows.push(row);
            measured = true;
        }
        Err(e) => rows.push(Row::failed(
            sc,
            "confo live.get() (ZooKeeper)",
            format!("not available (backend cannot watch yet: {e})"),
        )),
    }
    let mem = async {
        let confo = Confo::from_url("mem://").await.map_err(err_string)?;
        confo
            .backend()
            .map_err(err_string)?
            .write(
                &"bench1/database".parse().map_err(err_string)?,
                &database_json(),
                confo::backend::Expect::Any,
            )
            .await
            .map_err(err_string)?;
        confo.watch::<Database>().await.map_err(err_string)
    };
    let base = match mem.await {
        Ok(live) => {
            let (s, allocs) = hot_read_cost(&live);
            let mut row = Row::new(sc, "confo live.get() (memory backend)", &s);
            row.target = "< 50 ns, 0 allocations".into();
            row.met = row.median.map(|m| m < 50.0 && allocs == 0);
            row.note = format!("{allocs} allocations in {} calls", 31 * 100_000);
            row.ratio_vs_confo = Some(1.0);
            let median = row.median;
            rows.push(row);
            median
        }
        Err(e) => {
            rows.push(Row::failed(sc, "confo live.get() (memory backend)", e));
            None
        }
    };
    let base = if measured { rows[0].median } else { base };
    // Re-reading instead: the scenario-1 medians of the same configuration.
    for (label, from) in [
        ("re-read: confo Database::load", "confo Database::load"),
        (
            "re-read: raw get_data + from_slice",
            "raw zookeeper-client get_data + from_slice",
        ),
        ("re-read: kazoo get + json.loads", "kazoo get + json.loads"),
    ] {
        if let Some(src) = load_one.iter().find(|r| r.implementation == from) {
            let mut row = src.clone();
            row.scenario = sc.into();
            row.implementation = label.into();
            row.target = String::new();
            row.met = None;
            row.note = "from scenario 1".into();
            row.ratio_vs_confo = match (row.median, base) {
                (Some(r), Some(b)) => Some(r / b),
                _ => None,
            };
            rows.push(row);
        }
    }
    rows
}

// ---------------------------------------------------------------------------
// Scenario 5: bulk import and export.

/// Writes `count` configurations as `dir/bulk/<name>.json`.
fn write_tree(dir: &Path, count: usize) -> Result<(), String> {
    let ns = dir.join("bulk");
    std::fs::create_dir_all(&ns).map_err(err_string)?;
    for i in 0..count {
        std::fs::write(ns.join(format!("{}.json", item_name(i))), item_json(i))
            .map_err(err_string)?;
    }
    Ok(())
}

async fn run_confo_cli(ctx: &Ctx, url: &str, args: &[&str]) -> Result<u64, String> {
    let mut cmd = tokio::process::Command::new(&ctx.confo_bin);
    cmd.arg("--url")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let t = Instant::now();
    let out = tokio::time::timeout(CHILD_TIMEOUT, cmd.output())
        .await
        .map_err(|_| format!("confo {} timed out", args.join(" ")))?
        .map_err(|e| format!("cannot run {}: {e}", ctx.confo_bin.display()))?;
    let elapsed = t.elapsed().as_nanos() as u64;
    if !out.status.success() {
        return Err(format!(
            "confo {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(elapsed)
}

async fn delete_namespace(backend: &dyn Backend, ns: &str) -> Result<(), String> {
    let ns: confo::Namespace = ns.parse().map_err(err_string)?;
    match backend.delete_namespace(&ns, true).await {
        Ok(()) | Err(confo::Error::NamespaceNotFound { .. }) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

async fn scenario_5(ctx: &Ctx) -> Vec<Row> {
    let count = ctx.plan.bulk;
    eprintln!("bench: scenario 5 (bulk import and export of {count})");
    let sc = format!("5 bulk {count}");
    let tree = ctx.work.join(format!("tree{count}"));
    let _ = std::fs::remove_dir_all(&tree);
    if let Err(e) = write_tree(&tree, count) {
        return vec![Row::failed(&sc, "confo import", e)];
    }
    // confo imports under a chroot of its own so that export sees exactly these.
    let chroot_url = format!("{}/bulkbench", ctx.url);
    let chrooted = match ZooKeeper::connect(&chroot_url).await {
        Ok(b) => b,
        Err(e) => return vec![Row::failed(&sc, "confo import", e.to_string())],
    };
    let tree_arg = tree.display().to_string();
    let mut s = Samples::default();
    for round in 0..ctx.plan.bulk_rounds {
        let order = if round % 2 == 0 {
            ["confo", "pyconfo"]
        } else {
            ["pyconfo", "confo"]
        };
        for which in order {
            if which == "confo" {
                let import = async {
                    delete_namespace(&chrooted, "bulk").await?;
                    run_confo_cli(ctx, &chroot_url, &["import", &tree_arg]).await
                }
                .await;
                s.add("confo-import", import.map(|t| vec![t]));
                let out = ctx.work.join("export");
                let _ = std::fs::remove_dir_all(&out);
                let export =
                    run_confo_cli(ctx, &chroot_url, &["export", &out.display().to_string()])
                        .await
                        .and_then(|t| {
                            let n = std::fs::read_dir(out.join("bulk"))
                                .map_err(err_string)?
                                .count();
                            if n == count {
                                Ok(t)
                            } else {
                                Err(format!("export wrote {n} files, not {count}"))
                            }
                        });
                s.add("confo-export", export.map(|t| vec![t]));
            } else {
                let result = async {
                    delete_namespace(&*ctx.backend, "pybulk").await?;
                    ctx.python(&[
                        "pyconfo-persist".into(),
                        "--ns".into(),
                        "pybulk".into(),
                        "--dir".into(),
                        tree.join("bulk").display().to_string(),
                    ])
                    .await
                }
                .await;
                s.add("pyconfo", result);
            }
        }
    }
    let _ = delete_namespace(&chrooted, "bulk").await;
    let _ = delete_namespace(&*ctx.backend, "pybulk").await;
    let confo = s.row(&sc, "confo-import").median;
    let mut import = s.row(&sc, "confo-import");
    import.implementation = "confo import (CLI, end to end)".into();
    import.ratio_vs_confo = confo.map(|_| 1.0);
    let mut py = s.row(&sc, "pyconfo");
    py.implementation = "Python confo set + persist(ns, name) each".into();
    compare(&mut py, confo, Goal::FasterBy(10.0));
    let mut export = s.row(&sc, "confo-export");
    export.implementation = "confo export (CLI, end to end)".into();
    compare(&mut export, confo, Goal::None);
    vec![import, py, export]
}

// ---------------------------------------------------------------------------
// Scenario 6: memory of 10,000 live values.

async fn scenario_6(ctx: &Ctx) -> Vec<Row> {
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

fn vm_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Child process: holds `count` live values and prints `rss_kb <before> <after>`.
async fn rss(url: &str, count: usize) -> Result<(), String> {
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
    let decode: confo::Decoder<Item> = Arc::new(|describe, path, bytes| {
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

/// `peers rtt`: the round trip of one raw `get_data`, as the JVM warms up
/// (shows how much of a load is the server).
async fn rtt() -> Result<(), String> {
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
async fn profile_ns(which: &str) -> Result<(), String> {
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

// ---------------------------------------------------------------------------
// Output.

fn human(value: Option<f64>, unit: &str) -> String {
    let Some(v) = value else { return "-".into() };
    if unit == "bytes" {
        return format!("{:.1} MB", v / 1e6);
    }
    if v < 1e3 {
        format!("{v:.0} ns")
    } else if v < 1e6 {
        format!("{:.1} µs", v / 1e3)
    } else if v < 1e9 {
        format!("{:.2} ms", v / 1e6)
    } else {
        format!("{:.2} s", v / 1e9)
    }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| scenario | implementation | median | p99 | n | ratio vs confo | target | met? | note |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- |\n");
    for r in rows {
        let ratio = r
            .ratio_vs_confo
            .map(|x| format!("{x:.2}x"))
            .unwrap_or("-".into());
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**NO**",
            None if !r.target.is_empty() => "n/a",
            None => "",
        };
        let p99 = if r.unit == "bytes" {
            "-".into()
        } else {
            human(r.p99, r.unit)
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.implementation,
            human(r.median, r.unit),
            p99,
            r.samples,
            ratio,
            r.target,
            met,
            r.note.replace('|', "/")
        ));
    }
    out
}

#[derive(Serialize)]
struct Report<'a> {
    date: String,
    nproc: usize,
    quick: bool,
    zookeeper_port: u16,
    rounds: usize,
    duration_s: f64,
    rows: &'a [Row],
}

// ---------------------------------------------------------------------------
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
                "usage: peers run --python PY --peers bench/peers.py --confo-bin BIN \
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
    let wanted = |n: char| only.is_empty() || only.contains(n);
    let mut rows = Vec::new();
    if wanted('1') || wanted('4') {
        rows.extend(scenario_1(&ctx).await);
    }
    let load_one = rows.clone();
    if wanted('2') || wanted('7') {
        rows.extend(scenario_2_and_7(&ctx).await);
    }
    if wanted('3') {
        rows.extend(scenario_3(&ctx).await);
    }
    if wanted('4') {
        rows.extend(scenario_4(&ctx, &load_one).await);
    }
    if wanted('5') {
        rows.extend(scenario_5(&ctx).await);
    }
    if wanted('6') {
        rows.extend(scenario_6(&ctx).await);
    }
    // Scenario order in the table: 1..7.
    rows.sort_by_key(|r| r.scenario.chars().next().unwrap_or('9'));

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
