//! Local last-known-good copies of loaded configurations.
//!
//! Off by default. When on ([`crate::Confo::keep_snapshots`]), every
//! configuration confo reads successfully is also written to a local
//! directory in the file backend's layout; when the store cannot be reached
//! a read falls back to that copy, with a warning, and a [`crate::Live`]
//! value starts from it marked stale.
//!
//! The trade-off: a service can start while ZooKeeper is down, but it may
//! start on values that are no longer current, and the copies sit on the
//! service's disk in clear (passwords included): give the directory the
//! same protection as the service's other secrets.

use std::path::Path;

use crate::backend::{Backend, Expect, FileBackend, Versioned};
use crate::error::Result;
use crate::name::ConfigPath;
use crate::retry::is_transient;

/// A directory of last-known-good copies.
#[derive(Debug, Clone)]
pub(crate) struct Snapshots {
    store: FileBackend,
}

impl Snapshots {
    pub(crate) fn new(dir: &Path) -> Self {
        Snapshots {
            store: FileBackend::new(dir),
        }
    }

    pub(crate) fn describe(&self) -> &str {
        self.store.describe()
    }

    /// Keeps a copy; a failure is logged, never returned (the read succeeded).
    pub(crate) async fn save(&self, path: &ConfigPath, bytes: &[u8]) {
        if let Err(e) = self.store.write(path, bytes, Expect::Any).await {
            tracing::warn!(path = %path, error = %e, "cannot keep a local snapshot");
        }
    }

    /// Every copy in a namespace.
    pub(crate) async fn read_namespace(
        &self,
        ns: &crate::name::Namespace,
    ) -> Result<Vec<(crate::name::ConfigName, Versioned)>> {
        crate::backend::read_namespace(&self.store, ns).await
    }

    /// The copy of `path`, if there is one.
    pub(crate) async fn load(&self, path: &ConfigPath) -> Option<Versioned> {
        self.store.read(path).await.ok()
    }
}

/// Reads `path`; on success keeps a snapshot, on a transient error falls
/// back to the snapshot (returning `(value, true)` for "stale").
pub(crate) async fn read_with_fallback(
    backend: &dyn Backend,
    snapshots: Option<&Snapshots>,
    path: &ConfigPath,
    read: Result<Versioned>,
) -> Result<(Versioned, bool)> {
    match (read, snapshots) {
        (Ok(v), Some(s)) => {
            s.save(path, &v.bytes).await;
            Ok((v, false))
        }
        (Ok(v), None) => Ok((v, false)),
        (Err(e), Some(s)) if is_transient(&e) => match s.load(path).await {
            Some(copy) => {
                tracing::warn!(path = %path, backend = backend.describe(), snapshot = s.describe(), error = %e,
                    "store unreachable; starting from the local snapshot, which may be stale");
                Ok((copy, true))
            }
            None => Err(e),
        },
        (Err(e), _) => Err(e),
    }
}
