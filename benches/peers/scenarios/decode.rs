//! Scenario 0: decoding alone, no I/O (issue 11's decode benchmark in the
//! same table): `confo::decode` against `serde_json::from_slice` on the
//! same bytes, the scenario-1 configuration.

use crate::*;

/// Nanoseconds per decode over batches of `BATCH`, alternating the two.
fn per_decode(confo_side: bool, bytes: &[u8], path: &ConfigPath) -> Result<u64, String> {
    const BATCH: u32 = 10_000;
    let t = Instant::now();
    for _ in 0..BATCH {
        let db: Database = if confo_side {
            confo::decode(path, std::hint::black_box(bytes)).map_err(err_string)?
        } else {
            serde_json::from_slice(std::hint::black_box(bytes)).map_err(err_string)?
        };
        if db.port != 5432 {
            return Err(format!("decoded port {}, not 5432", db.port));
        }
        std::hint::black_box(db);
    }
    Ok((t.elapsed().as_nanos() as u64).div_ceil(u64::from(BATCH)))
}

pub(crate) fn scenario_0(ctx: &Ctx) -> Vec<Row> {
    eprintln!("bench: scenario 0 (decode, no I/O)");
    let sc = "0 decode";
    let bytes = database_json();
    let path: ConfigPath = "bench1/database".parse().expect("static path");
    let batches = if ctx.plan.quick { 5 } else { 31 };
    let mut s = Samples::default();
    for round in 0..batches {
        let mut order = [true, false];
        order.rotate_left(round % 2);
        for confo_side in order {
            let key = if confo_side { "confo" } else { "serde" };
            s.add(key, per_decode(confo_side, &bytes, &path).map(|t| vec![t]));
        }
    }
    let mut confo_row = s.row(sc, "confo");
    confo_row.implementation = "confo::decode (8 fields, a Secret)".into();
    let confo = confo_row.median;
    confo_row.ratio_vs_confo = confo.map(|_| 1.0);
    let mut serde = s.row(sc, "serde");
    serde.implementation = "serde_json::from_slice, same bytes (floor)".into();
    compare(&mut serde, confo, Goal::Within(1.3));
    vec![confo_row, serde]
}
