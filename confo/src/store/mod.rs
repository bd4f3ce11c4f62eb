//! The store: a [`Backend`] with the read policy, through which every read
//! confo makes goes.
//!
//! A [`Store`] wraps a backend with the [`RetryPolicy`] (reads that fail
//! because the store cannot be reached are retried with bounded backoff)
//! and, when kept, the [`LocalCopies`] (each successful read is copied to
//! local disk; a load that cannot reach the store falls back to the copy,
//! marked [`Freshness::Stale`]). The retry is a wrapper that implements
//! [`Backend`] itself ([`Retrying`], what [`Store::backend`] returns), the
//! way object_store's `LimitStore` wraps a store: whatever takes a backend
//! (the tree functions, [`update_object`], the command) gets the policy
//! without the caller remembering it.
//!
//! Which read gets which policy:
//!
//! | read | retry | keeps a local copy | falls back to it |
//! |---|---|---|---|
//! | [`Store::fetch`], [`Store::fetch_namespace`] (loads, `use_namespace`, `reload`, a [`crate::Live`]'s start) | yes | yes | yes, `Stale` |
//! | [`Backend::read`] and the listings on [`Store::backend`] (version reads before a write, `update`, the tree, the command) | yes | no | no: a write needs the stored version |
//! | a [`crate::Live`]'s re-reads (which back off themselves) | no | of the values it takes | no |
//!
//! Writes are never retried: a write that lost its connection may or may
//! not have been applied, and only a compare-and-set can tell (see
//! [`update_object`]). Every write through [`Store::backend`] is checked
//! against the schemas the services reading the configuration published
//! ([`Checked`]; [`Store::with_write_checks`] to force one through).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use confo::backend::{Backend, Expect, MemoryBackend};
//! use confo::{Freshness, RetryPolicy, Store};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::new(Arc::new(MemoryBackend::new()))
//!     .with_retry_policy(RetryPolicy::none())
//!     .keep_local_copies(dir.path());
//! let path = "systemA/database".parse()?;
//! store.backend().write(&path, br#"{"port":5432}"#, Expect::Any).await?;
//! let read = store.fetch(&path).await?;
//! assert_eq!(read.freshness, Freshness::Fresh);
//! assert_eq!(&*read.value.bytes, br#"{"port":5432}"#);
//! assert!(dir.path().join("systemA/database.json").exists()); // the local copy
//! # Ok::<(), confo::Error>(()) }).unwrap();
//! ```

use std::path::Path;
use std::sync::Arc;

use crate::backend::{Backend, Expect, Versioned};
use crate::checks::{Checked, WriteChecks};
use crate::error::{Error, Result};
use crate::history::{History, Recording};
use crate::name::{ConfigName, ConfigPath, Namespace, Version};
use crate::retry::{is_transient, RetryPolicy};

mod local_copies;
mod retrying;
mod update;

pub use local_copies::LocalCopies;
pub use retrying::Retrying;
pub use update::{update_object, UpdatePolicy};

/// Whether a value is known to match the store.
///
/// ```
/// assert_ne!(confo::Freshness::Fresh, confo::Freshness::Stale);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Read from the store just now (or, for a [`crate::Live`], the latest
    /// the store holds as far as its watch knows).
    Fresh,
    /// The store could not be read; the value is a local copy or the last
    /// one seen.
    Stale,
    /// The configuration was deleted; the value is the last one seen (a
    /// [`crate::Live`] only).
    Deleted,
}

/// A value read through a [`Store`] with its [`Freshness`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// let store = confo::Store::new(std::sync::Arc::new(MemoryBackend::new()));
/// store.backend().write(&"a/b".parse()?, b"{}", Expect::Any).await?;
/// let read = store.fetch(&"a/b".parse()?).await?;
/// assert_eq!(read.freshness, confo::Freshness::Fresh);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    /// What was read.
    pub value: T,
    /// [`Freshness::Fresh`] from the store, [`Freshness::Stale`] from a local copy.
    pub freshness: Freshness,
}

