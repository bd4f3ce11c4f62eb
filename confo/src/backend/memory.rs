//! The memory backend: the same tree in a map, for users' own unit tests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use tokio::sync::broadcast;

use super::{
    check_guard, check_size, check_sizes, Backend, BatchWrite, Expect, Guard, Meta, MetaWrite,
    Version, Versioned, Watch, WatchEvent, WatchScope,
};
use crate::error::{Error, Result};
use crate::name::{ConfigName, ConfigPath, Namespace};

type Tree = BTreeMap<Namespace, BTreeMap<ConfigName, Versioned>>;

/// Metadata documents, beside the tree (never in a listing, never an event).
type MetaMap = BTreeMap<(ConfigPath, Meta), Versioned>;

/// Registered instances, by configuration and id.
type Instances = BTreeMap<(ConfigPath, String), Arc<[u8]>>;

/// An in-process store with the semantics of the others (versions,
/// compare-and-set, size limit). Clones share the same tree.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
///
/// let store = MemoryBackend::new();
/// let other_handle = store.clone();
/// store.write(&"systemA/database".parse()?, br#"{"port":5432}"#, Expect::Any).await?;
/// assert_eq!(other_handle.list_namespaces().await?.len(), 1);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tree: Mutex<Tree>,
    /// Locked after `tree` when both are held.
    meta: Mutex<MetaMap>,
    /// Locked after `tree` when both are held.
    instances: Mutex<Instances>,
    next_version: AtomicU64,
    events: broadcast::Sender<WatchEvent>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            tree: Mutex::default(),
            meta: Mutex::default(),
            instances: Mutex::default(),
            next_version: AtomicU64::new(0),
            events: broadcast::channel(super::EVENT_CAPACITY).0,
        }
    }
}

