//! What every fault scenario shares: the ensemble with link proxies, the
//! workers (updaters, loaders, `Live` watchers), and the checks.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use confo::testing::ZooKeeperEnsemble;
use confo::{Confo, Error, Freshness, Live};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::time::{timeout, Instant};

/// The configuration every scenario updates: a counter with the op id of
/// every increment applied, so a double apply shows as a repeated id.
#[derive(Confo, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
#[confo(namespace = "faults", name = "counter")]
pub struct Counter {
    pub count: u64,
    /// The op id of every increment applied, in order.
    pub applied: Vec<String>,
}

/// The backend's timeouts in these tests.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(4);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A ZooKeeper request waits at most 2 session timeouts plus the connect
/// timeout; a load is one request, retried within the retry deadline.
pub const LOAD_BOUND: Duration = Duration::from_secs(4 * 2 + 3 + 35);
/// An update: reads retried (30 s) around writes, within its deadline (30 s).
pub const UPDATE_BOUND: Duration = Duration::from_secs(30 + 30 + 11 + 9);
/// Opening a manager or a watch: connect timeout plus one request.
pub const CONNECT_BOUND: Duration = Duration::from_secs(3 + 11 + 5);
/// How long a `Live` may take to catch up once the faults are healed.
pub const CONVERGE_BOUND: Duration = Duration::from_secs(30);
/// Pause between one worker's operations.
pub const PACE: Duration = Duration::from_millis(30);

/// One ensemble at a time: each holds three JVMs, and the machine has two
/// cores.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

/// Runs a blocking ensemble operation off the runtime's threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("ensemble operation panicked")
}

/// A 3-server ensemble whose every link runs through a proxy.
pub async fn ensemble() -> Arc<ZooKeeperEnsemble> {
    Arc::new(
        blocking(|| ZooKeeperEnsemble::start_with_links(3))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

/// The URL of the given client proxies (all members when `members` is
/// empty), with this suite's timeouts.
pub fn url(ensemble: &ZooKeeperEnsemble, members: &[usize]) -> String {
    let all: Vec<usize> = (0..ensemble.len()).collect();
    let members = if members.is_empty() { &all } else { members };
    let hosts: Vec<String> = members
        .iter()
        .map(|&i| format!("127.0.0.1:{}", ensemble.client_link(i).unwrap().port()))
        .collect();
    with_options(&hosts.join(","))
}

/// The URL of the members' own client ports, bypassing the proxies: a
/// client the faults do not touch.
pub fn direct_url(ensemble: &ZooKeeperEnsemble) -> String {
    let hosts: Vec<String> = (0..ensemble.len())
        .map(|i| format!("127.0.0.1:{}", ensemble.client_port(i).unwrap()))
        .collect();
    with_options(&hosts.join(","))
}

fn with_options(hosts: &str) -> String {
    format!(
        "zk://{hosts}/faults-test?session_timeout={}s&connect_timeout={}s",
        SESSION_TIMEOUT.as_secs(),
        CONNECT_TIMEOUT.as_secs()
    )
}

/// The namespace of [`Counter`] unless a worker names another.
pub const NAMESPACE: &str = "faults";

/// Writes the starting value.
pub async fn seed(url: &str) {
    seed_in(url, NAMESPACE).await;
}

/// Writes the starting value in `namespace`.
pub async fn seed_in(url: &str, namespace: &str) {
    let confo = Confo::from_url(url).await.unwrap();
    confo
        .namespace(namespace)
        .save(&Counter::default())
        .await
        .unwrap();
}

/// What a worker does.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub url: String,
    pub updates: bool,
    pub loads: bool,
    pub live: bool,
    /// Where its counter lives (workers of one namespace contend).
    pub namespace: String,
}

impl Spec {
    pub fn new(name: &str, url: String) -> Self {
        Spec {
            name: name.into(),
            url,
            updates: true,
            loads: true,
            live: true,
            namespace: NAMESPACE.into(),
        }
    }
}

/// What one worker saw.
#[derive(Default)]
pub struct Report {
    pub name: String,
    pub namespace: String,
    /// (start, end) of every load that succeeded.
    pub loads_ok: Vec<(Instant, Instant)>,
    /// (start, end, error) of every load that failed.
    pub loads_failed: Vec<(Instant, Instant, Error)>,
    /// Op ids of the updates reported successful, with when they ended.
    pub updated: Vec<(String, Instant)>,
    /// Op ids of the updates that failed, with the error.
    pub update_failed: Vec<(String, Error)>,
    /// Operations that outlived their bound.
    pub timed_out: Vec<String>,
    pub longest_load: Duration,
    pub longest_update: Duration,
    /// The `Live` value, its freshness changes and the versions its
    /// `subscribe()` stream gave, when the worker watches.
    pub live: Option<Live<Counter>>,
    pub freshness: Vec<(Instant, Freshness)>,
    pub backwards: Vec<String>,
    pub versions_seen: usize,
}

/// A running worker; [`Worker::finish`] stops it.
pub struct Worker {
    handle: tokio::task::JoinHandle<Report>,
}

/// The signal that ends every worker.
pub fn stop_signal() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}

