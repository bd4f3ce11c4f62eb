//! The file backend: `<root>/<namespace>/<name>.json`.
//!
//! - Writes go to a temporary file in the same directory, are fsynced and
//!   renamed over the target, so a reader sees the old or the new value,
//!   never half of one.
//! - Compare-and-set holds across processes: every write and delete holds an
//!   exclusive OS lock (`flock`) on the root directory itself from the
//!   version check to the rename, so no lock file can clash with a name.
//! - A version hashes the file's content with its inode, size and
//!   timestamps, so it changes on every write (also by an editor).
//! - Names are validated before any path is built. Reads resolve the path
//!   beneath the root (a link that leads out of it fails the open itself,
//!   with no check-then-open race), open without blocking, check the opened
//!   handle is a regular file (FIFOs, devices and sockets are refused), and
//!   stop at [`MAX_VALUE_BYTES`]. Writes and deletes go through the
//!   namespace directory opened the same way, so they never leave the root.
//! - A batch ([`Backend::write_many`]) is all or nothing: every condition is
//!   checked under the lock before anything is written, and a failed write
//!   puts the earlier ones of the batch back.
//! - Entries that are not `*.json` are skipped with a warning; a name like
//!   `a.b.json` is the configuration `a.b`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast;

mod meta;

use super::regular_file::{self, Refused};
use super::{
    check_guard, check_size, check_sizes, Backend, BatchWrite, Expect, Guard, Listing, Meta,
    MetaWrite, Skipped, Version, Versioned, Watch, WatchEvent, WatchScope, MAX_VALUE_BYTES,
    META_DIR,
};
use crate::error::{Error, Result};
use crate::name::{ConfigName, ConfigPath, Namespace};

const TMP_PREFIX: &str = ".confo-tmp.";
const EXT: &str = ".json";

/// How [`FileBackend::write_all_durable`] makes a batch of files durable.
///
/// ```
/// assert_eq!(confo::backend::Durability::default(), confo::backend::Durability::Batch);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every file written to a temporary name, then one `syncfs` of the file
    /// system (Linux, when the whole batch is on the root's file system;
    /// else one fsync per file), every file renamed into place, and each
    /// directory synced once.
    #[default]
    Batch,
    /// Each file written, synced, renamed into place and its directory
    /// synced before the next. Slower; for a file system shared with heavy
    /// writers, whose dirty data a `syncfs` would wait for too.
    EachFile,
}

/// A directory tree of JSON files, shared safely by several processes.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, FileBackend};
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = FileBackend::new(dir.path());
/// store.write(&"systemA/database".parse()?, br#"{"port":5432}"#, Expect::Absent).await?;
/// assert!(dir.path().join("systemA/database.json").is_file());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct FileBackend {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    describe: String,
    /// The OS watcher shared by every [`Watch`] on this tree, while any lives.
    hub: Mutex<Weak<Hub>>,
}

/// One OS watcher over the whole tree, fanned out to every [`Watch`].
struct Hub {
    tx: broadcast::Sender<WatchEvent>,
    _watcher: notify::RecommendedWatcher,
}

