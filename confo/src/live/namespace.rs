//! [`NamespaceWatch`]: every configuration of one namespace, followed.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::backend::{Backend, Watch, WatchEvent, WatchScope};
use crate::error::{Error, Result};
use crate::json;
use crate::name::{ConfigName, ConfigPath, Namespace, Version};
use crate::retry::RetryPolicy;
use crate::store::Store;

/// A change in a watched namespace.
#[derive(Debug, Clone)]
pub enum NamespaceChange {
    /// A configuration appeared.
    Added {
        /// Its name.
        name: ConfigName,
        /// Its value.
        value: Value,
        /// Its version.
        version: Version,
    },
    /// A configuration changed.
    Changed {
        /// Its name.
        name: ConfigName,
        /// Its new value.
        value: Value,
        /// Its new version.
        version: Version,
    },
    /// A configuration was deleted.
    Removed {
        /// Its name.
        name: ConfigName,
    },
    /// A configuration's new content is not a JSON object; its last value stands.
    Invalid {
        /// Its name.
        name: ConfigName,
        /// Why.
        error: Arc<Error>,
    },
}

/// Follows every configuration of one namespace: added, changed, removed.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// use confo::{Confo, NamespaceChange};
///
/// let confo = Confo::from_url("mem://").await?;
/// confo.create_namespace("systemA").await?;
/// let mut changes = confo.watch_namespace("systemA").await?;
/// confo.backend()?.write(&"systemA/cache".parse()?, b"{}", confo::backend::Expect::Absent).await?;
/// match changes.next().await? {
///     NamespaceChange::Added { name, .. } => assert_eq!(name, "cache"),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub struct NamespaceWatch {
    backend: Arc<dyn Backend>,
    namespace: Namespace,
    watch: Watch,
    known: BTreeMap<ConfigName, Version>,
    pending: VecDeque<NamespaceChange>,
}

impl fmt::Debug for NamespaceWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamespaceWatch")
            .field("namespace", &self.namespace)
            .field("known", &self.known.len())
            .finish_non_exhaustive()
    }
}

impl NamespaceWatch {
    /// Arms a watch on `namespace` and reads what it holds now; changes
    /// are reported relative to that.
    pub async fn start(backend: Arc<dyn Backend>, namespace: Namespace) -> Result<Self> {
        Self::start_with(backend, namespace, &RetryPolicy::none()).await
    }