/// A backend with the read policy: retry and local copies. Cheap to
/// clone; see the [module documentation](self) for which read gets which
/// policy.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let confo = confo::Confo::from_url("mem://").await?;
/// let store = confo.store()?; // the active backend with the manager's policy
/// assert_eq!(store.describe(), "mem://");
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    checked: Checked,
    local: Option<LocalCopies>,
}

impl Store {
    /// `backend` with [`RetryPolicy::default`] and no local copies.
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Store {
            checked: Checked::new(
                Retrying::new(backend, RetryPolicy::default()),
                WriteChecks::Enforce,
            ),
            local: None,
        }
    }

    /// The same store retrying with `policy` ([`RetryPolicy::none`] turns
    /// retries off).
    pub fn with_retry_policy(self, policy: RetryPolicy) -> Self {
        Store {
            checked: Checked::new(
                Retrying::new(self.checked.retrying().inner().clone(), policy),
                self.checked.checks(),
            )
            .with_recording(self.checked.recording().clone()),
            local: self.local,
        }
    }

    /// The same store checking its writes as `checks` says: against the
    /// published schemas ([`WriteChecks::Enforce`], the default), or
    /// checking and writing anyway ([`WriteChecks::Force`]).
    ///
    /// ```
    /// use confo::{Store, WriteChecks};
    /// let store = Store::new(std::sync::Arc::new(confo::backend::MemoryBackend::new()));
    /// assert_eq!(store.write_checks(), WriteChecks::Enforce);
    /// assert_eq!(store.with_write_checks(WriteChecks::Force).write_checks(), WriteChecks::Force);
    /// ```
    pub fn with_write_checks(self, checks: WriteChecks) -> Self {
        Store {
            checked: self.checked.with_checks(checks),
            local: self.local,
        }
    }

    /// The same store recording `message` with each write in the
    /// configuration's history (`confo set -m`).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::{backend::{Backend, Expect}, Store};
    /// let store = Store::new(std::sync::Arc::new(confo::backend::MemoryBackend::new())).with_message("raise the pool");
    /// let path = "systemA/database".parse()?;
    /// store.backend().write(&path, br#"{"pool":8}"#, Expect::Absent).await?;
    /// let history = store.history(&path).await?;
    /// assert_eq!(history.entries[0].message.as_deref(), Some("raise the pool"));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn with_message(self, message: impl Into<String>) -> Self {
        let recording = Recording {
            message: Some(message.into()),
            ..self.checked.recording().clone()
        };
        self.with_recording(recording)
    }

    /// The same store keeping the last `keep` writes of each configuration
    /// in its history (default [`crate::DEFAULT_KEEP`]); 0 records nothing.
    ///
    /// ```
    /// let store = confo::Store::new(std::sync::Arc::new(confo::backend::MemoryBackend::new()));
    /// assert_eq!(store.with_history_keep(10).recording().keep, 10);
    /// ```
    pub fn with_history_keep(self, keep: usize) -> Self {
        let recording = Recording {
            keep,
            ..self.checked.recording().clone()
        };
        self.with_recording(recording)
    }

    /// The same store recording its writes as `recording` says.
    pub fn with_recording(self, recording: Recording) -> Self {
        Store {
            checked: self.checked.with_recording(recording),
            local: self.local,
        }
    }

    /// How this store's writes are recorded in history.
    pub fn recording(&self) -> &Recording {
        self.checked.recording()
    }

    /// The recorded writes of `path` and its current value (see
    /// [`crate::read_history`]), read with the retry policy.
    pub async fn history(&self, path: &ConfigPath) -> Result<History> {
        crate::history::read_history(self.retrying(), path).await
    }

    /// Writes back the value `path` had at `version` (one its history
    /// holds): a checked compare-and-set against the version stored now,
    /// recorded in the history like any write, with the message
    /// "rollback to version V" unless the store has one. Returns the new
    /// version.
    ///
    /// # Errors
    ///
    /// [`Error::VersionNotRecorded`] when the history does not hold
    /// `version`; [`Error::SchemaRefused`] when the old value breaks a
    /// schema published since; [`Error::VersionConflict`] when someone
    /// wrote meanwhile (nothing is written; look again and retry).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::{backend::{Backend, Expect}, Store};
    /// let store = Store::new(std::sync::Arc::new(confo::backend::MemoryBackend::new()));
    /// let path = "systemA/database".parse()?;
    /// let v1 = store.backend().write(&path, br#"{"port":5432}"#, Expect::Absent).await?;
    /// store.backend().write(&path, br#"{"port":1}"#, Expect::Version(v1)).await?;
    /// store.rollback(&path, v1).await?;
    /// assert_eq!(&*store.backend().read(&path).await?.bytes, br#"{"port":5432}"#);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn rollback(&self, path: &ConfigPath, version: Version) -> Result<Version> {
        let history = self.history(path).await?;
        self.rollback_in(&history, version).await
    }

    /// [`Store::rollback`] with a history already read: the write is a
    /// compare-and-set against the version stored when it was read.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::{backend::{Backend, Expect}, Store};
    /// let store = Store::new(std::sync::Arc::new(confo::backend::MemoryBackend::new()));
    /// let path = "systemA/database".parse()?;
    /// let v1 = store.backend().write(&path, br#"{"port":5432}"#, Expect::Absent).await?;
    /// store.backend().write(&path, br#"{"port":1}"#, Expect::Version(v1)).await?;
    /// let history = store.history(&path).await?;
    /// store.rollback_in(&history, v1).await?;
    /// assert_eq!(&*store.backend().read(&path).await?.bytes, br#"{"port":5432}"#);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn rollback_in(&self, history: &History, version: Version) -> Result<Version> {
        let bytes = history.value_at(version)?;
        let expect = Expect::from_read(history.current.as_ref().map(|c| c.version));
        let store = match self.recording().message {
            Some(_) => self.clone(),
            None => self
                .clone()
                .with_message(format!("rollback to version {version}")),
        };
        store.backend().write(&history.path, bytes, expect).await
    }

    /// Whether writes are checked against the published schemas.
    pub fn write_checks(&self) -> WriteChecks {
        self.checked.checks()
    }

    /// The same store keeping local copies under `dir` (see [`LocalCopies`]).
    pub fn keep_local_copies(self, dir: impl AsRef<Path>) -> Self {
        self.with_local_copies(Some(LocalCopies::new(dir)))
    }

    /// The same store with these local copies, or none.
    pub fn with_local_copies(mut self, copies: Option<LocalCopies>) -> Self {
        self.local = copies;
        self
    }

    /// The policy reads retry with.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retrying().policy()
    }

    fn retrying(&self) -> &Retrying {
        self.checked.retrying()
    }

    /// The local copies, when kept.
    pub fn local_copies(&self) -> Option<&LocalCopies> {
        self.local.as_ref()
    }

    /// The backend with the retry policy and checked writes (a
    /// [`Backend`] itself, [`Checked`]): for version reads before a write,
    /// writes, listings, the tree functions.
    pub fn backend(&self) -> &Checked {
        &self.checked
    }

    /// The backend's description (its URL, no secrets).
    pub fn describe(&self) -> &str {
        self.checked.describe()
    }

    /// Reads `path` with the retry policy; keeps a local copy, or falls
    /// back to it (stale, with a warning) when the store cannot be reached.
    pub async fn fetch(&self, path: &ConfigPath) -> Result<Fetched<Versioned>> {
        fetch_with(
            &**self.retrying().inner(),
            &self.retrying().policy(),
            self.local.as_ref(),
            path,
        )
        .await
    }

    /// One read of `path`: no retry, no fallback. For readers that back off
    /// themselves (a [`crate::Live`]'s re-reads), which then keep a local
    /// copy of what they take with [`Store::keep_local_copy`].
    pub(crate) async fn read_once(&self, path: &ConfigPath) -> Result<Versioned> {
        self.retrying().inner().read(path).await
    }

    /// The backend for reads of one try each (see [`Store::read_once`]).
    pub(crate) fn read_once_backend(&self) -> &Arc<dyn Backend> {
        self.retrying().inner()
    }

    /// Keeps a local copy of `bytes` as `path`, when copies are kept. A
    /// [`crate::Live`] keeps only the values it takes (that decode).
    pub(crate) async fn keep_local_copy(&self, path: &ConfigPath, bytes: &[u8]) {
        if let Some(copies) = &self.local {
            copies.keep(path, bytes).await;
        }
    }

    /// `error` (from reading `path`) if it is not transient or there is no
    /// local copy; the local copy, stale, otherwise.
    pub(crate) async fn fall_back(
        &self,
        path: &ConfigPath,
        error: Error,
    ) -> Result<Fetched<Versioned>> {
        fall_back(self.describe(), self.local.as_ref(), path, error).await
    }

    /// Reads every configuration of `namespace` (see
    /// [`Backend::read_namespace`]) with the retry policy; keeps local
    /// copies, or falls back to them (stale) when the store cannot be reached.
    pub async fn fetch_namespace(
        &self,
        namespace: &Namespace,
    ) -> Result<Fetched<Vec<(ConfigName, Versioned)>>> {
        let backend = &**self.retrying().inner();
        let read = self
            .retrying()
            .policy()
            .run(|| backend.read_namespace(namespace))
            .await;
        match (read, &self.local) {
            (Ok(reads), copies) => {
                if let Some(copies) = copies {
                    for (name, read) in &reads {
                        copies
                            .keep(
                                &ConfigPath::new(namespace.clone(), name.clone()),
                                &read.bytes,
                            )
                            .await;
                    }
                }
                Ok(Fetched {
                    value: reads,
                    freshness: Freshness::Fresh,
                })
            }
            (Err(e), Some(copies)) if is_transient(&e) => {
                let value = copies.read_namespace(namespace).await.map_err(|_| e)?;
                tracing::warn!(namespace = %namespace, backend = backend.describe(), local_copy = copies.describe(),
                    "store unreachable; using the local copies, which may be stale");
                Ok(Fetched {
                    value,
                    freshness: Freshness::Stale,
                })
            }
            (Err(e), _) => Err(e),
        }
    }
}

