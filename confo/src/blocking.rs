//! The typed API for synchronous programs.
//!
//! [`blocking::Confo`](Confo) owns a small single-threaded tokio runtime and
//! runs the async loaders on it. Do not use it from inside an async runtime
//! (it returns an error there rather than deadlock or panic); use
//! [`crate::Confo`](struct@crate::Confo) instead. Drop it outside of async code too.
//!
//! ```
//! use confo::blocking;
//!
//! #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
//! #[confo(namespace = "systemA", name = "database")]
//! struct Database { host: String, port: u16 }
//!
//! let confo = blocking::Confo::from_url("mem://")?;
//! confo.save(&Database { host: "db".into(), port: 5432 })?;
//! let db: Database = confo.load()?;
//! assert_eq!(db.port, 5432);
//! confo.save_field(Database::fields().port, 5433)?;
//! assert_eq!(confo.load_field(Database::fields().port)?, 5433);
//! # Ok::<(), confo::Error>(())
//! ```

use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::name::Version;
use crate::typed::{AsBackend, Config, Field, Loaded};

/// A [`crate::Confo`](struct@crate::Confo) with a runtime of its own and blocking methods.
#[derive(Debug, Clone)]
pub struct Confo {
    inner: crate::Confo,
    runtime: Arc<tokio::runtime::Runtime>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::BlockingInAsync);
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            backend: "confo::blocking".into(),
            op: "start",
            path: "a tokio runtime".into(),
            source,
        })
}

impl Confo {
    /// Wraps an async manager (built elsewhere, with overrides set...).
    ///
    /// ```
    /// let async_confo = confo::Confo::with_backend(confo::backend::MemoryBackend::new());
    /// let confo = confo::blocking::Confo::new(async_confo)?;
    /// assert_eq!(confo.inner().backend()?.describe(), "mem://");
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn new(inner: crate::Confo) -> Result<Self> {
        Ok(Confo {
            inner,
            runtime: Arc::new(runtime()?),
        })
    }

    /// [`crate::Confo::from_url`], blocking.
    ///
    /// ```
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        let runtime = runtime()?;
        let inner = runtime.block_on(crate::Confo::from_url(url))?;
        Ok(Confo {
            inner,
            runtime: Arc::new(runtime),
        })
    }

    /// [`crate::Confo::from_env`], blocking.
    ///
    /// ```no_run
    /// let confo = confo::blocking::Confo::from_env()?;
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        let runtime = runtime()?;
        let inner = runtime.block_on(crate::Confo::from_env())?;
        Ok(Confo {
            inner,
            runtime: Arc::new(runtime),
        })
    }

    /// [`crate::Confo::with_env_overrides`].
    ///
    /// ```
    /// let confo = confo::blocking::Confo::from_url("mem://")?.with_env_overrides("APP");
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn with_env_overrides(mut self, prefix: &str) -> Self {
        self.inner = self.inner.with_env_overrides(prefix);
        self
    }

    /// [`crate::Confo::with_overrides_from`].
    ///
    /// ```
    /// let confo = confo::blocking::Confo::from_url("mem://")?
    ///     .with_overrides_from("APP", [("APP__SYSTEMA__DATABASE__PORT", "1")]);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn with_overrides_from<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        prefix: &str,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.inner = self.inner.with_overrides_from(prefix, vars);
        self
    }

    /// The async manager inside (for the Python-style API).
    ///
    /// ```
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// assert!(confo.inner().current_namespace().is_err());
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn inner(&self) -> &crate::Confo {
        &self.inner
    }

    /// Runs any future of the async API on this runtime.
    ///
    /// ```
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// let created = confo.block_on(confo.inner().create_namespace("systemA"))?;
    /// assert!(created);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// [`crate::Confo::load`], blocking.
    ///
    /// ```
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "a")] struct Database { port: u16 }
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// confo.save(&Database { port: 1 })?;
    /// assert_eq!(confo.load::<Database>()?.port, 1);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn load<T: Config>(&self) -> Result<T> {
        self.block_on(self.inner.load::<T>())
    }

    /// [`crate::Confo::namespace`], blocking: the typed methods in
    /// `namespace` (see [`Scoped`]).
    ///
    /// ```
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)] struct Email { port: u16 }
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// confo.namespace("systemB").save(&Email { port: 25 })?;
    /// assert_eq!(confo.namespace("systemB").load::<Email>()?.port, 25);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn namespace(&self, namespace: impl Into<String>) -> Scoped<'_> {
        Scoped {
            confo: self,
            namespace: namespace.into(),
        }
    }

    /// [`crate::Confo::load_versioned`], blocking.
    ///
    /// ```
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "a")] struct Database { port: u16 }
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// confo.save(&Database { port: 1 })?;
    /// let mut db = confo.load_versioned::<Database>()?;
    /// db.port = 2;
    /// confo.save_versioned(&mut db)?;
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn load_versioned<T: Config>(&self) -> Result<Loaded<T>> {
        self.block_on(self.inner.load_versioned::<T>())
    }

    /// [`Loaded::save`], blocking.
    ///
    /// ```
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "a")] struct Database { port: u16 }
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// confo.save(&Database { port: 1 })?;
    /// let mut db = confo.load_versioned::<Database>()?;
    /// let before = db.version();
    /// confo.save_versioned(&mut db)?;
    /// assert_ne!(db.version(), before);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn save_versioned<T: Config + Serialize>(&self, loaded: &mut Loaded<T>) -> Result<Version> {
        self.block_on(loaded.save(&self.inner))
    }

    /// [`crate::Confo::save`], blocking.
    ///
    /// ```
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "a")] struct Database { port: u16 }
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// confo.save(&Database { port: 1 })?;
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn save<T: Config + Serialize>(&self, value: &T) -> Result<Version> {
        self.block_on(self.inner.save(value))
    }

    /// [`crate::Confo::load_field`], blocking.
    ///
    /// ```
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "a")] struct Database { port: u16 }
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// confo.save(&Database { port: 1 })?;
    /// assert_eq!(confo.load_field(Database::fields().port)?, 1);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn load_field<C: Config, V: DeserializeOwned>(&self, field: Field<C, V>) -> Result<V> {
        self.block_on(self.inner.load_field(field))
    }

    /// [`crate::Confo::save_field`], blocking.
    ///
    /// ```
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "a")] struct Database { port: u16 }
    /// let confo = confo::blocking::Confo::from_url("mem://")?;
    /// confo.save(&Database { port: 1 })?;
    /// confo.save_field(Database::fields().port, 2)?;
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn save_field<C: Config, V: Serialize>(
        &self,
        field: Field<C, V>,
        value: V,
    ) -> Result<Version> {
        self.block_on(self.inner.save_field(field, value))
    }
}

