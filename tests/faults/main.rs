//! Fault tests on a real 3-server ZooKeeper ensemble whose every link
//! (client to server, server to server) runs through a loopback proxy
//! (`confo::testing::ZooKeeperEnsemble::start_with_links`) that can drop,
//! freeze or delay it. A slow group: each scenario runs for tens of
//! seconds, one ensemble at a time; `scripts/test.sh` runs them with
//! everything else.
//!
//! Every scenario runs updaters (compare-and-set increments, each with a
//! unique op id kept in the value), loaders and `Live` watchers while it
//! breaks links, and checks (`common::check`): nothing outlives its bound;
//! every acknowledged update is stored exactly once; an update that failed
//! is stored only if its error says the outcome is unknown; no `Live`
//! version goes backwards (`subscribe()` versions strictly increase);
//! every `Live` converges on the final value, Fresh. Each prints a
//! `FIGURES` line: the longest unavailability and the recovery time after
//! each heal (docs/faults.md keeps the measured ones).

mod common;
mod double_apply;
mod links;
mod partitions;
