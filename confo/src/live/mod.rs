//! [`Live<T>`]: a watched, always-valid configuration value.
//!
//! A background task holds a [`Watch`] on the configuration, re-reads it on
//! every event and decodes it. A value that decodes replaces the current one
//! (an atomic pointer swap, so [`Live::get`] is a pointer load and never
//! waits); one that does not is reported and the last good value stays.
//! A deletion is reported and the value stays until the configuration comes
//! back. When the store cannot be reached the value stays and the status
//! turns [`Freshness::Stale`] until a read succeeds again.
//!
//! The task stops, and releases its watch, when the last handle is dropped.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use tokio::sync::{broadcast, oneshot, watch};

use crate::backend::{Backend, Versioned, Watch, WatchEvent, WatchScope};
use crate::error::{Error, Result};
use crate::name::{ConfigPath, Version};
use crate::store::{Fetched, Freshness, Store};

mod instances;
mod namespace;

pub use instances::{read_instances, Instance, Instances, Registration, Rejected};
pub use namespace::{NamespaceChange, NamespaceWatch};

/// Turns stored bytes into a `T`; errors name backend, path and field.
pub type Decoder<T> = Arc<dyn Fn(&str, &ConfigPath, &[u8]) -> Result<T> + Send + Sync>;

/// A value with the store version it was decoded from.
#[derive(Debug)]
pub struct Snapshot<T> {
    /// The decoded value.
    pub value: Arc<T>,
    /// Its version in the store.
    pub version: Version,
}

impl<T> Clone for Snapshot<T> {
    fn clone(&self) -> Self {
        Snapshot {
            value: Arc::clone(&self.value),
            version: self.version,
        }
    }
}

/// The state of a [`Live`] value and since when it holds. Its `Debug`
/// shows `since` as an RFC 3339 time:
///
/// ```
/// use confo::{Freshness, Status};
/// let status = Status {
///     freshness: Freshness::Fresh,
///     since: std::time::UNIX_EPOCH,
///     last_problem: None,
/// };
/// assert_eq!(
///     format!("{status:?}"),
///     "Status { freshness: Fresh, since: 1970-01-01T00:00:00.000Z, last_problem: None }"
/// );
/// ```
#[derive(Clone, PartialEq)]
pub struct Status {
    /// Fresh, stale or deleted.
    pub freshness: Freshness,
    /// When it became so.
    pub since: SystemTime,
    /// The last problem seen, if any (a rejected update, a lost connection).
    pub last_problem: Option<String>,
}

impl std::fmt::Debug for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Status")
            .field("freshness", &self.freshness)
            .field(
                "since",
                &format_args!("{}", humantime::format_rfc3339_millis(self.since)),
            )
            .field("last_problem", &self.last_problem)
            .finish()
    }
}

impl Status {
    fn now(freshness: Freshness, last_problem: Option<String>) -> Self {
        Status {
            freshness,
            since: SystemTime::now(),
            last_problem,
        }
    }
}

/// Something a [`Live`] value did not take, reported on [`Live::problems`].
#[derive(Debug, Clone)]
pub enum Problem {
    /// A new version was stored but does not decode; the last good value stays.
    Rejected {
        /// The version that was rejected.
        version: Version,
        /// Why (names the path and field; never a stored value).
        error: Arc<Error>,
    },
    /// The configuration was deleted; the last value stays.
    Deleted,
    /// The store could not be read; the last value stays.
    Unreachable {
        /// Why.
        error: Arc<Error>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Rejected { version, error } => {
                write!(
                    f,
                    "version {version} rejected, keeping the last good value: {error}"
                )
            }
            Problem::Deleted => f.write_str("configuration deleted, keeping the last value"),
            Problem::Unreachable { error } => {
                write!(f, "store unreachable, keeping the last value: {error}")
            }
        }
    }
}

