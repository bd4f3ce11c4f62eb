//! Bad client links: flapping, and slow.

use std::time::Duration;

use confo::testing::LinkState;
use tokio::time::{sleep, Instant};

use crate::common::{self, Spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flapping_client_links_lose_nothing_and_double_nothing() {
    let _serial = common::serial().await;
    let ensemble = common::ensemble().await;
    let direct = common::direct_url(&ensemble);
    common::seed(&direct).await;

    let (stop, stopped) = common::stop_signal();
    let mut workers = Vec::new();
    for name in ["flap-a", "flap-b"] {
        workers.push(
            common::start(
                Spec::new(name, common::url(&ensemble, &[])),
                stopped.clone(),
            )
            .await,
        );
    }
    // Every 250-450 ms one client link goes down and the others up; every
    // fifth flip all go down.
    let end = Instant::now() + Duration::from_secs(15);
    let mut flips = 0u32;
    while Instant::now() < end && flips < 100 {
        flips += 1;
        for i in 0..3 {
            let down = flips.is_multiple_of(5) || i == flips as usize % 3;
            let state = if down { LinkState::Drop } else { LinkState::Up };
            ensemble.set_client_link(i, state).unwrap();
        }
        sleep(Duration::from_millis(250 + u64::from(flips * 73 % 200))).await;
    }
    let heal = Instant::now();
    ensemble.heal().unwrap();
    sleep(Duration::from_secs(4)).await;
    stop.send(true).unwrap();
    let mut reports = Vec::new();
    for w in workers {
        reports.push(w.finish().await);
    }
    println!("client links flipped {flips} times");
    let acknowledged: usize = reports.iter().map(|r| r.updated.len()).sum();
    assert!(acknowledged > 0);
    common::check("flapping client links", &mut reports, &direct, &[heal]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_client_links_still_load_and_update_within_their_timeouts() {
    let _serial = common::serial().await;
    let ensemble = common::ensemble().await;
    let direct = common::direct_url(&ensemble);
    common::seed(&direct).await;
    let delay = Duration::from_millis(250);
    for i in 0..3 {
        ensemble.set_client_delay(i, delay, delay).unwrap();
    }

    let (stop, stopped) = common::stop_signal();
    let mut workers = Vec::new();
    for name in ["slow-a", "slow-b"] {
        workers.push(
            common::start(
                Spec::new(name, common::url(&ensemble, &[])),
                stopped.clone(),
            )
            .await,
        );
    }
    sleep(Duration::from_secs(10)).await;
    stop.send(true).unwrap();
    let mut reports = Vec::new();
    for w in workers {
        reports.push(w.finish().await);
    }
    for r in &reports {
        let failed: Vec<String> = r
            .loads_failed
            .iter()
            .map(|(_, _, e)| e.to_string())
            .collect();
        assert!(
            failed.is_empty(),
            "{}: loads failed on slow links: {failed:?}",
            r.name
        );
        let failed: Vec<String> = r
            .update_failed
            .iter()
            .map(|(op, e)| format!("{op}: {e}"))
            .collect();
        assert!(
            failed.is_empty(),
            "{}: updates failed on slow links: {failed:?}",
            r.name
        );
        assert!(
            !r.loads_ok.is_empty() && !r.updated.is_empty(),
            "{}",
            r.name
        );
        // A load is a round trip or two: at least the delay both ways.
        let fastest = r.loads_ok.iter().map(|(s, e)| *e - *s).min().unwrap();
        assert!(
            fastest >= delay * 2,
            "{}: a load took {fastest:?}, under the links' delay",
            r.name
        );
        println!(
            "{}: {} loads (longest {:?}), {} updates (longest {:?})",
            r.name,
            r.loads_ok.len(),
            r.longest_load,
            r.updated.len(),
            r.longest_update
        );
    }
    for i in 0..3 {
        ensemble
            .set_client_delay(i, Duration::ZERO, Duration::ZERO)
            .unwrap();
    }
    common::check("slow client links", &mut reports, &direct, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_link_to_the_clients_server_times_out_into_retries_and_read_backs() {
    let _serial = common::serial().await;
    let ensemble = common::ensemble().await;
    let direct = common::direct_url(&ensemble);
    common::seed(&direct).await;
    let server = ensemble.leader().expect("a leader");

    // Pin the worker to `server`: the other client links are down while
    // it connects.
    for i in (0..3).filter(|&i| i != server) {
        ensemble.set_client_link(i, LinkState::Drop).unwrap();
    }
    let (stop, stopped) = common::stop_signal();
    let frozen = common::start(
        Spec::new("frozen", common::url(&ensemble, &[])),
        stopped.clone(),
    )
    .await;
    ensemble.heal().unwrap();
    let other = common::start(Spec::new("other", direct.clone()), stopped).await;
    sleep(Duration::from_secs(2)).await;

    // Its server stops answering: requests in flight time out ("no
    // response from connection"), the client moves to another server.
    let freeze = Instant::now();
    ensemble.set_client_link(server, LinkState::Freeze).unwrap();
    sleep(common::SESSION_TIMEOUT * 2).await;
    let heal = Instant::now();
    ensemble.heal().unwrap();
    sleep(Duration::from_secs(3)).await;
    stop.send(true).unwrap();
    let mut reports = vec![frozen.finish().await, other.finish().await];

    let during = reports[0]
        .updated
        .iter()
        .filter(|(_, at)| *at > freeze && *at < heal)
        .count();
    assert!(during > 0, "the client of the frozen link never moved on");
    common::check("client link frozen", &mut reports, &direct, &[heal]).await;
}
