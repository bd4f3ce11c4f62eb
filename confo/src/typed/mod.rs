//! The typed layer: [`Config`] (implemented by `#[derive(Confo)]`), typed
//! loads and saves as functions over a [`Store`] (the facade,
//! [`crate::Confo`], calls them), typed field access, and decoding with
//! field-path errors. This is the one module that knows serde for user types.
//!
//! # Remembering versions
//!
//! Writes are compare-and-set. Two ways to say against what:
//!
//! - [`crate::Confo::load_versioned`] returns a [`Loaded<T>`] that carries the
//!   version it was read at; [`Loaded::save`] writes against that version
//!   and moves it on. Explicit; use it where several copies are in flight.
//! - [`crate::Confo::load`] returns a plain `T`, and the manager remembers the
//!   version of the last typed load or save of each configuration (shared by
//!   clones of the manager). `t.save(&confo)` / [`crate::Confo::save`] write against
//!   it; when the configuration was never loaded through this manager, the
//!   save creates it and fails with [`Error::VersionConflict`] if it exists.
//!
//! Either way a save keeps the stored keys the Rust type does not know
//! (written by another program), and does not write machine overrides back.
//!
//! # Decoding
//!
//! Errors ([`Error::Decode`]) name the backend, the configuration, and every
//! field that failed at once, with its path from the configuration name
//! (`database.port`), what was expected and what kind of JSON was found
//! (never the value). Numbers and booleans stored as strings (`"3306"`,
//! `"true"`, Python's `"True"`) decode into numeric and `bool` fields;
//! nothing else is coerced. Otherwise decoding is exactly
//! `serde_json::from_slice::<T>`; the rules are in `docs/typed.md`.

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::backend::{Backend, Expect};
use crate::error::{Error, Result};
use crate::json;
use crate::name::{ConfigName, ConfigPath, Namespace, Version};
use crate::retry::RetryPolicy;
use crate::store::{fetch_with, Freshness, Store};

pub(crate) mod decode;
mod decoding;
mod field;
pub mod overrides;
mod schema;
mod secret;

pub use decoding::decode;
pub(crate) use decoding::decode_bytes;
pub(crate) use decoding::decode_read;
use decoding::{decode_as, parse_with_overrides};
pub use field::Field;
use overrides::{Applied, Override};
pub use schema::{Schema, Violation};
pub use secret::Secret;

/// How many times [`crate::Confo::save_field`] re-reads and retries after a
/// concurrent write before it gives up with [`Error::VersionConflict`].
///
/// ```
/// assert!(confo::SAVE_FIELD_ATTEMPTS > 1);
/// ```
pub const SAVE_FIELD_ATTEMPTS: usize = 5;

