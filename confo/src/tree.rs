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

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::backend::{Backend, BatchWrite, Expect, FileBackend, Versioned, MAX_VALUE_BYTES};
use crate::error::{Error, Result, TreeProblem};
use crate::json;
use crate::name::{ConfigName, ConfigPath, Namespace};

/// How many steps [`ImportPlan::apply`] sends as one batch.
///
/// Backends write one configuration at a time today; a batch write in the
/// [`Backend`] trait will take a whole batch in one round trip.
///
/// ```
/// assert!(confo::tree::IMPORT_BATCH > 1);
/// ```
pub const IMPORT_BATCH: usize = 64;

/// The file extension of a configuration on disk.
const EXT: &str = ".json";

/// Prefix of the file backend's temporary files (skipped when reading).
const TMP_PREFIX: &str = ".confo-tmp.";

/// A directory tree read from disk and checked: every file is a JSON object
/// within the size limit at `<namespace>/<name>.json` with valid names.
///
/// ```
/// use confo::tree::DirTree;
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("systemA")).unwrap();
/// std::fs::write(dir.path().join("systemA/database.json"), r#"{"port": 5432}"#).unwrap();
/// std::fs::write(dir.path().join("systemA/notes.txt"), "hello").unwrap();
///
/// let err = DirTree::read(dir.path()).unwrap_err();
/// assert!(err.to_string().contains("systemA/notes.txt"));
///
/// std::fs::remove_file(dir.path().join("systemA/notes.txt")).unwrap();
/// let tree = DirTree::read(dir.path())?;
/// assert_eq!(tree.len(), 1);
/// assert!(tree.get(&"systemA/database".parse()?).is_some());
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Clone)]
pub struct DirTree {
    dir: PathBuf,
    namespaces: BTreeMap<Namespace, BTreeMap<ConfigName, Arc<[u8]>>>,
}

impl std::fmt::Debug for DirTree {
    // Values may hold secrets: show names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirTree")
            .field("dir", &self.dir)
            .field("configs", &self.paths().collect::<Vec<_>>())
            .finish()
    }
}

impl DirTree {
    /// Reads and checks `dir` with the size limit every backend shares,
    /// [`MAX_VALUE_BYTES`]. Blocking: call it outside an async task, or use
    /// [`DirTree::read_async`].
    pub fn read(dir: impl AsRef<Path>) -> Result<DirTree> {
        Self::read_with_limit(dir.as_ref(), MAX_VALUE_BYTES)
    }

