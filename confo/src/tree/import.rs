//! Import: a directory into a store, planned first ([`plan_import`],
//! [`ImportPlan`], the dry run) and applied with compare-and-set.

use std::path::Path;
use std::sync::Arc;

use super::diff::{compare, Difference, Op};
use super::directory::DirTree;
use super::store_tree::read_store_tree;
use crate::backend::{Backend, BatchWrite};
use crate::error::Result;
use crate::name::ConfigPath;

/// How many steps [`ImportPlan::apply`] sends as one batch.
///
/// Backends write one configuration at a time today; a batch write in the
/// [`Backend`] trait will take a whole batch in one round trip.
///
/// ```
/// assert!(confo::tree::IMPORT_BATCH > 1);
/// ```
pub const IMPORT_BATCH: usize = 64;

/// What an import of a directory would change, computed by [`plan_import`]:
/// the dry run, and the writes [`ImportPlan::apply`] makes.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::MemoryBackend;
/// use confo::tree::{plan_import, Difference};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("systemA")).unwrap();
/// std::fs::write(dir.path().join("systemA/database.json"), r#"{"port": 5432}"#).unwrap();
///
/// let store = MemoryBackend::new();
/// let plan = plan_import(&store, dir.path()).await?;
/// assert_eq!(plan.writes(), 1);
/// assert!(plan.changes().contains(&Difference::OnlyInDir("systemA/database".parse()?)));
/// plan.apply(&store, |_done, _total| {}).await?;
/// assert!(plan_import(&store, dir.path()).await?.is_empty());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct ImportPlan {
    changes: Vec<Difference>,
    left_alone: Vec<Difference>,
    unchanged: Vec<ConfigPath>,
    ops: Vec<Op>,
}

impl std::fmt::Debug for ImportPlan {
    // Values may hold secrets: show what changes, never the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportPlan")
            .field("changes", &self.changes)
            .field("left_alone", &self.left_alone)
            .field("unchanged", &self.unchanged)
            .finish()
    }
}