/// A Rust type tied to one stored configuration. Implement it with
/// `#[derive(Confo)]`:
///
/// ```
/// use confo::{Config, ConfigPathConst, Confo, Secret};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Confo, Deserialize, Serialize, Debug)]
/// #[confo(namespace = "systemA", name = "database")]
/// struct Database {
///     host: String,
///     port: u16,
///     password: Secret<String>,
/// }
///
/// assert_eq!(Database::NAMESPACE, Some("systemA"));
/// assert_eq!(Database::NAME, "database");
/// assert_eq!(Database::PATH, "/confo/systemA/database");
///
/// // `name` defaults to the struct name in snake_case; without a
/// // namespace, the caller gives one at run time
/// // (`confo.namespace("systemB").load()`), and there is no `PATH`
/// // (using it does not compile).
/// #[derive(Confo, Deserialize)]
/// struct SmtpSettings { port: u16 }
/// assert_eq!(SmtpSettings::NAME, "smtp_settings");
/// assert_eq!(SmtpSettings::NAMESPACE, None);
/// ```
///
/// The attribute `#[confo(namespace = "...", name = "...")]` takes string
/// literals checked at compile time against the naming rules (not empty, no
/// `/`, not `.`, `..` or `zookeeper`, no control characters, at most 250
/// bytes). The derive also generates `T::fields()`, the typed [`Field`]
/// handles, in a struct named `<T>Fields`, and, as items of the type
/// itself (so `use confo::Confo;` is all a service imports), the consts
/// `T::NAMESPACE`, `T::NAME`, `T::PATH` and the loaders `T::load(&confo)`,
/// `t.save(&confo)`, `T::watch(&confo)`. This trait is for generic code:
/// `confo.load::<T>()` takes any `T: Config`.
pub trait Config: DeserializeOwned + Send + Sync + 'static {
    /// The namespace, when the type declares one.
    const NAMESPACE: Option<&'static str>;
    /// The configuration name.
    const NAME: &'static str;
    /// The JSON keys the type reads (renames and aliases applied): `save`
    /// keeps stored keys not in this list, and overrides may name these
    /// keys when they are not stored. The derive fills it in.
    #[doc(hidden)]
    const KEYS: &'static [&'static str] = &[];

    /// Loads the configuration straight from a backend (any [`AsBackend`]:
    /// `&dyn Backend`, `&Arc<dyn Backend>`, a backend value, a
    /// [`crate::Store`]), with no manager: no overrides, no remembered
    /// version. The namespace is the one the handle is scoped to
    /// ([`AsBackend::namespace`]: `T::load_from(&store.namespace("ns"))`),
    /// else the type's own. The read goes through
    /// the store's policy: a [`crate::Store`]'s own (its retry and local
    /// copies), else [`crate::RetryPolicy::default`] and no local copies.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// use confo::Config;
    ///
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let store = MemoryBackend::new();
    /// store.write(&"systemA/database".parse()?, br#"{"port":5432}"#, Expect::Any).await?;
    /// assert_eq!(Database::load_from(&store).await?.port, 5432);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    fn load_from<B: AsBackend + ?Sized>(
        backend: &B,
    ) -> impl Future<Output = Result<Self>> + Send + '_ {
        async move {
            let path = resolve::<Self>(backend.scope(), None)?;
            load_from::<Self>(backend, &path).await
        }
    }

    /// Publishes this type's schema for its configuration under `confo`'s
    /// service name: [`crate::Confo::publish_schema`], called on the type.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::Config;
    ///
    /// #[derive(confo::Confo, serde::Deserialize, confo::schemars::JsonSchema)]
    /// #[schemars(crate = "confo::schemars")]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?.with_service("billing");
    /// Database::publish_schema(&confo).await?;
    /// let published = confo::published_schemas(&*confo.backend()?, &"systemA/database".parse()?).await?;
    /// assert_eq!(published[0].service, "billing");
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    fn publish_schema(confo: &crate::Confo) -> impl Future<Output = Result<Version>> + Send + '_
    where
        Self: schemars::JsonSchema,
    {
        confo.publish_schema::<Self>()
    }
}

/// Anything that is or holds a backend: a backend value, `dyn Backend`,
/// `Arc<dyn Backend>` (what [`crate::Confo::backend`] returns), `Arc<B>`, a
/// [`Store`]. What [`Config::load_from`] takes.
///
/// ```
/// use confo::{backend::{Backend, MemoryBackend}, AsBackend};
/// use std::sync::Arc;
///
/// let store: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
/// assert_eq!(store.as_backend().describe(), "mem://");
/// assert_eq!(MemoryBackend::new().as_backend().describe(), "mem://");
/// ```
pub trait AsBackend: Send + Sync {
    /// The backend (see the trait's example).
    fn as_backend(&self) -> &dyn Backend;

    /// The store, with its read policy, when this is one.
    fn as_store(&self) -> Option<&Store> {
        None
    }

    /// The namespace this handle is scoped to, when it is one; what
    /// [`Config::load_from`] reads in. Not an API: scope with
    /// [`AsBackend::namespace`].
    #[doc(hidden)]
    fn scope(&self) -> Option<&str> {
        None
    }

    /// This backend (or store) scoped to a namespace given at run time, as
    /// `confo.namespace("ns")` scopes a [`crate::Confo`]:
    /// `T::load_from(&store.namespace("ns"))` reads `ns/<T::NAME>` through
    /// the same read policy. The name is checked when it is used.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// use confo::{AsBackend, Config};
    ///
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// struct Email { port: u16 }
    ///
    /// let store = MemoryBackend::new();
    /// store.write(&"systemB/email".parse()?, br#"{"port":25}"#, Expect::Any).await?;
    /// assert_eq!(Email::load_from(&store.namespace("systemB")).await?.port, 25);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    fn namespace<'a>(&'a self, namespace: &'a str) -> InNamespace<'a, Self> {
        InNamespace {
            backend: self,
            namespace,
        }
    }
}

