//! Scenario 9: start-up, several typed configurations in several
//! namespaces: one `load_all` beside the same loads one after another.

use crate::*;

// Twenty types, one per namespace (written out: the derive takes literals).

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start01", name = "cfg")]
pub(crate) struct C1 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start02", name = "cfg")]
pub(crate) struct C2 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start03", name = "cfg")]
pub(crate) struct C3 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start04", name = "cfg")]
pub(crate) struct C4 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start05", name = "cfg")]
pub(crate) struct C5 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start06", name = "cfg")]
pub(crate) struct C6 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start07", name = "cfg")]
pub(crate) struct C7 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start08", name = "cfg")]
pub(crate) struct C8 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start09", name = "cfg")]
pub(crate) struct C9 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start10", name = "cfg")]
pub(crate) struct C10 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start11", name = "cfg")]
pub(crate) struct C11 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start12", name = "cfg")]
pub(crate) struct C12 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start13", name = "cfg")]
pub(crate) struct C13 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start14", name = "cfg")]
pub(crate) struct C14 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start15", name = "cfg")]
pub(crate) struct C15 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start16", name = "cfg")]
pub(crate) struct C16 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start17", name = "cfg")]
pub(crate) struct C17 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start18", name = "cfg")]
pub(crate) struct C18 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start19", name = "cfg")]
pub(crate) struct C19 {
    pub(crate) port: u16,
}

#[derive(confo::Confo, Deserialize)]
#[confo(namespace = "start20", name = "cfg")]
pub(crate) struct C20 {
    pub(crate) port: u16,
}

/// The namespaces of the twenty types, in order.
const NAMESPACES: &[&str] = &[
    "start01", "start02", "start03", "start04", "start05", "start06", "start07", "start08",
    "start09", "start10", "start11", "start12", "start13", "start14", "start15", "start16",
    "start17", "start18", "start19", "start20",
];

/// The sum of the ports read: every configuration is checked, not only timed.
async fn all(confo: &Confo, n: usize) -> Result<u32, String> {
    let e = err_string;
    Ok(match n {
        1 => {
            let (a,) = confo.load_all::<(C1,)>().await.map_err(e)?;
            u32::from(a.port)
        }
        5 => {
            let (a, b, c, d, f) = confo.load_all::<(C1, C2, C3, C4, C5)>().await.map_err(e)?;
            [a.port, b.port, c.port, d.port, f.port]
                .iter()
                .map(|p| u32::from(*p))
                .sum()
        }
        _ => {
            let t = confo
                .load_all::<(
                    C1,
                    C2,
                    C3,
                    C4,
                    C5,
                    C6,
                    C7,
                    C8,
                    C9,
                    C10,
                    C11,
                    C12,
                    C13,
                    C14,
                    C15,
                    C16,
                    C17,
                    C18,
                    C19,
                    C20,
                )>()
                .await
                .map_err(e)?;
            [
                t.0.port, t.1.port, t.2.port, t.3.port, t.4.port, t.5.port, t.6.port, t.7.port,
                t.8.port, t.9.port, t.10.port, t.11.port, t.12.port, t.13.port, t.14.port,
                t.15.port, t.16.port, t.17.port, t.18.port, t.19.port,
            ]
            .iter()
            .map(|p| u32::from(*p))
            .sum()
        }
    })
}

async fn one_by_one(confo: &Confo, n: usize) -> Result<u32, String> {
    let e = err_string;
    let mut sum = 0u32;
    macro_rules! load { ($($t:ident),+) => { $( sum += u32::from(confo.load::<$t>().await.map_err(e)?.port); )+ } }
    load!(C1);
    if n >= 5 {
        load!(C2, C3, C4, C5);
    }
    if n >= 20 {
        load!(C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, C18, C19, C20);
    }
    Ok(sum)
}

/// Starts `Live` values on all twenty, with one `watch_all` or with
/// `watch` one after another; the sum of the ports they hold.
async fn watch_twenty(confo: &Confo, together: bool) -> Result<u32, String> {
    let e = err_string;
    let mut sum = 0u32;
    if together {
        let t = confo
            .watch_all::<(
                C1,
                C2,
                C3,
                C4,
                C5,
                C6,
                C7,
                C8,
                C9,
                C10,
                C11,
                C12,
                C13,
                C14,
                C15,
                C16,
                C17,
                C18,
                C19,
                C20,
            )>()
            .await
            .map_err(e)?;
        macro_rules! add { ($($i:tt),+) => { $( sum += u32::from(t.$i.get().port); )+ } }
        add!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
    } else {
        macro_rules! watch { ($($t:ident),+) => { $( sum += u32::from(confo.watch::<$t>().await.map_err(e)?.get().port); )+ } }
        watch!(
            C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, C18, C19,
            C20
        );
    }
    Ok(sum)
}

