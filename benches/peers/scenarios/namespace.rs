//! Scenarios 2 and 7: load a namespace.

use crate::*;

pub(crate) const NS_IMPLS: [&str; 9] = [
    "confo-use",
    "confo-typed",
    "raw-multi",
    "raw-multi-maps",
    "raw-list-multi",
    "raw-seq",
    "kazoo",
    "kazoo-async",
    "pyconfo",
];

pub(crate) fn ns_label(which: &str) -> &'static str {
    match which {
        "confo-use" => "confo use_namespace (manager, JSON maps)",
        "confo-typed" => "confo read_namespace + typed decode",
        "raw-multi" => "raw multi-read of the paths + decode (floor)",
        "raw-multi-maps" => "raw multi-read of the paths + JSON maps (use_namespace's floor)",
        "raw-list-multi" => "raw list_children + multi-read + decode (floor with listing)",
        "raw-seq" => "raw sequential get_data + decode",
        "kazoo" => "kazoo get_children + get each",
        "kazoo-async" => "kazoo get_children + get_async all (pipelined)",
        _ => "Python confo use_namespace",
    }
}

/// Loads `size` configurations `iters` times with one implementation.
pub(crate) async fn load_namespace(
    ctx: &Ctx,
    which: &str,
    size: usize,
    iters: usize,
) -> Result<Vec<u64>, String> {
    let ns = scale_ns(size);
    let namespace: confo::Namespace = ns.parse().map_err(err_string)?;
    let paths: Vec<String> = (0..size)
        .map(|i| format!("/confo/{ns}/{}", item_name(i)))
        .collect();
    let warm = 1;
    match which {
        "confo-use" => {
            time_async(warm, iters, || async {
                ctx.confo.use_namespace(&ns).await.map_err(err_string)?;
                let n = ctx.confo.count().map_err(err_string)?;
                if n != size {
                    return Err(format!("confo read {n} configurations, not {size}"));
                }
                Ok(n)
            })
            .await
        }
        "confo-typed" => {
            time_async(warm, iters, || async {
                let all = ctx
                    .backend
                    .read_namespace(&namespace)
                    .await
                    .map_err(err_string)?;
                let items = all
                    .iter()
                    .map(|(_, v)| serde_json::from_slice::<Item>(&v.bytes))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err_string)?;
                if items.len() != size {
                    return Err(format!(
                        "confo read {} configurations, not {size}",
                        items.len()
                    ));
                }
                Ok(items)
            })
            .await
        }
        "raw-multi" => {
            time_async(warm, iters, || async {
                let mut reader = ctx.raw.new_multi_reader();
                for p in &paths {
                    reader.add_get_data(p).map_err(err_string)?;
                }
                let results = reader.commit().await.map_err(err_string)?;
                results
                    .into_iter()
                    .map(|r| match r {
                        zk::MultiReadResult::Data { data, .. } => {
                            serde_json::from_slice::<Item>(&data).map_err(err_string)
                        }
                        other => Err(format!("{other:?}")),
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
        }
        "raw-multi-maps" => {
            time_async(warm, iters, || async {
                let mut reader = ctx.raw.new_multi_reader();
                for p in &paths {
                    reader.add_get_data(p).map_err(err_string)?;
                }
                let results = reader.commit().await.map_err(err_string)?;
                let maps = results
                    .into_iter()
                    .zip(0..)
                    .map(|(r, i)| match r {
                        zk::MultiReadResult::Data { data, .. } => serde_json::from_slice::<
                            serde_json::Map<String, serde_json::Value>,
                        >(&data)
                        .map(|map| (item_name(i), map))
                        .map_err(err_string),
                        other => Err(format!("{other:?}")),
                    })
                    .collect::<Result<std::collections::BTreeMap<_, _>, _>>()?;
                if maps.len() != size {
                    return Err(format!("read {} configurations, not {size}", maps.len()));
                }
                Ok(maps)
            })
            .await
        }
        "raw-list-multi" => {
            let base = format!("/confo/{ns}");
            time_async(warm, iters, || async {
                let names = ctx.raw.list_children(&base).await.map_err(err_string)?;
                let mut reader = ctx.raw.new_multi_reader();
                for name in &names {
                    reader
                        .add_get_data(&format!("{base}/{name}"))
                        .map_err(err_string)?;
                }
                let results = reader.commit().await.map_err(err_string)?;
                results
                    .into_iter()
                    .map(|r| match r {
                        zk::MultiReadResult::Data { data, .. } => {
                            serde_json::from_slice::<Item>(&data).map_err(err_string)
                        }
                        other => Err(format!("{other:?}")),
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
        }
        "raw-seq" => {
            time_async(warm, iters, || async {
                let mut items = Vec::with_capacity(paths.len());
                for p in &paths {
                    let (data, _) = ctx.raw.get_data(p).await.map_err(err_string)?;
                    items.push(serde_json::from_slice::<Item>(&data).map_err(err_string)?);
                }
                Ok(items)
            })
            .await
        }
        "kazoo" | "kazoo-async" | "pyconfo" => {
            let sub = match which {
                "kazoo" => "kazoo-namespace",
                "kazoo-async" => "kazoo-namespace-async",
                _ => "pyconfo-namespace",
            };
            ctx.python(&[
                sub.into(),
                "--ns".into(),
                ns.clone(),
                "--expect".into(),
                size.to_string(),
                "--iters".into(),
                iters.to_string(),
            ])
            .await
        }
        other => Err(format!("unknown implementation {other}")),
    }
}

/// Iterations per round: about the same wall time for every size.
pub(crate) fn ns_iters(which: &str, size: usize) -> usize {
    let fast = matches!(
        which,
        "confo-use" | "confo-typed" | "raw-multi" | "raw-multi-maps" | "raw-list-multi"
    );
    if fast {
        (20_000 / size).clamp(3, 100)
    } else {
        (2_000 / size).clamp(1, 30)
    }
}

pub(crate) async fn scenario_2_and_7(ctx: &Ctx) -> Vec<Row> {
    let mut rows = Vec::new();
    for &size in &ctx.plan.scales {
        eprintln!(
            "bench: scenario {} (namespace of {size})",
            if size == 1_000 { 2 } else { 7 }
        );
        let rounds = if size >= 10_000 {
            ctx.plan.rounds.min(3)
        } else {
            ctx.plan.rounds
        };
        let mut s = Samples::default();
        for round in 0..rounds {
            let mut order = NS_IMPLS.to_vec();
            order.rotate_left(round % NS_IMPLS.len());
            for which in order {
                if s.failed(which) {
                    continue;
                }
                let result = load_namespace(ctx, which, size, ns_iters(which, size)).await;
                s.add(which, result);
            }
        }
        let sc = if size == 1_000 {
            "2 namespace of 1,000".to_owned()
        } else {
            format!("7 scale: {size}")
        };
        let with_targets = size == 1_000;
        let confo = s.row(&sc, "confo-use").median;
        let typed = s.row(&sc, "confo-typed").median;
        for which in NS_IMPLS {
            let mut row = s.row(&sc, which);
            row.implementation = ns_label(which).into();
            let goal = match which {
                "raw-multi-maps" if with_targets => Goal::Within(1.10),
                "raw-seq" if with_targets => Goal::FasterBy(20.0),
                "pyconfo" if with_targets => Goal::FasterBy(30.0),
                _ => Goal::None,
            };
            match which {
                "confo-use" => row.ratio_vs_confo = confo.map(|_| 1.0),
                "confo-typed" => compare(&mut row, confo, Goal::None),
                _ => compare(&mut row, confo, goal),
            }
            let of_floor = |confo: Option<f64>, floor: Option<f64>| match (confo, floor) {
                (Some(c), Some(f)) => Some(c / f),
                _ => None,
            };
            match which {
                "raw-multi" => {
                    // The typed path against its floor: issue 16's target.
                    let ratio = of_floor(typed, row.median);
                    if with_targets {
                        row.target = "typed confo within 1.1x".into();
                        row.met = ratio.map(|r| r <= 1.10);
                    }
                    if let Some(r) = ratio {
                        row.note = format!("typed confo: {r:.2}x of this floor");
                    }
                }
                "raw-multi-maps" => {
                    if let Some(r) = of_floor(confo, row.median) {
                        row.note = format!("use_namespace: {r:.2}x of this floor");
                    }
                }
                "raw-list-multi" => {
                    if let Some(r) = of_floor(typed, row.median) {
                        row.note = format!("typed confo: {r:.2}x of this floor");
                    }
                }
                "raw-seq" | "pyconfo" if with_targets => {
                    if let (Some(t), Some(r)) = (typed, row.median) {
                        row.note = format!("typed confo: {:.1}x faster", r / t);
                    }
                }
                _ => {}
            }
            rows.push(row);
        }
    }
    rows
}