/// Connects (within its bound), opens the `Live` if asked, and returns
/// once connected, so the caller knows which links it uses at that time.
pub async fn start(spec: Spec, stop: watch::Receiver<bool>) -> Worker {
    let confo = timeout(CONNECT_BOUND, Confo::from_url(&spec.url))
        .await
        .expect("connecting outlived its bound")
        .unwrap_or_else(|e| panic!("{} cannot connect: {e}", spec.name));
    let live = if spec.live {
        Some(
            timeout(
                CONNECT_BOUND,
                confo.namespace(spec.namespace.as_str()).watch::<Counter>(),
            )
            .await
            .expect("starting a watch outlived its bound")
            .unwrap_or_else(|e| panic!("{} cannot watch: {e}", spec.name)),
        )
    } else {
        None
    };
    Worker {
        handle: tokio::spawn(run(spec, confo, live, stop)),
    }
}

impl Worker {
    pub async fn finish(self) -> Report {
        self.handle.await.expect("a worker panicked")
    }
}

async fn run(
    spec: Spec,
    confo: Confo,
    live: Option<Live<Counter>>,
    stop: watch::Receiver<bool>,
) -> Report {
    let name = spec.name.clone();
    let ns = spec.namespace.clone();
    let report = Mutex::new(Report {
        name: name.clone(),
        namespace: ns.clone(),
        ..Report::default()
    });
    let stopped = || *stop.borrow();
    let loads = async {
        while spec.loads && !stopped() {
            let start = Instant::now();
            let outcome = timeout(LOAD_BOUND, confo.namespace(ns.as_str()).load::<Counter>()).await;
            let end = Instant::now();
            {
                let mut r = report.lock().unwrap();
                r.longest_load = r.longest_load.max(end - start);
                match outcome {
                    Ok(Ok(_)) => r.loads_ok.push((start, end)),
                    Ok(Err(e)) => r.loads_failed.push((start, end, e)),
                    Err(_) => r
                        .timed_out
                        .push(format!("{name}: a load took over {LOAD_BOUND:?}")),
                }
            }
            tokio::time::sleep(PACE).await;
        }
    };
    let updates = async {
        let mut seq = 0u64;
        while spec.updates && !stopped() {
            seq += 1;
            let op = format!("{name}-{seq}");
            let start = Instant::now();
            let outcome = timeout(
                UPDATE_BOUND,
                confo.namespace(ns.as_str()).update::<Counter>(|c| {
                    c.count += 1;
                    c.applied.push(op.clone());
                }),
            )
            .await;
            let took = start.elapsed();
            {
                let mut r = report.lock().unwrap();
                r.longest_update = r.longest_update.max(took);
                match outcome {
                    Ok(Ok(_)) => r.updated.push((op, Instant::now())),
                    Ok(Err(e)) => r.update_failed.push((op, e)),
                    Err(_) => r
                        .timed_out
                        .push(format!("{name}: update {op} took over {UPDATE_BOUND:?}")),
                }
            }
            tokio::time::sleep(PACE).await;
        }
    };
    let versions = async {
        let Some(live) = &live else { return };
        let mut updates = live.subscribe();
        let mut last = live.version().raw();
        let mut stop = stop.clone();
        // Bounded by the stop signal.
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                next = updates.next() => {
                    let Some(snapshot) = next else { return };
                    let v = snapshot.version.raw();
                    let mut r = report.lock().unwrap();
                    r.versions_seen += 1;
                    if v <= last {
                        r.backwards.push(format!("{name}: version {v} after {last}"));
                    }
                    last = last.max(v);
                }
            }
        }
    };
    let freshness = async {
        let Some(live) = &live else { return };
        let mut status = live.status_stream();
        let mut stop = stop.clone();
        report
            .lock()
            .unwrap()
            .freshness
            .push((Instant::now(), status.borrow_and_update().freshness));
        // Bounded by the stop signal.
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                changed = status.changed() => {
                    if changed.is_err() { return }
                    let f = status.borrow_and_update().freshness;
                    report.lock().unwrap().freshness.push((Instant::now(), f));
                }
            }
        }
    };
    tokio::join!(loads, updates, versions, freshness);
    let mut report = report.into_inner().unwrap();
    report.live = live;
    report
}

