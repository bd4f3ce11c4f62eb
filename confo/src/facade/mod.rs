//! The facade: [`Confo`], the one type a service holds, and every method
//! it has, one file per concern:
//!
//! - `mod.rs`: construction, the named backends and the active one, the
//!   read policy ([`Confo::with_retry_policy`], [`Confo::keep_local_copies`])
//!   and [`Confo::store`], the store every read goes through;
//! - `session.rs`: the session cache of the Python `confo` package
//!   (`use_namespace`, `get`, `set`, `persist`, `reload`, ...);
//! - `typed.rs`: typed loads and saves (over [`crate::typed`]) and the
//!   versions remembered for them;
//! - `live.rs`: live values and namespace watches (over [`crate::live`]),
//!   read-modify-write updates;
//! - `scoped.rs`: [`Scoped`], the same typed methods in a namespace given at
//!   run time (`confo.namespace("systemB").load::<T>()`).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::backend::{self, Backend};
use crate::checks::WriteChecks;
use crate::error::{Error, NameKind, Result};
use crate::history::Recording;
use crate::name::{ConfigName, Namespace};
use crate::retry::RetryPolicy;
use crate::store::{LocalCopies, Store};

mod followers;
mod history;
mod live;
mod load_all;
mod schemas;
mod scoped;
mod session;
mod typed;
mod watch_all;

pub use load_all::LoadAll;
pub use scoped::Scoped;
use session::{refuse_pending, Entry};
use typed::TypedState;
pub use watch_all::{Started, WatchAll};

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

#[derive(Debug, Default)]
struct State {
    backends: BTreeMap<String, Arc<dyn Backend>>,
    active: Option<String>,
    namespace: Option<Namespace>,
    entries: BTreeMap<ConfigName, Entry>,
    local_copies: Option<LocalCopies>,
    retry: RetryPolicy,
    /// The service this manager reads for ([`Confo::with_service`]).
    service: Option<String>,
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
    /// Remembered versions and overrides of the typed methods (`typed.rs`).
    typed: Arc<TypedState>,
    /// Whether this handle's writes are checked ([`Confo::forced`]); not
    /// shared with clones made before.
    checks: WriteChecks,
    /// How this handle's writes are recorded ([`Confo::with_message`]).
    recording: Recording,
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

    fn typed(&self) -> &TypedState {
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
    /// local disk. See [`LocalCopies`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let dir = tempfile::tempdir().unwrap();
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.keep_local_copies(dir.path());
    /// assert!(confo.store()?.local_copies().is_some());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn keep_local_copies(&self, dir: impl AsRef<std::path::Path>) -> &Self {
        self.write_state().local_copies = Some(LocalCopies::new(dir));
        self
    }

    /// The active backend with this manager's read policy: every read the
    /// manager makes goes through it (see [`Store`]).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let confo = confo::Confo::from_url("mem://").await?.with_retry_policy(confo::RetryPolicy::none());
    /// assert_eq!(confo.store()?.retry_policy(), confo::RetryPolicy::none());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn store(&self) -> Result<Store> {
        let st = self.read_state();
        Ok(Store::new(active(&st)?)
            .with_retry_policy(st.retry)
            .with_local_copies(st.local_copies.clone())
            .with_write_checks(self.checks)
            .with_recording(self.recording.clone()))
    }

    /// Names the service this manager reads configurations for: the name
    /// [`Confo::publish_schema`] publishes schemas under (one schema per
    /// service and configuration; a service that publishes again replaces
    /// its own). Use one name per service and version of its types that
    /// runs (`billing`, or `billing-v2` while two versions run side by
    /// side). Checked when a schema is published (the rules of a
    /// configuration name).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let confo = confo::Confo::from_url("mem://").await?.with_service("billing");
    /// assert_eq!(confo.service().as_deref(), Some("billing"));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn with_service(self, service: impl Into<String>) -> Self {
        self.write_state().service = Some(service.into());
        self
    }

    /// The service name set with [`Confo::with_service`].
    ///
    /// ```
    /// assert_eq!(confo::Confo::new().service(), None);
    /// ```
    pub fn service(&self) -> Option<String> {
        self.read_state().service.clone()
    }

    /// This manager, writing past the published schemas: a handle whose
    /// writes (`save`, `save_field`, `update`, `persist`, ...) are checked
    /// and written even when they break a schema, each with a warning that
    /// says what it overrode (what `confo put --force` does). It shares
    /// everything else with `self`; `self` still checks.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::{Confo, WriteChecks};
    /// let confo = Confo::from_url("mem://").await?;
    /// assert_eq!(confo.forced().store()?.write_checks(), WriteChecks::Force);
    /// assert_eq!(confo.store()?.write_checks(), WriteChecks::Enforce);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn forced(&self) -> Confo {
        Confo {
            checks: WriteChecks::Force,
            ..self.clone()
        }
    }

    /// Retries reads that fail because the store cannot be reached (a lost
    /// ZooKeeper connection) with `policy`'s bounded exponential backoff:
    /// every read the manager makes goes through [`Confo::store`], so loads,
    /// the version reads of `save`, `save_field` and `update`,
    /// `use_namespace`, `reload`, `namespaces` and the first read of a
    /// [`crate::Live`] value (and its backoff while the store is away) all
    /// retry. Writes are not retried here: a write
    /// that lost its connection may or may not have been applied, and only
    /// `update`'s compare-and-set can tell (see [`crate::update_object`]).
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

    /// The active backend, bare: no retry, no local copies (for those, see
    /// [`Confo::store`]).
    pub fn backend(&self) -> Result<Arc<dyn Backend>> {
        let st = self.read_state();
        active(&st)
    }

    /// Every namespace of the active backend and the one in use.
    pub async fn namespaces(&self) -> Result<Namespaces> {
        let all_namespaces = self.store()?.backend().list_namespaces().await?;
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