    /// [`NamespaceWatch::start`], retrying the arm and the first read on
    /// connection loss as `retry` says ([`crate::Confo::watch_namespace`] passes
    /// the manager's policy).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use confo::backend::{Backend, MemoryBackend};
    /// use confo::{NamespaceWatch, RetryPolicy};
    ///
    /// let store = Arc::new(MemoryBackend::new());
    /// store.create_namespace(&"systemA".parse()?).await?;
    /// let changes = NamespaceWatch::start_with(store, "systemA".parse()?, &RetryPolicy::default()).await?;
    /// assert!(changes.known().is_empty());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn start_with(
        backend: Arc<dyn Backend>,
        namespace: Namespace,
        retry: &RetryPolicy,
    ) -> Result<Self> {
        Self::on(&Store::new(backend).with_retry_policy(*retry), namespace).await
    }

    /// Arms a watch on `namespace` and reads it through `store` (its retry
    /// policy); the later reads are one try each ([`NamespaceWatch::next`]
    /// errors, call it again to go on).
    pub(crate) async fn on(store: &Store, namespace: Namespace) -> Result<Self> {
        let scope = WatchScope::Namespace(namespace.clone());
        let watch = store.backend().watch(&scope).await?;
        let reads = store.backend().read_namespace(&namespace).await?;
        let known = reads.into_iter().map(|(n, r)| (n, r.version)).collect();
        Ok(NamespaceWatch {
            backend: store.read_once_backend().clone(),
            namespace,
            watch,
            known,
            pending: VecDeque::new(),
        })
    }

    /// The configurations known now, with their versions.
    pub fn known(&self) -> &BTreeMap<ConfigName, Version> {
        &self.known
    }

    /// The next change. Errors when the store cannot be read (call again
    /// to go on), or with [`Error::WatchStopped`] when the backend's events
    /// end (start a new watch to go on).
    pub async fn next(&mut self) -> Result<NamespaceChange> {
        loop {
            if let Some(change) = self.pending.pop_front() {
                return Ok(change);
            }
            let batch = self
                .watch
                .next_batch()
                .await
                .ok_or_else(|| Error::WatchStopped {
                    backend: self.backend.describe().to_owned(),
                    path: self.namespace.to_string(),
                })?;
            let mut names = Vec::new();
            let mut full = false;
            for event in batch {
                match event {
                    WatchEvent::Changed(p) => names.push(p.name().clone()),
                    // The store is away: the Resync after it reads everything.
                    WatchEvent::Disconnected => {}
                    _ => full = true,
                }
            }
            if full {
                self.rescan().await?;
            } else {
                self.check(names).await?;
            }
        }
    }

    async fn rescan(&mut self) -> Result<()> {
        let listed = match self.backend.list_configs(&self.namespace).await {
            Ok(l) => l,
            Err(Error::NamespaceNotFound { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut names: Vec<ConfigName> = self.known.keys().cloned().collect();
        names.extend(listed);
        names.sort();
        names.dedup();
        self.check(names).await
    }

    async fn check(&mut self, names: Vec<ConfigName>) -> Result<()> {
        let paths: Vec<ConfigPath> = names
            .iter()
            .map(|n| ConfigPath::new(self.namespace.clone(), n.clone()))
            .collect();
        let reads = self.backend.read_many(&paths).await?;
        for ((name, path), read) in names.into_iter().zip(&paths).zip(reads) {
            let before = self.known.get(&name).copied();
            match (before, read) {
                (None, None) => {}
                (Some(_), None) => {
                    self.known.remove(&name);
                    self.pending.push_back(NamespaceChange::Removed { name });
                }
                (before, Some(read)) if before != Some(read.version) => {
                    self.known.insert(name.clone(), read.version);
                    let parsed =
                        json::parse_object(self.backend.describe(), &path.to_string(), &read.bytes);
                    let change = match parsed {
                        Ok(map) if before.is_none() => NamespaceChange::Added {
                            name,
                            value: Value::Object(map),
                            version: read.version,
                        },
                        Ok(map) => NamespaceChange::Changed {
                            name,
                            value: Value::Object(map),
                            version: read.version,
                        },
                        Err(e) => NamespaceChange::Invalid {
                            name,
                            error: Arc::new(e),
                        },
                    };
                    self.pending.push_back(change);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Expect, MemoryBackend, Versioned};
    use async_trait::async_trait;
    use tokio::sync::broadcast;

    /// A memory store whose watches end at once (their sender is gone).
    #[derive(Debug, Default)]
    struct DeadWatch(MemoryBackend);

    #[async_trait]
    impl Backend for DeadWatch {
        fn describe(&self) -> &str {
            "dead://"
        }
        async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
            self.0.list_namespaces().await
        }
        async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
            self.0.list_configs(namespace).await
        }
        async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
            self.0.read(path).await
        }
        async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
            self.0.write(path, bytes, expect).await
        }
        async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
            self.0.create_namespace(namespace).await
        }
        async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
            self.0.delete(path, expect).await
        }
        async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
            self.0.delete_namespace(namespace, recursive).await
        }
        async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
            let (_, rx) = broadcast::channel(1);
            Ok(Watch::new(rx, scope.clone(), None))
        }
    }

    #[tokio::test]
    async fn a_namespace_watch_whose_events_end_says_the_watch_stopped() {
        let backend = DeadWatch::default();
        backend
            .create_namespace(&"systemA".parse().unwrap())
            .await
            .unwrap();
        let mut changes = NamespaceWatch::start(Arc::new(backend), "systemA".parse().unwrap())
            .await
            .unwrap();
        let err = changes.next().await.unwrap_err();
        assert!(
            matches!(&err, Error::WatchStopped { backend, path } if backend == "dead://" && path == "systemA"),
            "{err:?}"
        );
        assert!(err.to_string().contains("watch it again"), "{err}");
    }
}