    /// [`DirTree::read`] on tokio's blocking pool, with `limit` in bytes
    /// (pass the target's [`Backend::max_value_bytes`]).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let dir = tempfile::tempdir().unwrap();
    /// let tree = confo::tree::DirTree::read_async(dir.path(), 1024).await?;
    /// assert!(tree.is_empty());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn read_async(dir: impl AsRef<Path>, limit: usize) -> Result<DirTree> {
        let dir = dir.as_ref().to_path_buf();
        let shown = dir.display().to_string();
        tokio::task::spawn_blocking(move || Self::read_with_limit(&dir, limit))
            .await
            .map_err(|e| Error::Backend {
                backend: shown.clone(),
                op: "read",
                path: shown,
                message: format!("reading task failed: {e}"),
            })?
    }

    /// The directory this tree was read from.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let tree = confo::tree::DirTree::read(dir.path())?;
    /// assert_eq!(tree.dir(), dir.path());
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every namespace (a directory, possibly empty), sorted.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("empty")).unwrap();
    /// let tree = confo::tree::DirTree::read(dir.path())?;
    /// assert_eq!(tree.namespaces().map(|n| n.as_str()).collect::<Vec<_>>(), ["empty"]);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.keys()
    }

    /// Every configuration path, sorted.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let tree = confo::tree::DirTree::read(dir.path())?;
    /// assert_eq!(tree.paths().count(), 0);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn paths(&self) -> impl Iterator<Item = ConfigPath> + '_ {
        self.namespaces.iter().flat_map(|(ns, configs)| {
            configs
                .keys()
                .map(move |name| ConfigPath::new(ns.clone(), name.clone()))
        })
    }

    /// The bytes of one configuration, as in its file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let tree = confo::tree::DirTree::read(dir.path())?;
    /// assert!(tree.get(&"a/b".parse()?).is_none());
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn get(&self, path: &ConfigPath) -> Option<&[u8]> {
        self.namespaces
            .get(path.namespace())
            .and_then(|c| c.get(path.name()))
            .map(|b| &**b)
    }

    /// How many configurations the tree holds.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// assert_eq!(confo::tree::DirTree::read(dir.path())?.len(), 0);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.namespaces.values().map(BTreeMap::len).sum()
    }

    /// True when the tree holds no configuration (it may hold empty namespaces).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// assert!(confo::tree::DirTree::read(dir.path())?.is_empty());
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read_with_limit(dir: &Path, limit: usize) -> Result<DirTree> {
        let mut problems = Vec::new();
        let mut namespaces = BTreeMap::new();
        let shown = dir.display().to_string();
        match sorted_entries(dir) {
            Err(e) => problems.push(TreeProblem {
                file: shown.clone(),
                message: format!("cannot read this directory: {e}"),
            }),
            Ok(entries) => {
                let root = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
                for (name, path) in entries {
                    let Some(name) = utf8_name(&name, &path, &mut problems, dir) else {
                        continue;
                    };
                    if name.starts_with(TMP_PREFIX) {
                        continue;
                    }
                    if let Some(message) = escapes(&root, &path) {
                        problems.push(TreeProblem {
                            file: name,
                            message,
                        });
                        continue;
                    }
                    if !path.is_dir() {
                        problems.push(TreeProblem {
                            file: name,
                            message: "a file at the top level; configurations go in <namespace>/<name>.json".into(),
                        });
                        continue;
                    }
                    match Namespace::new(&name) {
                        Ok(ns) => {
                            let configs = read_namespace_dir(dir, &name, limit, &mut problems);
                            namespaces.insert(ns, configs);
                        }
                        Err(e) => problems.push(TreeProblem {
                            file: format!("{name}/"),
                            message: name_message(&e),
                        }),
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(DirTree {
                dir: dir.to_path_buf(),
                namespaces,
            })
        } else {
            Err(Error::InvalidTree {
                dir: shown,
                problems,
            })
        }
    }
}

fn sorted_entries(dir: &Path) -> io::Result<Vec<(std::ffi::OsString, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        out.push((entry.file_name(), entry.path()));
    }
    out.sort();
    Ok(out)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn utf8_name(
    name: &std::ffi::OsStr,
    path: &Path,
    problems: &mut Vec<TreeProblem>,
    root: &Path,
) -> Option<String> {
    match name.to_str() {
        Some(s) => Some(s.to_owned()),
        None => {
            problems.push(TreeProblem {
                file: relative(root, path),
                message: "the name is not UTF-8; confo names are UTF-8 text".into(),
            });
            None
        }
    }
}

fn name_message(err: &Error) -> String {
    match err {
        Error::InvalidName { kind, rule, .. } => format!("not a valid {kind}: {rule}"),
        other => other.to_string(),
    }
}

/// Why `path` may not be read as part of the tree whose real (canonical)
/// root is `real_root`: a symbolic link leading out of it, like the file
/// backend refuses. `None` when it stays inside.
fn escapes(real_root: &Path, path: &Path) -> Option<String> {
    let is_link = fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false);
    if !is_link {
        return None;
    }
    match fs::canonicalize(path) {
        Ok(real) if real.starts_with(real_root) => None,
        Ok(real) => Some(format!(
            "a symbolic link to {}, outside the tree; only what is inside the tree is read",
            real.display()
        )),
        Err(e) => Some(format!("a symbolic link that cannot be followed: {e}")),
    }
}

fn read_namespace_dir(
    root: &Path,
    ns: &str,
    limit: usize,
    problems: &mut Vec<TreeProblem>,
) -> BTreeMap<ConfigName, Arc<[u8]>> {
    let dir = root.join(ns);
    let mut configs = BTreeMap::new();
    let entries = match sorted_entries(&dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(TreeProblem {
                file: format!("{ns}/"),
                message: format!("cannot read this directory: {e}"),
            });
            return configs;
        }
    };
    let real_root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    for (name, path) in entries {
        let Some(file_name) = utf8_name(&name, &path, problems, root) else {
            continue;
        };
        if let Some(message) = escapes(&real_root, &path) {
            problems.push(TreeProblem {
                file: format!("{ns}/{file_name}"),
                message,
            });
            continue;
        }
        if file_name.starts_with(TMP_PREFIX) && !file_name.ends_with(EXT) {
            continue; // a file backend's write in progress
        }
        let file = format!("{ns}/{file_name}");
        let mut problem = |message: String| {
            problems.push(TreeProblem {
                file: file.clone(),
                message,
            })
        };
        if path.is_dir() {
            problem("a directory inside a namespace; configurations are files <name>.json".into());
            continue;
        }
        let Some(stem) = file_name.strip_suffix(EXT) else {
            problem("not a .json file; configurations are files <name>.json".into());
            continue;
        };
        let name = match ConfigName::new(stem) {
            Ok(n) => n,
            Err(e) => {
                problem(name_message(&e));
                continue;
            }
        };
        let rel = Path::new(ns).join(&file_name);
        let bytes = match crate::backend::regular_file::read_beneath(root, &rel, limit) {
            Ok(found) => found.bytes,
            Err(refused) => {
                problem(refused.reason());
                continue;
            }
        };
        match json::parse_object("", &file, &bytes) {
            Ok(_) => {
                configs.insert(name, Arc::from(bytes));
            }
            Err(Error::InvalidJson {
                line,
                column,
                message,
                ..
            }) => problem(format!(
                "not valid JSON: {message} at line {line}, column {column}"
            )),
            Err(Error::NotAnObject { found, .. }) => problem(format!(
                "holds a JSON {found}, but a configuration must be a JSON object ({{...}})"
            )),
            Err(e) => problem(e.to_string()),
        }
    }
    configs
}

