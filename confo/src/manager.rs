//! [`Confo`]: named backends, the active one, the current namespace.
//!
//! The API of the Python `confo` package, done right: unknown names are
//! errors (not prints), and [`Confo::persist`] writes with compare-and-set
//! against what was read, so nothing anyone else wrote is silently lost.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Map, Value};

use crate::backend::{self, Backend, Expect, Version};
use crate::error::{Error, NameKind, Result};
use crate::json;
use crate::name::{ConfigName, ConfigPath, Namespace};
use crate::retry::{is_transient, RetryPolicy};
use crate::snapshot::{read_with_fallback, Snapshots};

/// The loaded backends and the active one, as [`Confo::backends`] reports them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Backends {
    /// Names of every loaded backend, sorted.
    pub all_backends: Vec<String>,
    /// The active backend's name, if one is active.
    pub active_backend: Option<String>,
}

/// The namespaces of the active backend and the current one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Namespaces {
    /// Every namespace in the active backend, sorted.
    pub all_namespaces: Vec<Namespace>,
    /// The namespace in use, if any.
    pub current_namespace: Option<Namespace>,
}

/// Anything [`Confo::load_backend`] can turn into a backend: a backend value
/// or a URL string (see [`backend::open_url`]).
#[async_trait::async_trait]
pub trait IntoBackend {
    /// Opens or wraps the backend.
    async fn into_backend(self) -> Result<Arc<dyn Backend>>;
}

#[async_trait::async_trait]
impl IntoBackend for Arc<dyn Backend> {
    async fn into_backend(self) -> Result<Arc<dyn Backend>> {
        Ok(self)
    }
}

#[async_trait::async_trait]
impl<B: Backend + 'static> IntoBackend for B {
    async fn into_backend(self) -> Result<Arc<dyn Backend>> {
        Ok(Arc::new(self))
    }
}

#[async_trait::async_trait]
impl IntoBackend for &str {
    async fn into_backend(self) -> Result<Arc<dyn Backend>> {
        backend::open_url(self).await
    }
}

#[async_trait::async_trait]
impl IntoBackend for String {
    async fn into_backend(self) -> Result<Arc<dyn Backend>> {
        backend::open_url(&self).await
    }
}

/// One configuration as the manager holds it.
#[derive(Clone)]
struct Entry {
    value: Map<String, Value>,
    /// The version read, `None` for a configuration not yet stored.
    version: Option<Version>,
    /// Changed with `set`/`set_field` and not yet persisted.
    dirty: bool,
}

impl std::fmt::Debug for Entry {
    // Values may be passwords: show the field names, never the values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("fields", &self.value.keys().collect::<Vec<_>>())
            .field("version", &self.version)
            .field("dirty", &self.dirty)
            .finish()
    }
}

#[derive(Debug, Default)]
struct State {
    backends: BTreeMap<String, Arc<dyn Backend>>,
    active: Option<String>,
    namespace: Option<Namespace>,
    entries: BTreeMap<ConfigName, Entry>,
    snapshots: Option<Snapshots>,
    retry: RetryPolicy,
}

/// The configuration manager: holds named backends, one of them active, and
/// the configurations of the namespace in use.
///
/// Cheap to clone; clones share their state. Methods take `&self` and are
/// safe to call from many tasks.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::Confo;
/// use serde_json::json;
///
/// let confo = Confo::from_url("mem://").await?;
/// confo.create_namespace("systemA").await?;
/// confo.use_namespace("systemA").await?;
/// confo.set("database", json!({"host": "db", "port": 5432}))?;
/// confo.persist().await?;
///
/// confo.reload().await?;
/// assert_eq!(confo.get_field("database", "port")?, json!(5432));
/// assert_eq!(confo.count()?, 1);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Confo {
    state: Arc<RwLock<State>>,
    /// Remembered versions and overrides of the typed layer (`typed.rs`).
    typed: Arc<crate::typed::TypedState>,
}

impl Confo {
    /// A manager with no backend loaded.
    pub fn new() -> Self {
        Self::default()
    }

    /// A manager with the backend at `url` loaded as `"default"` and active.
    ///
    /// `file://DIR`, `mem://` and `zk://...`: see [`backend::open_url`].
    pub async fn from_url(url: &str) -> Result<Self> {
        let confo = Self::new();
        confo.load_backend("default", url).await?;
        confo.activate_backend("default")?;
        Ok(confo)
    }

    /// [`Confo::from_url`] with the URL in `CONFO_URL`, or `file://./confo`
    /// when it is not set.
    pub async fn from_env() -> Result<Self> {
        let url = std::env::var(backend::URL_ENV).unwrap_or_else(|_| backend::DEFAULT_URL.into());
        Self::from_url(&url).await
    }