/// Whether an update's error says its outcome is unknown (it may have
/// been applied).
pub fn outcome_unknown(e: &Error) -> bool {
    e.is_outcome_unknown()
}

/// What a scenario measured, printed by [`check`].
#[derive(Debug, Default)]
pub struct Figures {
    pub acknowledged: usize,
    pub failed: usize,
    pub applied_though_failed: usize,
    /// Longest time a loading worker went without a successful load.
    pub longest_unavailability: Duration,
    /// Per heal: the longest time until every loading worker loaded and
    /// every `Live` was Fresh again.
    pub recovery: Vec<Duration>,
    /// The longest time a `Live` took to show the final value once the
    /// writers stopped.
    pub converge: Duration,
    /// The longest update and load.
    pub longest_update: Duration,
    pub longest_load: Duration,
}

/// The final value in `namespace`, read by a client the faults do not
/// touch, as of now (`read_latest`: a `sync` first, so a follower that has
/// not applied the last acknowledged update yet cannot hide it).
pub async fn final_value(url: &str, namespace: &str) -> Counter {
    let reader = Confo::from_url(url).await.unwrap();
    let path: confo::ConfigPath = format!("{namespace}/counter").parse().unwrap();
    let backend = reader.backend().unwrap();
    let read = timeout(LOAD_BOUND, backend.read_latest(&path))
        .await
        .unwrap()
        .unwrap();
    serde_json::from_slice(&read.bytes).unwrap()
}

/// [`check`] for workers on several namespaces: each namespace's workers
/// checked together.
pub async fn check_each(
    scenario: &str,
    reports: Vec<Report>,
    direct_url: &str,
    heals: &[Instant],
) -> Vec<Figures> {
    let mut namespaces: Vec<String> = reports.iter().map(|r| r.namespace.clone()).collect();
    namespaces.sort();
    namespaces.dedup();
    let mut reports = reports;
    let mut figures = Vec::new();
    // Every namespace is checked (and its figures printed) before the
    // first failure is raised.
    let mut failure = None;
    for ns in namespaces {
        let (mut group, rest): (Vec<Report>, Vec<Report>) =
            reports.into_iter().partition(|r| r.namespace == ns);
        reports = rest;
        let name = format!("{scenario} [{ns}]");
        let checked = check(&name, &mut group, direct_url, heals);
        match futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(checked)).await {
            Ok(f) => figures.push(f),
            Err(panic) => {
                failure.get_or_insert(panic);
            }
        }
    }
    if let Some(panic) = failure {
        std::panic::resume_unwind(panic);
    }
    figures
}

