//! Output.

use crate::*;

pub(crate) fn human(value: Option<f64>, unit: &str) -> String {
    let Some(v) = value else { return "-".into() };
    if unit == "bytes" {
        return format!("{:.1} MB", v / 1e6);
    }
    if v < 1e3 {
        format!("{v:.0} ns")
    } else if v < 1e6 {
        format!("{:.1} µs", v / 1e3)
    } else if v < 1e9 {
        format!("{:.2} ms", v / 1e6)
    } else {
        format!("{:.2} s", v / 1e9)
    }
}

pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| scenario | implementation | median | p99 | n | ratio vs confo | target | met? | note |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- |\n");
    for r in rows {
        let ratio = r
            .ratio_vs_confo
            .map(|x| format!("{x:.2}x"))
            .unwrap_or("-".into());
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**NO**",
            None if !r.target.is_empty() => "n/a",
            None => "",
        };
        let p99 = if r.unit == "bytes" {
            "-".into()
        } else {
            human(r.p99, r.unit)
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.implementation,
            human(r.median, r.unit),
            p99,
            r.samples,
            ratio,
            r.target,
            met,
            r.note.replace('|', "/")
        ));
    }
    out
}

#[derive(Serialize)]
pub(crate) struct Report<'a> {
    pub(crate) date: String,
    pub(crate) nproc: usize,
    pub(crate) quick: bool,
    pub(crate) zookeeper_port: u16,
    pub(crate) rounds: usize,
    pub(crate) duration_s: f64,
    pub(crate) rows: &'a [Row],
}
