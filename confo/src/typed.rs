//! The typed layer: [`Config`] (implemented by `#[derive(Confo)]`), loaders
//! and savers on [`Confo`], typed field access, and decoding with field-path
//! errors. This is the one module that knows serde for user types.
//!
//! # Remembering versions
//!
//! Writes are compare-and-set. Two ways to say against what:
//!
//! - [`Confo::load_versioned`] returns a [`Loaded<T>`] that carries the
//!   version it was read at; [`Loaded::save`] writes against that version
//!   and moves it on. Explicit; use it where several copies are in flight.
//! - [`Confo::load`] returns a plain `T`, and the manager remembers the
//!   version of the last typed load or save of each configuration (shared by
//!   clones of the manager). [`Config::save`] / [`Confo::save`] write against
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
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::backend::{Backend, Expect, Version};
use crate::error::{Error, FieldError, Result};
use crate::field::Field;
use crate::json;
use crate::manager::Confo;
use crate::name::{ConfigPath, Namespace};
use crate::overrides::{self, Applied, Override};

pub(crate) mod decode;

/// How many times [`Confo::save_field`] re-reads and retries after a
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
/// // namespace, the caller gives one at run time (`load_in`), and there
/// // is no `PATH` (using it does not compile).
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
/// handles, in a struct named `<T>Fields`.
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

    /// Loads the configuration: same as [`Confo::load`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::{Config, Confo};
    ///
    /// #[derive(Confo, serde::Deserialize)]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// confo.backend()?.write(&"systemA/database".parse()?, br#"{"port":5432}"#, confo::backend::Expect::Any).await?;
    /// let db = Database::load(&confo).await?;
    /// assert_eq!(db.port, 5432);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    fn load(confo: &Confo) -> impl Future<Output = Result<Self>> + Send {
        confo.load::<Self>()
    }

    /// Loads the configuration from `namespace`: same as [`Confo::load_in`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::{Config, Confo};
    ///
    /// #[derive(Confo, serde::Deserialize)]
    /// struct Email { port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// confo.backend()?.write(&"systemB/email".parse()?, br#"{"port":"25"}"#, confo::backend::Expect::Any).await?;
    /// assert_eq!(Email::load_in(&confo, "systemB").await?.port, 25);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    fn load_in<'a>(
        confo: &'a Confo,
        namespace: &'a str,
    ) -> impl Future<Output = Result<Self>> + Send + 'a {
        confo.load_in::<Self>(namespace)
    }

    /// Loads the configuration straight from a backend (any [`AsBackend`]:
    /// `&dyn Backend`, `&Arc<dyn Backend>`, a backend value), with no manager: no
    /// overrides, no remembered version. The type must declare its namespace.
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
            let path = resolve::<Self>(None, None)?;
            Ok(read_decode::<Self>(backend.as_backend(), &path, &[])
                .await?
                .0)
        }
    }

    /// [`Config::load_from`] in the namespace given.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// use confo::Config;
    ///
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// struct Email { port: u16 }
    ///
    /// let store = MemoryBackend::new();
    /// store.write(&"systemB/email".parse()?, br#"{"port":25}"#, Expect::Any).await?;
    /// assert_eq!(Email::load_from_in(&store, "systemB").await?.port, 25);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    fn load_from_in<'a, B: AsBackend + ?Sized>(
        backend: &'a B,
        namespace: &'a str,
    ) -> impl Future<Output = Result<Self>> + Send + 'a {
        async move {
            let path = resolve::<Self>(Some(namespace), None)?;
            Ok(read_decode::<Self>(backend.as_backend(), &path, &[])
                .await?
                .0)
        }
    }

    /// Saves the value: same as [`Confo::save`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::{Config, Confo};
    ///
    /// #[derive(Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// Database { port: 5432 }.save(&confo).await?; // creates it
    /// let mut db = Database::load(&confo).await?;
    /// db.port += 1;
    /// db.save(&confo).await?; // compare-and-set against the load
    /// assert_eq!(Database::load(&confo).await?.port, 5433);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    fn save<'a>(&'a self, confo: &'a Confo) -> impl Future<Output = Result<Version>> + Send + 'a
    where
        Self: Serialize,
    {
        confo.save(self)
    }
}

