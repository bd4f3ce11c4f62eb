//! Read-modify-write with compare-and-set: concurrent updaters lose nothing.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::backend::{Backend, Expect};
use crate::error::{Error, Result};
use crate::json;
use crate::name::{ConfigPath, Version};
use crate::retry::{is_transient, RetryPolicy};

/// Bounds of an update: how many compare-and-set rounds and how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdatePolicy {
    /// Rounds (read, change, write) before giving up on conflicts.
    pub max_attempts: u32,
    /// Time before giving up.
    pub deadline: Duration,
    /// Backoff for reads and writes that fail to reach the store.
    pub retry: RetryPolicy,
}

impl Default for UpdatePolicy {
    fn default() -> Self {
        UpdatePolicy {
            max_attempts: 1000,
            deadline: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// Reads `path`, applies `change` to its JSON object (an empty one when the
/// configuration does not exist yet) and writes it back with
/// compare-and-set; on a version conflict it starts again from a fresh read,
/// within `policy`'s bounds. Returns the version written.
///
/// A write that fails with a lost connection may or may not have been
/// applied; the update then reads again and takes the write as applied
/// when the stored bytes are exactly the ones it wrote (two writers
/// producing identical bytes from the same start are indistinguishable:
/// put something unique in the value where that matters), as not applied
/// when the stored version is still the one it read (and goes again), and
/// otherwise (others wrote meanwhile, maybe after it) gives up with
/// [`Error::Connection`] saying the outcome is unknown: retrying then
/// could apply the change twice.
pub async fn update_object<F>(
    backend: &dyn Backend,
    path: &ConfigPath,
    policy: &UpdatePolicy,
    mut change: F,
) -> Result<Version>
where
    F: FnMut(&mut Map<String, Value>) -> Result<()>,
{
    let start = Instant::now();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let (mut map, expect) = match policy.retry.run(|| backend.read(path)).await {
            Ok(read) => (
                json::parse_object(backend.describe(), &path.to_string(), &read.bytes)?,
                Expect::Version(read.version),
            ),
            Err(Error::NotFound { .. }) => (Map::new(), Expect::Absent),
            Err(e) => return Err(e),
        };
        change(&mut map)?;
        let bytes = json::to_bytes(&map);
        let outcome = match backend.write(path, &bytes, expect).await {
            Err(e) if is_transient(&e) => {
                // Did it land? Read back and compare.
                let not_landed = |current| Error::VersionConflict {
                    backend: backend.describe().to_owned(),
                    path: path.to_string(),
                    expected: expect.to_string(),
                    current,
                };
                match policy.retry.run(|| backend.read(path)).await {
                    Ok(read) if *read.bytes == *bytes => Ok(read.version),
                    // Still the version we read: the write did not land, go again.
                    Ok(read) if expect == Expect::Version(read.version) => {
                        Err(not_landed(Some(read.version)))
                    }
                    Err(Error::NotFound { .. }) if expect == Expect::Absent => {
                        Err(not_landed(None))
                    }
                    // Changed since our read, by others and maybe by us
                    // first: going again could apply the change twice.
                    Ok(_) | Err(Error::NotFound { .. }) => Err(Error::Connection {
                        backend: backend.describe().to_owned(),
                        message: format!(
                            "the update of {path} was interrupted ({e}) and {path} has changed \
                             since, so the update may or may not have been applied; it was not \
                             retried, so that it cannot be applied twice: read {path} and decide"
                        ),
                    }),
                    Err(e) => Err(e),
                }
            }
            other => other,
        };
        match outcome {
            Ok(version) => return Ok(version),
            Err(e) if e.is_conflict() => {
                if attempt >= policy.max_attempts || start.elapsed() >= policy.deadline {
                    return Err(e);
                }
                // Spread contending writers a little.
                let jitter = Duration::from_micros(u64::from(attempt.min(50)) * 100);
                tokio::time::sleep(jitter).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    use super::*;
    use crate::backend::{MemoryBackend, Versioned};
    use crate::name::{ConfigName, Namespace};

    /// What the next write does, to play a connection cut mid-write.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Cut {
        /// The write lands, then the connection drops before the answer.
        AfterWrite,
        /// The write lands, another writer writes after it, then the answer is lost.
        AfterWriteAndAnother,
        /// The connection drops before the write reaches the store.
        BeforeWrite,
    }

    /// A memory store whose first write is cut as told.
    #[derive(Debug)]
    struct CutOnce {
        store: MemoryBackend,
        cut: Mutex<Option<Cut>>,
        writes: AtomicU32,
    }

    fn lost() -> Error {
        Error::Connection {
            backend: "mem://".into(),
            message: "connection lost".into(),
        }
    }

    #[async_trait::async_trait]
    impl Backend for CutOnce {
        fn describe(&self) -> &str {
            self.store.describe()
        }
        async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
            self.store.list_namespaces().await
        }
        async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
            self.store.list_configs(namespace).await
        }
        async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
            self.store.read(path).await
        }
        async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            let cut = self.cut.lock().unwrap().take();
            match cut {
                None => self.store.write(path, bytes, expect).await,
                Some(Cut::BeforeWrite) => Err(lost()),
                Some(Cut::AfterWrite) => {
                    self.store.write(path, bytes, expect).await?;
                    Err(lost())
                }
                Some(Cut::AfterWriteAndAnother) => {
                    let v = self.store.write(path, bytes, expect).await?;
                    let mut map = json::parse_object("", "", bytes)?;
                    map.insert("other".into(), true.into());
                    self.store
                        .write(path, &json::to_bytes(&map), Expect::Version(v))
                        .await?;
                    Err(lost())
                }
            }
        }
        async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
            self.store.create_namespace(namespace).await
        }
        async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
            self.store.delete(path, expect).await
        }
        async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
            self.store.delete_namespace(namespace, recursive).await
        }
    }

    /// Runs one increment through a write cut as told; returns the outcome
    /// and the stored count.
    async fn increment_with(cut: Cut) -> (Result<Version>, u64, u32) {
        let backend = CutOnce {
            store: MemoryBackend::new(),
            cut: Mutex::new(None),
            writes: AtomicU32::new(0),
        };
        let path: ConfigPath = "ns/counter".parse().unwrap();
        backend
            .store
            .write(&path, br#"{"n":0}"#, Expect::Any)
            .await
            .unwrap();
        *backend.cut.lock().unwrap() = Some(cut);
        let outcome = update_object(&backend, &path, &UpdatePolicy::default(), |map| {
            let n = map.get("n").and_then(Value::as_u64).unwrap_or(0);
            map.insert("n".into(), (n + 1).into());
            Ok(())
        })
        .await;
        let stored = json::parse_object("", "", &backend.store.read(&path).await.unwrap().bytes)
            .unwrap()["n"]
            .as_u64()
            .unwrap();
        (outcome, stored, backend.writes.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_cut_write_that_landed_counts_once() {
        let (outcome, n, writes) = increment_with(Cut::AfterWrite).await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!((n, writes), (1, 1));
    }

    #[tokio::test]
    async fn a_cut_write_that_did_not_land_is_retried() {
        let (outcome, n, writes) = increment_with(Cut::BeforeWrite).await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!((n, writes), (1, 2));
    }

    #[tokio::test]
    async fn a_cut_write_overtaken_by_another_is_not_applied_twice() {
        let (outcome, n, writes) = increment_with(Cut::AfterWriteAndAnother).await;
        let err = outcome.unwrap_err();
        assert!(matches!(err, Error::Connection { .. }), "{err:?}");
        assert!(
            err.to_string().contains("may or may not have been applied"),
            "{err}"
        );
        assert_eq!((n, writes), (1, 1), "applied once, not retried");
    }
}