/// A backend or store scoped to a namespace, what [`AsBackend::namespace`]
/// returns; [`Config::load_from`] reads in that namespace.
///
/// ```
/// use confo::{backend::MemoryBackend, AsBackend};
///
/// let store = MemoryBackend::new();
/// let scoped = store.namespace("systemB");
/// assert_eq!(scoped.as_backend().describe(), "mem://");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct InNamespace<'a, B: ?Sized> {
    backend: &'a B,
    namespace: &'a str,
}

impl<B: AsBackend + ?Sized> AsBackend for InNamespace<'_, B> {
    fn as_backend(&self) -> &dyn Backend {
        self.backend.as_backend()
    }
    fn as_store(&self) -> Option<&Store> {
        self.backend.as_store()
    }
    fn scope(&self) -> Option<&str> {
        Some(self.namespace)
    }
}

impl<B: Backend> AsBackend for B {
    fn as_backend(&self) -> &dyn Backend {
        self
    }
}

impl AsBackend for dyn Backend {
    fn as_backend(&self) -> &dyn Backend {
        self
    }
}

impl<B: AsBackend + ?Sized> AsBackend for std::sync::Arc<B> {
    fn as_backend(&self) -> &dyn Backend {
        (**self).as_backend()
    }
    fn as_store(&self) -> Option<&Store> {
        (**self).as_store()
    }
    fn scope(&self) -> Option<&str> {
        (**self).scope()
    }
}

impl AsBackend for Store {
    fn as_backend(&self) -> &dyn Backend {
        self.backend()
    }
    fn as_store(&self) -> Option<&Store> {
        Some(self)
    }
}

/// The configuration path of a type that declares its namespace, as a
/// constant. Implemented by `#[derive(Confo)]` only when the attribute gives
/// `namespace`, so `T::PATH` on a type without one does not compile.
///
/// ```
/// use confo::ConfigPathConst;
///
/// #[derive(confo::Confo, serde::Deserialize)]
/// #[confo(namespace = "systemB", name = "email")]
/// struct Smtp { port: u16 }
///
/// assert_eq!(Smtp::PATH, "/confo/systemB/email");
/// ```
pub trait ConfigPathConst: Config {
    /// The znode path, `/confo/<namespace>/<name>`.
    const PATH: &'static str;
}

/// A configuration value with the version it was read at.
///
/// Dereferences to the value; [`Loaded::save`] writes it back with
/// compare-and-set against that version.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::Confo;
///
/// #[derive(Confo, serde::Deserialize, serde::Serialize)]
/// #[confo(namespace = "systemA")]
/// struct Database { port: u16 }
///
/// let confo = Confo::from_url("mem://").await?;
/// confo.save(&Database { port: 1 }).await?;
/// let mut a = confo.load_versioned::<Database>().await?;
/// let mut b = confo.load_versioned::<Database>().await?;
/// a.port = 2;
/// a.save(&confo).await?;
/// b.port = 3;
/// assert!(b.save(&confo).await.unwrap_err().is_conflict()); // b is stale
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub struct Loaded<T> {
    pub(crate) value: T,
    pub(crate) path: ConfigPath,
    pub(crate) version: Version,
    pub(crate) applied: Vec<Applied>,
    pub(crate) freshness: Freshness,
}

