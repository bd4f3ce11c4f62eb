//! The [`Backend`] trait and its implementations, one file each.
//!
//! A backend stores bytes under validated paths and hands back opaque
//! [`Version`]s; it knows nothing of user types or serde. Every backend
//! passes the same conformance suite (`confo::testing::conformance`,
//! feature `testing`).
//!
//! ```
//! use confo::backend::{Backend, Expect, MemoryBackend};
//! use confo::ConfigPath;
//!
//! # tokio_test();
//! # fn tokio_test() { tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryBackend::new();
//! let path: ConfigPath = "systemA/database".parse()?;
//! let v1 = store.write(&path, br#"{"port":5432}"#, Expect::Absent).await?;
//! let read = store.read(&path).await?;
//! assert_eq!(read.version, v1);
//! // A stale writer loses, and is told the current version.
//! let v2 = store.write(&path, br#"{"port":5433}"#, Expect::Version(v1)).await?;
//! let err = store.write(&path, br#"{"port":1}"#, Expect::Version(v1)).await.unwrap_err();
//! assert!(err.is_conflict());
//! # let _ = v2;
//! # Ok::<(), confo::Error>(()) }).unwrap() }
//! ```

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::name::{ConfigName, ConfigPath, Namespace, Version};

pub(crate) mod empty_value;
mod file;
mod listing;
mod memory;
mod meta;
mod redact_args;
pub(crate) mod regular_file;
mod url;
mod watch;
#[cfg(feature = "zookeeper")]
mod zookeeper;

pub use file::{Durability, FileBackend};
pub use listing::{Listing, Skipped};
pub use memory::MemoryBackend;
pub use meta::{Guard, Meta, MetaWrite, META_DIR, META_ROOT};
pub use redact_args::redact_args;
pub use url::{open_url, redact, DEFAULT_URL, URL_ENV};
pub use watch::{Watch, WatchEvent, WatchScope, EVENT_CAPACITY};
#[cfg(feature = "zookeeper")]
pub use zookeeper::{
    Credentials, SessionStatus, ZooKeeper, ZooKeeperOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORT,
    DEFAULT_SESSION_TIMEOUT,
};

/// Largest value any backend accepts, in bytes.
///
/// ZooKeeper refuses packets over its `jute.maxbuffer` (1 MiB, 1,048,575
/// bytes, by default); the request header and path need room too, so confo
/// stops at 1 MiB less 1 KiB. Every backend applies the same limit, so a tree
/// that fits in one fits in all.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024 - 1024;

/// Bytes read from a backend with the version they had.
#[derive(Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The stored bytes (UTF-8 JSON in a well-kept tree).
    pub bytes: Arc<[u8]>,
    /// Their version.
    pub version: Version,
}

impl fmt::Debug for Versioned {
    // Stored values may hold secrets: show the size, never the bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Versioned")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("version", &self.version)
            .finish()
    }
}

/// The condition a write must meet to go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Write whatever is stored (last writer wins). Avoid where others write.
    Any,
    /// Create only: fail with [`Error::VersionConflict`] if the configuration exists.
    Absent,
    /// Compare-and-set: fail with [`Error::VersionConflict`] unless the
    /// stored version is this one.
    Version(Version),
}

impl Expect {
    /// `Some(v)` becomes `Version(v)`, `None` becomes `Absent`: the condition
    /// for writing back what was read (or found missing).
    ///
    /// ```
    /// use confo::{backend::Expect, Version};
    /// assert_eq!(Expect::from_read(None), Expect::Absent);
    /// let v = Version::from_raw(3);
    /// assert_eq!(Expect::from_read(Some(v)), Expect::Version(v));
    /// ```
    pub fn from_read(version: Option<Version>) -> Self {
        version.map_or(Expect::Absent, Expect::Version)
    }

    /// Checks this condition against what is stored now; builds the conflict error.
    pub fn check(self, backend: &str, path: &ConfigPath, current: Option<Version>) -> Result<()> {
        let ok = match self {
            Expect::Any => true,
            Expect::Absent => current.is_none(),
            Expect::Version(v) => current == Some(v),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::VersionConflict {
                backend: backend.to_owned(),
                path: path.to_string(),
                expected: self.to_string(),
                current,
            })
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Any => f.write_str("any version"),
            Expect::Absent => f.write_str("no configuration (create)"),
            Expect::Version(v) => write!(f, "version {v}"),
        }
    }
}

