//! Results.

use crate::*;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub(crate) scenario: String,
    pub(crate) implementation: String,
    /// Median in nanoseconds (for memory rows: bytes).
    pub(crate) median: Option<f64>,
    pub(crate) p99: Option<f64>,
    pub(crate) samples: usize,
    /// How many times slower than the confo row it is compared with (this / confo).
    pub(crate) ratio_vs_confo: Option<f64>,
    pub(crate) target: String,
    pub(crate) met: Option<bool>,
    pub(crate) unit: &'static str,
    pub(crate) note: String,
}

impl Row {
    pub(crate) fn new(scenario: &str, implementation: &str, samples: &[u64]) -> Self {
        Row {
            scenario: scenario.into(),
            implementation: implementation.into(),
            median: percentile(samples, 50.0),
            p99: percentile(samples, 99.0),
            samples: samples.len(),
            ratio_vs_confo: None,
            target: String::new(),
            met: None,
            unit: "ns",
            note: String::new(),
        }
    }

    pub(crate) fn failed(scenario: &str, implementation: &str, note: impl Into<String>) -> Self {
        let mut row = Row::new(scenario, implementation, &[]);
        row.note = note.into();
        row
    }
}

pub(crate) fn percentile(samples: &[u64], p: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    Some(sorted[rank.min(sorted.len() - 1)] as f64)
}

/// Samples per implementation, collected over alternating rounds.
#[derive(Default)]
pub(crate) struct Samples {
    pub(crate) by_impl: BTreeMap<String, Result<Vec<u64>, String>>,
}

impl Samples {
    pub(crate) fn add(&mut self, implementation: &str, result: Result<Vec<u64>, String>) {
        let entry = self
            .by_impl
            .entry(implementation.to_owned())
            .or_insert_with(|| Ok(Vec::new()));
        match (entry.is_ok(), result) {
            (true, Ok(more)) => entry.as_mut().expect("checked").extend(more),
            (true, Err(e)) => *entry = Err(e),
            (false, _) => {}
        }
    }

    pub(crate) fn failed(&self, implementation: &str) -> bool {
        matches!(self.by_impl.get(implementation), Some(Err(_)))
    }

    pub(crate) fn row(&self, scenario: &str, implementation: &str) -> Row {
        match self.by_impl.get(implementation) {
            Some(Ok(s)) => Row::new(scenario, implementation, s),
            Some(Err(e)) => Row::failed(scenario, implementation, e.clone()),
            None => Row::failed(scenario, implementation, "not run"),
        }
    }
}

/// Sets `ratio_vs_confo` = row / confo and checks `peer / confo >= at_least`
/// (a peer confo must beat) or `confo / peer <= within` (a floor confo must
/// stay close to).
pub(crate) enum Goal {
    None,
    FasterBy(f64),
    Within(f64),
}

pub(crate) fn compare(row: &mut Row, confo: Option<f64>, goal: Goal) {
    let (Some(c), Some(r)) = (confo, row.median) else {
        if !matches!(goal, Goal::None) {
            row.met = None;
        }
        return;
    };
    row.ratio_vs_confo = Some(r / c);
    match goal {
        Goal::None => {}
        Goal::FasterBy(x) => {
            row.target = format!("confo >= {x}x faster");
            row.met = Some(r / c >= x);
        }
        Goal::Within(x) => {
            row.target = format!("confo within {x}x");
            row.met = Some(c / r <= x);
        }
    }
}
