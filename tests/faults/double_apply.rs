//! Slow links between the servers, and the clients' connections dropped
//! every 1-2 s: a write lands, its answer is lost, the client reconnects
//! to a follower that has not applied the commit yet. An update must not
//! read that stale follower, conclude "did not land", and write again.

use std::time::Duration;

use tokio::time::{sleep, Instant};

use crate::common::{self, Spec};

/// How long each run drops connections.
const RUN: Duration = Duration::from_secs(20);

async fn drops_with_slow_servers_apply_each_update_once(delay: Duration) {
    let _serial = common::serial().await;
    let ensemble = common::ensemble().await;
    ensemble.set_peer_delays(delay).unwrap();
    let direct = common::direct_url(&ensemble);

    // Writers that do not contend, each on its own counter: a read-back
    // that sees another writer's change gives up (outcome unknown); one
    // that sees the old version goes again, the case under test.
    let (stop, stopped) = common::stop_signal();
    let mut workers = Vec::new();
    for name in ["w1", "w2", "w3", "w4", "w5", "w6"] {
        let namespace = format!("faults-{name}");
        common::seed_in(&direct, &namespace).await;
        let mut spec = Spec::new(name, common::url(&ensemble, &[]));
        spec.loads = false;
        spec.namespace = namespace;
        workers.push(common::start(spec, stopped.clone()).await);
    }
    let end = Instant::now() + RUN;
    let mut heals = Vec::new();
    let mut drops = 0u64;
    while Instant::now() < end && drops < 40 {
        drops += 1;
        sleep(Duration::from_millis(1000 + drops * 337 % 1000)).await;
        // Reset every client connection, and let them reconnect at once.
        ensemble.cut_clients().unwrap();
        sleep(Duration::from_millis(5)).await;
        ensemble.heal().unwrap();
        heals.push(Instant::now());
    }
    sleep(Duration::from_secs(2)).await;
    stop.send(true).unwrap();
    let mut reports = Vec::new();
    for w in workers {
        reports.push(w.finish().await);
    }
    println!("servers {delay:?} apart; client connections dropped {drops} times");
    let scenario = format!("drops with servers {} ms apart", delay.as_millis());
    let figures = common::check_each(&scenario, reports, &direct, &[]).await;
    assert!(figures.iter().all(|f| f.acknowledged > 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_with_servers_150ms_apart_apply_each_update_once() {
    drops_with_slow_servers_apply_each_update_once(Duration::from_millis(150)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_with_servers_30ms_apart_apply_each_update_once() {
    drops_with_slow_servers_apply_each_update_once(Duration::from_millis(30)).await;
}