/// Every namespace and configuration of a backend, as read at one moment.
type Snapshot = BTreeMap<Namespace, BTreeMap<ConfigName, Versioned>>;

async fn snapshot(backend: &dyn Backend) -> Result<Snapshot> {
    let mut out = BTreeMap::new();
    for ns in backend.list_namespaces().await? {
        match crate::backend::read_namespace(backend, &ns).await {
            Ok(configs) => {
                out.insert(ns, configs.into_iter().collect());
            }
            // Deleted between the listing and the read: not part of the tree.
            Err(Error::NamespaceNotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

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
}

/// Writes every namespace and configuration of `backend` into `dir` as
/// `<dir>/<namespace>/<name>.json`, bytes exactly as stored.
///
/// Creates `dir` if needed. Files of the same name are replaced (each write
/// is atomic); other files in `dir` are left alone, so export into an empty
/// directory for an exact snapshot.
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
    let snap = snapshot(backend).await?;
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
    let mut report = ExportReport::default();
    for (ns, configs) in snap {
        target.create_namespace(&ns).await?;
        report.namespaces += 1;
        for (name, read) in configs {
            let path = ConfigPath::new(ns.clone(), name);
            target.write(&path, &read.bytes, Expect::Any).await?;
            if json::parse_object("", "", &read.bytes).is_err() {
                report.not_objects.push(path);
            }
            report.configs += 1;
        }
    }
    Ok(report)
}

/// One difference between a directory tree and a store.
///
/// ```
/// use confo::tree::Difference;
/// let d = Difference::Changed { path: "a/b".parse()?, fields: vec!["port".into()] };
/// assert_eq!((d.kind(), d.target()), ("changed", "a/b".to_owned()));
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// A namespace is in the directory but not in the store.
    NamespaceOnlyInDir(Namespace),
    /// A namespace is in the store but not in the directory.
    NamespaceOnlyInStore(Namespace),
    /// A configuration is in the directory but not in the store.
    OnlyInDir(ConfigPath),
    /// A configuration is in the store but not in the directory.
    OnlyInStore(ConfigPath),
    /// A configuration is in both with different JSON.
    Changed {
        /// The configuration.
        path: ConfigPath,
        /// Top-level fields that differ (added, removed or changed), sorted;
        /// empty when one side is not a JSON object.
        fields: Vec<String>,
    },
}

impl Difference {
    /// The namespace or `namespace/name` concerned; a namespace ends with `/`.
    ///
    /// ```
    /// use confo::tree::Difference;
    /// assert_eq!(Difference::OnlyInDir("a/b".parse()?).target(), "a/b");
    /// assert_eq!(Difference::NamespaceOnlyInStore("a".parse()?).target(), "a/");
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn target(&self) -> String {
        match self {
            Difference::NamespaceOnlyInDir(ns) | Difference::NamespaceOnlyInStore(ns) => {
                format!("{ns}/")
            }
            Difference::OnlyInDir(p) | Difference::OnlyInStore(p) => p.to_string(),
            Difference::Changed { path, .. } => path.to_string(),
        }
    }

    /// A short word for the kind: `only-in-dir`, `only-in-store` or `changed`.
    ///
    /// ```
    /// use confo::tree::Difference;
    /// assert_eq!(Difference::OnlyInStore("a/b".parse()?).kind(), "only-in-store");
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Difference::NamespaceOnlyInDir(_) | Difference::OnlyInDir(_) => "only-in-dir",
            Difference::NamespaceOnlyInStore(_) | Difference::OnlyInStore(_) => "only-in-store",
            Difference::Changed { .. } => "changed",
        }
    }
}

