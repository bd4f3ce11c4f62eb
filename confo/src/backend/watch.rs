//! Change notifications from a backend: [`Watch`], [`WatchEvent`], [`WatchScope`].
//!
//! Events are hints, not data: `Changed(path)` says "this configuration may
//! have changed or gone; read it", and `Resync` says "events may have been
//! lost (a reconnect, a full queue); read everything in scope again", and
//! `Disconnected` says "the store cannot be reached now; a `Resync` follows
//! once it can". A reader that arms the watch *before* its first read
//! therefore never misses an update: anything after the arm produces an
//! event, and anything during an outage is covered by the `Resync` after it.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::name::{ConfigPath, Namespace};

/// What a watch covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WatchScope {
    /// One configuration.
    Config(ConfigPath),
    /// Every configuration of one namespace (added, changed, removed).
    Namespace(Namespace),
}

impl WatchScope {
    /// Whether an event about `path` concerns this scope.
    pub fn covers(&self, path: &ConfigPath) -> bool {
        match self {
            WatchScope::Config(p) => p == path,
            WatchScope::Namespace(ns) => path.namespace() == ns,
        }
    }
}

/// One notification.
///
/// ```
/// use confo::backend::WatchEvent;
/// let event = WatchEvent::Changed("systemA/database".parse()?);
/// assert_ne!(event, WatchEvent::Resync);
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WatchEvent {
    /// The configuration may have changed, been created or been deleted.
    Changed(ConfigPath),
    /// The namespace may have been created or deleted, or configurations
    /// added or removed without a per-configuration event.
    NamespaceChanged(Namespace),
    /// Events may have been lost: read everything in scope again.
    Resync,
    /// The connection to the store was lost: values read now would block or
    /// fail, and events may be lost until the connection is back, which the
    /// backend announces with a [`WatchEvent::Resync`]. Readers may mark
    /// what they hold as stale. (ZooKeeper sends it; files and memory never
    /// lose their store.)
    Disconnected,
}

/// Capacity of a backend's event fan-out; a watcher that falls further
/// behind gets one [`WatchEvent::Resync`] instead of the lost events.
pub const EVENT_CAPACITY: usize = 4096;

/// A live subscription to a backend's changes within one [`WatchScope`].
///
/// Dropping it releases the backend's watch (the last `Watch` of a file
/// tree stops its OS watcher; the last of a ZooKeeper path removes the
/// server-side watch).
pub struct Watch {
    rx: broadcast::Receiver<WatchEvent>,
    scope: WatchScope,
    debounce: Duration,
    _guard: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("scope", &self.scope)
            .field("debounce", &self.debounce)
            .finish_non_exhaustive()
    }
}