const DESCRIBE: &str = "mem://";

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn tree(&self) -> MutexGuard<'_, Tree> {
        // A panic while holding the lock cannot leave the map half-changed
        // (every change is one insert or remove), so a poisoned lock is safe to use.
        self.inner.tree.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn instances(&self) -> MutexGuard<'_, Instances> {
        // As for `tree`: every change is one insert or remove.
        self.inner
            .instances
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn meta(&self) -> MutexGuard<'_, MetaMap> {
        // As for `tree`: every change is one insert or remove.
        self.inner.meta.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self, event: WatchEvent) {
        // No receiver is not an error: nobody is watching.
        let _ = self.inner.events.send(event);
    }

    fn next_version(&self) -> Version {
        Version::from_raw(self.inner.next_version.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn namespace_missing(&self, tree: &Tree, namespace: &Namespace) -> Error {
        Error::NamespaceNotFound {
            backend: DESCRIBE.into(),
            namespace: namespace.to_string(),
            known: tree
                .keys()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn keeps_metadata(&self) -> bool {
        true
    }

    fn describe(&self) -> &str {
        DESCRIBE
    }

    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        Ok(self.tree().keys().cloned().collect())
    }

    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        let tree = self.tree();
        match tree.get(namespace) {
            Some(configs) => Ok(configs.keys().cloned().collect()),
            None => Err(self.namespace_missing(&tree, namespace)),
        }
    }

    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        self.tree()
            .get(path.namespace())
            .and_then(|c| c.get(path.name()))
            .map(|v| {
                if v.bytes.iter().all(u8::is_ascii_whitespace) {
                    // The one rule of every backend (see `empty_value`).
                    Versioned {
                        bytes: Arc::from(super::empty_value::as_read(Vec::new())),
                        version: v.version,
                    }
                } else {
                    v.clone()
                }
            })
            .ok_or_else(|| Error::NotFound {
                backend: DESCRIBE.into(),
                path: path.to_string(),
            })
    }

    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        check_size(self, path, bytes)?;
        let mut tree = self.tree();
        let configs = tree.entry(path.namespace().clone()).or_default();
        let current = configs.get(path.name()).map(|v| v.version);
        expect.check(DESCRIBE, path, current)?;
        let version = self.next_version();
        configs.insert(
            path.name().clone(),
            Versioned {
                bytes: Arc::from(bytes),
                version,
            },
        );
        drop(tree);
        self.notify(WatchEvent::Changed(path.clone()));
        Ok(version)
    }

    /// All or nothing: every condition is checked before anything is written.
    async fn write_many(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        self.write_guarded(writes, &[]).await
    }

    async fn write_guarded(&self, writes: &[BatchWrite], guards: &[Guard]) -> Result<Vec<Version>> {
        self.write_with_meta(writes, guards, &[]).await
    }

    /// The metadata written under the same lock as the values.
    async fn write_with_meta(
        &self,
        writes: &[BatchWrite],
        guards: &[Guard],
        metas: &[MetaWrite],
    ) -> Result<Vec<Version>> {
        check_sizes(self, writes, metas)?;
        let mut tree = self.tree();
        let mut meta = self.meta();
        // Check each condition against the state the earlier writes leave.
        let mut planned: BTreeMap<&ConfigPath, Option<Version>> = BTreeMap::new();
        for w in writes {
            let current = match planned.get(&w.path) {
                Some(v) => *v,
                None => tree
                    .get(w.path.namespace())
                    .and_then(|c| c.get(w.path.name()))
                    .map(|v| v.version),
            };
            w.expect.check(DESCRIBE, &w.path, current)?;
            planned.insert(&w.path, Some(Version::from_raw(0)));
        }
        // Then the metadata: a stale value is a conflict, not a changed guard.
        for guard in guards
            .iter()
            .cloned()
            .chain(metas.iter().map(MetaWrite::guard))
        {
            let current = meta
                .get(&(guard.path.clone(), guard.meta))
                .map(|v| v.version);
            check_guard(DESCRIBE, &guard, current)?;
        }
        let mut versions = Vec::with_capacity(writes.len());
        for w in writes {
            let version = self.next_version();
            tree.entry(w.path.namespace().clone()).or_default().insert(
                w.path.name().clone(),
                Versioned {
                    bytes: Arc::clone(&w.bytes),
                    version,
                },
            );
            versions.push(version);
        }
        for m in metas {
            let version = self.next_version();
            meta.insert(
                (m.path.clone(), m.meta),
                Versioned {
                    bytes: Arc::clone(&m.bytes),
                    version,
                },
            );
        }
        drop(meta);
        drop(tree);
        for w in writes {
            self.notify(WatchEvent::Changed(w.path.clone()));
        }
        Ok(versions)
    }

    async fn read_meta(&self, path: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        Ok(self.meta().get(&(path.clone(), meta)).cloned())
    }

    async fn write_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        check_size(self, path, bytes)?;
        let mut map = self.meta();
        let key = (path.clone(), meta);
        expect.check(DESCRIBE, path, map.get(&key).map(|v| v.version))?;
        let version = self.next_version();
        map.insert(
            key,
            Versioned {
                bytes: Arc::from(bytes),
                version,
            },
        );
        Ok(version)
    }

    async fn delete_meta(&self, path: &ConfigPath, meta: Meta, expect: Expect) -> Result<bool> {
        let mut map = self.meta();
        let key = (path.clone(), meta);
        let Some(current) = map.get(&key).map(|v| v.version) else {
            return Ok(false);
        };
        expect.check(DESCRIBE, path, Some(current))?;
        map.remove(&key);
        Ok(true)
    }

    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        let mut tree = self.tree();
        if tree.contains_key(namespace) {
            return Ok(false);
        }
        tree.insert(namespace.clone(), BTreeMap::new());
        drop(tree);
        self.notify(WatchEvent::NamespaceChanged(namespace.clone()));
        Ok(true)
    }

    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        let mut tree = self.tree();
        let configs = tree.get_mut(path.namespace());
        let current = configs
            .as_ref()
            .and_then(|c| c.get(path.name()))
            .map(|v| v.version);
        if current.is_none() {
            return Err(Error::NotFound {
                backend: DESCRIBE.into(),
                path: path.to_string(),
            });
        }
        expect.check(DESCRIBE, path, current)?;
        if let Some(configs) = configs {
            configs.remove(path.name());
        }
        self.meta().retain(|(p, _), _| p != path);
        self.instances().retain(|(p, _), _| p != path);
        drop(tree);
        self.notify(WatchEvent::Changed(path.clone()));
        Ok(())
    }

    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        let mut tree = self.tree();
        let count = match tree.get(namespace) {
            Some(configs) => configs.len(),
            None => return Err(self.namespace_missing(&tree, namespace)),
        };
        if count > 0 && !recursive {
            return Err(Error::NamespaceNotEmpty {
                backend: DESCRIBE.into(),
                namespace: namespace.to_string(),
                count,
            });
        }
        let removed = tree.remove(namespace).unwrap_or_default();
        self.meta().retain(|(p, _), _| p.namespace() != namespace);
        self.instances()
            .retain(|(p, _), _| p.namespace() != namespace);
        drop(tree);
        for name in removed.into_keys() {
            self.notify(WatchEvent::Changed(ConfigPath::new(
                namespace.clone(),
                name,
            )));
        }
        self.notify(WatchEvent::NamespaceChanged(namespace.clone()));
        Ok(())
    }

    async fn put_instance(&self, path: &ConfigPath, id: &str, bytes: &[u8]) -> Result<()> {
        check_size(self, path, bytes)?;
        self.instances()
            .insert((path.clone(), id.to_owned()), Arc::from(bytes));
        Ok(())
    }

    async fn remove_instance(&self, path: &ConfigPath, id: &str) -> Result<()> {
        self.instances().remove(&(path.clone(), id.to_owned()));
        Ok(())
    }

    async fn list_instances(&self, path: &ConfigPath) -> Result<Vec<(String, Arc<[u8]>)>> {
        Ok(self
            .instances()
            .iter()
            .filter(|((p, _), _)| p == path)
            .map(|((_, id), bytes)| (id.clone(), Arc::clone(bytes)))
            .collect())
    }

    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        Ok(Watch::new(
            self.inner.events.subscribe(),
            scope.clone(),
            None,
        ))
    }
}