impl ImportPlan {
    /// What the import changes: namespaces and configurations only in the
    /// directory (created) and configurations that differ (replaced).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("a")).unwrap();
    /// std::fs::write(dir.path().join("a/new.json"), "{}").unwrap();
    /// std::fs::write(dir.path().join("a/same.json"), "{}").unwrap();
    /// let store = MemoryBackend::new();
    /// store.write(&"a/same".parse()?, b"{}", Expect::Any).await?;
    /// store.write(&"a/old".parse()?, b"{}", Expect::Any).await?;
    /// let plan = confo::tree::plan_import(&store, dir.path()).await?;
    /// assert_eq!(plan.changes(), [confo::tree::Difference::OnlyInDir("a/new".parse()?)]);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn changes(&self) -> &[Difference] {
        &self.changes
    }

    /// What is only in the store: an import leaves it alone.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("a")).unwrap();
    /// std::fs::write(dir.path().join("a/new.json"), "{}").unwrap();
    /// std::fs::write(dir.path().join("a/same.json"), "{}").unwrap();
    /// let store = MemoryBackend::new();
    /// store.write(&"a/same".parse()?, b"{}", Expect::Any).await?;
    /// store.write(&"a/old".parse()?, b"{}", Expect::Any).await?;
    /// let plan = confo::tree::plan_import(&store, dir.path()).await?;
    /// assert_eq!(plan.left_alone(), [confo::tree::Difference::OnlyInStore("a/old".parse()?)]);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn left_alone(&self) -> &[Difference] {
        &self.left_alone
    }

    /// Configurations already the same in the store: not written.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("a")).unwrap();
    /// std::fs::write(dir.path().join("a/new.json"), "{}").unwrap();
    /// std::fs::write(dir.path().join("a/same.json"), "{}").unwrap();
    /// let store = MemoryBackend::new();
    /// store.write(&"a/same".parse()?, b"{}", Expect::Any).await?;
    /// store.write(&"a/old".parse()?, b"{}", Expect::Any).await?;
    /// let plan = confo::tree::plan_import(&store, dir.path()).await?;
    /// assert_eq!(plan.unchanged().len(), 1);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn unchanged(&self) -> &[ConfigPath] {
        &self.unchanged
    }

    /// How many configurations the import writes.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("a")).unwrap();
    /// std::fs::write(dir.path().join("a/new.json"), "{}").unwrap();
    /// std::fs::write(dir.path().join("a/same.json"), "{}").unwrap();
    /// let store = MemoryBackend::new();
    /// store.write(&"a/same".parse()?, b"{}", Expect::Any).await?;
    /// store.write(&"a/old".parse()?, b"{}", Expect::Any).await?;
    /// let plan = confo::tree::plan_import(&store, dir.path()).await?;
    /// assert_eq!(plan.writes(), 1);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn writes(&self) -> usize {
        self.ops
            .iter()
            .filter(|op| matches!(op, Op::Write { .. }))
            .count()
    }

    /// Each configuration the import writes, with the bytes it writes, in
    /// the order it writes them: what a caller checks before applying
    /// (`confo import --force` names what the published schemas refuse).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("a")).unwrap();
    /// std::fs::write(dir.path().join("a/new.json"), r#"{"x":1}"#).unwrap();
    /// std::fs::write(dir.path().join("a/same.json"), "{}").unwrap();
    /// let store = MemoryBackend::new();
    /// store.write(&"a/same".parse()?, b"{}", Expect::Any).await?;
    /// let plan = confo::tree::plan_import(&store, dir.path()).await?;
    /// let values: Vec<_> = plan.values().map(|(p, b)| (p.to_string(), b.to_vec())).collect();
    /// assert_eq!(values, [("a/new".to_owned(), br#"{"x":1}"#.to_vec())]);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn values(&self) -> impl Iterator<Item = (&ConfigPath, &[u8])> + '_ {
        self.ops.iter().filter_map(|op| match op {
            Op::Write { path, bytes, .. } => Some((path, &bytes[..])),
            Op::CreateNamespace(_) => None,
        })
    }

    /// How many steps [`ImportPlan::apply`] takes (writes and empty
    /// namespaces to create): the `total` its progress reports.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("a")).unwrap();
    /// std::fs::write(dir.path().join("a/new.json"), "{}").unwrap();
    /// std::fs::write(dir.path().join("a/same.json"), "{}").unwrap();
    /// let store = MemoryBackend::new();
    /// store.write(&"a/same".parse()?, b"{}", Expect::Any).await?;
    /// store.write(&"a/old".parse()?, b"{}", Expect::Any).await?;
    /// let plan = confo::tree::plan_import(&store, dir.path()).await?;
    /// assert_eq!(plan.steps(), 1);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn steps(&self) -> usize {
        self.ops.len()
    }

    /// True when the import would change nothing.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("a")).unwrap();
    /// std::fs::write(dir.path().join("a/new.json"), "{}").unwrap();
    /// std::fs::write(dir.path().join("a/same.json"), "{}").unwrap();
    /// let store = MemoryBackend::new();
    /// store.write(&"a/same".parse()?, b"{}", Expect::Any).await?;
    /// store.write(&"a/old".parse()?, b"{}", Expect::Any).await?;
    /// let plan = confo::tree::plan_import(&store, dir.path()).await?;
    /// assert!(!plan.is_empty());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Makes the changes, [`IMPORT_BATCH`] steps at a time, calling
    /// `progress(done, total)` as steps complete. Returns how many
    /// configurations were written.
    ///
    /// Every write is compare-and-set against what was read while planning:
    /// a configuration created or changed by someone else since then stops
    /// the import with [`Error::VersionConflict`]. The steps already done
    /// (the last `done` reported) stay done; plan again and apply to finish.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("a")).unwrap();
    /// std::fs::write(dir.path().join("a/new.json"), "{}").unwrap();
    /// std::fs::write(dir.path().join("a/same.json"), "{}").unwrap();
    /// let store = MemoryBackend::new();
    /// store.write(&"a/same".parse()?, b"{}", Expect::Any).await?;
    /// store.write(&"a/old".parse()?, b"{}", Expect::Any).await?;
    /// let plan = confo::tree::plan_import(&store, dir.path()).await?;
    /// let mut seen = Vec::new();
    /// assert_eq!(plan.apply(&store, |done, total| seen.push((done, total))).await?, 1);
    /// assert_eq!(seen, [(1, 1)]);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn apply<F>(&self, backend: &dyn Backend, mut progress: F) -> Result<usize>
    where
        F: FnMut(usize, usize) + Send,
    {
        let total = self.ops.len();
        let mut done = 0;
        let mut written = 0;
        for batch in self.ops.chunks(IMPORT_BATCH) {
            written += apply_batch(backend, batch, &mut |n| {
                done += n;
                progress(done, total);
            })
            .await?;
        }
        Ok(written)
    }
}