/// How long a file watch waits for a burst of events (an editor saving in
/// several writes, a rename after a create) before the reader reads once.
pub const FILE_WATCH_DEBOUNCE: Duration = Duration::from_millis(30);

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FileBackend {
    /// A backend over `root`. Nothing is touched until the first operation;
    /// the root is created by the first write.
    pub fn new(root: impl AsRef<Path>) -> Self {
        let given = root.as_ref();
        let root = std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf());
        // Shown as given (`file://./confo`), the way the command and the
        // URL show it: one store, one name in every message. Errors about
        // the directory itself name its absolute path.
        let describe = format!("file://{}", given.display());
        Self {
            inner: Arc::new(Inner {
                root,
                describe,
                hub: Mutex::new(Weak::new()),
            }),
        }
    }

    /// Writes every `(path, bytes)` of `files`, replacing what is there,
    /// atomically per file and durable when it returns: no reader ever
    /// sees a partial file. [`Durability::Batch`] (what `confo export`
    /// writes with) syncs the whole batch in a few syncs;
    /// [`Durability::EachFile`] syncs every file and its directory before
    /// the next, two fsyncs per file.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use confo::backend::{Backend, Durability, FileBackend};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = FileBackend::new(dir.path());
    /// let files = vec![("a/x".parse()?, Arc::from(&b"{}"[..])), ("b/y".parse()?, Arc::from(&b"{}"[..]))];
    /// store.write_all_durable(files, Durability::Batch).await?;
    /// assert_eq!(store.list_namespaces().await?.len(), 2);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn write_all_durable(
        &self,
        files: Vec<(ConfigPath, Arc<[u8]>)>,
        durability: Durability,
    ) -> Result<()> {
        for (path, bytes) in &files {
            check_size(self, path, bytes)?;
        }
        self.run(move |inner| {
            let _lock = inner.lock()?;
            match durability {
                Durability::Batch => inner.replace_all(&files),
                Durability::EachFile => {
                    for (path, bytes) in &files {
                        inner.replace(path, bytes)?;
                    }
                    // A namespace directory made on the way is durable too.
                    sync_dir(&inner.root).map_err(|e| inner.io("fsync", &inner.root, e))
                }
            }
        })
        .await
    }

    /// Whether this store is confo's default, `file://./confo`, taken
    /// because `CONFO_URL` is unset: what an error about a missing
    /// directory should say, since the user may never have named it.
    ///
    /// ```
    /// let store = confo::backend::FileBackend::new("/srv/confo");
    /// assert!(!store.is_unset_default());
    /// ```
    pub fn is_unset_default(&self) -> bool {
        self.inner.is_unset_default()
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| Error::Backend {
                backend: self.inner.describe.clone(),
                op: "run",
                path: self.inner.root.display().to_string(),
                message: format!("file task failed: {e}"),
            })?
    }
}