impl<T> Loaded<T> {
    /// The version the value was read (or last saved) at.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "systemA")] struct Database { port: u16 }
    /// # let confo = confo::Confo::from_url("mem://").await?;
    /// # confo.save(&Database { port: 1 }).await?;
    /// let db = confo.load_versioned::<Database>().await?;
    /// println!("read at version {}", db.version());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn version(&self) -> Version {
        self.version
    }

    /// Where it was read from.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "systemA")] struct Database { port: u16 }
    /// # let confo = confo::Confo::from_url("mem://").await?;
    /// # confo.save(&Database { port: 1 }).await?;
    /// let db = confo.load_versioned::<Database>().await?;
    /// assert_eq!(db.path().to_string(), "systemA/database");
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn path(&self) -> &ConfigPath {
        &self.path
    }

    /// The value, without its version.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "systemA")] struct Database { port: u16 }
    /// # let confo = confo::Confo::from_url("mem://").await?;
    /// # confo.save(&Database { port: 1 }).await?;
    /// let db: Database = confo.load_versioned::<Database>().await?.into_inner();
    /// assert_eq!(db.port, 1);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }

    /// [`Freshness::Fresh`] when read from the store, [`Freshness::Stale`]
    /// when the store could not be reached and the value is a local copy
    /// (see [`crate::Confo::keep_local_copies`]).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "systemA")] struct Database { port: u16 }
    /// # let confo = confo::Confo::from_url("mem://").await?;
    /// # confo.save(&Database { port: 1 }).await?;
    /// let db = confo.load_versioned::<Database>().await?;
    /// assert_eq!(db.freshness(), confo::Freshness::Fresh);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn freshness(&self) -> Freshness {
        self.freshness
    }
}

impl<T> Deref for Loaded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Loaded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Loaded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("value", &self.value)
            .field("path", &self.path)
            .field("version", &self.version)
            .finish()
    }
}

/// The path of `T`: the namespace given, else `T`'s, else the manager's in use.
pub(crate) fn resolve<T: Config>(
    given: Option<&str>,
    in_use: Option<Namespace>,
) -> Result<ConfigPath> {
    let namespace = match (given, T::NAMESPACE, in_use) {
        (Some(ns), _, _) | (None, Some(ns), _) => Namespace::new(ns)?,
        (None, None, Some(ns)) => ns,
        (None, None, None) => {
            return Err(Error::MissingNamespace {
                type_name: type_name::<T>(),
                name: T::NAME,
            })
        }
    };
    Ok(ConfigPath::new(namespace, ConfigName::new(T::NAME)?))
}

/// [`Config::load_from`]'s read: the store's policy when given a store,
/// else the default retry and no local copies.
async fn load_from<T: Config>(backend: &(impl AsBackend + ?Sized), path: &ConfigPath) -> Result<T> {
    let read = match backend.as_store() {
        Some(store) => store.fetch(path).await?,
        None => fetch_with(backend.as_backend(), &RetryPolicy::default(), None, path).await?,
    };
    let describe = backend.as_backend().describe();
    Ok(decode_read::<T>(describe, path, &read.value.bytes, &[])?.0)
}

/// Reads `path` through `store` (retry, local copies), applies
/// `overrides`, and decodes it into `T`.
pub(crate) async fn load<T: Config>(
    store: &Store,
    path: ConfigPath,
    overrides: &[Override],
) -> Result<Loaded<T>> {
    let read = store.fetch(&path).await?;
    let (value, applied) = decode_read::<T>(store.describe(), &path, &read.value.bytes, overrides)?;
    Ok(Loaded {
        value,
        path,
        version: read.value.version,
        applied,
        freshness: read.freshness,
    })
}