/// Applies one batch: its namespaces, then its writes in one
/// [`Backend::write_many`] (one atomic ZooKeeper multi-request per megabyte),
/// reporting the steps done.
async fn apply_batch(
    backend: &dyn Backend,
    batch: &[Op],
    done: &mut (dyn FnMut(usize) + Send),
) -> Result<usize> {
    let mut writes = Vec::new();
    for op in batch {
        match op {
            Op::CreateNamespace(ns) => {
                backend.create_namespace(ns).await?;
                done(1);
            }
            Op::Write {
                path,
                bytes,
                expect,
            } => writes.push(BatchWrite {
                path: path.clone(),
                bytes: Arc::clone(bytes),
                expect: *expect,
            }),
        }
    }
    if !writes.is_empty() {
        backend.write_many(&writes).await?;
        done(writes.len());
    }
    Ok(writes.len())
}

/// Checks every file of `dir` and computes what importing it into
/// `backend` would change. Writes nothing: this is the dry run.
///
/// Any problem in the directory is [`Error::InvalidTree`] listing them all.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("stray.json"), "{}").unwrap();
/// let store = confo::backend::MemoryBackend::new();
/// let err = confo::tree::plan_import(&store, dir.path()).await.unwrap_err();
/// assert!(matches!(err, confo::Error::InvalidTree { .. }));
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn plan_import(backend: &dyn Backend, dir: impl AsRef<Path>) -> Result<ImportPlan> {
    let tree = DirTree::read_async(dir, backend.max_value_bytes()).await?;
    let (snap, _skipped) = read_store_tree(backend).await?;
    let (diff, ops) = compare(&tree, &snap);
    let (changes, left_alone) = diff.differences.into_iter().partition(|d| {
        matches!(
            d,
            Difference::NamespaceOnlyInDir(_)
                | Difference::OnlyInDir(_)
                | Difference::Changed { .. }
        )
    });
    Ok(ImportPlan {
        changes,
        left_alone,
        unchanged: diff.unchanged,
        ops,
    })
}

/// Imports the tree in `dir` into `backend`: [`plan_import`] then
/// [`ImportPlan::apply`]. If any file is invalid nothing is written.
/// Returns how many configurations were written (unchanged ones are not).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, MemoryBackend};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("systemA")).unwrap();
/// std::fs::write(dir.path().join("systemA/good.json"), r#"{"port": 5432}"#).unwrap();
/// std::fs::write(dir.path().join("systemA/bad.json"), r#"{"port": "#).unwrap();
///
/// let store = MemoryBackend::new();
/// let err = confo::tree::import_tree(&store, dir.path()).await.unwrap_err();
/// assert!(err.to_string().contains("systemA/bad.json: not valid JSON"));
/// assert!(store.list_namespaces().await?.is_empty());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn import_tree(backend: &dyn Backend, dir: impl AsRef<Path>) -> Result<usize> {
    plan_import(backend, dir)
        .await?
        .apply(backend, |_, _| {})
        .await
}