impl Inner {
    /// The shared OS watcher, started when the first watch asks for it.
    fn hub(&self) -> Result<Arc<Hub>> {
        let mut slot = self.hub.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hub) = slot.upgrade() {
            return Ok(hub);
        }
        fs::create_dir_all(&self.root).map_err(|e| self.io("create", &self.root, e))?;
        let (tx, _) = broadcast::channel(super::EVENT_CAPACITY);
        let sender = tx.clone();
        let root = self.root.clone();
        let mut watcher =
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
                Ok(event) if event.need_rescan() => {
                    let _ = sender.send(WatchEvent::Resync);
                }
                // Opening or reading changes nothing (and the lock opens
                // the root on every write, metadata's too).
                Ok(event)
                    if matches!(
                        event.kind,
                        notify::EventKind::Access(
                            notify::event::AccessKind::Open(_) | notify::event::AccessKind::Read
                        )
                    ) => {}
                Ok(event) => {
                    for path in &event.paths {
                        if let Some(e) = event_for(&root, path) {
                            let _ = sender.send(e);
                        }
                    }
                }
                Err(_) => {
                    let _ = sender.send(WatchEvent::Resync);
                }
            })
            .map_err(|e| self.watch_error(e))?;
        use notify::Watcher as _;
        watcher
            .watch(&self.root, notify::RecursiveMode::Recursive)
            .map_err(|e| self.watch_error(e))?;
        let hub = Arc::new(Hub {
            tx,
            _watcher: watcher,
        });
        *slot = Arc::downgrade(&hub);
        Ok(hub)
    }

    fn watch_error(&self, e: notify::Error) -> Error {
        Error::Backend {
            backend: self.describe.clone(),
            op: "watch",
            path: self.root.display().to_string(),
            message: format!("{e}; on Linux, raise fs.inotify.max_user_watches if it is exhausted"),
        }
    }

    fn ns_dir(&self, ns: &Namespace) -> PathBuf {
        self.root.join(ns.as_str())
    }

    fn file(&self, path: &ConfigPath) -> PathBuf {
        self.ns_dir(path.namespace())
            .join(format!("{}{EXT}", path.name()))
    }

    fn io(&self, op: &'static str, path: &Path, source: io::Error) -> Error {
        Error::Io {
            backend: self.describe.clone(),
            op,
            path: path.display().to_string(),
            source,
        }
    }

    fn not_found(&self, path: &ConfigPath) -> Error {
        Error::NotFound {
            backend: self.described_for_not_found(),
            path: path.to_string(),
        }
    }

    /// The description for a "not found" error: when the whole root is
    /// missing, saying so, and when the store is confo's default with
    /// `CONFO_URL` unset, that the default was used.
    fn described_for_not_found(&self) -> String {
        if self.root.exists() {
            return self.describe.clone();
        }
        let why = if self.is_unset_default() {
            format!(
                "; {} is unset, so confo used its default {}",
                crate::backend::URL_ENV,
                crate::backend::DEFAULT_URL
            )
        } else {
            String::new()
        };
        format!(
            "{} (the directory {} does not exist{why})",
            self.describe,
            self.root.display()
        )
    }

    /// Whether this is confo's default store (`file://./confo`), in use
    /// because `CONFO_URL` is unset.
    fn is_unset_default(&self) -> bool {
        std::env::var_os(crate::backend::URL_ENV).is_none()
            && std::path::absolute(crate::backend::DEFAULT_URL.trim_start_matches("file://"))
                .is_ok_and(|d| d == self.root)
    }

    fn namespace_missing(&self, ns: &Namespace) -> Error {
        let known = self
            .namespaces()
            .map(|v| {
                v.names
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        Error::NamespaceNotFound {
            backend: self.described_for_not_found(),
            namespace: ns.to_string(),
            known,
        }
    }

    /// Refuses `path` if a symlink on it leads out of the root.
    fn confine(&self, path: &Path) -> Result<()> {
        let is_link = |p: &Path| {
            fs::symlink_metadata(p)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false)
        };
        let parent = path.parent().unwrap_or(&self.root);
        if !is_link(path) && !is_link(parent) {
            return Ok(());
        }
        let root = fs::canonicalize(&self.root).map_err(|e| self.io("resolve", &self.root, e))?;
        let real = fs::canonicalize(path).map_err(|e| self.io("resolve", path, e))?;
        if real.starts_with(&root) {
            Ok(())
        } else {
            Err(Error::Backend {
                backend: self.describe.clone(),
                op: "follow",
                path: path.display().to_string(),
                message: format!(
                    "it is a symlink to {}, outside the root; confo never leaves its root",
                    real.display()
                ),
            })
        }
    }

    fn lock(&self) -> Result<File> {
        fs::create_dir_all(&self.root).map_err(|e| self.io("create", &self.root, e))?;
        let dir = File::open(&self.root).map_err(|e| self.io("open", &self.root, e))?;
        dir.lock().map_err(|e| self.io("lock", &self.root, e))?;
        Ok(dir)
    }

    /// Reads the file of `cfg`, `None` if it does not exist.
    ///
    /// Resolved beneath the root and opened without blocking; only a
    /// regular file of at most [`MAX_VALUE_BYTES`] is read
    /// ([`regular_file::read_beneath`]).
    fn read_file(&self, cfg: &ConfigPath) -> Result<Option<Versioned>> {
        let rel = Path::new(cfg.namespace().as_str()).join(format!("{}{EXT}", cfg.name()));
        match regular_file::read_beneath(&self.root, &rel, MAX_VALUE_BYTES) {
            Ok(found) => {
                let version = version_of(&found.bytes, &found.meta);
                Ok(Some(Versioned {
                    bytes: Arc::from(super::empty_value::as_read(found.bytes)),
                    version,
                }))
            }
            Err(Refused::Missing) => Ok(None),
            Err(Refused::Io(e)) => Err(self.io("read", &self.root.join(&rel), e)),
            Err(refused) => Err(Error::Backend {
                backend: self.describe.clone(),
                op: "read",
                path: self.root.join(&rel).display().to_string(),
                message: refused.reason(),
            }),
        }
    }

    fn namespaces(&self) -> Result<Listing<Namespace>> {
        let entries = match fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Listing::whole(Vec::new())),
            Err(e) => return Err(self.io("list", &self.root, e)),
        };
        let mut out = Listing::whole(Vec::new());
        for entry in entries {
            let entry = entry.map_err(|e| self.io("list", &self.root, e))?;
            let name = entry.file_name();
            let shown = name.to_string_lossy().into_owned();
            let Some(name) = name.to_str() else {
                self.skip(&mut out.skipped, shown, "the name is not UTF-8".into());
                continue;
            };
            if name == META_DIR {
                continue; // confo's own metadata, never a namespace
            }
            if !entry.path().is_dir() {
                self.skip(
                    &mut out.skipped,
                    shown,
                    "a file at the root; namespaces are directories".into(),
                );
                continue;
            }
            match Namespace::new(name) {
                Ok(ns) => out.names.push(ns),
                Err(e) => self.skip(&mut out.skipped, format!("{shown}/"), e.to_string()),
            }
        }
        out.names.sort();
        out.skipped.sort_by(|a, b| a.entry.cmp(&b.entry));
        Ok(out)
    }

    fn configs(&self, ns: &Namespace) -> Result<Listing<ConfigName>> {
        let dir = self.ns_dir(ns);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Err(self.namespace_missing(ns))
            }
            Err(e) => return Err(self.io("list", &dir, e)),
        };
        self.confine(&dir)?;
        let mut out = Listing::whole(Vec::new());
        for entry in entries {
            let entry = entry.map_err(|e| self.io("list", &dir, e))?;
            let file_name = entry.file_name();
            let shown = format!("{ns}/{}", file_name.to_string_lossy());
            let Some(file_name) = file_name.to_str() else {
                self.skip(&mut out.skipped, shown, "the name is not UTF-8".into());
                continue;
            };
            if file_name.starts_with(TMP_PREFIX) && !file_name.ends_with(EXT) {
                continue; // a write in progress (or one that crashed)
            }
            let Some(stem) = file_name.strip_suffix(EXT) else {
                self.skip(
                    &mut out.skipped,
                    shown,
                    "not a .json file; configurations are files <name>.json".into(),
                );
                continue;
            };
            match ConfigName::new(stem) {
                Ok(name) => out.names.push(name),
                Err(e) => self.skip(&mut out.skipped, shown, e.to_string()),
            }
        }
        out.names.sort();
        out.skipped.sort_by(|a, b| a.entry.cmp(&b.entry));
        Ok(out)
    }

    /// Records an entry a listing leaves out, and logs it.
    fn skip(&self, skipped: &mut Vec<Skipped>, entry: String, reason: String) {
        tracing::warn!(backend = %self.describe, %entry, %reason, "skipping an entry confo cannot use");
        skipped.push(Skipped { entry, reason });
    }

    fn write(&self, cfg: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        let _lock = self.lock()?;
        let current = self.read_file(cfg)?.map(|v| v.version);
        expect.check(&self.describe, cfg, current)?;
        self.replace(cfg, bytes)
    }

    /// All or nothing, under one lock: every condition is checked before
    /// anything is written, and if a write fails the earlier ones are put
    /// back as they were (previous bytes rewritten, new files removed).
    ///
    /// The documents of `metas` are written after the values, under the
    /// same lock; if one fails, the values are put back too.
    fn write_many(
        &self,
        writes: &[BatchWrite],
        guards: &[Guard],
        metas: &[MetaWrite],
    ) -> Result<Vec<Version>> {
        let _lock = self.lock()?;
        // What each path held before the batch, for the undo.
        let mut before: Vec<(&ConfigPath, Option<Arc<[u8]>>)> = Vec::new();
        let mut planned: std::collections::HashMap<&ConfigPath, bool> =
            std::collections::HashMap::new();
        for w in writes {
            let current = match planned.get(&w.path) {
                // Written earlier in this batch: no version can match it yet.
                Some(_) => Some(Version::from_raw(u64::MAX)),
                None => {
                    let read = self.read_file(&w.path)?;
                    before.push((&w.path, read.as_ref().map(|r| Arc::clone(&r.bytes))));
                    read.map(|r| r.version)
                }
            };
            w.expect.check(&self.describe, &w.path, current)?;
            planned.insert(&w.path, true);
        }
        // Then the metadata: a stale value is a conflict, not a changed guard.
        for guard in guards
            .iter()
            .cloned()
            .chain(metas.iter().map(MetaWrite::guard))
        {
            let current = self.read_meta(&guard.path, guard.meta)?.map(|m| m.version);
            check_guard(&self.describe, &guard, current)?;
        }
        let mut versions = Vec::with_capacity(writes.len());
        for (i, w) in writes.iter().enumerate() {
            match self.replace(&w.path, &w.bytes) {
                Ok(v) => versions.push(v),
                Err(e) => {
                    let done: Vec<&ConfigPath> = writes[..i].iter().map(|w| &w.path).collect();
                    return Err(self.undo(&before, &done, e));
                }
            }
        }
        for m in metas {
            if let Err(e) = self.put_meta(&m.path, m.meta, &m.bytes) {
                let done: Vec<&ConfigPath> = writes.iter().map(|w| &w.path).collect();
                return Err(self.undo(&before, &done, e));
            }
        }
        Ok(versions)
    }

    /// Puts back what `before` says for every path in `done`; `cause` is
    /// returned as it is when all of it is undone, else an error that
    /// names exactly what stays written.
    fn undo(
        &self,
        before: &[(&ConfigPath, Option<Arc<[u8]>>)],
        done: &[&ConfigPath],
        cause: Error,
    ) -> Error {
        let mut left = Vec::new();
        for (path, old) in before.iter().filter(|(p, _)| done.contains(p)) {
            let undone = match old {
                Some(bytes) => self.replace(path, bytes).map(|_| ()),
                None => {
                    let file = self.file(path);
                    self.dir_beneath(path.namespace(), false).and_then(|dir| {
                        dir.remove_file(format!("{}{EXT}", path.name()))
                            .map_err(|e| self.io("delete", &file, e))
                    })
                }
            };
            if undone.is_err() {
                left.push(path.to_string());
            }
        }
        if left.is_empty() {
            return cause;
        }
        Error::Backend {
            backend: self.describe.clone(),
            op: "undo",
            path: left.join(", "),
            message: format!(
                "a batch write failed ({cause}) and these configurations stay written, they could not be put back: {}",
                left.join(", ")
            ),
        }
    }

    /// Writes `bytes` as the file of `cfg`, atomically. The caller holds the lock.
    fn replace(&self, cfg: &ConfigPath, bytes: &[u8]) -> Result<Version> {
        // The namespace directory is opened beneath the root: every step
        // below goes through this handle, so a link flipped meanwhile cannot
        // lead the write out of the root.
        let dir = self.dir_beneath(cfg.namespace(), true)?;
        let target = format!("{}{EXT}", cfg.name());
        self.replace_in(&dir, &self.ns_dir(cfg.namespace()), &target, bytes)
    }

    /// Writes `bytes` as the file `target` of `dir` (shown as `dir_path`):
    /// a temporary file, fsync, rename over the target, fsync of the
    /// directory. The caller holds the lock.
    fn replace_in(
        &self,
        dir: &cap_std::fs::Dir,
        dir_path: &Path,
        target: &str,
        bytes: &[u8],
    ) -> Result<Version> {
        let tmp = tmp_name();
        let shown_tmp = dir_path.join(&tmp);
        let shown = dir_path.join(target);
        let result = (|| {
            let file = self.write_tmp(dir, &tmp, &shown_tmp, bytes)?;
            file.sync_all()
                .map_err(|e| self.io("fsync", &shown_tmp, e))?;
            dir.rename(&tmp, dir, target)
                .map_err(|e| self.io("rename", &shown, e))?;
            sync_handle(dir).map_err(|e| self.io("fsync", dir_path, e))?;
            let meta = file.metadata().map_err(|e| self.io("stat", &shown, e))?;
            Ok(version_of(bytes, &meta))
        })();
        if result.is_err() {
            let _ = dir.remove_file(&tmp);
        }
        result
    }

    /// Writes every `(path, bytes)` of `files` as [`Inner::replace`] would,
    /// but durable in a few syncs for the whole batch rather than two per
    /// file: each goes to a temporary file (hidden from listings and
    /// readers), the file system is synced once (`syncfs` on Linux, else one
    /// fsync per file), every temporary file is renamed over its target, and
    /// the directories are synced. No reader ever sees a partial file, and
    /// everything is durable when it returns. Unconditional (no
    /// compare-and-set): what `confo export` needs. The caller holds the lock.
    fn replace_all(&self, files: &[(ConfigPath, Arc<[u8]>)]) -> Result<()> {
        // One namespace at a time, its directory open only while it is
        // worked on: no file and at most one directory stays open, so a
        // tree of any size fits the descriptor limit.
        let mut by_namespace: BTreeMap<&Namespace, Vec<usize>> = BTreeMap::new();
        for (i, (cfg, _)) in files.iter().enumerate() {
            by_namespace.entry(cfg.namespace()).or_default().push(i);
        }
        let root_fs = self.root_fs();
        // The temporary name of each file written so far, by index.
        let mut written: Vec<Option<String>> = vec![None; files.len()];
        let result = (|| {
            let mut one_sync = false;
            for (ns, indices) in &by_namespace {
                let dir = self.dir_beneath(ns, true)?;
                // One syncfs covers a directory on the root's file system;
                // the files of any other are synced as they are written.
                let covered = root_fs
                    .as_ref()
                    .is_some_and(|(_, dev)| on_device(&dir, *dev));
                one_sync |= covered;
                for &i in indices {
                    let tmp = tmp_name();
                    let shown_tmp = self.ns_dir(ns).join(&tmp);
                    // Named before it is written: a failed write removes it too.
                    written[i] = Some(tmp.clone());
                    let file = self.write_tmp(&dir, &tmp, &shown_tmp, &files[i].1)?;
                    if !covered {
                        file.sync_all()
                            .map_err(|e| self.io("fsync", &shown_tmp, e))?;
                    }
                }
            }
            if let (true, Some((root, _))) = (one_sync, &root_fs) {
                syncfs(root).map_err(|e| self.io("fsync", &self.root, e))?;
            }
            for (ns, indices) in &by_namespace {
                let dir = self.dir_beneath(ns, false)?;
                for &i in indices {
                    let target = format!("{}{EXT}", files[i].0.name());
                    if let Some(tmp) = &written[i] {
                        dir.rename(tmp, &dir, &target)
                            .map_err(|e| self.io("rename", &self.ns_dir(ns).join(&target), e))?;
                        written[i] = None;
                    }
                }
                sync_handle(&dir).map_err(|e| self.io("fsync", &self.ns_dir(ns), e))?;
            }
            sync_dir(&self.root).map_err(|e| self.io("fsync", &self.root, e))
        })();
        if result.is_err() {
            // Whatever was not renamed into place is removed.
            for (ns, indices) in &by_namespace {
                let Ok(dir) = self.dir_beneath(ns, false) else {
                    continue;
                };
                for &i in indices {
                    if let Some(tmp) = &written[i] {
                        let _ = dir.remove_file(tmp);
                    }
                }
            }
        }
        result
    }

    /// Creates the temporary file `tmp` in `dir` (shown as `shown`) and
    /// writes `bytes` into it, not synced.
    fn write_tmp(
        &self,
        dir: &cap_std::fs::Dir,
        tmp: &str,
        shown: &Path,
        bytes: &[u8],
    ) -> Result<File> {
        let mut options = cap_std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        let mut file = dir
            .open_with(tmp, &options)
            .map_err(|e| self.io("create", shown, e))?
            .into_std();
        file.write_all(bytes)
            .map_err(|e| self.io("write", shown, e))?;
        Ok(file)
    }

    /// The root, open, with its device: on Linux, where one `syncfs` of
    /// it makes durable every file written on the same device. `None`
    /// elsewhere (each file is synced on its own).
    fn root_fs(&self) -> Option<(File, u64)> {
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::MetadataExt as _;
            let root = File::open(&self.root).ok()?;
            let device = root.metadata().ok()?.dev();
            Some((root, device))
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }

    /// The namespace's directory, opened beneath the root.
    fn dir_beneath(&self, ns: &Namespace, create: bool) -> Result<cap_std::fs::Dir> {
        let shown = self.ns_dir(ns);
        regular_file::dir_beneath(&self.root, Path::new(ns.as_str()), create).map_err(|r| match r {
            Refused::Io(e) => self.io("open", &shown, e),
            Refused::Missing => self.namespace_missing(ns),
            other => Error::Backend {
                backend: self.describe.clone(),
                op: "write",
                path: shown.display().to_string(),
                message: other.reason(),
            },
        })
    }

    fn delete(&self, cfg: &ConfigPath, expect: Expect) -> Result<()> {
        let _lock = self.lock()?;
        let current = self.read_file(cfg)?.map(|v| v.version);
        if current.is_none() {
            return Err(self.not_found(cfg));
        }
        expect.check(&self.describe, cfg, current)?;
        let path = self.file(cfg);
        let dir = self.dir_beneath(cfg.namespace(), false)?;
        dir.remove_file(format!("{}{EXT}", cfg.name()))
            .map_err(|e| self.io("delete", &path, e))?;
        sync_handle(&dir).map_err(|e| self.io("fsync", &self.ns_dir(cfg.namespace()), e))?;
        self.delete_all_meta(cfg)
    }

    fn delete_namespace(&self, ns: &Namespace, recursive: bool) -> Result<()> {
        let _lock = self.lock()?;
        let count = self.configs(ns)?.names.len();
        if count > 0 && !recursive {
            return Err(Error::NamespaceNotEmpty {
                backend: self.describe.clone(),
                namespace: ns.to_string(),
                count,
            });
        }
        let dir = self.ns_dir(ns);
        self.confine(&dir)?;
        let result = if recursive {
            fs::remove_dir_all(&dir)
        } else {
            fs::remove_dir(&dir)
        };
        result.map_err(|e| self.io("delete", &dir, e))?;
        sync_dir(&self.root).map_err(|e| self.io("fsync", &self.root, e))?;
        self.delete_namespace_meta(ns)
    }
}