/// Writes `value` to `path` with compare-and-set against `expect`, keeping
/// the stored keys `T` does not know and writing back the stored value of
/// fields an override set (unless changed). The current value is read
/// through the store's retry (never a local copy: a write needs the
/// stored version).
pub(crate) async fn save<T: Config + Serialize>(
    store: &Store,
    value: &T,
    path: &ConfigPath,
    expect: Expect,
    applied: &[Applied],
) -> Result<Version> {
    let backend = store.backend();
    let mut object = encode_object(value, backend.describe(), path)?;
    let stored = match backend.read(path).await {
        Ok(read) => json::parse_object(backend.describe(), &path.to_string(), &read.bytes).ok(),
        Err(Error::NotFound { .. }) | Err(Error::NamespaceNotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    if let Some(stored) = stored {
        for (key, v) in stored {
            if !T::KEYS.contains(&key.as_str()) && !object.contains_key(&key) {
                object.insert(key, v);
            }
        }
    }
    for a in applied {
        if overrides::get(&object, &a.keys).is_some_and(|now| overrides::unchanged(now, &a.value)) {
            overrides::set(&mut object, &a.keys, a.stored.clone());
        }
    }
    backend.write(path, &json::to_bytes(&object), expect).await
}

/// Reads one field of the configuration at `path` through `store`, typed,
/// with `overrides` applied (see [`crate::Confo::load_field`]).
pub(crate) async fn load_field<C: Config, V: DeserializeOwned>(
    store: &Store,
    path: &ConfigPath,
    field: Field<C, V>,
    overrides: &[Override],
) -> Result<V> {
    let read = store.fetch(path).await?.value;
    let describe = store.describe();
    let (map, applied) = parse_with_overrides(describe, path, &read.bytes, overrides, C::KEYS)?;
    let found = map
        .get(field.key())
        .or_else(|| field.aliases().iter().find_map(|a| map.get(*a)));
    match found {
        Some(value) => decode_as::<V>(describe, path, value, &field.path(), &applied),
        None => field
            .default_value()
            .or_else(decode::decode_missing::<V>)
            .ok_or_else(|| Error::FieldNotFound {
                backend: describe.to_owned(),
                path: path.to_string(),
                field: field.key().to_owned(),
            }),
    }
}

/// Writes one field of the configuration at `path` (see
/// [`crate::Confo::save_field`]): compare-and-set against a read through
/// the store's retry, again on a concurrent change, up to
/// [`SAVE_FIELD_ATTEMPTS`] times.
pub(crate) async fn save_field<C: Config, V: Serialize>(
    store: &Store,
    path: &ConfigPath,
    field: Field<C, V>,
    value: V,
) -> Result<Version> {
    let backend = store.backend();
    let json_value = serde_json::to_value(&value).map_err(|e| Error::Encode {
        what: field.path(),
        message: e.to_string(),
    })?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let read = backend.read(path).await?;
        let mut map = json::parse_object(backend.describe(), &path.to_string(), &read.bytes)?;
        let key = if map.contains_key(field.key()) {
            field.key()
        } else {
            field
                .aliases()
                .iter()
                .copied()
                .find(|a| map.contains_key(*a))
                .unwrap_or(field.key())
        };
        map.insert(key.to_owned(), json_value.clone());
        match backend
            .write(path, &json::to_bytes(&map), Expect::Version(read.version))
            .await
        {
            Err(e) if e.is_conflict() && attempt < SAVE_FIELD_ATTEMPTS => {
                tracing::debug!(%path, attempt, "save_field: concurrent write, retrying");
            }
            other => return other,
        }
    }
}

/// Read-modify-write of `T` at `path` through the store (see
/// [`crate::Confo::update`]): reads retry with the store's policy; the
/// update's own compare-and-set rounds are [`crate::store::UpdatePolicy`]'s.
pub(crate) async fn update<T: Config + Serialize>(
    store: &Store,
    path: &ConfigPath,
    mut change: impl FnMut(&mut T),
) -> Result<T> {
    let describe = store.describe().to_owned();
    let mut written: Option<T> = None;
    // The store's backend retries its reads already; the update's own
    // retry would only repeat them.
    let policy = crate::store::UpdatePolicy {
        retry: RetryPolicy::none(),
        ..crate::store::UpdatePolicy::default()
    };
    crate::store::update_object(store.backend(), path, &policy, |map| {
        let mut value: T = decode_as::<T>(
            &describe,
            path,
            &Value::Object(map.clone()),
            path.name().as_str(),
            &[],
        )?;
        change(&mut value);
        map.extend(encode_object(&value, &describe, path)?);
        written = Some(value);
        Ok(())
    })
    .await?;
    written.ok_or_else(|| Error::Encode {
        what: type_name::<T>().to_owned(),
        message: "update finished without a value".into(),
    })
}

/// Encodes a configuration value as the JSON object it is stored as.
fn encode_object<T: Serialize>(
    value: &T,
    describe: &str,
    path: &ConfigPath,
) -> Result<Map<String, Value>> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::NotAnObject {
            backend: describe.to_owned(),
            path: path.to_string(),
            found: json::kind(&other),
        }),
        Err(e) => Err(Error::Encode {
            what: type_name::<T>().to_owned(),
            message: e.to_string(),
        }),
    }
}
