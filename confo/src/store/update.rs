//! Read-modify-write with compare-and-set: concurrent updaters lose nothing.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::backend::{Backend, Expect, Versioned};
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
/// # Exactly once
///
/// An update that returns `Ok` was applied exactly once. One that returns
/// an error was not applied, except [`Error::OutcomeUnknown`]: then it may
/// or may not have been, and retrying it blindly could apply it twice
/// (read `path` and decide).
///
/// A write whose answer is lost (the connection broke or stopped
/// answering) may have landed. The update then reads `path` back with
/// [`Backend::read_latest`] (on ZooKeeper: `sync`, then read, on whatever
/// server the session is on now, so a follower that has not applied the
/// write yet cannot hide it), and:
///
/// - the stored bytes are exactly the ones an attempt of this update wrote:
///   it landed; `Ok` (two writers producing identical bytes from the same
///   start are indistinguishable: put something unique in the value, e.g.
///   an operation id, where that matters);
/// - the stored version is still the one the attempt started from: it has
///   not landed as of the read-back, so the update goes again from that
///   read. The lost write may still be in flight and land later; it then
///   makes the next attempt's compare-and-set fail, and that conflict is
///   resolved by another read-back: the update never applies `change` again
///   on a value it has not checked against every uncertain attempt;
/// - anything else (another writer wrote between the lost answer and the
///   read-back, or the read-back itself failed): the update cannot tell
///   whether its write landed before the other one, and returns
///   [`Error::OutcomeUnknown`] without writing again.
///
/// So when other writers write between a lost answer and the read-back,
/// the update is never applied twice, but it may report
/// [`Error::OutcomeUnknown`] for a write that did land (or did not).
///
/// Through a [`crate::Store`] (whose backend records history), each
/// attempt is written under a write id of its own, and its history entry
/// lands in the same atomic step as the write: after a lost answer the
/// update looks its ids up in the history ([`Backend::find_write`]) and
/// knows definitively whether one landed, even when others wrote since:
/// `Ok` if it did, another round if it did not.
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
    // The bytes and write id of every attempt whose write may have landed unseen.
    let mut uncertain: Vec<(Vec<u8>, String)> = Vec::new();
    // A read-back to start the next round from.
    let mut known: Option<Result<Versioned>> = None;
    let unknown = |why: String| Error::OutcomeUnknown {
        backend: backend.describe().to_owned(),
        op: "update",
        path: path.to_string(),
        message: format!(
            "{why}; it was not retried, so that it cannot be applied twice: read {path} and \
             decide whether to apply the change again"
        ),
    };
    loop {
        attempt += 1;
        let read = match known.take() {
            Some(read) => read,
            None => policy.retry.run(|| backend.read(path)).await,
        };
        let (mut map, expect) = match read {
            Ok(read) => (
                json::parse_object(backend.describe(), &path.to_string(), &read.bytes)?,
                Expect::Version(read.version),
            ),
            Err(Error::NotFound { .. }) => (Map::new(), Expect::Absent),
            Err(e) => return Err(e),
        };
        change(&mut map)?;
        let bytes = json::to_bytes(&map);
        let id = crate::history::write_id();
        let error = match backend.write_as(path, &bytes, expect, &id).await {
            Ok(version) => return Ok(version),
            Err(e) => e,
        };
        let lost_answer = error.is_outcome_unknown() || is_transient(&error);
        if lost_answer {
            uncertain.push((bytes, id));
        } else if !error.is_conflict() {
            return Err(if uncertain.is_empty() {
                error
            } else {
                unknown(format!(
                    "an earlier write lost its answer, and the next one failed ({})",
                    cause(&error)
                ))
            });
        } else if uncertain.is_empty() {
            // A plain conflict: someone else wrote; start again.
            if attempt >= policy.max_attempts || start.elapsed() >= policy.deadline {
                return Err(error);
            }
            // Spread contending writers a little.
            let jitter = Duration::from_micros(u64::from(attempt.min(50)) * 100);
            tokio::time::sleep(jitter).await;
            continue;
        }
        // A write of this update may have landed unseen: did it? Read as
        // of now, not from a server that may lag.
        let read = policy.retry.run(|| backend.read_latest(path)).await;
        // Where history is recorded, it says definitively: a write and its
        // entry land together.
        if let Ok(r) = &read {
            if let Some(landed) = landed(backend, path, &uncertain, &policy.retry).await {
                if landed {
                    return Ok(r.version);
                }
                if attempt >= policy.max_attempts || start.elapsed() >= policy.deadline {
                    return Err(unknown(format!(
                        "a write lost its answer ({}), and the update ran out of attempts or \
                         time while that write may still land",
                        cause(&error)
                    )));
                }
                known = Some(read);
                continue;
            }
        }
        match &read {
            Ok(r) if uncertain.iter().any(|(b, _)| **b == *r.bytes) => return Ok(r.version),
            // Not landed as of the read-back: go again from it.
            Ok(r) if lost_answer && expect == Expect::Version(r.version) => {}
            Err(Error::NotFound { .. }) if lost_answer && expect == Expect::Absent => {}
            Ok(_) | Err(Error::NotFound { .. }) => {
                return Err(unknown(format!(
                    "a write lost its answer ({}) and another writer changed {path} before it \
                     could be read back",
                    cause(&error)
                )))
            }
            Err(e) => {
                return Err(unknown(format!(
                    "a write lost its answer ({}) and reading it back failed ({})",
                    cause(&error),
                    cause(e)
                )))
            }
        }
        if attempt >= policy.max_attempts || start.elapsed() >= policy.deadline {
            return Err(unknown(format!(
                "a write lost its answer ({}), and the update ran out of attempts or time \
                 while that write may still land",
                cause(&error)
            )));
        }
        known = Some(read);
    }
}

