//! Whole trees between a backend and a directory: export, import, diff.
//!
//! On disk a tree has the file backend's layout, `<dir>/<namespace>/<name>.json`,
//! so a directory exported from ZooKeeper is also a store you can open with
//! `file://<dir>`, and a laptop's `file://` tree can be imported into
//! production as it is.
//!
//! - [`export_tree`] writes every namespace and configuration of a backend
//!   into a directory, bytes exactly as stored.
//! - [`DirTree::read`] reads a directory and checks **every** entry (layout,
//!   names, JSON object, size limit), reporting all problems at once in one
//!   [`Error::InvalidTree`].
//! - [`diff_tree`] compares a directory with a backend ([`TreeDiff`]); two
//!   values are the same when they are the same JSON (formatting and key
//!   order do not count).
//! - [`plan_import`] validates the directory and computes what an import
//!   would write ([`ImportPlan`], the dry run); [`ImportPlan::apply`] writes
//!   it with compare-and-set against the versions read while planning, so a
//!   configuration changed in between is a conflict, never silently
//!   overwritten. [`import_tree`] does both. Import adds and updates; it
//!   never deletes what is only in the store.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use confo::backend::{Backend, Expect, MemoryBackend};
//! use confo::tree::{diff_tree, export_tree, import_tree};
//!
//! let prod = MemoryBackend::new();
//! prod.write(&"systemA/database".parse()?, br#"{"port":5432}"#, Expect::Any).await?;
//! let dir = tempfile::tempdir().unwrap();
//! export_tree(&prod, dir.path()).await?;
//!
//! let test = MemoryBackend::new();
//! assert_eq!(import_tree(&test, dir.path()).await?, 1);
//! assert!(diff_tree(&test, dir.path()).await?.is_empty());
//! # Ok::<(), confo::Error>(()) }).unwrap();
//! ```
//!
//! One idea a file: reading and checking a directory (`directory.rs`),
//! export (`export.rs`), comparing a directory with a store (`diff.rs`),
//! import (`import.rs`); the store's side of both, read at one moment
//! (`store_tree.rs`).

mod diff;
mod directory;
mod export;
mod import;
mod store_tree;
#[cfg(test)]
mod tests;

pub use diff::{diff_tree, Difference, TreeDiff};
pub use directory::DirTree;
pub use export::{export_tree, export_tree_with, ExportReport};
pub use import::{import_tree, plan_import, ImportPlan, IMPORT_BATCH};
