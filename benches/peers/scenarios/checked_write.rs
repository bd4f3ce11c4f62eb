//! Scenario 8: a write checked against a published schema, beside the same
//! write unchecked and the raw client's `set_data` (one round trip).
//!
//! A blind checked write reads the published schemas first (one round trip
//! more); a read-modify-write reads them with the value (one multi-read),
//! so its checked write costs no round trip more than the unchecked one.
//! Every checked write also records its history entry, in the same
//! multi-request: beside it, the same checked writes with history off
//! (`with_history_keep(0)`) show what recording costs.

use crate::*;

const PATH: &str = "bench8/database";
const ZNODE: &str = "/confo/bench8/database";

/// The value written on iteration `i`: a valid Database, one field moving.
fn value(i: usize) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&database_json()).expect("static JSON");
    v["pool_size"] = serde_json::json!(i % 1000);
    serde_json::to_vec(&v).expect("JSON")
}

pub(crate) async fn scenario_8(ctx: &Ctx) -> Vec<Row> {
    eprintln!("bench: scenario 8 (checked writes)");
    let sc = "8 write one";
    let path: ConfigPath = PATH.parse().expect("static path");
    let setup = async {
        ctx.backend
            .write(&path, &database_json(), confo::backend::Expect::Any)
            .await
            .map_err(err_string)?;
        confo::publish_schema(
            &*ctx.backend,
            &path,
            "bench",
            &confo::Schema::of::<Database>(),
        )
        .await
        .map_err(err_string)
    };
    if let Err(e) = setup.await {
        return vec![Row::failed(sc, "confo checked write", e)];
    }
    // The manager's store checks every write; ctx.backend is the bare one.
    let store = confo::Store::new(ctx.backend.clone());
    let checked = store.backend();
    let unrecorded_store = confo::Store::new(ctx.backend.clone()).with_history_keep(0);
    let unrecorded = unrecorded_store.backend();
    // A value the schema refuses must be refused, or the rows measure nothing.
    let refused = checked
        .write(
            &path,
            br#"{"port": "not a port"}"#,
            confo::backend::Expect::Any,
        )
        .await;
    if !matches!(refused, Err(confo::Error::SchemaRefused { .. })) {
        return vec![Row::failed(
            sc,
            "confo checked write",
            format!("a bad value was not refused: {refused:?}"),
        )];
    }

    let iters = ctx.plan.load_one_iters;
    let warm = iters / 10;
    let mut s = Samples::default();
    let mut n = 0usize;
    for round in 0..ctx.plan.rounds {
        let mut order = [
            "checked",
            "unchecked",
            "raw",
            "checked-rmw",
            "unchecked-rmw",
            "unrecorded",
            "unrecorded-rmw",
        ];
        let len = order.len();
        order.rotate_left(round % len);
        for which in order {
            let result = match which {
                "checked" | "unrecorded" => {
                    let through = if which == "checked" {
                        checked
                    } else {
                        unrecorded
                    };
                    time_async(warm, iters, || {
                        n += 1;
                        let bytes = value(n);
                        let path = &path;
                        async move {
                            through
                                .write(path, &bytes, confo::backend::Expect::Any)
                                .await
                                .map_err(err_string)
                        }
                    })
                    .await
                }
                "unchecked" => {
                    time_async(warm, iters, || {
                        n += 1;
                        let bytes = value(n);
                        let path = &path;
                        async move {
                            ctx.backend
                                .write(path, &bytes, confo::backend::Expect::Any)
                                .await
                                .map_err(err_string)
                        }
                    })
                    .await
                }
                "raw" => {
                    time_async(warm, iters, || {
                        n += 1;
                        let bytes = value(n);
                        async move {
                            ctx.raw
                                .set_data(ZNODE, &bytes, None)
                                .await
                                .map_err(err_string)
                        }
                    })
                    .await
                }
                rmw => {
                    let through: &dyn confo::backend::Backend = match rmw {
                        "checked-rmw" => checked,
                        "unrecorded-rmw" => unrecorded,
                        _ => &*ctx.backend,
                    };
                    time_async(warm, iters, || {
                        n += 1;
                        let bytes = value(n);
                        let path = &path;
                        async move {
                            let read = through.read(path).await.map_err(err_string)?;
                            through
                                .write(path, &bytes, confo::backend::Expect::Version(read.version))
                                .await
                                .map_err(err_string)
                        }
                    })
                    .await
                }
            };
            s.add(which, result);
        }
    }
    // Every write landed: the stored value is the last one written.
    let mut rows = Vec::new();
    match ctx.backend.read(&path).await {
        Ok(read) if *read.bytes == *value(n) => {}
        other => rows.push(Row::failed(
            sc,
            "check",
            format!(
                "the stored value is not the last one written: {:?}",
                other.map(|r| r.version)
            ),
        )),
    }

    let raw = s.row(sc, "raw").median;
    let mut checked_row = s.row(sc, "checked");
    checked_row.implementation = "confo checked write (blind, like confo put)".into();
    let confo_blind = checked_row.median;
    checked_row.ratio_vs_confo = confo_blind.map(|_| 1.0);
    let mut unchecked = s.row(sc, "unchecked");
    unchecked.implementation = "confo unchecked write (bare backend)".into();
    compare(&mut unchecked, confo_blind, Goal::None);
    if let (Some(c), Some(u), Some(rtt)) = (confo_blind, unchecked.median, raw) {
        // At most one round trip (the raw set_data's time) more, with room
        // for the noise of a shared machine.
        checked_row.target = "<= unchecked + 1 round trip".into();
        checked_row.met = Some(c - u <= 1.25 * rtt);
        checked_row.note = format!(
            "+{:.0} µs over unchecked; one round trip = {:.0} µs",
            (c - u) / 1e3,
            rtt / 1e3
        );
    }
    let mut raw_row = s.row(sc, "raw");
    raw_row.implementation = "raw zookeeper-client set_data (one round trip)".into();
    compare(&mut raw_row, confo_blind, Goal::None);

    let mut rmw = s.row(sc, "checked-rmw");
    rmw.implementation = "confo checked read + write (like confo set)".into();
    let confo_rmw = rmw.median;
    rmw.ratio_vs_confo = confo_rmw.map(|_| 1.0);
    let mut rmw_floor = s.row(sc, "unchecked-rmw");
    rmw_floor.implementation = "confo unchecked read + write".into();
    compare(&mut rmw_floor, confo_rmw, Goal::Within(1.10));
    // Recording: the same checked writes with history off; the target is
    // no round trip more (within 10%).
    let mut blind_unrecorded = s.row(sc, "unrecorded");
    blind_unrecorded.implementation = "confo checked write, history off (blind)".into();
    compare(&mut blind_unrecorded, confo_blind, Goal::Within(1.10));
    let mut rmw_unrecorded = s.row(sc, "unrecorded-rmw");
    rmw_unrecorded.implementation = "confo checked read + write, history off".into();
    compare(&mut rmw_unrecorded, confo_rmw, Goal::Within(1.10));
    rows.extend([
        checked_row,
        unchecked,
        raw_row,
        rmw,
        rmw_floor,
        blind_unrecorded,
        rmw_unrecorded,
    ]);
    rows
}