/// Anything that is or holds a backend: a backend value, `dyn Backend`,
/// `Arc<dyn Backend>` (what [`Confo::backend`] returns), `Arc<B>`.
/// What [`Config::load_from`] takes.
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
    value: T,
    path: ConfigPath,
    version: Version,
    applied: Vec<Applied>,
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

    /// Writes the value back if nobody changed it since it was read;
    /// [`Error::VersionConflict`] otherwise. Moves the version on.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// # #[confo(namespace = "systemA")] struct Database { port: u16 }
    /// # let confo = confo::Confo::from_url("mem://").await?;
    /// # confo.save(&Database { port: 1 }).await?;
    /// let mut db = confo.load_versioned::<Database>().await?;
    /// db.port = 2;
    /// let v = db.save(&confo).await?;
    /// assert_eq!(db.version(), v);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn save(&mut self, confo: &Confo) -> Result<Version>
    where
        T: Config + Serialize,
    {
        let version = confo
            .save_at(
                &self.value,
                &self.path,
                Expect::Version(self.version),
                &self.applied,
            )
            .await?;
        self.version = version;
        Ok(version)
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

/// What a manager keeps for the typed layer: remembered versions and overrides.
#[derive(Default)]
pub(crate) struct TypedState {
    remembered: Mutex<HashMap<(String, ConfigPath), Memo>>,
    overrides: RwLock<Vec<Override>>,
}

struct Memo {
    version: Version,
    applied: Vec<Applied>,
}

impl fmt::Debug for TypedState {
    // Counts only: overrides may hold secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedState")
            .field("remembered", &self.remembered().len())
            .field("overrides", &self.overrides().len())
            .finish()
    }
}