/// One write of a batch given to [`Backend::write_many`].
#[derive(Clone, PartialEq, Eq)]
pub struct BatchWrite {
    /// Where to write.
    pub path: ConfigPath,
    /// What to write.
    pub bytes: Arc<[u8]>,
    /// The condition it must meet.
    pub expect: Expect,
}

impl fmt::Debug for BatchWrite {
    // Values may hold secrets: show the size, never the bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWrite")
            .field("path", &self.path)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("expect", &self.expect)
            .finish()
    }
}

/// A store of configurations: the one interface every backend implements.
///
/// Object safe, so a manager holds `Arc<dyn Backend>`. Every method takes
/// validated names, so an implementation may build paths from them directly.
#[async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// Where this backend stores, for messages: `file:///abs/dir`, `mem://`,
    /// `zk://host:port`. Never contains a password.
    fn describe(&self) -> &str;

    /// Largest value this backend accepts, in bytes.
    fn max_value_bytes(&self) -> usize {
        MAX_VALUE_BYTES
    }

    /// Whether this backend keeps metadata beside configurations
    /// ([`Backend::read_meta`], [`Backend::write_meta`]): a store writes
    /// history only to one that does. The default keeps none; a backend
    /// that wraps another must forward it.
    fn keeps_metadata(&self) -> bool {
        false
    }

    /// The user this backend authenticates as (ZooKeeper's digest user),
    /// recorded as the author of a write in its history; `None` when it
    /// authenticates as nobody.
    fn user(&self) -> Option<&str> {
        None
    }

    /// All namespaces, sorted.
    async fn list_namespaces(&self) -> Result<Vec<Namespace>>;

    /// The configurations of one namespace, sorted.
    /// [`Error::NamespaceNotFound`] if the namespace does not exist.
    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>>;

    /// [`Backend::list_namespaces`], with the entries at the top of the
    /// store that confo cannot use as namespaces (refused names, files).
    ///
    /// The default skips nothing (a store that can hold only valid names).
    async fn namespace_listing(&self) -> Result<Listing<Namespace>> {
        Ok(Listing::whole(self.list_namespaces().await?))
    }

    /// [`Backend::list_configs`], with the entries of the namespace that
    /// confo cannot use as configurations (refused names, other files).
    async fn config_listing(&self, namespace: &Namespace) -> Result<Listing<ConfigName>> {
        Ok(Listing::whole(self.list_configs(namespace).await?))
    }

    /// Reads one configuration. [`Error::NotFound`] if it does not exist.
    async fn read(&self, path: &ConfigPath) -> Result<Versioned>;

    /// Reads one configuration as of now: the read sees every write that
    /// completed before it was called, whichever server or connection
    /// carried that write. [`Error::NotFound`] if it does not exist.
    ///
    /// `update` uses it to find out whether a write whose answer was lost
    /// landed. The default is [`Backend::read`], right for a backend whose
    /// reads always see the latest write (files, memory); ZooKeeper, whose
    /// followers may lag the leader, first `sync`s the path on the server
    /// the session is on now. A backend that wraps another must forward it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let backend = MemoryBackend::new();
    /// let path = "systemA/db".parse()?;
    /// let version = backend.write(&path, b"{}", Expect::Any).await?;
    /// assert_eq!(backend.read_latest(&path).await?.version, version);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    async fn read_latest(&self, path: &ConfigPath) -> Result<Versioned> {
        self.read(path).await
    }

    /// Reads several configurations; `None` for each that does not exist.
    /// Backends with batches (ZooKeeper multi-read) do this in one round trip.
    async fn read_many(&self, paths: &[ConfigPath]) -> Result<Vec<Option<Versioned>>> {
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            match self.read(path).await {
                Ok(v) => out.push(Some(v)),
                Err(Error::NotFound { .. }) => out.push(None),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Reads every configuration of a namespace; configurations deleted
    /// while it reads are left out. [`Error::NamespaceNotFound`] if the
    /// namespace does not exist.
    ///
    /// The default is a listing, then one [`Backend::read_many`] of what it
    /// listed. ZooKeeper keeps the listing it read last with the namespace
    /// node's children counters and, while they are unchanged, reads the
    /// values and the counters in one multi-read (no listing round trip); a
    /// configuration added or removed since changes the counters, so it is
    /// never missed nor read as present. A backend that wraps another must
    /// forward it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// let store = MemoryBackend::new();
    /// store.write(&"ns/a".parse()?, b"{}", Expect::Any).await?;
    /// let all = store.read_namespace(&"ns".parse()?).await?;
    /// assert_eq!(all.len(), 1);
    /// assert_eq!(all[0].0.as_str(), "a");
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    async fn read_namespace(&self, namespace: &Namespace) -> Result<Vec<(ConfigName, Versioned)>> {
        let names = self.list_configs(namespace).await?;
        let paths: Vec<ConfigPath> = names
            .iter()
            .map(|n| ConfigPath::new(namespace.clone(), n.clone()))
            .collect();
        let values = self.read_many(&paths).await?;
        Ok(names
            .into_iter()
            .zip(values)
            .filter_map(|(n, v)| v.map(|v| (n, v)))
            .collect())
    }

    /// Writes one configuration if `expect` holds, creating its namespace
    /// when missing, and returns the new version. Refuses values over
    /// [`Backend::max_value_bytes`] with [`Error::ValueTooLarge`].
    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version>;

    /// Writes a batch and returns the new versions, in order.
    ///
    /// The default writes one by one and stops at the first error (the
    /// writes before it stay done). ZooKeeper sends each run of writes that
    /// fits one request (1 MiB in all) as one atomic multi-request: all of
    /// it or none of it.
    async fn write_many(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        let mut versions = Vec::with_capacity(writes.len());
        for w in writes {
            versions.push(self.write(&w.path, &w.bytes, w.expect).await?);
        }
        Ok(versions)
    }

    /// Creates a namespace; `Ok(false)` if it already existed.
    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool>;

    /// Deletes one configuration if `expect` holds.
    /// [`Error::NotFound`] if it does not exist.
    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()>;

    /// Deletes a namespace. Unless `recursive`, refuses with
    /// [`Error::NamespaceNotEmpty`] when it holds configurations.
    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()>;

    /// Reads one metadata document of a configuration ([`Meta`]); `None`
    /// when there is none. The configuration itself need not exist.
    ///
    /// The default keeps no metadata: always `None`, so a backend without
    /// metadata never holds a schema a write would have to be checked against.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, Meta, MemoryBackend};
    /// let store = MemoryBackend::new();
    /// let path = "systemA/database".parse()?;
    /// assert!(store.read_meta(&path, Meta::Schemas).await?.is_none());
    /// store.write_meta(&path, Meta::Schemas, br#"{"services":{}}"#, Expect::Absent).await?;
    /// assert!(store.read_meta(&path, Meta::Schemas).await?.is_some());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    async fn read_meta(&self, path: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        let _ = (path, meta);
        Ok(None)
    }

    /// Reads a configuration (`None` if it does not exist) and one of its
    /// metadata documents, in one round trip where the store allows: the
    /// one-document case of [`Backend::read_with_metas`], which a backend
    /// implements (ZooKeeper: one multi-read).
    async fn read_with_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
    ) -> Result<(Option<Versioned>, Option<Versioned>)> {
        let (value, mut docs) = self.read_with_metas(path, &[meta]).await?;
        Ok((value, docs.pop().flatten()))
    }

    /// Reads a configuration (`None` if it does not exist) and several of
    /// its metadata documents (`None` for each there is none of), in one
    /// round trip where the store allows (ZooKeeper: one multi-read).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, Meta, MemoryBackend};
    /// let store = MemoryBackend::new();
    /// let path = "systemA/database".parse()?;
    /// store.write(&path, b"{}", Expect::Absent).await?;
    /// let (value, metas) = store.read_with_metas(&path, &[Meta::Schemas, Meta::History]).await?;
    /// assert!(value.is_some());
    /// assert_eq!(metas, vec![None, None]);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    async fn read_with_metas(
        &self,
        path: &ConfigPath,
        metas: &[Meta],
    ) -> Result<(Option<Versioned>, Vec<Option<Versioned>>)> {
        let value = match self.read(path).await {
            Ok(value) => Some(value),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut docs = Vec::with_capacity(metas.len());
        for meta in metas {
            docs.push(self.read_meta(path, *meta).await?);
        }
        Ok((value, docs))
    }

    /// Writes one metadata document of a configuration if `expect` holds
    /// ([`Error::VersionConflict`] otherwise) and returns its new version.
    /// Wakes no watch.
    ///
    /// The default refuses: a backend that keeps no metadata says so.
    async fn write_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        let _ = (bytes, expect);
        Err(Error::Backend {
            backend: self.describe().to_owned(),
            op: "write",
            path: format!("{path} ({meta})"),
            message: "this backend keeps no metadata beside configurations".into(),
        })
    }

    /// Deletes one metadata document if `expect` holds; `Ok(false)` when
    /// there was none. The default keeps none.
    async fn delete_meta(&self, path: &ConfigPath, meta: Meta, expect: Expect) -> Result<bool> {
        let _ = (path, meta, expect);
        Ok(false)
    }

    /// [`Backend::write_many`], and in the same atomic step a check of every
    /// guard: if one no longer holds, nothing is written and the error is
    /// [`Error::MetaChanged`] (read the metadata again and retry).
    ///
    /// ZooKeeper puts the guards in the multi-request of the writes they name
    /// (so the whole batch must fit one request for the guards to cover all of
    /// it); the file and memory backends check them under the lock the write
    /// holds. The default checks [`Backend::read_meta`] just before
    /// [`Backend::write_many`], right for a backend that keeps no metadata.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use confo::backend::{Backend, BatchWrite, Expect, Guard, Meta, MemoryBackend};
    /// let store = MemoryBackend::new();
    /// let path: confo::ConfigPath = "systemA/database".parse()?;
    /// let write = BatchWrite { path: path.clone(), bytes: Arc::from(&b"{}"[..]), expect: Expect::Any };
    /// let guard = Guard { path: path.clone(), meta: Meta::Schemas, expect: Expect::Absent };
    /// store.write_guarded(&[write.clone()], &[guard.clone()]).await?;
    /// store.write_meta(&path, Meta::Schemas, b"{}", Expect::Absent).await?;
    /// let err = store.write_guarded(&[write], &[guard]).await.unwrap_err();
    /// assert!(matches!(err, confo::Error::MetaChanged { .. }));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    async fn write_guarded(&self, writes: &[BatchWrite], guards: &[Guard]) -> Result<Vec<Version>> {
        for guard in guards {
            let current = self.read_meta(&guard.path, guard.meta).await?;
            check_guard(self.describe(), guard, current.map(|c| c.version))?;
        }
        self.write_many(writes).await
    }

    /// [`Backend::write_guarded`], and in the same atomic step every
    /// metadata write of `metas` (a history entry beside the write it
    /// records). Each `expect` of `metas` is checked like a guard: if one no
    /// longer holds, nothing is written and the error is
    /// [`Error::MetaChanged`]. Wakes no watch for the metadata.
    ///
    /// ZooKeeper puts the metadata writes in the multi-request of the
    /// writes of their path; the file and memory backends write them under
    /// the lock the write holds. The default writes the metadata after
    /// [`Backend::write_guarded`], not atomically: right for a backend that
    /// keeps no metadata (its [`Backend::write_meta`] refuses, after the
    /// writes are done).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use confo::backend::{Backend, BatchWrite, Expect, Meta, MetaWrite, MemoryBackend};
    /// let store = MemoryBackend::new();
    /// let path: confo::ConfigPath = "systemA/database".parse()?;
    /// let write = BatchWrite { path: path.clone(), bytes: Arc::from(&b"{}"[..]), expect: Expect::Any };
    /// let record = MetaWrite { path: path.clone(), meta: Meta::History, bytes: Arc::from(&b"[1]"[..]), expect: Expect::Absent };
    /// store.write_with_meta(&[write.clone()], &[], &[record.clone()]).await?;
    /// assert_eq!(&*store.read_meta(&path, Meta::History).await?.unwrap().bytes, b"[1]");
    /// // The history exists now: a second "create it" refuses, and writes nothing.
    /// let err = store.write_with_meta(&[write], &[], &[record]).await.unwrap_err();
    /// assert!(matches!(err, confo::Error::MetaChanged { .. }));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    async fn write_with_meta(
        &self,
        writes: &[BatchWrite],
        guards: &[Guard],
        metas: &[MetaWrite],
    ) -> Result<Vec<Version>> {
        let mut all: Vec<Guard> = guards.to_vec();
        all.extend(metas.iter().map(MetaWrite::guard));
        let versions = self.write_guarded(writes, &all).await?;
        for m in metas {
            self.write_meta(&m.path, m.meta, &m.bytes, m.expect).await?;
        }
        Ok(versions)
    }

    /// [`Backend::write`], recorded in the configuration's history under
    /// the write id `id` by a backend that records history
    /// ([`crate::Checked`]); the others ignore the id. `update` names its
    /// writes so that it can look them up after a lost answer.
    async fn write_as(
        &self,
        path: &ConfigPath,
        bytes: &[u8],
        expect: Expect,
        id: &str,
    ) -> Result<Version> {
        let _ = id;
        self.write(path, bytes, expect).await
    }

    /// Whether the write `id` ([`Backend::write_as`]) is in the history of
    /// `path` now: `Some(true)` it landed, `Some(false)` it has not (a
    /// recorded write and its entry land in one atomic step), `None` when
    /// this backend records no history (the default).
    async fn find_write(&self, path: &ConfigPath, id: &str) -> Result<Option<bool>> {
        let _ = (path, id);
        Ok(None)
    }

    /// Registers (or updates) a running instance that follows `path`, under
    /// `id` (unique per instance; a configuration name): ZooKeeper keeps it
    /// as an ephemeral node, gone when the instance's session ends; the file
    /// backend as a file whose lease the record itself carries; memory in a
    /// map. Beside the configuration's metadata: never listed, watched or
    /// exported, and removed with the configuration.
    ///
    /// The default keeps none (and [`Backend::list_instances`] lists none).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, MemoryBackend};
    /// let store = MemoryBackend::new();
    /// let path = "systemA/database".parse()?;
    /// store.put_instance(&path, "billing-1", br#"{"version":"7"}"#).await?;
    /// assert_eq!(store.list_instances(&path).await?[0].0, "billing-1");
    /// store.remove_instance(&path, "billing-1").await?;
    /// assert!(store.list_instances(&path).await?.is_empty());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    async fn put_instance(&self, path: &ConfigPath, id: &str, bytes: &[u8]) -> Result<()> {
        let _ = (path, id, bytes);
        Ok(())
    }

    /// Removes a registration; nothing to do when there is none.
    async fn remove_instance(&self, path: &ConfigPath, id: &str) -> Result<()> {
        let _ = (path, id);
        Ok(())
    }

    /// The registrations of `path`: (id, record), sorted by id.
    async fn list_instances(&self, path: &ConfigPath) -> Result<Vec<(String, Arc<[u8]>)>> {
        let _ = path;
        Ok(Vec::new())
    }

    /// Starts watching `scope` for changes. Arm the watch before the first
    /// read: every change after this call produces an event.
    ///
    /// The default refuses: a backend that cannot watch says so.
    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        Err(Error::Backend {
            backend: self.describe().to_owned(),
            op: "watch",
            path: format!("{scope:?}"),
            message: "this backend cannot watch for changes".into(),
        })
    }
}

