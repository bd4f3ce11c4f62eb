//! Local copies: last-known-good copies of configurations on local disk.
//!
//! Off by default. When on ([`crate::Confo::keep_local_copies`]), every
//! configuration confo reads successfully is also written to a local
//! directory in the file backend's layout; when the store cannot be reached
//! a read falls back to that copy, with a warning, and a [`crate::Live`]
//! value starts from it marked stale.
//!
//! The trade-off: a service can start while ZooKeeper is down, but it may
//! start on values that are no longer current, and the copies sit on the
//! service's disk in clear (passwords included): give the directory the
//! same protection as the service's other secrets.
//!
//! (Not to be confused with [`crate::Snapshot`], a decoded value with its
//! version.)

use std::path::Path;

use crate::backend::{Backend, Expect, FileBackend, Versioned};
use crate::error::Result;
use crate::name::{ConfigName, ConfigPath, Namespace};

/// A directory of last-known-good copies, which a [`crate::Store`] keeps
/// and falls back to.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let copies = confo::LocalCopies::new(dir.path());
/// assert!(copies.describe().starts_with("file://"));
/// ```
#[derive(Debug, Clone)]
pub struct LocalCopies {
    store: FileBackend,
}

impl LocalCopies {
    /// Copies kept under `dir` (created on the first copy).
    pub fn new(dir: impl AsRef<Path>) -> Self {
        LocalCopies {
            store: FileBackend::new(dir.as_ref()),
        }
    }

    /// Where the copies are, as a `file://` URL.
    pub fn describe(&self) -> &str {
        self.store.describe()
    }

    /// Keeps a copy; a failure is logged, never returned (the read succeeded).
    pub(crate) async fn keep(&self, path: &ConfigPath, bytes: &[u8]) {
        if let Err(e) = self.store.write(path, bytes, Expect::Any).await {
            tracing::warn!(path = %path, error = %e, "cannot keep a local copy");
        }
    }

    /// Every copy in a namespace.
    pub(crate) async fn read_namespace(
        &self,
        ns: &Namespace,
    ) -> Result<Vec<(ConfigName, Versioned)>> {
        self.store.read_namespace(ns).await
    }

    /// The copy of `path`, if there is one.
    pub(crate) async fn read(&self, path: &ConfigPath) -> Option<Versioned> {
        self.store.read(path).await.ok()
    }
}