    /// A manager over an existing backend, loaded as `"default"` and active.
    ///
    /// ```
    /// let confo = confo::Confo::with_backend(confo::backend::MemoryBackend::new());
    /// assert_eq!(confo.backends().active_backend.as_deref(), Some("default"));
    /// ```
    pub fn with_backend(backend: impl Backend + 'static) -> Self {
        let confo = Self::new();
        {
            let mut st = confo.write_state();
            st.backends.insert("default".into(), Arc::new(backend));
            st.active = Some("default".into());
        }
        confo
    }

    pub(crate) fn typed(&self) -> &crate::typed::TypedState {
        &self.typed
    }

    fn read_state(&self) -> RwLockReadGuard<'_, State> {
        // Every change to State is a few assignments with no user code in
        // between, so a poisoned lock still guards consistent data.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a local last-known-good copy of every configuration read from
    /// now on under `dir`, and falls back to it when the store cannot be
    /// reached (with a warning; [`crate::Live`] values start stale). Off by
    /// default: the copies may be out of date and hold secrets in clear on
    /// local disk. See the [`crate::snapshot`] module.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let dir = tempfile::tempdir().unwrap();
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.keep_snapshots(dir.path());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn keep_snapshots(&self, dir: impl AsRef<std::path::Path>) -> &Self {
        self.write_state().snapshots = Some(Snapshots::new(dir.as_ref()));
        self
    }

    pub(crate) fn snapshots(&self) -> Option<Snapshots> {
        self.read_state().snapshots.clone()
    }