#[async_trait]
impl Backend for FileBackend {
    fn keeps_metadata(&self) -> bool {
        true
    }

    fn describe(&self) -> &str {
        &self.inner.describe
    }

    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        Ok(self.namespace_listing().await?.names)
    }

    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        Ok(self.config_listing(namespace).await?.names)
    }

    async fn namespace_listing(&self) -> Result<Listing<Namespace>> {
        self.run(|inner| inner.namespaces()).await
    }

    async fn config_listing(&self, namespace: &Namespace) -> Result<Listing<ConfigName>> {
        let ns = namespace.clone();
        self.run(move |inner| inner.configs(&ns)).await
    }

    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        let cfg = path.clone();
        self.run(move |inner| inner.read_file(&cfg)?.ok_or_else(|| inner.not_found(&cfg)))
            .await
    }

    async fn read_many(&self, paths: &[ConfigPath]) -> Result<Vec<Option<Versioned>>> {
        let paths = paths.to_vec();
        self.run(move |inner| paths.iter().map(|p| inner.read_file(p)).collect())
            .await
    }

    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        check_size(self, path, bytes)?;
        let cfg = path.clone();
        let bytes = bytes.to_vec();
        self.run(move |inner| inner.write(&cfg, &bytes, expect))
            .await
    }

    /// All or nothing: conditions checked first, earlier writes undone if a
    /// later one fails, all under the tree's lock.
    async fn write_many(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        for w in writes {
            check_size(self, &w.path, &w.bytes)?;
        }
        let writes = writes.to_vec();
        self.run(move |inner| inner.write_many(&writes, &[], &[]))
            .await
    }

    /// Guards checked under the same lock as the writes.
    async fn write_guarded(&self, writes: &[BatchWrite], guards: &[Guard]) -> Result<Vec<Version>> {
        self.write_with_meta(writes, guards, &[]).await
    }

    /// Guards and metadata checked and written under the same lock as the writes.
    async fn write_with_meta(
        &self,
        writes: &[BatchWrite],
        guards: &[Guard],
        metas: &[MetaWrite],
    ) -> Result<Vec<Version>> {
        check_sizes(self, writes, metas)?;
        let writes = writes.to_vec();
        let guards = guards.to_vec();
        let metas = metas.to_vec();
        self.run(move |inner| inner.write_many(&writes, &guards, &metas))
            .await
    }

    async fn read_meta(&self, path: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        let cfg = path.clone();
        self.run(move |inner| inner.read_meta(&cfg, meta)).await
    }

    async fn write_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        check_size(self, path, bytes)?;
        let cfg = path.clone();
        let bytes = bytes.to_vec();
        self.run(move |inner| inner.write_meta(&cfg, meta, &bytes, expect))
            .await
    }

    async fn delete_meta(&self, path: &ConfigPath, meta: Meta, expect: Expect) -> Result<bool> {
        let cfg = path.clone();
        self.run(move |inner| inner.delete_meta(&cfg, meta, expect))
            .await
    }

    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        let ns = namespace.clone();
        self.run(move |inner| {
            fs::create_dir_all(&inner.root).map_err(|e| inner.io("create", &inner.root, e))?;
            let dir = inner.ns_dir(&ns);
            match fs::create_dir(&dir) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(false),
                Err(e) => Err(inner.io("create", &dir, e)),
            }
        })
        .await
    }

    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        let cfg = path.clone();
        self.run(move |inner| inner.delete(&cfg, expect)).await
    }

    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        let ns = namespace.clone();
        self.run(move |inner| inner.delete_namespace(&ns, recursive))
            .await
    }

    async fn put_instance(&self, path: &ConfigPath, id: &str, bytes: &[u8]) -> Result<()> {
        check_size(self, path, bytes)?;
        let (cfg, id, bytes) = (path.clone(), id.to_owned(), bytes.to_vec());
        self.run(move |inner| inner.put_instance(&cfg, &id, &bytes))
            .await
    }

    async fn remove_instance(&self, path: &ConfigPath, id: &str) -> Result<()> {
        let (cfg, id) = (path.clone(), id.to_owned());
        self.run(move |inner| inner.remove_instance(&cfg, &id))
            .await
    }

    async fn list_instances(&self, path: &ConfigPath) -> Result<Vec<(String, Arc<[u8]>)>> {
        let cfg = path.clone();
        self.run(move |inner| inner.list_instances(&cfg)).await
    }

    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        let hub = self.run(|inner| inner.hub()).await?;
        let rx = hub.tx.subscribe();
        let guard: Arc<dyn std::any::Any + Send + Sync> = hub;
        Ok(Watch::new(rx, scope.clone(), Some(guard)).with_debounce(FILE_WATCH_DEBOUNCE))
    }
}