struct Shared<T> {
    path: ConfigPath,
    backend: String,
    current: ArcSwap<Snapshot<T>>,
    generation: watch::Sender<u64>,
    /// Made on the first `subscribe()`: a channel allocates its 256 slots up
    /// front (about 12 KiB), so 10,000 values nobody subscribes to would
    /// hold 250 MB of empty slots. Sending without a receiver does nothing,
    /// so a value sent before the channel exists is lost to no one.
    updates: OnceLock<broadcast::Sender<Snapshot<T>>>,
    /// Made on the first `problems()`, like `updates`.
    problems: OnceLock<broadcast::Sender<Problem>>,
    status: watch::Sender<Status>,
    /// The bytes of the current value: with the version, what tells a new
    /// value (a ZooKeeper node deleted and created again restarts its
    /// version, so equal versions can hold different values).
    ///
    /// Held while a new value is taken (bytes, value, wake-up), so that a
    /// new handle sees the three agree ([`WeakLive::upgrade_holding`]).
    taken: std::sync::Mutex<Arc<[u8]>>,
    /// Whether the task has a watch armed (false while it re-arms one):
    /// only then does it see every change, and may a new handle share it.
    armed: std::sync::atomic::AtomicBool,
    /// Dropped with the last handle: the task sees it and stops.
    _stop: oneshot::Sender<()>,
}

impl<T> Shared<T> {
    /// Sends `problem` to whoever called [`Live::problems`].
    fn report(&self, problem: Problem) {
        if let Some(problems) = self.problems.get() {
            let _ = problems.send(problem);
        }
    }
}

/// Capacity of the [`Live::subscribe`] and [`Live::problems`] channels.
const CHANNEL_CAPACITY: usize = 256;

/// A configuration value that follows the store.
///
/// Cheap to clone; clones share one watch and one task.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// use confo::{Confo, ConfigPath};
/// use serde_json::json;
///
/// let confo = Confo::from_url("mem://").await?;
/// let path: ConfigPath = "systemA/database".parse()?;
/// let store = confo.backend()?;
/// store.write(&path, br#"{"port":5432}"#, confo::backend::Expect::Absent).await?;
///
/// let mut live = confo.watch_raw(&path).await?;
/// assert_eq!(live.get()["port"], 5432);
///
/// store.write(&path, br#"{"port":5433}"#, confo::backend::Expect::Any).await?;
/// let now = live.changed().await?;
/// assert_eq!(now["port"], 5433);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub struct Live<T> {
    shared: Arc<Shared<T>>,
    seen: watch::Receiver<u64>,
}

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        Live {
            shared: Arc::clone(&self.shared),
            seen: self.shared.generation.subscribe(),
        }
    }
}

impl<T> fmt::Debug for Live<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Live")
            .field("path", &self.shared.path)
            .field("version", &self.version())
            .field("status", &*self.shared.status.borrow())
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> Live<T> {
    /// Arms a watch on `path`, reads and decodes the current value, and
    /// starts following it; with a `service` name, registers this instance
    /// (see [`Instances`]). Fails if the first read or decode fails.
    pub(crate) async fn start(
        store: Store,
        path: ConfigPath,
        decode: Decoder<T>,
        service: Option<String>,
    ) -> Result<Self> {
        let (watch, read) = arm_and_read(&store, &path).await?;
        Self::start_from(store, path, decode, service, watch, read)
    }

    /// Starts following `path` from a watch armed before `read` (or none:
    /// the arm failed and `read` is the local copy), as [`Live::start`]
    /// does after its own arm and read.
    pub(crate) fn start_from(
        store: Store,
        path: ConfigPath,
        decode: Decoder<T>,
        service: Option<String>,
        armed: Option<Watch>,
        read: Fetched<Versioned>,
    ) -> Result<Self> {
        let stale = read.freshness == Freshness::Stale;
        let read = read.value;
        let value = decode(store.describe(), &path, &read.bytes)?;
        let snapshot = Snapshot {
            value: Arc::new(value),
            version: read.version,
        };
        let (stop_tx, stop_rx) = oneshot::channel();
        let (generation, seen) = watch::channel(0);
        let shared = Arc::new(Shared {
            path: path.clone(),
            backend: store.describe().to_owned(),
            current: ArcSwap::from_pointee(snapshot),
            generation,
            updates: OnceLock::new(),
            problems: OnceLock::new(),
            status: watch::channel(if stale {
                Status::now(
                    Freshness::Stale,
                    Some("store unreachable at start; value from the local copy".into()),
                )
            } else {
                Status::now(Freshness::Fresh, None)
            })
            .0,
            taken: std::sync::Mutex::new(Arc::clone(&read.bytes)),
            armed: std::sync::atomic::AtomicBool::new(armed.is_some()),
            _stop: stop_tx,
        });
        let registration =
            service.map(|s| instances::register(&store, path.clone(), s, read.version));
        let task = Follower {
            store,
            path,
            decode,
            shared: Arc::downgrade(&shared),
            registration,
        };
        tokio::spawn(task.run(armed, stale, stop_rx));
        Ok(Live { shared, seen })
    }
}

