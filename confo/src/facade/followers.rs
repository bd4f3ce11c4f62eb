//! The typed values a manager follows, so that following one again shares
//! the task that follows it.
//!
//! A service often asks for the same configuration in many places (one
//! [`Confo::watch`] per component, per connection, per request handler).
//! Each [`Live`] has a task that reads the store on every change, so a
//! hundred of them would read it a hundred times per change. Instead,
//! [`Confo::watch`] of a configuration this manager already follows, with
//! the same type, store and settings, returns a new handle on the same task
//! (as [`Live::clone`] does) — but only when that task has its watch armed
//! and holds exactly what the call has just read from the store (same
//! version, same bytes, fresh), so the new handle is as new as a handle of
//! its own would be. Otherwise (a change on its way, the store unreachable,
//! the task re-arming its watch) the call starts a task of its own, and
//! that one is shared from then on (the older task keeps serving the
//! handles it has). Sharing is per manager and its clones.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Mutex;

use crate::backend::Versioned;
use crate::live::{Live, WeakLive};
use crate::name::ConfigPath;
use crate::retry::RetryPolicy;
use crate::store::{Fetched, Freshness, Store};

/// Everything a value's task depends on besides its path and type: a
/// handle is shared only between calls that agree on all of it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Settings {
    /// The backend object itself (two backends may describe alike).
    pub(super) backend: usize,
    pub(super) service: Option<String>,
    pub(super) retry: RetryPolicy,
    pub(super) local_copies: Option<String>,
    /// Bumped whenever overrides are added (they decide the decoded value).
    pub(super) overrides: u64,
}

impl Settings {
    pub(super) fn of(store: &Store, service: Option<String>, overrides: u64) -> Self {
        Settings {
            backend: std::sync::Arc::as_ptr(store.read_once_backend()) as *const () as usize,
            service,
            retry: store.retry_policy(),
            local_copies: store.local_copies().map(|c| c.describe().to_owned()),
            overrides,
        }
    }
}

struct Followed {
    settings: Settings,
    live: Box<dyn Erased>,
}

/// A [`WeakLive`] of any type: the map holds values of many types.
trait Erased: Send + Sync {
    fn alive(&self) -> bool;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Send + Sync + 'static> Erased for WeakLive<T> {
    fn alive(&self) -> bool {
        WeakLive::alive(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Default)]
struct Map {
    followed: HashMap<(ConfigPath, TypeId), Followed>,
    /// Entries after the last sweep of dead ones: sweeping again only when
    /// the map has doubled keeps `keep` O(1) amortised.
    swept: usize,
}

/// The manager's followed values, by path and type; entries whose handles
/// are all gone are swept as new ones come.
#[derive(Default)]
pub(super) struct Followers {
    map: Mutex<Map>,
}

impl std::fmt::Debug for Followers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Followers")
            .field("followed", &self.lock().followed.len())
            .finish()
    }
}

impl Followers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        // Each change is one insert or one sweep: a poisoned map is still whole.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new handle on the value of `path` as `T` this manager follows with
    /// `settings`, if its task holds exactly `read` (see the module's doc).
    pub(super) fn share<T: Send + Sync + 'static>(
        &self,
        path: &ConfigPath,
        settings: &Settings,
        read: &Fetched<Versioned>,
    ) -> Option<Live<T>> {
        if read.freshness != Freshness::Fresh {
            return None;
        }
        let map = self.lock();
        let followed = map.followed.get(&(path.clone(), TypeId::of::<T>()))?;
        if followed.settings != *settings {
            return None;
        }
        followed
            .live
            .as_any()
            .downcast_ref::<WeakLive<T>>()?
            .upgrade_holding(&read.value)
    }

    /// Notes `live` as the value of its path as `T` under `settings`.
    pub(super) fn keep<T: Send + Sync + 'static>(&self, live: &Live<T>, settings: Settings) {
        let mut map = self.lock();
        if map.followed.len() >= 2 * map.swept.max(64) {
            map.followed.retain(|_, followed| followed.live.alive());
            map.swept = map.followed.len();
        }
        map.followed.insert(
            (live.path().clone(), TypeId::of::<T>()),
            Followed {
                settings,
                live: Box::new(live.downgrade()),
            },
        );
    }
}
