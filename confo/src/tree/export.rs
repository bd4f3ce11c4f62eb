//! Export: every namespace and configuration of a store into a directory
//! ([`export_tree`], [`export_tree_with`], [`ExportReport`]).

use std::path::Path;

use super::store_tree::read_store_tree;
use crate::backend::{Backend, Durability, FileBackend, Skipped};
use crate::error::{Error, Result};
use crate::json;
use crate::name::ConfigPath;

/// What [`export_tree`] wrote.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// let store = MemoryBackend::new();
/// store.write(&"a/list".parse()?, b"[1]", Expect::Any).await?;
/// let dir = tempfile::tempdir().unwrap();
/// let report = confo::tree::export_tree(&store, dir.path()).await?;
/// assert_eq!(report.not_objects, ["a/list".parse()?]);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Namespaces written (directories), empty ones included.
    pub namespaces: usize,
    /// Configurations written (files).
    pub configs: usize,
    /// Configurations whose stored value is not a JSON object. They were
    /// written as they are, but [`import_tree`] will refuse them until fixed.
    pub not_objects: Vec<ConfigPath>,
    /// Entries of the store that confo cannot represent (refused names):
    /// not exported, so the export is partial when this is not empty.
    pub skipped: Vec<Skipped>,
}

/// Writes every namespace and configuration of `backend` into `dir` as
/// `<dir>/<namespace>/<name>.json`, bytes exactly as stored.
///
/// Creates `dir` if needed. Files of the same name are replaced (each write
/// is atomic); other files in `dir` are left alone, so export into an empty
/// directory for an exact copy.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
///
/// let store = MemoryBackend::new();
/// store.write(&"systemA/database".parse()?, br#"{"port":5432}"#, Expect::Any).await?;
/// store.create_namespace(&"empty".parse()?).await?;
/// let dir = tempfile::tempdir().unwrap();
/// let report = confo::tree::export_tree(&store, dir.path()).await?;
/// assert_eq!((report.namespaces, report.configs), (2, 1));
/// assert_eq!(std::fs::read(dir.path().join("systemA/database.json")).unwrap(), br#"{"port":5432}"#);
/// assert!(dir.path().join("empty").is_dir());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn export_tree(backend: &dyn Backend, dir: impl AsRef<Path>) -> Result<ExportReport> {
    export_tree_with(backend, dir, Durability::Batch).await
}

/// [`export_tree`], making the files durable as `durability` says
/// ([`Durability::EachFile`]: two fsyncs per file, as `confo export
/// --sync-each-file` does).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Durability, Expect, MemoryBackend};
/// let store = MemoryBackend::new();
/// store.write(&"systemA/database".parse()?, br#"{"port":5432}"#, Expect::Any).await?;
/// let dir = tempfile::tempdir().unwrap();
/// let report = confo::tree::export_tree_with(&store, dir.path(), Durability::EachFile).await?;
/// assert_eq!(report.configs, 1);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn export_tree_with(
    backend: &dyn Backend,
    dir: impl AsRef<Path>,
    durability: Durability,
) -> Result<ExportReport> {
    let (snap, skipped) = read_store_tree(backend).await?;
    let dir = dir.as_ref();
    // Even an empty store exports a directory, which imports as nothing.
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|source| Error::Io {
            backend: format!("file://{}", dir.display()),
            op: "create",
            path: dir.display().to_string(),
            source,
        })?;
    let target = FileBackend::new(dir);
    let mut report = ExportReport {
        skipped,
        ..ExportReport::default()
    };
    // Every file in one batch: atomic per file, durable in a few syncs for
    // the whole tree rather than two per file.
    let mut files = Vec::new();
    for (ns, configs) in snap {
        target.create_namespace(&ns).await?;
        report.namespaces += 1;
        for (name, read) in configs {
            let path = ConfigPath::new(ns.clone(), name);
            if json::parse_object("", "", &read.bytes).is_err() {
                report.not_objects.push(path.clone());
            }
            report.configs += 1;
            files.push((path, read.bytes));
        }
    }
    target.write_all_durable(files, durability).await?;
    Ok(report)
}