/// Arms a watch on `path`, then reads it: no change can fall between the
/// two. Both ride out a lost connection within the store's retry policy;
/// after that, the local copy (if kept) stands in (stale) and the value's
/// task keeps trying. `None` for the watch: the arm failed.
pub(crate) async fn arm_and_read(
    store: &Store,
    path: &ConfigPath,
) -> Result<(Option<Watch>, Fetched<Versioned>)> {
    let scope = WatchScope::Config(path.clone());
    Ok(match store.backend().watch(&scope).await {
        Ok(w) => (Some(w), store.fetch(path).await?),
        Err(e) => (None, store.fall_back(path, e).await?),
    })
}

/// A [`Live`] that does not keep its task alive: a manager's note of the
/// values it follows, so that following one again shares its task.
pub(crate) struct WeakLive<T>(std::sync::Weak<Shared<T>>);

impl<T> WeakLive<T> {
    /// A new handle on the value, while any handle lives, if its task has
    /// a watch armed and holds exactly `read` (version and bytes), fresh
    /// from the store: then the handle is as new as `read`, and it has no
    /// wake-up pending for a value it already holds. Checked under the lock
    /// the task takes a new value with, so value, bytes and wake-ups agree.
    pub(crate) fn upgrade_holding(&self, read: &Versioned) -> Option<Live<T>> {
        let shared = self.0.upgrade()?;
        if !shared.armed.load(std::sync::atomic::Ordering::Acquire)
            || shared.status.borrow().freshness != Freshness::Fresh
        {
            return None;
        }
        let taken = shared.taken.lock().unwrap_or_else(|e| e.into_inner());
        if shared.current.load().version != read.version || **taken != *read.bytes {
            return None;
        }
        let seen = shared.generation.subscribe();
        drop(taken);
        Some(Live { seen, shared })
    }

    /// Whether any handle lives.
    pub(crate) fn alive(&self) -> bool {
        self.0.strong_count() > 0
    }
}

impl<T> Live<T> {
    /// See [`WeakLive`].
    pub(crate) fn downgrade(&self) -> WeakLive<T> {
        WeakLive(Arc::downgrade(&self.shared))
    }

    /// The current value: a pointer load, no I/O, no allocation.
    pub fn get(&self) -> Arc<T> {
        Arc::clone(&self.shared.current.load().value)
    }

    /// The current value with its store version.
    pub fn snapshot(&self) -> Snapshot<T> {
        Snapshot::clone(&self.shared.current.load())
    }

    /// The store version of the current value.
    pub fn version(&self) -> Version {
        self.shared.current.load().version
    }

    /// The configuration this value follows.
    pub fn path(&self) -> &ConfigPath {
        &self.shared.path
    }

    /// Waits for the next valid value (one this handle has not seen yet)
    /// and returns it. Rejected updates do not wake it.
    pub async fn changed(&mut self) -> Result<Arc<T>> {
        self.seen.changed().await.map_err(|_| Error::WatchStopped {
            backend: self.shared.backend.clone(),
            path: self.shared.path.to_string(),
        })?;
        self.seen.borrow_and_update();
        Ok(self.get())
    }

    /// A stream of every new valid value with its version, from now on.
    pub fn subscribe(&self) -> Updates<T> {
        Updates {
            rx: self
                .shared
                .updates
                .get_or_init(|| broadcast::channel(CHANNEL_CAPACITY).0)
                .subscribe(),
            shared: Arc::clone(&self.shared),
        }
    }