/// The checks every scenario makes: nothing outlived its bound, every
/// acknowledged update stored exactly once, failed updates applied only
/// when their error says the outcome is unknown, no `Live` went
/// backwards, every `Live` converges on the final value. `heals` are the
/// instants the faults were healed, for the recovery figures.
pub async fn check(
    scenario: &str,
    reports: &mut [Report],
    direct_url: &str,
    heals: &[Instant],
) -> Figures {
    let timed_out: Vec<_> = reports.iter().flat_map(|r| r.timed_out.clone()).collect();
    assert!(timed_out.is_empty(), "{scenario}: {timed_out:#?}");

    let namespace = reports.first().map_or(NAMESPACE, |r| r.namespace.as_str());
    assert!(
        reports.iter().all(|r| r.namespace == namespace),
        "{scenario}: one namespace"
    );
    let last = final_value(direct_url, namespace).await;
    let mut seen = BTreeSet::new();
    let doubles: Vec<&String> = last
        .applied
        .iter()
        .filter(|op| !seen.insert((*op).clone()))
        .collect();
    let acknowledged: Vec<String> = reports
        .iter()
        .flat_map(|r| r.updated.iter().map(|(op, _)| op.clone()))
        .collect();
    let failed: Vec<(String, String, bool)> = reports
        .iter()
        .flat_map(|r| &r.update_failed)
        .map(|(op, e)| (op.clone(), e.to_string(), outcome_unknown(e)))
        .collect();
    let doubled_acknowledged = doubles
        .iter()
        .filter(|op| acknowledged.contains(*op))
        .count();
    println!(
        "{scenario}: {} updates acknowledged, {} failed; count {} with {} op ids, {} stored twice \
         ({doubled_acknowledged} of them acknowledged): {:?}",
        acknowledged.len(),
        failed.len(),
        last.count,
        last.applied.len(),
        doubles.len(),
        doubles.iter().take(10).collect::<Vec<_>>(),
    );
    assert!(
        doubles.is_empty(),
        "{scenario}: updates stored twice: {doubles:?}"
    );
    assert_eq!(last.count, last.applied.len() as u64, "{scenario}");
    for op in &acknowledged {
        assert!(
            seen.contains(op),
            "{scenario}: acknowledged update {op} is lost"
        );
    }
    let mut applied_though_failed = 0;
    for (op, e, unknown) in &failed {
        if seen.contains(op) {
            assert!(
                *unknown,
                "{scenario}: {op} was applied though it failed with {e}"
            );
            applied_though_failed += 1;
        }
    }
    assert_eq!(
        last.count,
        (acknowledged.len() + applied_though_failed) as u64,
        "{scenario}: the count must be the acknowledged updates plus failed ones that landed"
    );
    if let Some((op, e, _)) = failed.first() {
        println!("{scenario}: an update failed ({op}): {e}");
    }

    let backwards: Vec<_> = reports.iter().flat_map(|r| r.backwards.clone()).collect();
    assert!(
        backwards.is_empty(),
        "{scenario}: a Live went back: {backwards:?}"
    );

    // The longest time without a successful load, per loading worker.
    let mut longest_gap = Duration::ZERO;
    let mut gaps = Vec::new();
    for r in reports.iter() {
        let mut gap = Duration::ZERO;
        for pair in r.loads_ok.windows(2) {
            gap = gap.max(pair[1].1 - pair[0].1);
        }
        if !r.loads_ok.is_empty() {
            gaps.push(format!("{} {gap:.2?}", r.name));
        }
        longest_gap = longest_gap.max(gap);
    }
    // Per heal: until every loading worker loaded and every Live is Fresh.
    let mut recovery = Vec::new();
    for &heal in heals {
        let mut worst = Duration::ZERO;
        for r in reports.iter() {
            if let Some((_, end)) = r.loads_ok.iter().find(|(start, _)| *start >= heal) {
                worst = worst.max(*end - heal);
            }
            let fresh_at = r
                .freshness
                .iter()
                .rev()
                .take_while(|(at, _)| *at >= heal)
                .last()
                .filter(|(_, f)| *f == Freshness::Fresh)
                .map(|(at, _)| *at);
            let stale_then = r
                .freshness
                .iter()
                .rev()
                .find(|(at, _)| *at < heal)
                .is_some_and(|(_, f)| *f != Freshness::Fresh);
            if let (true, Some(at)) = (stale_then, fresh_at) {
                worst = worst.max(at - heal);
            }
        }
        recovery.push(worst);
    }

    // Every Live converges on the final value.
    let stopped = Instant::now();
    let mut converge = Duration::ZERO;
    for r in reports.iter_mut() {
        let Some(live) = r.live.as_mut() else {
            continue;
        };
        let deadline = stopped + CONVERGE_BOUND;
        while *live.get() != last {
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, live.changed()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("{scenario}: {}: the live value failed: {e}", r.name),
                Err(_) => panic!(
                    "{scenario}: {}: the live value stayed at count {} (final {}) for {CONVERGE_BOUND:?}",
                    r.name,
                    live.get().count,
                    last.count
                ),
            }
        }
        assert_eq!(
            live.status().freshness,
            Freshness::Fresh,
            "{scenario}: {}",
            r.name
        );
        converge = converge.max(stopped.elapsed());
    }

    let figures = Figures {
        acknowledged: acknowledged.len(),
        failed: failed.len(),
        applied_though_failed,
        longest_unavailability: longest_gap,
        recovery,
        converge,
        longest_update: reports
            .iter()
            .map(|r| r.longest_update)
            .max()
            .unwrap_or_default(),
        longest_load: reports
            .iter()
            .map(|r| r.longest_load)
            .max()
            .unwrap_or_default(),
    };
    println!(
        "FIGURES {scenario}: longest unavailability {:?} ({}); recovery after each heal {:?}; \
         converge after the writers stopped {:?}; longest update {:?}, longest load {:?}; \
         {} acknowledged, {} failed ({} of them applied)",
        figures.longest_unavailability,
        gaps.join(", "),
        figures.recovery,
        figures.converge,
        figures.longest_update,
        figures.longest_load,
        figures.acknowledged,
        figures.failed,
        figures.applied_though_failed
    );
    figures
}

/// Whether a worker's `Live` was Stale at some time in `[from, to]`.
pub fn was_stale_between(report: &Report, from: Instant, to: Instant) -> bool {
    let before = report
        .freshness
        .iter()
        .rev()
        .find(|(at, _)| *at <= from)
        .map(|(_, f)| *f);
    before == Some(Freshness::Stale)
        || report
            .freshness
            .iter()
            .any(|(at, f)| *at >= from && *at <= to && *f == Freshness::Stale)
}
