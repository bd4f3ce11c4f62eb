//! Scenario 4: hot read.

use crate::*;

/// Median cost of one `live.get()` over batches of calls, and the
/// allocations this thread made during all of them.
pub(crate) fn hot_read_cost<T>(live: &confo::Live<T>) -> (Vec<u64>, u64) {
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

pub(crate) async fn scenario_4(ctx: &Ctx, load_one: &[Row]) -> Vec<Row> {
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
            let unregistered = row.median;
            rows.push(row);
            measured = true;
            // With a service name the value registers its instance in the
            // background (`confo status`); get() must not feel it.
            // A manager of its own: a service name is shared by clones.
            let named = async {
                let named = Confo::new();
                named.load_backend("default", ctx.backend.clone()).await?;
                named.activate_backend("default")?;
                named.with_service("bench").watch::<Database>().await
            };
            match named.await {
                Ok(registered) => {
                    let (s, allocs) = hot_read_cost(&registered);
                    let mut row =
                        Row::new(sc, "confo live.get(), instance registered (ZooKeeper)", &s);
                    row.note = format!("{allocs} allocations in {} calls", 31 * 100_000);
                    row.target = "< 50 ns, 0 allocations".into();
                    row.met = row.median.map(|m| m < 50.0 && allocs == 0);
                    row.ratio_vs_confo = match (row.median, unregistered) {
                        (Some(r), Some(u)) => Some(r / u),
                        _ => None,
                    };
                    rows.push(row);
                }
                Err(e) => rows.push(Row::failed(
                    sc,
                    "confo live.get(), instance registered (ZooKeeper)",
                    err_string(e),
                )),
            }
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