impl TypedState {
    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<(String, ConfigPath), Memo>> {
        // Each change is one insert: a poisoned lock still holds a consistent map.
        self.remembered.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn overrides(&self) -> Vec<Override> {
        self.overrides
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn add_overrides(&self, more: Vec<Override>) {
        let mut list = self.overrides.write().unwrap_or_else(|e| e.into_inner());
        list.extend(more);
        // Stable: the order given is kept among overrides of equal depth.
        list.sort_by_key(|o| o.field.len());
    }

    fn remember(&self, backend: &str, path: &ConfigPath, version: Version, applied: Vec<Applied>) {
        self.remembered().insert(
            (backend.to_owned(), path.clone()),
            Memo { version, applied },
        );
    }
}

/// The path of `T`: the namespace given, else `T`'s, else the manager's in use.
fn resolve<T: Config>(given: Option<&str>, in_use: Option<Namespace>) -> Result<ConfigPath> {
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
    Ok(ConfigPath::new(namespace, crate::ConfigName::new(T::NAME)?))
}

/// Reads `path`, applies `overrides`, and decodes it into `T`.
async fn read_decode<T: Config>(
    backend: &dyn Backend,
    path: &ConfigPath,
    overrides: &[Override],
) -> Result<(T, Version, Vec<Applied>)> {
    let read = backend.read(path).await?;
    let (decoded, applied) = decode_read::<T>(backend.describe(), path, &read.bytes, overrides)?;
    Ok((decoded, read.version, applied))
}

/// Applies `overrides` to stored bytes and decodes them into `T`. Without
/// an override of this configuration, the bytes are decoded as they are
/// (the fast path); with one, the overridden object is encoded again and
/// decoded the same way.
fn decode_read<T: Config>(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    overrides: &[Override],
) -> Result<(T, Vec<Applied>)> {
    let applies = overrides.iter().any(|o| {
        path.namespace().as_str().to_uppercase() == o.namespace
            && path.name().as_str().to_uppercase() == o.name
    });
    if !applies {
        if let Some(decoded) = decode::decode_object::<T>(bytes) {
            return Ok((decoded, Vec::new()));
        }
    }
    let (map, applied) = parse_with_overrides(describe, path, bytes, overrides, T::KEYS)?;
    let value = Value::Object(map);
    let owned;
    let bytes = if applied.is_empty() {
        bytes
    } else {
        owned = serde_json::to_vec(&value).unwrap_or_default();
        &owned
    };
    let decoded = decode_from::<T>(
        describe,
        path,
        bytes,
        &value,
        path.name().as_str(),
        &applied,
    )?;
    Ok((decoded, applied))
}

/// Decodes the bytes of a stored configuration into `T` by confo's rules
/// (`docs/typed.md`, "Decoding"): what every typed load does once it has
/// read them, without overrides. `path` names the source in errors.
///
/// ```
/// #[derive(confo::Confo, serde::Deserialize, Debug)]
/// #[confo(namespace = "systemA")]
/// struct Database { port: u16 }
///
/// let path = "systemA/database".parse()?;
/// let db: Database = confo::decode(&path, br#"{"port":"5432"}"#)?;
/// assert_eq!(db.port, 5432);
/// let err = confo::decode::<Database>(&path, br#"{"port":"x"}"#).unwrap_err();
/// assert!(err.to_string().ends_with("database.port: expected u16, found a string"));
/// # Ok::<(), confo::Error>(())
/// ```
pub fn decode<T: Config>(path: &ConfigPath, bytes: &[u8]) -> Result<T> {
    decode_bytes::<T>("input", path, bytes, &[])
}

/// Decodes stored bytes into `T` with `overrides` applied: what a live
/// value does on every change.
pub(crate) fn decode_bytes<T: Config>(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    overrides: &[Override],
) -> Result<T> {
    Ok(decode_read::<T>(describe, path, bytes, overrides)?.0)
}

fn parse_with_overrides(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    overrides: &[Override],
    declared: &[&str],
) -> Result<(Map<String, Value>, Vec<Applied>)> {
    let mut map = json::parse_object(describe, &path.to_string(), bytes)?;
    let applied = overrides::apply(overrides, describe, path, declared, &mut map)?;
    Ok((map, applied))
}

/// Decodes `value` into `V`; errors name every failing field, and the
/// override that supplied it, if one did.
fn decode_as<V: DeserializeOwned>(
    describe: &str,
    path: &ConfigPath,
    value: &Value,
    root: &str,
    applied: &[Applied],
) -> Result<V> {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    decode_from::<V>(describe, path, &bytes, value, root, applied)
}

/// Decodes `bytes` (parsed: `value`) into `V`, or says why not.
fn decode_from<V: DeserializeOwned>(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    value: &Value,
    root: &str,
    applied: &[Applied],
) -> Result<V> {
    if let Some(decoded) = decode::decode_value::<V>(bytes) {
        return Ok(decoded);
    }
    Err(Error::Decode {
        backend: describe.to_owned(),
        path: path.to_string(),
        type_name: type_name::<V>(),
        errors: decode::errors::<V>(bytes, value, root)
            .into_iter()
            .map(|e| attribute(e, path, applied))
            .collect(),
    })
}

fn attribute(mut error: FieldError, path: &ConfigPath, applied: &[Applied]) -> FieldError {
    for a in applied.iter().rev() {
        let field = format!("{}.{}", path.name(), a.keys.join("."));
        let rest = error.field.strip_prefix(&field);
        if matches!(rest, Some(r) if r.is_empty() || r.starts_with('.') || r.starts_with('[')) {
            error
                .message
                .push_str(&format!(" (value from {})", a.origin));
            break;
        }
    }
    error
}

impl Confo {
    /// Adds overrides from the process environment: each variable named
    /// `PREFIX__NAMESPACE__NAME__FIELD` replaces one field of a configuration
    /// when it is loaded (see [`crate::overrides`] for the rules and the
    /// precedence). The environment is read once, now.
    ///
    /// ```no_run
    /// # async fn run() -> confo::Result<()> {
    /// // APP__SYSTEMA__DATABASE__PORT=5433 ./service
    /// let confo = confo::Confo::from_env().await?.with_env_overrides("APP");
    /// # Ok(()) }
    /// ```
    pub fn with_env_overrides(self, prefix: &str) -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        self.with_overrides_from(prefix, vars)
    }

    /// [`Confo::with_env_overrides`] with the variables given instead of the
    /// process environment (for tests, or another source of the same shape).
    /// Errors name them as environment variables.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::Confo;
    ///
    /// #[derive(Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?
    ///     .with_overrides_from("APP", [("APP__SYSTEMA__DATABASE__PORT", "5433")]);
    /// confo.save(&Database { port: 5432 }).await?;
    /// assert_eq!(confo.load::<Database>().await?.port, 5433);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn with_overrides_from<K, V>(
        self,
        prefix: &str,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.typed().add_overrides(overrides::parse(prefix, vars));
        self
    }

