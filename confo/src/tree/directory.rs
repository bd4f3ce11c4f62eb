//! A directory tree on disk, read and checked: [`DirTree`].

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::backend::MAX_VALUE_BYTES;
use crate::error::{Error, Result, TreeProblem};
use crate::json;
use crate::name::{ConfigName, ConfigPath, Namespace};

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
    pub(super) dir: PathBuf,
    pub(super) namespaces: BTreeMap<Namespace, BTreeMap<ConfigName, Arc<[u8]>>>,
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

    pub(super) fn read_with_limit(dir: &Path, limit: usize) -> Result<DirTree> {
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
                    // The file store's metadata (published schemas) is not
                    // part of the tree: a store's own directory reads as its
                    // configurations alone.
                    if name.starts_with(TMP_PREFIX) || name == crate::backend::META_DIR {
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
            Ok(found) => crate::backend::empty_value::as_read(found.bytes),
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