    /// A stream of the updates that were not taken (rejected, deleted,
    /// unreachable), from now on.
    pub fn problems(&self) -> broadcast::Receiver<Problem> {
        self.shared
            .problems
            .get_or_init(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Fresh, stale or deleted, and since when.
    pub fn status(&self) -> Status {
        self.shared.status.borrow().clone()
    }

    /// Every change of [`Live::status`], as a `tokio::sync::watch` receiver.
    pub fn status_stream(&self) -> watch::Receiver<Status> {
        self.shared.status.subscribe()
    }
}

/// New values of a [`Live`], in the order they were taken.
pub struct Updates<T> {
    rx: broadcast::Receiver<Snapshot<T>>,
    shared: Arc<Shared<T>>,
}

impl<T: Send + Sync + 'static> Updates<T> {
    /// The next new value; if this reader fell behind, the latest value.
    pub async fn next(&mut self) -> Option<Snapshot<T>> {
        match self.rx.recv().await {
            Ok(s) => Some(s),
            Err(broadcast::error::RecvError::Lagged(_)) => {
                Some(Snapshot::clone(&self.shared.current.load()))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

struct Follower<T> {
    /// Reads once per try (the follower backs off itself, with the store's
    /// retry delays) and keeps local copies of the values it takes.
    store: Store,
    path: ConfigPath,
    decode: Decoder<T>,
    shared: std::sync::Weak<Shared<T>>,
    /// This instance's registration, told what it holds (with a service
    /// name only).
    registration: Option<Registration>,
}

impl<T: Send + Sync + 'static> Follower<T> {
    async fn run(self, watch: Option<Watch>, stale: bool, mut stop: oneshot::Receiver<()>) {
        let mut failures = 0u32;
        // No watch yet (the store was unreachable at start): arm it, then read.
        let mut watch = match watch {
            Some(w) => w,
            None => match Box::pin(self.rearm(&mut stop)).await {
                Some(w) => w,
                None => return,
            },
        };
        // Started from a local copy: read the store as soon as the watch is armed.
        let mut first = stale;
        loop {
            if !std::mem::take(&mut first) {
                tokio::select! {
                    _ = &mut stop => return,
                    batch = watch.next_batch() => match batch {
                        None => {
                            // The backend's event source ended: re-arm with
                            // backoff, then read (changes meanwhile had no event).
                            match Box::pin(self.rearm(&mut stop)).await {
                                Some(w) => watch = w,
                                None => return,
                            }
                        }
                        Some(batch) if batch == [WatchEvent::Disconnected] => {
                            // The store is away: a read would only wait. The
                            // value is stale until the Resync of the reconnection.
                            let Some(shared) = self.shared.upgrade() else {
                                return;
                            };
                            self.mark_stale(&shared, Error::Connection {
                                backend: shared.backend.clone(),
                                message: "lost the connection to the store; keeping the last value until it is back".into(),
                            });
                            continue;
                        }
                        Some(_) => {}
                    }
                }
            }
            // Read until it works (or the handles are gone).
            loop {
                let Some(shared) = self.shared.upgrade() else {
                    return;
                };
                match Box::pin(self.refresh(&shared)).await {
                    Ok(()) => {
                        failures = 0;
                        break;
                    }
                    Err(e) => {
                        self.mark_stale(&shared, e);
                        drop(shared);
                        let delay = self.store.retry_policy().delay(failures);
                        failures = failures.saturating_add(1);
                        tokio::select! {
                            _ = &mut stop => return,
                            _ = tokio::time::sleep(delay) => {}
                        }
                    }
                }
            }
        }
    }

    /// Reports that the store cannot be read: status stale (once), a
    /// problem and a warning (every time).
    fn mark_stale(&self, shared: &Shared<T>, error: Error) {
        let error = Arc::new(error);
        tracing::warn!(path = %self.path, error = %error, "cannot read configuration; keeping the last value");
        shared.status.send_if_modified(|s| {
            if s.freshness == Freshness::Stale {
                false
            } else {
                *s = Status::now(Freshness::Stale, Some(error.to_string()));
                true
            }
        });
        shared.report(Problem::Unreachable { error });
    }

    async fn rearm(&self, stop: &mut oneshot::Receiver<()>) -> Option<Watch> {
        // No watch until this returns: changes meanwhile have no event, so
        // no new handle may share this task (it would miss them until then).
        self.set_armed(false);
        let mut attempt = 0u32;
        loop {
            match self
                .store
                .read_once_backend()
                .watch(&WatchScope::Config(self.path.clone()))
                .await
            {
                Ok(w) => {
                    self.set_armed(true);
                    return Some(w);
                }
                Err(e) => tracing::warn!(path = %self.path, error = %e, "cannot re-arm watch"),
            }
            let delay = self.store.retry_policy().delay(attempt);
            attempt = attempt.saturating_add(1);
            tokio::select! {
                _ = &mut *stop => return None,
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }

    fn set_armed(&self, armed: bool) {
        if let Some(shared) = self.shared.upgrade() {
            shared
                .armed
                .store(armed, std::sync::atomic::Ordering::Release);
        }
    }

    /// Reads the configuration and takes, rejects or reports what it finds.
    /// Errors only when the store cannot be read.
    async fn refresh(&self, shared: &Shared<T>) -> Result<()> {
        let read = match self.store.read_once(&self.path).await {
            Ok(r) => r,
            Err(Error::NotFound { .. }) => {
                let changed = shared.status.send_if_modified(|s| {
                    if s.freshness == Freshness::Deleted {
                        false
                    } else {
                        *s = Status::now(Freshness::Deleted, Some("deleted".into()));
                        true
                    }
                });
                if changed {
                    tracing::warn!(path = %self.path, "configuration deleted; keeping the last value");
                    shared.report(Problem::Deleted);
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let current = shared.current.load().version;
        let same_bytes = {
            let taken = shared.taken.lock().unwrap_or_else(|e| e.into_inner());
            **taken == *read.bytes
        };
        if read.version != current || !same_bytes {
            match (self.decode)(self.store.describe(), &self.path, &read.bytes) {
                Ok(value) => {
                    self.store.keep_local_copy(&self.path, &read.bytes).await;
                    let snapshot = Snapshot {
                        value: Arc::new(value),
                        version: read.version,
                    };
                    // Status first, then the value, then the wake-ups: whoever
                    // is woken sees a consistent state.
                    shared.status.send_if_modified(|s| {
                        if s.freshness == Freshness::Fresh && s.last_problem.is_none() {
                            false
                        } else {
                            *s = Status::now(Freshness::Fresh, None);
                            true
                        }
                    });
                    {
                        // One step for a new handle ([`WeakLive::upgrade_holding`]).
                        let mut taken = shared.taken.lock().unwrap_or_else(|e| e.into_inner());
                        *taken = Arc::clone(&read.bytes);
                        shared.current.store(Arc::new(snapshot.clone()));
                        shared.generation.send_modify(|g| *g += 1);
                    }
                    if let Some(registration) = &self.registration {
                        registration.took(read.version);
                    }
                    if let Some(updates) = shared.updates.get() {
                        let _ = updates.send(snapshot);
                    }
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(path = %self.path, version = %read.version, error = %e, "rejected an update that does not decode; keeping the last good value");
                    let problem = e.to_string();
                    if let Some(registration) = &self.registration {
                        registration.rejected(read.version, instances::field_errors(&e));
                    }
                    shared.status.send_modify(|s| {
                        *s = Status::now(Freshness::Fresh, Some(problem));
                    });
                    shared.report(Problem::Rejected {
                        version: read.version,
                        error: Arc::new(e),
                    });
                    return Ok(());
                }
            }
        }
        // Same version as before: back from stale or deleted, nothing new.
        shared.status.send_if_modified(|s| {
            if s.freshness == Freshness::Fresh {
                false
            } else {
                *s = Status::now(Freshness::Fresh, None);
                true
            }
        });
        Ok(())
    }
}