    /// Retries reads that fail because the store cannot be reached (a lost
    /// ZooKeeper connection) with `policy`'s bounded exponential backoff:
    /// loads, `use_namespace`, `reload`, `namespaces`, the first read of a
    /// [`crate::Live`] value (and its backoff while the store is away), and
    /// the reads of [`Confo::update`]. Writes are not retried here: a write
    /// that lost its connection may or may not have been applied, and only
    /// `update`'s compare-and-set can tell (see [`crate::update`]).
    /// [`RetryPolicy::default`] unless set; [`RetryPolicy::none`] turns it off.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use confo::{Confo, RetryPolicy};
    ///
    /// let confo = Confo::from_url("mem://").await?
    ///     .with_retry_policy(RetryPolicy::default().with_deadline(Duration::from_secs(5)));
    /// assert_eq!(confo.retry_policy().deadline, Duration::from_secs(5));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn with_retry_policy(self, policy: RetryPolicy) -> Self {
        self.write_state().retry = policy;
        self
    }

    /// The policy reads retry with (see [`Confo::with_retry_policy`]).
    ///
    /// ```
    /// let confo = confo::Confo::new();
    /// assert_eq!(confo.retry_policy(), confo::RetryPolicy::default());
    /// ```
    pub fn retry_policy(&self) -> RetryPolicy {
        self.read_state().retry
    }

    /// Reads one configuration with the retry policy; keeps a snapshot of
    /// it, or falls back to the snapshot when the store cannot be reached.
    pub(crate) async fn read_config(
        &self,
        backend: &dyn Backend,
        path: &ConfigPath,
    ) -> Result<backend::Versioned> {
        let read = self.retry_policy().run(|| backend.read(path)).await;
        let (read, _stale) =
            read_with_fallback(backend, self.snapshots().as_ref(), path, read).await?;
        Ok(read)
    }

    /// Loads a backend under `name` (a URL string or a backend value).
    /// Replaces a backend of the same name; does not activate it.
    pub async fn load_backend(&self, name: &str, backend: impl IntoBackend) -> Result<()> {
        if name.is_empty() {
            return Err(Error::InvalidName {
                kind: NameKind::Backend,
                name: name.into(),
                rule: crate::name::NameRule::Empty,
            });
        }
        let backend = backend.into_backend().await?;
        let mut st = self.write_state();
        st.backends.insert(name.to_owned(), backend);
        if st.active.as_deref() == Some(name) {
            st.namespace = None;
            st.entries.clear();
        }
        Ok(())
    }

    /// Makes the backend loaded as `name` the active one. Forgets the
    /// namespace in use; refuses while changes are not persisted.
    pub fn activate_backend(&self, name: &str) -> Result<()> {
        let mut st = self.write_state();
        if !st.backends.contains_key(name) {
            return Err(Error::UnknownBackend {
                name: name.to_owned(),
                loaded: st.backends.keys().cloned().collect(),
            });
        }
        refuse_pending(&st)?;
        st.active = Some(name.to_owned());
        st.namespace = None;
        st.entries.clear();
        Ok(())
    }

    /// The loaded backends and the active one.
    pub fn backends(&self) -> Backends {
        let st = self.read_state();
        Backends {
            all_backends: st.backends.keys().cloned().collect(),
            active_backend: st.active.clone(),
        }
    }

    /// The active backend.
    pub fn backend(&self) -> Result<Arc<dyn Backend>> {
        let st = self.read_state();
        active(&st)
    }

    /// The namespace in use.
    pub fn current_namespace(&self) -> Result<Namespace> {
        self.read_state()
            .namespace
            .clone()
            .ok_or(Error::NoNamespace)
    }

    /// Every namespace of the active backend and the one in use.
    pub async fn namespaces(&self) -> Result<Namespaces> {
        let backend = self.backend()?;
        let all_namespaces = self
            .retry_policy()
            .run(|| backend.list_namespaces())
            .await?;
        Ok(Namespaces {
            all_namespaces,
            current_namespace: self.read_state().namespace.clone(),
        })
    }

    /// Creates a namespace in the active backend; `Ok(false)` if it existed.
    pub async fn create_namespace(&self, namespace: &str) -> Result<bool> {
        let ns = Namespace::new(namespace)?;
        self.backend()?.create_namespace(&ns).await
    }

    /// Uses `namespace` from now on and reads all its configurations.
    /// An unknown namespace is [`Error::NamespaceNotFound`].
    pub async fn use_namespace(&self, namespace: &str) -> Result<()> {
        let ns = Namespace::new(namespace)?;
        let backend = self.backend()?;
        refuse_pending(&self.read_state())?;
        let entries = read_entries(
            &*backend,
            self.snapshots().as_ref(),
            &self.retry_policy(),
            &ns,
        )
        .await?;
        let mut st = self.write_state();
        refuse_pending(&st)?;
        st.namespace = Some(ns);
        st.entries = entries;
        Ok(())
    }

    /// Reads the namespace in use again. Changes not yet persisted are kept
    /// (and still compare against the version first read).
    pub async fn reload(&self) -> Result<()> {
        let ns = self.current_namespace()?;
        let backend = self.backend()?;
        let fresh = read_entries(
            &*backend,
            self.snapshots().as_ref(),
            &self.retry_policy(),
            &ns,
        )
        .await?;
        let mut st = self.write_state();
        if st.namespace.as_ref() != Some(&ns) {
            return Ok(()); // switched namespace meanwhile: nothing to refresh
        }
        let mut merged: BTreeMap<ConfigName, Entry> = st
            .entries
            .iter()
            .filter(|(_, e)| e.dirty)
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        for (name, entry) in fresh {
            merged.entry(name).or_insert(entry);
        }
        st.entries = merged;
        Ok(())
    }

    /// How many configurations the namespace in use holds.
    pub fn count(&self) -> Result<usize> {
        let st = self.read_state();
        st.namespace.as_ref().ok_or(Error::NoNamespace)?;
        Ok(st.entries.len())
    }

    /// Every configuration of the namespace in use, by name.
    pub fn get_all(&self) -> Result<BTreeMap<String, Value>> {
        let st = self.read_state();
        st.namespace.as_ref().ok_or(Error::NoNamespace)?;
        Ok(st
            .entries
            .iter()
            .map(|(k, e)| (k.to_string(), Value::Object(e.value.clone())))
            .collect())
    }

    /// One configuration of the namespace in use (a JSON object).
    pub fn get(&self, config: &str) -> Result<Value> {
        let name = ConfigName::new(config)?;
        let st = self.read_state();
        let entry = entry(&st, &name)?;
        Ok(Value::Object(entry.value.clone()))
    }

    /// One top-level field of a configuration of the namespace in use.
    pub fn get_field(&self, config: &str, field: &str) -> Result<Value> {
        let name = ConfigName::new(config)?;
        let st = self.read_state();
        let entry = entry(&st, &name)?;
        entry
            .value
            .get(field)
            .cloned()
            .ok_or_else(|| Error::FieldNotFound {
                backend: describe(&st),
                path: path_of(&st, &name),
                field: field.to_owned(),
            })
    }

    /// Replaces a configuration of the namespace in use (must be a JSON
    /// object); written by the next [`Confo::persist`].
    pub fn set(&self, config: &str, value: Value) -> Result<()> {
        let name = ConfigName::new(config)?;
        let mut st = self.write_state();
        let ns = st.namespace.clone().ok_or(Error::NoNamespace)?;
        let value = match value {
            Value::Object(map) => map,
            other => {
                return Err(Error::NotAnObject {
                    backend: describe(&st),
                    path: ConfigPath::new(ns, name).to_string(),
                    found: json::kind(&other),
                })
            }
        };
        match st.entries.get_mut(&name) {
            Some(e) => {
                e.value = value;
                e.dirty = true;
            }
            None => {
                st.entries.insert(
                    name,
                    Entry {
                        value,
                        version: None,
                        dirty: true,
                    },
                );
            }
        }
        Ok(())
    }

    /// Sets one top-level field of an existing configuration of the
    /// namespace in use; written by the next [`Confo::persist`].
    pub fn set_field(&self, config: &str, field: &str, value: Value) -> Result<()> {
        let name = ConfigName::new(config)?;
        let mut st = self.write_state();
        entry(&st, &name)?;
        if let Some(e) = st.entries.get_mut(&name) {
            e.value.insert(field.to_owned(), value);
            e.dirty = true;
        }
        Ok(())
    }

    /// Writes every configuration changed since it was read, each with
    /// compare-and-set against the version read. Returns how many were
    /// written. On a conflict it stops with [`Error::VersionConflict`]: that
    /// configuration and any not yet written stay changed here, so nothing
    /// is lost; [`Confo::reload`] shows the stored value.
    pub async fn persist(&self) -> Result<usize> {
        let backend = self.backend()?;
        let (ns, dirty) = {
            let st = self.read_state();
            let ns = st.namespace.clone().ok_or(Error::NoNamespace)?;
            let dirty: Vec<(ConfigName, Entry)> = st
                .entries
                .iter()
                .filter(|(_, e)| e.dirty)
                .map(|(k, e)| (k.clone(), e.clone()))
                .collect();
            (ns, dirty)
        };
        let mut written = 0;
        for (name, entry) in dirty {
            let path = ConfigPath::new(ns.clone(), name.clone());
            let bytes = json::to_bytes(&entry.value);
            let version = backend
                .write(&path, &bytes, Expect::from_read(entry.version))
                .await?;
            written += 1;
            let mut st = self.write_state();
            if st.namespace.as_ref() == Some(&ns) {
                if let Some(e) = st.entries.get_mut(&name) {
                    e.version = Some(version);
                    // Changed again while we wrote: keep it dirty.
                    e.dirty = e.value != entry.value;
                }
            }
        }
        Ok(written)
    }
}

