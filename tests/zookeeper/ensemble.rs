//! Failover on a real 3-server ZooKeeper ensemble (slow group: about a
//! minute; runs in `scripts/test.sh` like every test).
//!
//! Four tasks load, update (compare-and-set increments, each with a unique
//! op id) and watch one configuration while the test stops the leader, then
//! a follower (the ensemble loses its quorum), then brings both back. What
//! must hold:
//!
//! - no increment is lost or applied twice: the final count equals the
//!   number of op ids recorded in the value, each recorded once, and every
//!   update reported successful is among them;
//! - a load fails only while there is no quorum, and then with a
//!   connection error; no operation outlives its bound (the backend's
//!   configured timeouts), nothing panics;
//! - every `Live` value converges to the final value.
//!
//! The longest unavailability (the longest time a task went without a
//! successful load) is printed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use confo::testing::ZooKeeperEnsemble;
use confo::{Confo, Error, Live};
use serde::{Deserialize, Serialize};
use tokio::time::{timeout, Instant};

#[derive(Confo, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
#[confo(namespace = "failover", name = "counter")]
struct Counter {
    count: u64,
    /// The op id of every increment applied, in order.
    applied: Vec<String>,
}

const TASKS: usize = 4;
/// The backend's timeouts in this test (`?session_timeout=4s&connect_timeout=3s`).
const SESSION_TIMEOUT: Duration = Duration::from_secs(4);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A ZooKeeper request waits at most 2 session timeouts plus the connect
/// timeout (`ZooKeeper::op_timeout`); a load is one request.
const LOAD_BOUND: Duration = Duration::from_secs(4 * 2 + 3 + 5);
/// An update retries reads (retry deadline 30 s) around one write, within
/// the update deadline of 30 s: bounded by about 30 + 30 + one request.
const UPDATE_BOUND: Duration = Duration::from_secs(30 + 30 + 11 + 9);
/// Opening a manager: connect timeout plus one request.
const CONNECT_BOUND: Duration = Duration::from_secs(3 + 11 + 5);
/// How long a `Live` may take to catch up once the writers stop.
const CONVERGE_BOUND: Duration = Duration::from_secs(30);
/// Pause between one task's operations (pacing the load, not synchronizing).
const PACE: Duration = Duration::from_millis(40);

/// What one task saw.
#[derive(Default)]
struct Report {
    /// (start, end) of every load that succeeded.
    loads_ok: Vec<(Instant, Instant)>,
    /// (start, end, error) of every load that failed.
    loads_failed: Vec<(Instant, Instant, Error)>,
    /// Op ids of the updates reported successful.
    updated: Vec<String>,
    /// Op ids of the updates that failed, with the error.
    update_failed: Vec<(String, Error)>,
    /// Operations that outlived their bound.
    timed_out: Vec<String>,
    /// The longest load and update.
    longest_load: Duration,
    longest_update: Duration,
}