/// Checks `guard` against the version of its document stored now
/// (`None`: there is none); [`Error::MetaChanged`] when it no longer holds.
///
/// ```
/// use confo::backend::{check_guard, Expect, Guard, Meta};
/// let guard = Guard { path: "a/b".parse()?, meta: Meta::Schemas, expect: Expect::Absent };
/// assert!(check_guard("mem://", &guard, None).is_ok());
/// assert!(check_guard("mem://", &guard, Some(confo::Version::from_raw(1))).is_err());
/// # Ok::<(), confo::Error>(())
/// ```
pub fn check_guard(backend: &str, guard: &Guard, current: Option<Version>) -> Result<()> {
    let holds = match guard.expect {
        Expect::Any => true,
        Expect::Absent => current.is_none(),
        Expect::Version(v) => current == Some(v),
    };
    if holds {
        Ok(())
    } else {
        Err(Error::MetaChanged {
            backend: backend.to_owned(),
            path: guard.path.to_string(),
            meta: guard.meta.name().into_owned(),
        })
    }
}

/// Refuses a value over `backend`'s size limit, naming the path and the limit.
pub fn check_size(backend: &dyn Backend, path: &ConfigPath, bytes: &[u8]) -> Result<()> {
    let limit = backend.max_value_bytes();
    if bytes.len() > limit {
        return Err(Error::ValueTooLarge {
            backend: backend.describe().to_owned(),
            path: path.to_string(),
            size: bytes.len(),
            limit,
        });
    }
    Ok(())
}

/// [`check_size`] of every value of a batch and of every metadata document
/// written with it.
pub(crate) fn check_sizes(
    backend: &dyn Backend,
    writes: &[BatchWrite],
    metas: &[MetaWrite],
) -> Result<()> {
    for w in writes {
        check_size(backend, &w.path, &w.bytes)?;
    }
    for m in metas {
        check_size(backend, &m.path, &m.bytes)?;
    }
    Ok(())
}