/// The event a change at `path` (under `root`) means, if any.
fn event_for(root: &Path, path: &Path) -> Option<WatchEvent> {
    let rel = path.strip_prefix(root).ok()?;
    if rel.starts_with(META_DIR) {
        return None; // confo's metadata wakes no watch
    }
    let mut parts = rel.iter().map(|p| p.to_str());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(Some(ns)), None, None) => Namespace::new(ns).ok().map(WatchEvent::NamespaceChanged),
        (Some(Some(ns)), Some(Some(file)), None) => {
            let stem = file.strip_suffix(EXT)?;
            ConfigPath::parse_parts(ns, stem)
                .ok()
                .map(WatchEvent::Changed)
        }
        (None, _, _) => Some(WatchEvent::Resync), // the root itself
        _ => None,
    }
}

/// A fresh name for a temporary file, hidden from listings and readers.
fn tmp_name() -> String {
    format!(
        "{TMP_PREFIX}{}.{}",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether the directory `dir` is on the device `device`.
fn on_device(dir: &cap_std::fs::Dir, device: u64) -> bool {
    #[cfg(unix)]
    {
        use cap_std::fs::MetadataExt as _;
        dir.dir_metadata()
            .map(|m| m.dev() == device)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, device);
        false
    }
}

/// Flushes the file system `root` is on (Linux `syncfs`; elsewhere an
/// fsync of `root` itself, which [`Inner::root_fs`] never asks for).
fn syncfs(root: &File) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(root).map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        root.sync_all()
    }
}