async fn worker(
    id: usize,
    url: String,
    stop: Arc<AtomicBool>,
) -> (Report, Result<Live<Counter>, Error>) {
    let confo = timeout(CONNECT_BOUND, Confo::from_url(&url))
        .await
        .expect("connecting outlived its bound")
        .unwrap_or_else(|e| panic!("task {id} cannot connect: {e}"));
    let live = timeout(CONNECT_BOUND, confo.watch::<Counter>())
        .await
        .expect("starting a watch outlived its bound");
    let report = Mutex::new(Report::default());

    let loads = async {
        while !stop.load(Ordering::SeqCst) {
            let start = Instant::now();
            let outcome = timeout(LOAD_BOUND, confo.load::<Counter>()).await;
            let end = Instant::now();
            {
                let mut r = report.lock().unwrap();
                r.longest_load = r.longest_load.max(end - start);
                match outcome {
                    Ok(Ok(_)) => r.loads_ok.push((start, end)),
                    Ok(Err(e)) => r.loads_failed.push((start, end, e)),
                    Err(_) => r
                        .timed_out
                        .push(format!("task {id}: a load took over {LOAD_BOUND:?}")),
                }
            }
            tokio::time::sleep(PACE).await;
        }
    };
    let updates = async {
        let mut seq = 0u64;
        while !stop.load(Ordering::SeqCst) {
            seq += 1;
            let op = format!("t{id}-{seq}");
            let start = Instant::now();
            let outcome = timeout(
                UPDATE_BOUND,
                confo.update::<Counter>(|c| {
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
                    Ok(Ok(_)) => r.updated.push(op),
                    Ok(Err(e)) => r.update_failed.push((op, e)),
                    Err(_) => r
                        .timed_out
                        .push(format!("task {id}: update {op} took over {UPDATE_BOUND:?}")),
                }
            }
            tokio::time::sleep(PACE).await;
        }
    };
    tokio::join!(loads, updates);
    (report.into_inner().unwrap(), live)
}

/// Runs a blocking ensemble operation off the runtime's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("ensemble operation panicked")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increments_survive_leader_and_quorum_loss_exactly_once() {
    let test_start = Instant::now();
    let ensemble = Arc::new(
        blocking(|| ZooKeeperEnsemble::start(3))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let url = format!(
        "{}/failover-test?session_timeout={}s&connect_timeout={}s",
        ensemble.url(),
        SESSION_TIMEOUT.as_secs(),
        CONNECT_TIMEOUT.as_secs()
    );
    let seed = Confo::from_url(&url).await.unwrap();
    seed.save(&Counter::default()).await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..TASKS)
        .map(|id| tokio::spawn(worker(id, url.clone(), stop.clone())))
        .collect();

    // Intervals without a quorum: from a stop to the quorum serving again.
    let mut no_quorum: Vec<(Instant, Instant)> = Vec::new();
    let settle = || tokio::time::sleep(Duration::from_secs(2));
    let quorum = |e: Arc<ZooKeeperEnsemble>| async move {
        blocking(move || e.wait_for_quorum(Duration::from_secs(60)))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    settle().await;

    // 1. Stop the leader: the two others elect a new one.
    let leader = ensemble.leader().expect("a leader");
    let down = Instant::now();
    let e = ensemble.clone();
    blocking(move || e.stop(leader)).await.unwrap();
    let new_leader = quorum(ensemble.clone()).await;
    no_quorum.push((down, Instant::now()));
    println!(
        "leader {leader} stopped; {new_leader} leads after {:?}",
        down.elapsed()
    );
    settle().await;

    // 2. Stop a follower too: one server of three left, no quorum.
    let follower = (0..3)
        .find(|&i| i != leader && i != new_leader)
        .expect("a follower");
    let down = Instant::now();
    let e = ensemble.clone();
    blocking(move || e.stop(follower)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;

    // 3. Bring the old leader back: quorum again.
    let e = ensemble.clone();
    blocking(move || e.restart(leader))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    quorum(ensemble.clone()).await;
    no_quorum.push((down, Instant::now()));
    println!("quorum lost for {:?}", down.elapsed());
    settle().await;

    // 4. And the follower.
    let e = ensemble.clone();
    blocking(move || e.restart(follower))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    settle().await;

    stop.store(true, Ordering::SeqCst);
    let mut reports = Vec::new();
    let mut lives = Vec::new();
    for w in workers {
        let (report, live) = w.await.expect("a task panicked");
        reports.push(report);
        lives.push(live);
    }

    // Nothing outlived its bound.
    let timed_out: Vec<_> = reports.iter().flat_map(|r| r.timed_out.clone()).collect();
    assert!(timed_out.is_empty(), "{timed_out:#?}");

    // Exactly once: every applied op once, the count equal to their number,
    // every reported success among them.
    let reader = Confo::from_url(&url).await.unwrap();
    let last: Counter = timeout(LOAD_BOUND, reader.load()).await.unwrap().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for op in &last.applied {
        assert!(seen.insert(op.clone()), "{op} applied twice");
    }
    assert_eq!(
        last.count,
        last.applied.len() as u64,
        "count and applied ops differ"
    );
    let succeeded: Vec<&String> = reports.iter().flat_map(|r| &r.updated).collect();
    for op in &succeeded {
        assert!(
            seen.contains(*op),
            "update {op} reported success but is lost"
        );
    }
    // An update that failed may have been applied (its write's outcome
    // unknown when the connection dropped): only such failures may be in
    // the value, and only with a connection error.
    let failed: Vec<&(String, Error)> = reports.iter().flat_map(|r| &r.update_failed).collect();
    let mut applied_though_failed = 0;
    for (op, e) in &failed {
        assert!(
            matches!(e, Error::Connection { .. } | Error::VersionConflict { .. }),
            "update {op} failed with an unexpected error: {e}"
        );
        if seen.contains(op) {
            assert!(
                matches!(e, Error::Connection { .. }),
                "{op} applied though it failed with {e}"
            );
            applied_though_failed += 1;
        }
    }
    assert_eq!(
        last.count,
        (succeeded.len() + applied_though_failed) as u64,
        "final count must be the successful updates (plus failed ones whose write landed)"
    );

    // Loads fail only without a quorum, with a connection error.
    let mut longest_gap = Duration::ZERO;
    for (id, r) in reports.iter().enumerate() {
        for (start, end, e) in &r.loads_failed {
            let overlaps = no_quorum.iter().any(|(a, b)| start <= b && end >= a);
            assert!(
                overlaps,
                "task {id}: a load failed at {:?} while the ensemble had a quorum: {e}",
                *start - test_start
            );
            assert!(matches!(e, Error::Connection { .. }), "task {id}: {e}");
            let msg = e.to_string();
            assert!(
                msg.contains("cannot reach") && msg.contains("majority"),
                "task {id}: unclear error: {msg}"
            );
        }
        let mut previous = r.loads_ok.first().map(|(_, end)| *end);
        for (_, end) in &r.loads_ok {
            if let Some(p) = previous {
                longest_gap = longest_gap.max(*end - p);
            }
            previous = Some(*end);
        }
    }
    if let Some((_, _, e)) = reports.iter().flat_map(|r| &r.loads_failed).next() {
        println!("a load without quorum failed with: {e}");
    }
    let failed_loads: usize = reports.iter().map(|r| r.loads_failed.len()).sum();
    let ok_loads: usize = reports.iter().map(|r| r.loads_ok.len()).sum();
    let longest_load = reports
        .iter()
        .map(|r| r.longest_load)
        .max()
        .unwrap_or_default();
    let longest_update = reports
        .iter()
        .map(|r| r.longest_update)
        .max()
        .unwrap_or_default();
    println!(
        "loads: {ok_loads} ok, {failed_loads} failed; updates: {} ok, {} failed ({applied_though_failed} of them applied); \
         final count {}; longest load {longest_load:?}, longest update {longest_update:?}",
        succeeded.len(),
        failed.len(),
        last.count
    );
    println!("LONGEST UNAVAILABILITY (longest time a task went without a successful load): {longest_gap:?}");
    assert!(ok_loads > 0 && !succeeded.is_empty());

    // Every live value converges to the final one (needs ZooKeeper watches).
    for (id, live) in lives.into_iter().enumerate() {
        let mut live = live.unwrap_or_else(|e| panic!("task {id} could not watch: {e}"));
        let deadline = Instant::now() + CONVERGE_BOUND;
        while *live.get() != last {
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, live.changed()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("task {id}: the live value failed: {e}"),
                Err(_) => panic!(
                    "task {id}: the live value stayed at count {} (final {}) for {CONVERGE_BOUND:?}",
                    live.get().count,
                    last.count
                ),
            }
        }
    }
    println!("failover test took {:?}", test_start.elapsed());
}

/// The ensemble's own contract: a leader, a URL listing every member, and
/// members that stop and come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ensemble_elects_a_leader_and_members_rejoin() {
    let ensemble = blocking(|| ZooKeeperEnsemble::start(3))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ensemble.len(), 3);
    assert_eq!(ensemble.url().matches("127.0.0.1:").count(), 3);
    assert!(ensemble.url().starts_with("zk://"));
    let leader = ensemble.leader().expect("a leader");
    let modes: Vec<_> = (0..3).map(|i| ensemble.mode(i)).collect();
    assert_eq!(
        modes
            .iter()
            .filter(|m| m.as_deref() == Some("follower"))
            .count(),
        2,
        "{modes:?}"
    );
    assert!(ensemble.stop(7).is_err());
    assert!(ensemble.restart(7).is_err());
    let ensemble = blocking(move || {
        ensemble.stop(leader).unwrap();
        assert!(!ensemble.is_running(leader));
        let new_leader = ensemble.wait_for_quorum(Duration::from_secs(60)).unwrap();
        assert_ne!(new_leader, leader);
        ensemble.restart(leader).unwrap();
        assert_eq!(ensemble.mode(leader).as_deref(), Some("follower"));
        ensemble
    })
    .await;
    let dir = ensemble.dir().to_path_buf();
    assert!(dir.join("server-1/data/myid").is_file());
    drop(ensemble);
    assert!(!dir.exists(), "{} must be removed on drop", dir.display());
}
