//! Watches on ZooKeeper: one persistent watch per znode, shared.
//!
//! - A [`WatchScope::Config`] is a persistent watch on the configuration's
//!   znode (created, changed, deleted); a [`WatchScope::Namespace`] is a
//!   persistent *recursive* watch on the namespace's znode (the namespace
//!   and every configuration in it).
//! - Every [`Watch`] on the same znode shares one [`Hub`]: one watch on the
//!   server, one task turning its events into [`WatchEvent`]s and fanning
//!   them out. The backend keeps only a `Weak` to it, so dropping the last
//!   `Watch` stops the task and drops the watcher, and the client removes
//!   the watch from the server.
//! - The connection: a disconnection is sent as [`WatchEvent::Disconnected`]
//!   (readers mark their values stale; ZooKeeper says nothing else while it
//!   is away) and the reconnection as [`WatchEvent::Resync`], because a
//!   persistent watch can lose the events of a reconnection (ZOOKEEPER-4698):
//!   readers read again and catch up. On a reconnection the hub also arms
//!   the watch again before the `Resync`: zookeeper-client 0.11 does not
//!   re-register persistent watches with the server when it reconnects. An
//!   expired session is terminal for its client and its watches: the hub
//!   re-arms on a new session (with backoff, for as long as any `Watch`
//!   lives), then sends `Resync`.
//! - If the task ever ends, its sender goes with it: every `Watch` on it
//!   gets `None` from [`Watch::next`] and the next [`Backend::watch`] builds
//!   a new hub ([`crate::Live`] re-arms by itself).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use tokio::sync::broadcast;
use zookeeper_client::{AddWatchMode, EventType, PersistentWatcher, SessionState};

use super::ZooKeeper;
use crate::backend::{Backend, Watch, WatchEvent, WatchScope, EVENT_CAPACITY};
use crate::error::Result;
use crate::name::{ConfigPath, Namespace, ROOT};
use crate::retry::RetryPolicy;

/// The hubs of one backend, by znode.
pub(super) type Hubs = tokio::sync::Mutex<HashMap<String, Weak<Hub>>>;

/// One server-side watch, fanned out to every [`Watch`] on its znode.
pub(super) struct Hub {
    /// The task holds the only strong sender: when it ends, watches end.
    tx: broadcast::WeakSender<WatchEvent>,
    task: tokio::task::AbortHandle,
}

impl Drop for Hub {
    fn drop(&mut self) {
        // Dropping the task drops its `PersistentWatcher`: the client then
        // removes the watch from the server.
        self.task.abort();
    }
}

/// The znode a scope watches and how.
fn target(scope: &WatchScope) -> (String, AddWatchMode) {
    match scope {
        WatchScope::Config(path) => (path.znode(), AddWatchMode::Persistent),
        WatchScope::Namespace(ns) => (format!("{ROOT}/{ns}"), AddWatchMode::PersistentRecursive),
    }
}

/// Events a hub buffers per watcher. A channel allocates all its slots up
/// front, so one configuration (one znode: a lagging watcher loses nothing
/// by getting `Resync` instead, it reads the znode again either way) keeps
/// a few; a namespace, whose events name different configurations, keeps
/// [`EVENT_CAPACITY`].
fn capacity(scope: &WatchScope) -> usize {
    match scope {
        WatchScope::Config(_) => CONFIG_EVENT_CAPACITY,
        WatchScope::Namespace(_) => EVENT_CAPACITY,
    }
}

/// See [`capacity`]: 4,096 slots per configuration made 10,000 live values
/// take 3 GB.
const CONFIG_EVENT_CAPACITY: usize = 16;

/// A [`Watch`] on `scope`, sharing the hub of its znode when one lives.
pub(super) async fn watch(zk: &ZooKeeper, hubs: &Hubs, scope: &WatchScope) -> Result<Watch> {
    let (znode, mode) = target(scope);
    // Held across the arm below, so two callers never arm the same znode twice.
    let mut hubs = hubs.lock().await;
    hubs.retain(|_, hub| hub.strong_count() > 0);
    if let Some(hub) = hubs.get(&znode).and_then(Weak::upgrade) {
        if let Some(tx) = hub.tx.upgrade() {
            let rx = tx.subscribe();
            let guard: Arc<dyn std::any::Any + Send + Sync> = hub;
            return Ok(Watch::new(rx, scope.clone(), Some(guard)));
        }
    }
    let watcher = zk.arm(&znode, mode).await?;
    let (tx, rx) = broadcast::channel(capacity(scope));
    let weak = tx.downgrade();
    let task = tokio::spawn(follow(zk.clone(), znode.clone(), mode, watcher, tx));
    let hub = Arc::new(Hub {
        tx: weak,
        task: task.abort_handle(),
    });
    hubs.insert(znode, Arc::downgrade(&hub));
    let guard: Arc<dyn std::any::Any + Send + Sync> = hub;
    Ok(Watch::new(rx, scope.clone(), Some(guard)))
}

