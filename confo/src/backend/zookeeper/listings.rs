//! The last listing of each namespace read, with the namespace node's
//! children counters when it was taken, so that a namespace read repeated
//! while its children are unchanged needs no listing round trip.
//!
//! Exact, not a hint: the counters come back in the same multi-read as the
//! values, ahead of them, and a listing is used only when they are what
//! they were when it was taken. Every child created or deleted changes
//! `cversion` and `pzxid`; a namespace deleted and created again has a new
//! `czxid`. So a configuration added since the listing is never hidden, and
//! one removed since reads as absent (and is left out), as it would right
//! after a fresh listing. No watch is kept for it: a lost connection, a
//! follower behind the leader, another client's change all show in the
//! counters the server answers with. The multi-read asks for the node's
//! stat only, not its children (a thousand names are a tenth of the
//! answer): when the counters moved, the namespace is listed again and
//! only the names the values were not read for take one more read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zookeeper_client::Stat;

use crate::name::{ConfigName, Namespace};

/// Namespaces whose listings are kept at most: a process reading more
/// namespaces than this starts over (one listing round trip each again).
const MAX_NAMESPACES: usize = 4096;

/// What identifies one state of a namespace node's children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Children {
    czxid: i64,
    pzxid: i64,
    cversion: i32,
    count: i32,
}

impl Children {
    /// The children state `stat` (of the namespace node) describes.
    pub(super) fn of(stat: &Stat) -> Self {
        Children {
            czxid: stat.czxid,
            pzxid: stat.pzxid,
            cversion: stat.cversion,
            count: stat.num_children,
        }
    }
}

/// A namespace's configurations as listed when its children were `children`.
#[derive(Debug)]
pub(super) struct Listed {
    pub(super) children: Children,
    pub(super) names: Vec<ConfigName>,
}

/// The listings kept, by namespace.
#[derive(Debug, Default)]
pub(super) struct Listings {
    by_namespace: Mutex<HashMap<Namespace, Arc<Listed>>>,
}

impl Listings {
    /// The listing kept for `namespace`, if any.
    pub(super) fn get(&self, namespace: &Namespace) -> Option<Arc<Listed>> {
        self.lock().get(namespace).cloned()
    }

    /// Keeps `listed` as `namespace`'s listing.
    pub(super) fn keep(&self, namespace: &Namespace, listed: Listed) {
        let mut map = self.lock();
        if map.len() >= MAX_NAMESPACES && !map.contains_key(namespace) {
            map.clear();
        }
        map.insert(namespace.clone(), Arc::new(listed));
    }

    /// Forgets `namespace`'s listing (it is gone, or its read failed).
    pub(super) fn forget(&self, namespace: &Namespace) {
        self.lock().remove(namespace);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Namespace, Arc<Listed>>> {
        // A panic while holding it cannot leave the map half-changed.
        self.by_namespace
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(czxid: i64, pzxid: i64, cversion: i32, count: i32) -> Stat {
        Stat {
            czxid,
            mzxid: czxid,
            pzxid,
            ctime: 0,
            mtime: 0,
            version: 0,
            cversion,
            aversion: 0,
            ephemeral_owner: 0,
            data_length: 0,
            num_children: count,
        }
    }

    #[test]
    fn any_change_of_children_or_of_the_node_is_another_state() {
        let base = Children::of(&stat(5, 9, 3, 3));
        assert_eq!(base, Children::of(&stat(5, 9, 3, 3)));
        assert_ne!(base, Children::of(&stat(5, 10, 4, 4)), "a child added");
        assert_ne!(base, Children::of(&stat(5, 11, 5, 3)), "added and removed");
        assert_ne!(base, Children::of(&stat(12, 9, 3, 3)), "recreated");
    }

    #[test]
    fn listings_are_kept_and_forgotten_by_namespace() {
        let listings = Listings::default();
        let ns: Namespace = "a".parse().unwrap();
        assert!(listings.get(&ns).is_none());
        listings.keep(
            &ns,
            Listed {
                children: Children::of(&stat(1, 1, 0, 0)),
                names: vec!["x".parse().unwrap()],
            },
        );
        assert_eq!(listings.get(&ns).unwrap().names.len(), 1);
        listings.forget(&ns);
        assert!(listings.get(&ns).is_none());
    }

    #[test]
    fn too_many_namespaces_start_over() {
        let listings = Listings::default();
        for n in 0..=MAX_NAMESPACES {
            let ns: Namespace = format!("ns{n}").parse().unwrap();
            listings.keep(
                &ns,
                Listed {
                    children: Children::of(&stat(1, 1, 0, 0)),
                    names: Vec::new(),
                },
            );
        }
        assert_eq!(listings.lock().len(), 1);
    }
}