/// Whether one of the `uncertain` writes is in the history of `path`
/// (read after the read-back, so as of then); `None` when the backend
/// records no history or it cannot be read.
async fn landed(
    backend: &dyn Backend,
    path: &ConfigPath,
    uncertain: &[(Vec<u8>, String)],
    retry: &RetryPolicy,
) -> Option<bool> {
    let mut any = false;
    for (_, id) in uncertain {
        match retry.run(|| backend.find_write(path, id)).await {
            Ok(Some(true)) => return Some(true),
            Ok(Some(false)) => any = true,
            Ok(None) | Err(_) => return None,
        }
    }
    any.then_some(false)
}

/// What went wrong in `error`, without the advice its own message gives.
fn cause(error: &Error) -> String {
    let text = match error {
        Error::OutcomeUnknown { message, .. } | Error::Connection { message, .. } => {
            message.clone()
        }
        other => other.to_string(),
    };
    match text.split_once("; ") {
        Some((what, _)) => what.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    use super::*;
    use crate::backend::MemoryBackend;
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
        /// The write lands, the answer is lost, and plain reads come from a
        /// server that has not applied it yet (until `read_latest`).
        AfterWriteLaggingReads,
        /// The answer is lost while the write is still in flight: it lands
        /// just before the next write arrives.
        LandsLate,
        /// Like `AfterWrite`, with the answer lost as a request timeout
        /// reported as outcome unknown.
        AfterWriteUnknown,
    }

    /// A memory store whose first write is cut as told.
    #[derive(Debug)]
    struct CutOnce {
        store: MemoryBackend,
        cut: Mutex<Option<Cut>>,
        writes: AtomicU32,
        /// What a lagging server still shows to plain reads.
        lagging: Mutex<Option<Versioned>>,
        /// A write in flight: (bytes, expect), landing before the next write.
        in_flight: Mutex<Option<(Vec<u8>, Expect)>>,
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
            if let Some(stale) = self.lagging.lock().unwrap().clone() {
                return Ok(stale);
            }
            self.store.read(path).await
        }
        async fn read_latest(&self, path: &ConfigPath) -> Result<Versioned> {
            self.lagging.lock().unwrap().take();
            self.store.read(path).await
        }
        async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            let late = self.in_flight.lock().unwrap().take();
            if let Some((late, late_expect)) = late {
                self.store.write(path, &late, late_expect).await?;
            }
            let cut = self.cut.lock().unwrap().take();
            match cut {
                None => self.store.write(path, bytes, expect).await,
                Some(Cut::BeforeWrite) => Err(lost()),
                Some(Cut::AfterWriteLaggingReads) => {
                    let before = self.store.read(path).await?;
                    self.store.write(path, bytes, expect).await?;
                    *self.lagging.lock().unwrap() = Some(before);
                    Err(lost())
                }
                Some(Cut::LandsLate) => {
                    *self.in_flight.lock().unwrap() = Some((bytes.to_vec(), expect));
                    Err(lost())
                }
                Some(Cut::AfterWriteUnknown) => {
                    self.store.write(path, bytes, expect).await?;
                    Err(Error::OutcomeUnknown {
                        backend: "mem://".into(),
                        op: "write",
                        path: path.to_string(),
                        message: "no response from connection in 1600ms".into(),
                    })
                }
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
            lagging: Mutex::new(None),
            in_flight: Mutex::new(None),
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
        assert!(err.is_outcome_unknown(), "{err:?}");
        assert!(
            err.to_string().contains("may or may not have been applied"),
            "{err}"
        );
        assert_eq!((n, writes), (1, 1), "applied once, not retried");
    }

    #[tokio::test]
    async fn a_landed_write_hidden_by_a_lagging_server_counts_once() {
        let (outcome, n, writes) = increment_with(Cut::AfterWriteLaggingReads).await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(
            (n, writes),
            (1, 1),
            "read back as of now, not from the lagging server"
        );
    }

    #[tokio::test]
    async fn a_write_landing_after_its_read_back_counts_once() {
        let (outcome, n, writes) = increment_with(Cut::LandsLate).await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(
            (n, writes),
            (1, 2),
            "the second attempt conflicts with the late first one, which is recognised"
        );
    }

    #[tokio::test]
    async fn a_write_with_an_unknown_outcome_is_read_back() {
        let (outcome, n, writes) = increment_with(Cut::AfterWriteUnknown).await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!((n, writes), (1, 1));
    }

    #[tokio::test]
    async fn the_retrying_store_forwards_the_read_back_as_of_now() {
        let backend = std::sync::Arc::new(CutOnce {
            store: MemoryBackend::new(),
            cut: Mutex::new(Some(Cut::AfterWriteLaggingReads)),
            writes: AtomicU32::new(0),
            lagging: Mutex::new(None),
            in_flight: Mutex::new(None),
        });
        let path: ConfigPath = "ns/counter".parse().unwrap();
        backend
            .store
            .write(&path, br#"{"n":0}"#, Expect::Any)
            .await
            .unwrap();
        let store = crate::Retrying::new(backend.clone(), RetryPolicy::default());
        let outcome = update_object(&store, &path, &UpdatePolicy::default(), |map| {
            let n = map.get("n").and_then(Value::as_u64).unwrap_or(0);
            map.insert("n".into(), (n + 1).into());
            Ok(())
        })
        .await;
        assert!(outcome.is_ok(), "{outcome:?}");
        let stored = backend.store.read(&path).await.unwrap();
        assert_eq!(&*stored.bytes, br#"{"n":1}"#);
        assert_eq!(backend.writes.load(Ordering::SeqCst), 1, "written once");
    }
}
