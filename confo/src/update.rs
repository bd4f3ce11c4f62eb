//! Read-modify-write with compare-and-set: concurrent updaters lose nothing.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::backend::{Backend, Expect, Version};
use crate::error::{Error, Result};
use crate::json;
use crate::manager::Confo;
use crate::name::ConfigPath;
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

impl Confo {
    /// [`update_object`] on the active backend with the default policy.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// let path = "systemA/counters".parse()?;
    /// for _ in 0..3 {
    ///     confo.update_json(&path, |obj| {
    ///         let n = obj.get("hits").and_then(|v| v.as_u64()).unwrap_or(0);
    ///         obj.insert("hits".into(), (n + 1).into());
    ///         Ok(())
    ///     }).await?;
    /// }
    /// let read = confo.backend()?.read(&path).await?;
    /// assert_eq!(&*read.bytes, br#"{"hits":3}"#);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn update_json<F>(&self, path: &ConfigPath, change: F) -> Result<Version>
    where
        F: FnMut(&mut Map<String, Value>) -> Result<()>,
    {
        let backend = self.backend()?;
        update_object(&*backend, path, &UpdatePolicy::default(), change).await
    }
}