/// The floor: the raw client's multi-read of the same `n` nodes, each
/// decoded with serde_json.
async fn raw_multi_read(ctx: &Ctx, n: usize) -> Result<u32, String> {
    #[derive(Deserialize)]
    struct Port {
        port: u16,
    }
    let mut reader = ctx.raw.new_multi_reader();
    let paths: Vec<String> = NAMESPACES[..n]
        .iter()
        .map(|ns| format!("/confo/{ns}/cfg"))
        .collect();
    for p in &paths {
        reader.add_get_data(p).map_err(err_string)?;
    }
    let mut sum = 0u32;
    for r in reader.commit().await.map_err(err_string)? {
        match r {
            zk::MultiReadResult::Data { data, .. } => {
                sum += u32::from(
                    serde_json::from_slice::<Port>(&data)
                        .map_err(err_string)?
                        .port,
                );
            }
            other => return Err(format!("{other:?}")),
        }
    }
    Ok(sum)
}

pub(crate) async fn scenario_9(ctx: &Ctx) -> Vec<Row> {
    eprintln!("bench: scenario 9 (start-up: load_all)");
    for (i, ns) in NAMESPACES.iter().enumerate() {
        let path: ConfigPath = format!("{ns}/cfg").parse().expect("static path");
        let value = format!(r#"{{"port": {}, "host": "h{i}"}}"#, 1000 + i);
        if let Err(e) = ctx
            .backend
            .write(&path, value.as_bytes(), confo::backend::Expect::Any)
            .await
        {
            return vec![Row::failed("9 start-up", "confo load_all", e.to_string())];
        }
    }
    let iters = ctx.plan.load_one_iters;
    let warm = iters / 10;
    let mut rows = Vec::new();
    let mut single = None;
    for n in [1usize, 5, 20] {
        let expected: u32 = (0..n as u32).map(|i| 1000 + i).sum();
        let sc = format!("9 start-up, {n} configs");
        let mut s = Samples::default();
        for round in 0..ctx.plan.rounds {
            let mut order = ["all", "each", "raw"];
            order.rotate_left(round % 3);
            for which in order {
                let result = time_async(warm, iters, || async {
                    let sum = match which {
                        "all" => all(&ctx.confo, n).await?,
                        "each" => one_by_one(&ctx.confo, n).await?,
                        _ => raw_multi_read(ctx, n).await?,
                    };
                    if sum == expected {
                        Ok(sum)
                    } else {
                        Err(format!("read ports summing to {sum}, not {expected}"))
                    }
                })
                .await;
                s.add(which, result);
            }
        }
        let mut all_row = s.row(&sc, "all");
        all_row.implementation = format!("confo load_all of {n}");
        let confo_all = all_row.median;
        all_row.ratio_vs_confo = confo_all.map(|_| 1.0);
        let mut each = s.row(&sc, "each");
        if n == 1 {
            single = each.median;
        } else if let (Some(a), Some(one)) = (confo_all, single) {
            all_row.note = format!("{:.2}x a single load", a / one);
            if n == 20 {
                all_row.target = "within 1.2x of a single load".into();
                all_row.met = Some(a / one <= 1.2);
            }
        }
        each.implementation = format!("confo load, {n} one after another");
        compare(&mut each, confo_all, Goal::None);
        let mut raw = s.row(&sc, "raw");
        raw.implementation = format!("raw multi-read of the {n} paths + decode (floor)");
        compare(&mut raw, confo_all, Goal::Within(1.10));
        rows.extend([all_row, each, raw]);
    }
    // Live values on all twenty: one watch_all beside twenty watches.
    let sc = "9 start-up, 20 Live values";
    let expected: u32 = (0..20).map(|i| 1000 + i).sum();
    let mut s = Samples::default();
    for round in 0..ctx.plan.rounds {
        let mut order = [true, false];
        order.rotate_left(round % 2);
        for together in order {
            let result = time_async(warm, iters / 4, || async {
                let sum = watch_twenty(&ctx.confo, together).await?;
                if sum == expected {
                    Ok(sum)
                } else {
                    Err(format!(
                        "Live values hold ports summing to {sum}, not {expected}"
                    ))
                }
            })
            .await;
            s.add(if together { "watch-all" } else { "watch-each" }, result);
        }
    }
    let mut together = s.row(sc, "watch-all");
    together.implementation = "confo watch_all of 20".into();
    let confo_all = together.median;
    together.ratio_vs_confo = confo_all.map(|_| 1.0);
    if let (Some(a), Some(one)) = (confo_all, single) {
        together.note = format!("{:.2}x a single load", a / one);
    }
    let mut each = s.row(sc, "watch-each");
    each.implementation = "confo watch, 20 one after another".into();
    compare(&mut each, confo_all, Goal::None);
    rows.extend([together, each]);
    rows
}