    fn typed_path<T: Config>(&self, given: Option<&str>) -> Result<ConfigPath> {
        let in_use = if given.is_none() && T::NAMESPACE.is_none() {
            self.current_namespace().ok()
        } else {
            None
        };
        resolve::<T>(given, in_use)
    }

    /// Loads the configuration `T` declares, decoded, with this manager's
    /// overrides applied; remembers its version for [`Confo::save`].
    ///
    /// The namespace is `T`'s, else the one in use ([`Confo::use_namespace`]).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::{Confo, Secret};
    ///
    /// #[derive(Confo, serde::Deserialize, Debug)]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { port: u16, password: Secret<String> }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// let path = "systemA/database".parse()?;
    /// confo.backend()?.write(&path, br#"{"port":"5432","password":"pw"}"#, confo::backend::Expect::Any).await?;
    /// let db: Database = confo.load().await?;
    /// assert_eq!(db.port, 5432);
    /// assert_eq!(format!("{db:?}"), "Database { port: 5432, password: *** }");
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn load<T: Config>(&self) -> Result<T> {
        Ok(self.load_versioned_at::<T>(None).await?.value)
    }

    /// [`Confo::load`] from the namespace given (for types that declare none,
    /// or to read another namespace's copy).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// struct Email { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// let err = confo.load::<Email>().await.err().unwrap();
    /// assert!(err.to_string().contains("load_in"));
    /// confo.backend()?.write(&"systemB/email".parse()?, br#"{"port":25}"#, confo::backend::Expect::Any).await?;
    /// assert_eq!(confo.load_in::<Email>("systemB").await?.port, 25);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn load_in<T: Config>(&self, namespace: &str) -> Result<T> {
        Ok(self.load_versioned_at::<T>(Some(namespace)).await?.value)
    }

    /// [`Confo::load`], keeping the version with the value (see [`Loaded`]).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// let created = confo.save(&Database { port: 1 }).await?;
    /// let db = confo.load_versioned::<Database>().await?;
    /// assert_eq!(db.version(), created);
    /// assert_eq!(db.path().to_string(), "systemA/database");
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn load_versioned<T: Config>(&self) -> Result<Loaded<T>> {
        self.load_versioned_at::<T>(None).await
    }

    /// [`Confo::load_versioned`] from the namespace given.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// struct Email { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.backend()?.write(&"b/email".parse()?, br#"{"port":25}"#, confo::backend::Expect::Any).await?;
    /// assert_eq!(confo.load_versioned_in::<Email>("b").await?.port, 25);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn load_versioned_in<T: Config>(&self, namespace: &str) -> Result<Loaded<T>> {
        self.load_versioned_at::<T>(Some(namespace)).await
    }

    async fn load_versioned_at<T: Config>(&self, namespace: Option<&str>) -> Result<Loaded<T>> {
        let path = self.typed_path::<T>(namespace)?;
        let backend = self.backend()?;
        let overrides = self.typed().overrides();
        let read = self.read_config(&*backend, &path).await?;
        let (value, applied) =
            decode_read::<T>(backend.describe(), &path, &read.bytes, &overrides)?;
        let version = read.version;
        self.typed()
            .remember(backend.describe(), &path, version, applied.clone());
        Ok(Loaded {
            value,
            path,
            version,
            applied,
        })
    }

    /// Saves `value` with compare-and-set against the version of its last
    /// typed load or save through this manager; creates the configuration if
    /// it was never loaded here (and then fails if it exists). Stored keys
    /// that `T` does not know are kept; fields set by an override are
    /// written back with their stored value unless changed.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.save(&Database { port: 1 }).await?; // never loaded here: created
    /// confo.save(&Database { port: 2 }).await?; // against the version just written
    ///
    /// // Another manager over the same store has loaded nothing: its save
    /// // would overwrite blindly, so it is refused.
    /// let other = confo::Confo::new();
    /// other.load_backend("default", confo.backend()?).await?;
    /// other.activate_backend("default")?;
    /// assert!(other.save(&Database { port: 3 }).await.unwrap_err().is_conflict());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn save<T: Config + Serialize>(&self, value: &T) -> Result<Version> {
        self.save_in_at(value, None).await
    }

    /// [`Confo::save`] in the namespace given.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// struct Email { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.save_in(&Email { port: 25 }, "systemB").await?;
    /// assert_eq!(confo.load_in::<Email>("systemB").await?.port, 25);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn save_in<T: Config + Serialize>(
        &self,
        value: &T,
        namespace: &str,
    ) -> Result<Version> {
        self.save_in_at(value, Some(namespace)).await
    }

    async fn save_in_at<T: Config + Serialize>(
        &self,
        value: &T,
        namespace: Option<&str>,
    ) -> Result<Version> {
        let path = self.typed_path::<T>(namespace)?;
        let backend = self.backend()?;
        let (expect, applied) = match self
            .typed()
            .remembered()
            .get(&(backend.describe().to_owned(), path.clone()))
        {
            Some(memo) => (Expect::Version(memo.version), memo.applied.clone()),
            None => (Expect::Absent, Vec::new()),
        };
        self.save_at(value, &path, expect, &applied).await
    }

    async fn save_at<T: Config + Serialize>(
        &self,
        value: &T,
        path: &ConfigPath,
        expect: Expect,
        applied: &[Applied],
    ) -> Result<Version> {
        let backend = self.backend()?;
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
            if overrides::get(&object, &a.keys)
                .is_some_and(|now| overrides::unchanged(now, &a.value))
            {
                overrides::set(&mut object, &a.keys, a.stored.clone());
            }
        }
        let version = backend
            .write(path, &json::to_bytes(&object), expect)
            .await?;
        self.typed()
            .remember(backend.describe(), path, version, applied.to_vec());
        Ok(version)
    }

    /// Reads one field of a configuration, typed: `V` is the field's type.
    /// Overrides apply. A field absent from the store is its
    /// `#[serde(default)]`, or `None` for an `Option`, else
    /// [`Error::FieldNotFound`]. Named differently from the Python-style
    /// [`Confo::get_field`], which takes strings and returns JSON.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::Confo;
    ///
    /// #[derive(Confo, serde::Deserialize)]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { port: u16, replica: Option<String> }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// confo.backend()?.write(&"systemA/database".parse()?, br#"{"port":"5432"}"#, confo::backend::Expect::Any).await?;
    /// let port: u16 = confo.load_field(Database::fields().port).await?;
    /// assert_eq!(port, 5432);
    /// assert_eq!(confo.load_field(Database::fields().replica).await?, None);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn load_field<C: Config, V: DeserializeOwned>(
        &self,
        field: Field<C, V>,
    ) -> Result<V> {
        self.load_field_at(field, None).await
    }

    /// [`Confo::load_field`] in the namespace given (for types that declare none).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// struct Email { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.save_in(&Email { port: 25 }, "systemB").await?;
    /// confo.save_field_in(Email::fields().port, 587, "systemB").await?;
    /// assert_eq!(confo.load_field_in(Email::fields().port, "systemB").await?, 587);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn load_field_in<C: Config, V: DeserializeOwned>(
        &self,
        field: Field<C, V>,
        namespace: &str,
    ) -> Result<V> {
        self.load_field_at(field, Some(namespace)).await
    }

    async fn load_field_at<C: Config, V: DeserializeOwned>(
        &self,
        field: Field<C, V>,
        namespace: Option<&str>,
    ) -> Result<V> {
        let path = self.typed_path::<C>(namespace)?;
        let backend = self.backend()?;
        let read = self.read_config(&*backend, &path).await?;
        let overrides = self.typed().overrides();
        let (map, applied) =
            parse_with_overrides(backend.describe(), &path, &read.bytes, &overrides, C::KEYS)?;
        let found = map
            .get(field.key())
            .or_else(|| field.aliases().iter().find_map(|a| map.get(*a)));
        match found {
            Some(value) => {
                decode_as::<V>(backend.describe(), &path, value, &field.path(), &applied)
            }
            None => field
                .default_value()
                .or_else(decode::decode_missing::<V>)
                .ok_or_else(|| Error::FieldNotFound {
                    backend: backend.describe().to_owned(),
                    path: path.to_string(),
                    field: field.key().to_owned(),
                }),
        }
    }

    /// Writes one field of an existing configuration, typed: the value must
    /// be the field's type. Compare-and-set against the version just read;
    /// on a concurrent change it reads again and retries, up to
    /// [`SAVE_FIELD_ATTEMPTS`] times. Other fields are left as stored.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::Confo;
    ///
    /// #[derive(Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { host: String, port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// confo.save(&Database { host: "db".into(), port: 5432 }).await?;
    /// confo.save_field(Database::fields().port, 5433).await?;
    /// let db: Database = confo.load().await?;
    /// assert_eq!((db.host.as_str(), db.port), ("db", 5433));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn save_field<C: Config, V: Serialize>(
        &self,
        field: Field<C, V>,
        value: V,
    ) -> Result<Version> {
        self.save_field_at(field, value, None).await
    }

    /// [`Confo::save_field`] in the namespace given (for types that declare
    /// none); see [`Confo::load_field_in`].
    pub async fn save_field_in<C: Config, V: Serialize>(
        &self,
        field: Field<C, V>,
        value: V,
        namespace: &str,
    ) -> Result<Version> {
        self.save_field_at(field, value, Some(namespace)).await
    }

    async fn save_field_at<C: Config, V: Serialize>(
        &self,
        field: Field<C, V>,
        value: V,
        namespace: Option<&str>,
    ) -> Result<Version> {
        let path = self.typed_path::<C>(namespace)?;
        let backend = self.backend()?;
        let json_value = serde_json::to_value(&value).map_err(|e| Error::Encode {
            what: field.path(),
            message: e.to_string(),
        })?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let read = backend.read(&path).await?;
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
                .write(&path, &json::to_bytes(&map), Expect::Version(read.version))
                .await
            {
                Err(e) if e.is_conflict() && attempt < SAVE_FIELD_ATTEMPTS => {
                    tracing::debug!(%path, attempt, "save_field: concurrent write, retrying");
                }
                other => return other,
            }
        }
    }
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