/// What differs between a directory tree and a store ([`diff_tree`]).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// let store = MemoryBackend::new();
/// store.write(&"a/b".parse()?, b"{}", Expect::Any).await?;
/// let dir = tempfile::tempdir().unwrap();
/// let diff = confo::tree::diff_tree(&store, dir.path()).await?;
/// assert_eq!(diff.differences.len(), 2); // the namespace a/ and a/b, only in the store
/// assert!(diff.unchanged.is_empty());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeDiff {
    /// Every difference, sorted by namespace then name; a namespace's own
    /// entry comes before its configurations.
    pub differences: Vec<Difference>,
    /// Configurations with the same JSON on both sides.
    pub unchanged: Vec<ConfigPath>,
}

impl TreeDiff {
    /// True when the directory and the store hold the same tree.
    ///
    /// ```
    /// assert!(confo::tree::TreeDiff::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Compares the tree in `dir` with the store. The directory is checked as
/// by [`DirTree::read`]; a tree with any problem is [`Error::InvalidTree`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// use confo::tree::{diff_tree, Difference};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("systemA")).unwrap();
/// std::fs::write(dir.path().join("systemA/database.json"), r#"{ "port": 5432, "host": "db" }"#).unwrap();
///
/// let store = MemoryBackend::new();
/// store.write(&"systemA/database".parse()?, br#"{"host":"db","port":5433}"#, Expect::Any).await?;
/// let diff = diff_tree(&store, dir.path()).await?;
/// assert_eq!(diff.differences, [Difference::Changed { path: "systemA/database".parse()?, fields: vec!["port".into()] }]);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn diff_tree(backend: &dyn Backend, dir: impl AsRef<Path>) -> Result<TreeDiff> {
    let tree = DirTree::read_async(dir, backend.max_value_bytes()).await?;
    let snap = snapshot(backend).await?;
    Ok(compare(&tree, &snap).0)
}

