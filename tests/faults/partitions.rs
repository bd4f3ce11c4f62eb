//! Partitions: a server, the leader, or every client link cut off.

use std::time::Duration;

use confo::testing::LinkState;
use confo::Error;
use tokio::time::{sleep, Instant};

use crate::common::{self, Spec};

/// How long a partition lasts: past the session timeout, so the servers
/// without quorum drop their clients and sessions move.
const PARTITION: Duration = Duration::from_secs(9);
/// How long a partition lasts at least once the majority serves again (an
/// election can take most of `PARTITION`).
const AFTER_QUORUM: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_whose_server_is_isolated_fails_over_and_applies_each_update_once() {
    let _serial = common::serial().await;
    let ensemble = common::ensemble().await;
    let direct = common::direct_url(&ensemble);
    common::seed(&direct).await;
    let leader = ensemble.leader().expect("a leader");
    let server = (0..3).find(|&i| i != leader).unwrap();

    // Pin the first worker to `server`: the others' client links are down
    // while it connects.
    for i in (0..3).filter(|&i| i != server) {
        ensemble.set_client_link(i, LinkState::Drop).unwrap();
    }
    let (stop, stopped) = common::stop_signal();
    let pinned = common::start(
        Spec::new("pinned", common::url(&ensemble, &[])),
        stopped.clone(),
    )
    .await;
    ensemble.heal().unwrap();
    let other = common::start(Spec::new("other", common::url(&ensemble, &[])), stopped).await;
    sleep(Duration::from_secs(2)).await;

    let cut = Instant::now();
    ensemble.isolate(server).unwrap();
    let e = ensemble.clone();
    let quorum =
        common::blocking(move || e.wait_for_quorum_without(server, Duration::from_secs(30)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "server {server} isolated; the others serve (leader {quorum}) after {:?}",
        cut.elapsed()
    );
    sleep(PARTITION.saturating_sub(cut.elapsed()).max(AFTER_QUORUM)).await;
    let heal = Instant::now();
    ensemble.heal().unwrap();
    sleep(Duration::from_secs(4)).await;
    stop.send(true).unwrap();
    let mut reports = vec![pinned.finish().await, other.finish().await];

    // The pinned client went on writing on the majority side.
    let during: usize = reports[0]
        .updated
        .iter()
        .filter(|(_, at)| *at > cut + Duration::from_secs(1) && *at < heal)
        .count();
    assert!(
        during > 0,
        "the client of the isolated server never failed over"
    );
    common::check("server isolated", &mut reports, &direct, &[heal]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_isolated_leader_with_writers_on_both_sides_loses_no_update_and_doubles_none() {
    let _serial = common::serial().await;
    let ensemble = common::ensemble().await;
    let direct = common::direct_url(&ensemble);
    common::seed(&direct).await;
    let leader = ensemble.leader().expect("a leader");
    let majority: Vec<usize> = (0..3).filter(|&i| i != leader).collect();

    let (stop, stopped) = common::stop_signal();
    // The minority writer reaches the leader only; the others the rest.
    let minority = common::start(
        Spec::new("minority", common::url(&ensemble, &[leader])),
        stopped.clone(),
    )
    .await;
    let mut workers = vec![minority];
    for name in ["majority-a", "majority-b"] {
        workers.push(
            common::start(
                Spec::new(name, common::url(&ensemble, &majority)),
                stopped.clone(),
            )
            .await,
        );
    }
    sleep(Duration::from_secs(2)).await;

    let cut = Instant::now();
    ensemble.isolate(leader).unwrap();
    let e = ensemble.clone();
    let new_leader =
        common::blocking(move || e.wait_for_quorum_without(leader, Duration::from_secs(30)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "leader {leader} isolated; {new_leader} leads after {:?}",
        cut.elapsed()
    );
    assert_ne!(new_leader, leader);
    sleep(PARTITION.saturating_sub(cut.elapsed()).max(AFTER_QUORUM)).await;
    let heal = Instant::now();
    ensemble.heal().unwrap();
    let e = ensemble.clone();
    common::blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !e.is_serving(leader) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await;
    println!(
        "the old leader {leader} serves again after {:?}",
        heal.elapsed()
    );
    sleep(Duration::from_secs(4)).await;
    stop.send(true).unwrap();
    let mut reports = Vec::new();
    for w in workers {
        reports.push(w.finish().await);
    }

    // The minority side had no quorum: its Live turned Stale, its loads
    // failed with a connection error (and the majority wrote meanwhile).
    assert!(
        common::was_stale_between(&reports[0], cut, heal),
        "the minority's Live never turned Stale: {:?}",
        reports[0].freshness
    );
    for (_, _, e) in &reports[0].loads_failed {
        assert!(matches!(e, Error::Connection { .. }), "minority load: {e}");
    }
    let majority_writes = reports[1..]
        .iter()
        .flat_map(|r| &r.updated)
        .filter(|(_, at)| *at > cut && *at < heal)
        .count();
    assert!(
        majority_writes > 0,
        "the majority side wrote nothing while partitioned"
    );
    common::check("leader isolated", &mut reports, &direct, &[heal]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cut_beyond_its_session_timeout_turns_stale_and_catches_up() {
    let _serial = common::serial().await;
    let ensemble = common::ensemble().await;
    let direct = common::direct_url(&ensemble);
    common::seed(&direct).await;

    let (stop, stopped) = common::stop_signal();
    let cut_off = common::start(
        Spec::new("cut", common::url(&ensemble, &[])),
        stopped.clone(),
    )
    .await;
    // The other client bypasses the proxies: the cut does not touch it.
    let writer = common::start(Spec::new("writer", direct.clone()), stopped).await;
    sleep(Duration::from_secs(2)).await;

    let cut = Instant::now();
    ensemble.cut_clients().unwrap();
    sleep(common::SESSION_TIMEOUT * 5 / 2).await;
    let heal = Instant::now();
    ensemble.heal().unwrap();
    sleep(Duration::from_secs(6)).await;
    stop.send(true).unwrap();
    let mut reports = vec![cut_off.finish().await, writer.finish().await];

    assert!(
        common::was_stale_between(&reports[0], cut, heal),
        "the cut client's Live never turned Stale: {:?}",
        reports[0].freshness
    );
    // A load while cut either fails with a connection error or, retried,
    // succeeds once the links are back; none outlives its bound (checked).
    for (_, _, e) in &reports[0].loads_failed {
        assert!(
            matches!(e, Error::Connection { .. }),
            "a load while cut: {e}"
        );
    }
    let written = reports[1]
        .updated
        .iter()
        .filter(|(_, at)| *at > cut && *at < heal)
        .count();
    assert!(written > 0, "the other client wrote nothing during the cut");
    let after = reports[0]
        .updated
        .iter()
        .filter(|(_, at)| *at > heal)
        .count();
    assert!(after > 0, "the cut client never wrote again after the heal");
    common::check(
        "clients cut past the session timeout",
        &mut reports,
        &direct,
        &[heal],
    )
    .await;
}
