//! Comparing a directory with a store: the differences ([`diff_tree`],
//! [`TreeDiff`], [`Difference`]) and the steps that make the store hold the
//! directory's tree (used by the import).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::directory::DirTree;
use super::store_tree::{read_store_tree, StoreTree};
use crate::backend::{Backend, Expect, Skipped};
use crate::error::Result;
use crate::json;
use crate::name::{ConfigName, ConfigPath, Namespace};

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
    /// Entries of the store that confo cannot represent (refused names):
    /// not compared, so the comparison is partial when this is not empty.
    pub skipped: Vec<Skipped>,
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
    let (snap, skipped) = read_store_tree(backend).await?;
    let mut diff = compare(&tree, &snap).0;
    // What this identity may not read is neither "only in the directory"
    // nor the same: it is left out, and reported as skipped.
    let unreadable: Vec<&str> = skipped
        .iter()
        .filter(|s| s.is_not_authorized())
        .map(|s| s.entry.as_str())
        .collect();
    diff.differences.retain(|d| {
        let target = d.target();
        !unreadable
            .iter()
            .any(|u| target == *u || (u.ends_with('/') && target.starts_with(u)))
    });
    diff.skipped = skipped;
    Ok(diff)
}

/// One step of an import.
#[derive(Clone)]
pub(super) enum Op {
    CreateNamespace(Namespace),
    Write {
        path: ConfigPath,
        bytes: Arc<[u8]>,
        expect: Expect,
    },
}

/// Compares a directory tree with what a store holds: the differences and the
/// steps that make the store hold the directory's tree.
pub(super) fn compare(tree: &DirTree, snap: &StoreTree) -> (TreeDiff, Vec<Op>) {
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