/// One step of an import.
#[derive(Clone)]
enum Op {
    CreateNamespace(Namespace),
    Write {
        path: ConfigPath,
        bytes: Arc<[u8]>,
        expect: Expect,
    },
}

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
    let snap = snapshot(backend).await?;
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

/// Compares a directory tree with a store snapshot: the differences and the
/// steps that make the store hold the directory's tree.
fn compare(tree: &DirTree, snap: &Snapshot) -> (TreeDiff, Vec<Op>) {
    let empty_dir = BTreeMap::new();
    let empty_store = BTreeMap::new();
    let mut diff = TreeDiff::default();
    let mut ops = Vec::new();
    let all: BTreeSet<&Namespace> = tree.namespaces.keys().chain(snap.keys()).collect();
    for ns in all {
        let in_dir = tree.namespaces.get(ns);
        let in_store = snap.get(ns);
        match (in_dir, in_store) {
            (Some(configs), None) => {
                diff.differences
                    .push(Difference::NamespaceOnlyInDir(ns.clone()));
                if configs.is_empty() {
                    ops.push(Op::CreateNamespace(ns.clone()));
                }
            }
            (None, Some(_)) => diff
                .differences
                .push(Difference::NamespaceOnlyInStore(ns.clone())),
            _ => {}
        }
        let dir_configs = in_dir.unwrap_or(&empty_dir);
        let store_configs = in_store.unwrap_or(&empty_store);
        let names: BTreeSet<&ConfigName> = dir_configs.keys().chain(store_configs.keys()).collect();
        for name in names {
            let path = ConfigPath::new(ns.clone(), name.clone());
            match (dir_configs.get(name), store_configs.get(name)) {
                (Some(bytes), None) => {
                    ops.push(Op::Write {
                        path: path.clone(),
                        bytes: bytes.clone(),
                        expect: Expect::Absent,
                    });
                    diff.differences.push(Difference::OnlyInDir(path));
                }
                (None, Some(_)) => diff.differences.push(Difference::OnlyInStore(path)),
                (Some(bytes), Some(stored)) => {
                    if same_json(bytes, &stored.bytes) {
                        diff.unchanged.push(path);
                    } else {
                        ops.push(Op::Write {
                            path: path.clone(),
                            bytes: bytes.clone(),
                            expect: Expect::Version(stored.version),
                        });
                        let fields = changed_fields(bytes, &stored.bytes);
                        diff.differences.push(Difference::Changed { path, fields });
                    }
                }
                (None, None) => {}
            }
        }
    }
    (diff, ops)
}