/// The one read of a configuration for a value: `retry`, then a local
/// copy kept or fallen back to. [`Store::fetch`] is this on its own
/// backend; [`crate::Config::load_from`] on a bare backend (default retry,
/// no local copies).
pub(crate) async fn fetch_with(
    backend: &dyn Backend,
    retry: &RetryPolicy,
    local: Option<&LocalCopies>,
    path: &ConfigPath,
) -> Result<Fetched<Versioned>> {
    match retry.run(|| backend.read(path)).await {
        Ok(read) => {
            if let Some(copies) = local {
                copies.keep(path, &read.bytes).await;
            }
            Ok(Fetched {
                value: read,
                freshness: Freshness::Fresh,
            })
        }
        Err(e) => fall_back(backend.describe(), local, path, e).await,
    }
}

async fn fall_back(
    describe: &str,
    local: Option<&LocalCopies>,
    path: &ConfigPath,
    error: Error,
) -> Result<Fetched<Versioned>> {
    let Some(copies) = local.filter(|_| is_transient(&error)) else {
        return Err(error);
    };
    match copies.read(path).await {
        Some(copy) => {
            tracing::warn!(path = %path, backend = describe, local_copy = copies.describe(), error = %error,
                "store unreachable; using the local copy, which may be stale");
            Ok(Fetched {
                value: copy,
                freshness: Freshness::Stale,
            })
        }
        None => Err(error),
    }
}

#[cfg(test)]
mod tests;
