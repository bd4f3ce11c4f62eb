//! Plan: how much of everything (full run, or --quick for a smoke run).

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) quick: bool,
    pub(crate) rounds: usize,
    pub(crate) load_one_iters: usize,
    pub(crate) scales: Vec<usize>,
    pub(crate) changes: usize,
    pub(crate) bulk: usize,
    pub(crate) bulk_rounds: usize,
    pub(crate) rss_count: usize,
    /// Scenario 10: follower processes, handles in each, writes in all.
    pub(crate) fan_processes: usize,
    pub(crate) fan_handles: usize,
    pub(crate) fan_writes: usize,
}

impl Plan {
    pub(crate) fn new(quick: bool) -> Self {
        if quick {
            Plan {
                quick,
                rounds: 2,
                load_one_iters: 50,
                scales: vec![10, 100, 1_000],
                changes: 100,
                bulk: 1_000,
                bulk_rounds: 1,
                rss_count: 1_000,
                fan_processes: 4,
                fan_handles: 20,
                fan_writes: 20,
            }
        } else {
            Plan {
                quick,
                rounds: 5,
                load_one_iters: 200,
                scales: vec![10, 100, 1_000, 10_000],
                changes: 1_000,
                bulk: 10_000,
                bulk_rounds: 3,
                rss_count: 10_000,
                fan_processes: 10,
                fan_handles: 100,
                fan_writes: 200,
            }
        }
    }
}
