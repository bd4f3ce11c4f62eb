//! Scenario 1: load one typed configuration.

use crate::*;

pub(crate) async fn scenario_1(ctx: &Ctx) -> Vec<Row> {
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