/// Live values and conflict-free updates of typed configurations.
impl Confo {
    /// Follows the configuration `T` declares: a [`crate::Live`] whose
    /// [`get`](crate::Live::get) always returns the last value that decoded
    /// (with this manager's overrides applied).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// use confo::Confo;
    ///
    /// #[derive(Confo, serde::Deserialize)]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// let store = confo.backend()?;
    /// let path = "systemA/database".parse()?;
    /// store.write(&path, br#"{"port":5432}"#, confo::backend::Expect::Any).await?;
    ///
    /// let mut db = confo.watch::<Database>().await?;
    /// assert_eq!(db.get().port, 5432);
    /// store.write(&path, br#"{"port":"5433"}"#, confo::backend::Expect::Any).await?;
    /// assert_eq!(db.changed().await?.port, 5433);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn watch<T: Config>(&self) -> Result<crate::Live<T>> {
        self.watch_at::<T>(None).await
    }

    /// [`Confo::watch`] in the namespace given.
    pub async fn watch_in<T: Config>(&self, namespace: &str) -> Result<crate::Live<T>> {
        self.watch_at::<T>(Some(namespace)).await
    }

    async fn watch_at<T: Config>(&self, namespace: Option<&str>) -> Result<crate::Live<T>> {
        let path = self.typed_path::<T>(namespace)?;
        let overrides = self.typed().overrides();
        let decoder: crate::live::Decoder<T> = std::sync::Arc::new(move |describe, path, bytes| {
            decode_bytes::<T>(describe, path, bytes, &overrides)
        });
        self.watch_with(&path, decoder).await
    }

    /// Read-modify-write of the configuration `T` declares: decodes it,
    /// lets `change` edit it, and writes it back with compare-and-set; on a
    /// conflict it starts again from a fresh read (bounded by
    /// [`crate::UpdatePolicy::default`]), so concurrent updaters lose
    /// nothing. Keys stored but unknown to `T` are kept; overrides are
    /// neither applied nor written. Returns the value written.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// use confo::Confo;
    ///
    /// #[derive(Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA", name = "limits")]
    /// struct Limits { max_connections: u32 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// confo.backend()?.write(&"systemA/limits".parse()?, br#"{"max_connections":10,"note":"kept"}"#,
    ///     confo::backend::Expect::Any).await?;
    /// let after = confo.update::<Limits>(|l| l.max_connections += 5).await?;
    /// assert_eq!(after.max_connections, 15);
    /// let stored = confo.backend()?.read(&"systemA/limits".parse()?).await?;
    /// assert_eq!(&*stored.bytes, br#"{"max_connections":15,"note":"kept"}"#);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn update<T: Config + Serialize>(&self, change: impl FnMut(&mut T)) -> Result<T> {
        self.update_at::<T>(None, change).await
    }

    /// [`Confo::update`] in the namespace given.
    pub async fn update_in<T: Config + Serialize>(
        &self,
        namespace: &str,
        change: impl FnMut(&mut T),
    ) -> Result<T> {
        self.update_at::<T>(Some(namespace), change).await
    }

    async fn update_at<T: Config + Serialize>(
        &self,
        namespace: Option<&str>,
        mut change: impl FnMut(&mut T),
    ) -> Result<T> {
        let path = self.typed_path::<T>(namespace)?;
        let backend = self.backend()?;
        let describe = backend.describe().to_owned();
        let mut written: Option<T> = None;
        let policy = crate::UpdatePolicy {
            retry: self.retry_policy(),
            ..crate::UpdatePolicy::default()
        };
        crate::update::update_object(&*backend, &path, &policy, |map| {
            let mut value: T = decode_as::<T>(
                &describe,
                &path,
                &Value::Object(map.clone()),
                path.name().as_str(),
                &[],
            )?;
            change(&mut value);
            map.extend(encode_object(&value, &describe, &path)?);
            written = Some(value);
            Ok(())
        })
        .await?;
        written.ok_or_else(|| Error::Encode {
            what: type_name::<T>().to_owned(),
            message: "update finished without a value".into(),
        })
    }
}