impl Watch {
    /// A watch over a backend's event fan-out. `guard` is kept alive as long
    /// as the watch (the backend's OS or server watcher, typically).
    ///
    /// ```
    /// use confo::backend::{Watch, WatchEvent, WatchScope};
    /// let (tx, rx) = tokio::sync::broadcast::channel::<WatchEvent>(16);
    /// let watch = Watch::new(rx, WatchScope::Namespace("ns".parse()?), None);
    /// # drop((tx, watch));
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn new(
        rx: broadcast::Receiver<WatchEvent>,
        scope: WatchScope,
        guard: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Self {
        Self {
            rx,
            scope,
            debounce: Duration::ZERO,
            _guard: guard,
        }
    }

    /// Waits this long after an event for more before [`Watch::next_batch`]
    /// returns, so a burst (an editor saving in several writes) is read once.
    pub fn with_debounce(mut self, debounce: Duration) -> Self {
        self.debounce = debounce;
        self
    }

    /// What this watch covers.
    pub fn scope(&self) -> &WatchScope {
        &self.scope
    }

    fn relevant(&self, event: &WatchEvent) -> bool {
        match event {
            WatchEvent::Changed(path) => self.scope.covers(path),
            WatchEvent::NamespaceChanged(ns) => match &self.scope {
                WatchScope::Config(p) => p.namespace() == ns,
                WatchScope::Namespace(n) => n == ns,
            },
            WatchEvent::Resync | WatchEvent::Disconnected => true,
        }
    }

    /// The next event in scope; `None` once the backend has gone away.
    pub async fn next(&mut self) -> Option<WatchEvent> {
        loop {
            match self.rx.recv().await {
                Ok(event) if self.relevant(&event) => return Some(event),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => return Some(WatchEvent::Resync),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The next event and every other one that arrives within the debounce
    /// window, without duplicates. A `Resync` among them is returned alone;
    /// so is a `Disconnected` that no `Resync` follows (the connection is
    /// down now: reading would only wait, and a `Resync` will come).
    pub async fn next_batch(&mut self) -> Option<Vec<WatchEvent>> {
        let first = self.next().await?;
        let mut batch = vec![first];
        if !self.debounce.is_zero() {
            let deadline = tokio::time::Instant::now() + self.debounce;
            while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.next()).await {
                push_new(&mut batch, event);
            }
        }
        loop {
            match self.rx.try_recv() {
                Ok(event) if self.relevant(&event) => push_new(&mut batch, event),
                Ok(_) => {}
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    batch.push(WatchEvent::Resync);
                }
                Err(_) => break,
            }
        }
        // The last word on the connection wins: down (wait for the Resync
        // that follows a reconnection) or back (read everything).
        let connection = batch
            .iter()
            .rev()
            .find(|e| matches!(e, WatchEvent::Resync | WatchEvent::Disconnected));
        if let Some(last) = connection {
            return Some(vec![last.clone()]);
        }
        Some(batch)
    }
}

/// Adds `event` unless the batch has it; connection events are always
/// added, since their order matters.
fn push_new(batch: &mut Vec<WatchEvent>, event: WatchEvent) {
    let connection = matches!(event, WatchEvent::Resync | WatchEvent::Disconnected);
    if connection || !batch.contains(&event) {
        batch.push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch_with(events: &[WatchEvent]) -> (broadcast::Sender<WatchEvent>, Watch) {
        let (tx, rx) = broadcast::channel(16);
        let watch = Watch::new(rx, WatchScope::Namespace("ns".parse().unwrap()), None);
        for e in events {
            tx.send(e.clone()).unwrap();
        }
        (tx, watch)
    }

    fn changed(p: &str) -> WatchEvent {
        WatchEvent::Changed(p.parse().unwrap())
    }

    #[tokio::test]
    async fn a_batch_keeps_changes_in_scope_once_each() {
        let (_tx, mut w) = watch_with(&[
            changed("ns/a"),
            changed("other/x"),
            changed("ns/a"),
            changed("ns/b"),
        ]);
        assert_eq!(
            w.next_batch().await.unwrap(),
            [changed("ns/a"), changed("ns/b")]
        );
    }

    #[tokio::test]
    async fn the_last_connection_event_of_a_batch_wins() {
        use WatchEvent::{Disconnected, Resync};
        // Back after being away: read everything.
        let (_tx, mut w) = watch_with(&[changed("ns/a"), Disconnected, Resync]);
        assert_eq!(w.next_batch().await.unwrap(), [Resync]);
        // Away again after a resync: nothing to read until the next Resync.
        let (_tx, mut w) = watch_with(&[Resync, changed("ns/a"), Disconnected]);
        assert_eq!(w.next_batch().await.unwrap(), [Disconnected]);
        // Down, up, down: still down.
        let (_tx, mut w) = watch_with(&[Disconnected, Resync, Disconnected]);
        assert_eq!(w.next_batch().await.unwrap(), [Disconnected]);
    }

    #[tokio::test]
    async fn a_closed_source_ends_the_watch() {
        let (tx, mut w) = watch_with(&[]);
        drop(tx);
        assert_eq!(w.next().await, None);
        assert_eq!(w.next_batch().await, None);
    }
}