/// Syncs a directory opened beneath the root.
fn sync_handle(dir: &cap_std::fs::Dir) -> io::Result<()> {
    #[cfg(unix)]
    {
        // The handle may be an O_PATH one (no fsync): open the directory
        // itself for reading, through the handle.
        dir.open(".")?.into_std().sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// FNV-1a over the content and the file's identity and times: changes on
/// every write (a new inode per rename, new times per in-place edit), and
/// two equal versions can only mean equal content.
fn version_of(bytes: &[u8], meta: &fs::Metadata) -> Version {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |data: &[u8]| {
        for b in data {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    feed(bytes);
    feed(&(bytes.len() as u64).to_le_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        for n in [
            meta.dev(),
            meta.ino(),
            meta.mtime() as u64,
            meta.mtime_nsec() as u64,
            meta.ctime() as u64,
            meta.ctime_nsec() as u64,
        ] {
            feed(&n.to_le_bytes());
        }
    }
    #[cfg(not(unix))]
    {
        if let Ok(t) = meta.modified() {
            if let Ok(d) = t.duration_since(std::time::UNIX_EPOCH) {
                feed(&d.as_nanos().to_le_bytes());
            }
        }
    }
    // Keep versions within i64 so every tool that prints them agrees.
    Version::from_raw(hash >> 1)
}
