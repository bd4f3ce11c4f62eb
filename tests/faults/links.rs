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