fn active(st: &State) -> Result<Arc<dyn Backend>> {
    let name = st.active.as_ref().ok_or(Error::NoActiveBackend)?;
    st.backends.get(name).cloned().ok_or(Error::NoActiveBackend)
}

fn describe(st: &State) -> String {
    active(st)
        .map(|b| b.describe().to_owned())
        .unwrap_or_else(|_| "no backend".into())
}

fn path_of(st: &State, name: &ConfigName) -> String {
    match &st.namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

fn entry<'a>(st: &'a State, name: &ConfigName) -> Result<&'a Entry> {
    st.namespace.as_ref().ok_or(Error::NoNamespace)?;
    st.entries.get(name).ok_or_else(|| Error::NotFound {
        backend: describe(st),
        path: path_of(st, name),
    })
}

fn refuse_pending(st: &State) -> Result<()> {
    let pending: Vec<String> = st
        .entries
        .iter()
        .filter(|(_, e)| e.dirty)
        .map(|(k, _)| k.to_string())
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(Error::PendingChanges {
            namespace: st
                .namespace
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            configs: pending,
        })
    }
}

async fn read_entries(
    backend: &dyn Backend,
    snapshots: Option<&Snapshots>,
    retry: &RetryPolicy,
    ns: &Namespace,
) -> Result<BTreeMap<ConfigName, Entry>> {
    let read = retry.run(|| backend::read_namespace(backend, ns)).await;
    let reads = match (read, snapshots) {
        (Ok(reads), Some(s)) => {
            for (name, read) in &reads {
                s.save(&ConfigPath::new(ns.clone(), name.clone()), &read.bytes)
                    .await;
            }
            reads
        }
        (Ok(reads), None) => reads,
        (Err(e), Some(s)) if is_transient(&e) => {
            let copies = s.read_namespace(ns).await.map_err(|_| e)?;
            tracing::warn!(namespace = %ns, backend = backend.describe(), snapshot = s.describe(),
                "store unreachable; using the local snapshot, which may be stale");
            copies
        }
        (Err(e), _) => return Err(e),
    };
    let mut entries = BTreeMap::new();
    for (name, read) in reads {
        let path = ConfigPath::new(ns.clone(), name.clone());
        let value = json::parse_object(backend.describe(), &path.to_string(), &read.bytes)?;
        entries.insert(
            name,
            Entry {
                value,
                version: Some(read.version),
                dirty: false,
            },
        );
    }
    Ok(entries)
}