/// A [`Confo`] scoped to one namespace ([`crate::Scoped`], blocking), from
/// [`Confo::namespace`].
///
/// ```
/// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)] struct Email { port: u16 }
/// let confo = confo::blocking::Confo::from_url("mem://")?;
/// let system_b = confo.namespace("systemB");
/// system_b.save(&Email { port: 25 })?;
/// system_b.save_field(Email::fields().port, 587)?;
/// assert_eq!(system_b.load_field(Email::fields().port)?, 587);
/// assert_eq!(system_b.load_versioned::<Email>()?.port, 587);
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Debug)]
pub struct Scoped<'a> {
    confo: &'a Confo,
    namespace: String,
}

impl Scoped<'_> {
    fn scoped(&self) -> crate::Scoped<'_> {
        self.confo.inner.namespace(self.namespace.as_str())
    }

    /// [`crate::Scoped::load`], blocking.
    pub fn load<T: Config>(&self) -> Result<T> {
        self.confo.block_on(self.scoped().load::<T>())
    }

    /// [`crate::Scoped::load_versioned`], blocking.
    pub fn load_versioned<T: Config>(&self) -> Result<Loaded<T>> {
        self.confo.block_on(self.scoped().load_versioned::<T>())
    }

    /// [`crate::Scoped::save`], blocking.
    pub fn save<T: Config + Serialize>(&self, value: &T) -> Result<Version> {
        self.confo.block_on(self.scoped().save(value))
    }

    /// [`crate::Scoped::load_field`], blocking.
    pub fn load_field<C: Config, V: DeserializeOwned>(&self, field: Field<C, V>) -> Result<V> {
        self.confo.block_on(self.scoped().load_field(field))
    }

    /// [`crate::Scoped::save_field`], blocking.
    pub fn save_field<C: Config, V: Serialize>(
        &self,
        field: Field<C, V>,
        value: V,
    ) -> Result<Version> {
        self.confo.block_on(self.scoped().save_field(field, value))
    }
}

/// [`Config::load_from`], blocking, on a runtime made for the call.
///
/// ```
/// use confo::backend::{Backend, Expect, MemoryBackend};
///
/// #[derive(confo::Confo, serde::Deserialize)]
/// #[confo(namespace = "systemA")]
/// struct Database { port: u16 }
///
/// let store = MemoryBackend::new();
/// let confo = confo::blocking::Confo::new(confo::Confo::with_backend(store.clone()))?;
/// confo.block_on(store.write(&"systemA/database".parse()?, br#"{"port":1}"#, Expect::Any))?;
/// let db: Database = confo::blocking::load_from(&store)?;
/// assert_eq!(db.port, 1);
///
/// // In a namespace given at run time: scope the store.
/// use confo::AsBackend;
/// #[derive(confo::Confo, serde::Deserialize)]
/// struct Email { port: u16 }
/// confo.block_on(store.write(&"systemB/email".parse()?, br#"{"port":"25"}"#, Expect::Any))?;
/// let email: Email = confo::blocking::load_from(&store.namespace("systemB"))?;
/// assert_eq!(email.port, 25);
/// # Ok::<(), confo::Error>(())
/// ```
pub fn load_from<T: Config, B: AsBackend + ?Sized>(backend: &B) -> Result<T> {
    runtime()?.block_on(T::load_from(backend))
}