/// Same bytes, or both valid JSON with the same value.
fn same_json(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_slice::<Value>(a),
        serde_json::from_slice::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Top-level keys whose values differ, sorted; empty when either side is
/// not a JSON object.
fn changed_fields(a: &[u8], b: &[u8]) -> Vec<String> {
    let (Ok(a), Ok(b)) = (json::parse_object("", "", a), json::parse_object("", "", b)) else {
        return Vec::new();
    };
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::MemoryBackend;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "top.json", "{}");
        write(d, "ns/ok.json", "{}");
        write(d, "ns/array.json", "[1]");
        write(d, "ns/broken.json", "{\n\"a\": }");
        write(d, "ns/readme.md", "hi");
        write(d, "ns/sub/x.json", "{}");
        write(d, "ns/zookeeper.json", "{}");
        write(d, "zookeeper/a.json", "{}");
        write(
            d,
            "ns/big.json",
            &format!("{{\"a\":\"{}\"}}", "x".repeat(2000)),
        );
        let Err(Error::InvalidTree { problems, .. }) = DirTree::read_with_limit(d, 1000) else {
            panic!("expected InvalidTree");
        };
        let files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "ns/array.json",
                "ns/big.json",
                "ns/broken.json",
                "ns/readme.md",
                "ns/sub",
                "ns/zookeeper.json",
                "top.json",
                "zookeeper/"
            ]
        );
        assert!(problems[2].message.contains("line 2"), "{}", problems[2]);
    }

    #[test]
    fn symlinks_out_of_the_tree_are_problems_inside_allowed() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.json"), r#"{"password":"x"}"#).unwrap();
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "ns/real.json", r#"{"a":1}"#);
        symlink(
            dir.path().join("ns/real.json"),
            dir.path().join("ns/alias.json"),
        )
        .unwrap();
        symlink(
            outside.path().join("secret.json"),
            dir.path().join("ns/leak.json"),
        )
        .unwrap();
        symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
        let err = DirTree::read(dir.path()).unwrap_err();
        let Error::InvalidTree { problems, .. } = &err else {
            panic!("{err:?}")
        };
        let files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(files, ["elsewhere", "ns/leak.json"], "{err}");
        assert!(err.to_string().contains("outside the tree"), "{err}");

        std::fs::remove_file(dir.path().join("ns/leak.json")).unwrap();
        std::fs::remove_file(dir.path().join("elsewhere")).unwrap();
        let tree = DirTree::read(dir.path()).unwrap();
        assert_eq!(tree.len(), 2); // real and its alias inside the tree
    }

    #[test]
    fn missing_directory_is_a_problem_not_a_panic() {
        let err = DirTree::read("/nonexistent/confo-tree").unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
    }

    #[tokio::test]
    async fn formatting_and_key_order_are_not_differences() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a/b.json",
            "{\n  \"y\": 1,\n  \"x\": [true]\n}\n",
        );
        let store = MemoryBackend::new();
        store
            .write(
                &"a/b".parse().unwrap(),
                br#"{"x":[true],"y":1}"#,
                Expect::Any,
            )
            .await
            .unwrap();
        let diff = diff_tree(&store, dir.path()).await.unwrap();
        assert!(diff.is_empty(), "{diff:?}");
        assert_eq!(diff.unchanged.len(), 1);
    }

    #[tokio::test]
    async fn import_does_not_overwrite_a_concurrent_change() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/b.json", r#"{"v":1}"#);
        let store = MemoryBackend::new();
        let path: ConfigPath = "a/b".parse().unwrap();
        store
            .write(&path, br#"{"v":0}"#, Expect::Any)
            .await
            .unwrap();
        let plan = plan_import(&store, dir.path()).await.unwrap();
        store
            .write(&path, br#"{"v":2}"#, Expect::Any)
            .await
            .unwrap();
        let err = plan.apply(&store, |_, _| {}).await.unwrap_err();
        assert!(err.is_conflict(), "{err}");
        assert_eq!(&*store.read(&path).await.unwrap().bytes, br#"{"v":2}"#);
    }

    #[tokio::test]
    async fn an_empty_store_exports_an_empty_tree() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snap");
        export_tree(&MemoryBackend::new(), &out).await.unwrap();
        assert!(DirTree::read(&out).unwrap().is_empty());
    }

    #[tokio::test]
    async fn empty_namespaces_travel_both_ways() {
        let store = MemoryBackend::new();
        store
            .create_namespace(&"empty".parse().unwrap())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        export_tree(&store, dir.path()).await.unwrap();
        let other = MemoryBackend::new();
        let plan = plan_import(&other, dir.path()).await.unwrap();
        assert_eq!(plan.steps(), 1);
        assert_eq!(plan.writes(), 0);
        plan.apply(&other, |_, _| {}).await.unwrap();
        assert_eq!(other.list_namespaces().await.unwrap(), ["empty"]);
        assert!(diff_tree(&other, dir.path()).await.unwrap().is_empty());
    }
}