/// The hub's task: ZooKeeper events in, [`WatchEvent`]s out, until aborted.
async fn follow(
    zk: ZooKeeper,
    znode: String,
    mode: AddWatchMode,
    mut watcher: PersistentWatcher,
    tx: broadcast::Sender<WatchEvent>,
) {
    // No receiver is not an error: the last Watch is being dropped.
    let send = |event: WatchEvent| {
        let _ = tx.send(event);
    };
    loop {
        let event = watcher.changed().await;
        match event.event_type {
            EventType::Session => match event.session_state {
                SessionState::Disconnected => {
                    tracing::info!(backend = zk.describe(), %znode, "ZooKeeper connection lost; watch waits for it");
                    send(WatchEvent::Disconnected);
                }
                SessionState::SyncConnected | SessionState::ConnectedReadOnly => {
                    // zookeeper-client 0.11 does not restore persistent
                    // watches on the server after a reconnection (its
                    // `resend_watches` only sends the one-shot kinds), so
                    // arm a new one on the session (the old watcher is
                    // dropped with no request: the path still has a watcher).
                    tracing::info!(backend = zk.describe(), %znode, "ZooKeeper connection back; re-arming the watch and resyncing");
                    watcher = Box::pin(rearm(&zk, &znode, mode)).await;
                    send(WatchEvent::Resync);
                }
                state => {
                    // Expired, closed or refused: this watcher is finished
                    // (it must not be polled again). Re-arm on a new session.
                    tracing::warn!(backend = zk.describe(), %znode, %state, "ZooKeeper session ended; re-arming the watch on a new session");
                    send(WatchEvent::Disconnected);
                    watcher = Box::pin(rearm(&zk, &znode, mode)).await;
                    send(WatchEvent::Resync);
                }
            },
            // Children of a configuration znode mean nothing to confo; a
            // recursive watch reports them as created or deleted anyway.
            EventType::NodeChildrenChanged => {}
            EventType::NodeCreated | EventType::NodeDeleted | EventType::NodeDataChanged => {
                if let Some(e) = event_of(&event.path) {
                    send(e);
                }
            }
        }
    }
}

/// Arms the watch again until it works (the task is aborted when no one
/// watches any more, so this never outlives its watches).
async fn rearm(zk: &ZooKeeper, znode: &str, mode: AddWatchMode) -> PersistentWatcher {
    let backoff = RetryPolicy::default();
    let mut attempt = 0u32;
    loop {
        match zk.arm(znode, mode).await {
            Ok(watcher) => return watcher,
            Err(e) => {
                tracing::warn!(backend = zk.describe(), %znode, error = %e, "cannot re-arm the ZooKeeper watch yet")
            }
        }
        tokio::time::sleep(backoff.delay(attempt)).await;
        attempt = attempt.saturating_add(1);
    }
}

/// What a node event at `path` (relative to the chroot) means.
fn event_of(path: &str) -> Option<WatchEvent> {
    let rest = path.strip_prefix(ROOT)?;
    if rest.is_empty() {
        return Some(WatchEvent::Resync); // `/confo` itself
    }
    let mut parts = rest.strip_prefix('/')?.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(ns), None, None) => Namespace::new(ns).ok().map(WatchEvent::NamespaceChanged),
        (Some(ns), Some(name), None) => ConfigPath::parse_parts(ns, name)
            .ok()
            .map(WatchEvent::Changed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_paths_map_to_events() {
        assert_eq!(
            event_of("/confo/ns/db"),
            Some(WatchEvent::Changed("ns/db".parse().unwrap()))
        );
        assert_eq!(
            event_of("/confo/ns"),
            Some(WatchEvent::NamespaceChanged("ns".parse().unwrap()))
        );
        assert_eq!(event_of("/confo"), Some(WatchEvent::Resync));
        assert_eq!(event_of("/confo/ns/db/deeper"), None);
        assert_eq!(event_of("/confox/ns"), None);
        assert_eq!(event_of("/elsewhere"), None);
        assert_eq!(event_of("/confo/ns/.."), None);
    }
}
