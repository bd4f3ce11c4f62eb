//! Typed loads and saves on [`Confo`]: each resolves the path, takes the
//! manager's store, overrides and remembered version, and calls the typed
//! layer ([`crate::typed`]), which knows nothing of the manager.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::followers::Followers;
use super::Confo;
use crate::backend::Expect;
use crate::error::Result;
use crate::name::{ConfigPath, Version};
use crate::typed::overrides::{self, Applied, Override};
use crate::typed::{self, resolve, Config, Field, Loaded};

/// What a manager keeps for its typed methods: remembered versions and overrides.
#[derive(Default)]
pub(crate) struct TypedState {
    remembered: Mutex<HashMap<(String, ConfigPath), Memo>>,
    overrides: RwLock<Vec<Override>>,
    /// Bumped with every [`TypedState::add_overrides`]: followed values
    /// decoded under older overrides are not shared ([`Followers`]).
    overrides_epoch: AtomicU64,
    /// The typed values this manager follows ([`Confo::watch`]).
    pub(super) followers: Followers,
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
        self.overrides_epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// See `overrides_epoch`.
    pub(super) fn overrides_epoch(&self) -> u64 {
        self.overrides_epoch.load(Ordering::Relaxed)
    }

    pub(super) fn remember(
        &self,
        backend: &str,
        path: &ConfigPath,
        version: Version,
        applied: Vec<Applied>,
    ) {
        self.remembered().insert(
            (backend.to_owned(), path.clone()),
            Memo { version, applied },
        );
    }
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

    /// The path of `T`: the namespace given, else `T`'s, else the one in use.
    pub(super) fn typed_path<T: Config>(&self, given: Option<&str>) -> Result<ConfigPath> {
        let in_use = if given.is_none() && T::NAMESPACE.is_none() {
            self.current_namespace().ok()
        } else {
            None
        };
        resolve::<T>(given, in_use)
    }

    /// The overrides given to this manager, in the order they apply.
    pub(super) fn overrides(&self) -> Vec<Override> {
        self.typed().overrides()
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
        Ok(self.load_versioned_at::<T>(None).await?.into_inner())
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

    pub(super) async fn load_versioned_at<T: Config>(
        &self,
        namespace: Option<&str>,
    ) -> Result<Loaded<T>> {
        let path = self.typed_path::<T>(namespace)?;
        let store = self.store()?;
        let loaded = typed::load::<T>(&store, path, &self.overrides()).await?;
        self.typed().remember(
            store.describe(),
            loaded.path(),
            loaded.version(),
            loaded.applied.clone(),
        );
        Ok(loaded)
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
        self.save_remembered(value, None).await
    }

    pub(super) async fn save_remembered<T: Config + Serialize>(
        &self,
        value: &T,
        namespace: Option<&str>,
    ) -> Result<Version> {
        let path = self.typed_path::<T>(namespace)?;
        let store = self.store()?;
        let (expect, applied) = match self
            .typed()
            .remembered()
            .get(&(store.describe().to_owned(), path.clone()))
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
        let store = self.store()?;
        let version = typed::save(&store, value, path, expect, applied).await?;
        self.typed()
            .remember(store.describe(), path, version, applied.to_vec());
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

    pub(super) async fn load_field_at<C: Config, V: DeserializeOwned>(
        &self,
        field: Field<C, V>,
        namespace: Option<&str>,
    ) -> Result<V> {
        let path = self.typed_path::<C>(namespace)?;
        typed::load_field(&self.store()?, &path, field, &self.overrides()).await
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

    pub(super) async fn save_field_at<C: Config, V: Serialize>(
        &self,
        field: Field<C, V>,
        value: V,
        namespace: Option<&str>,
    ) -> Result<Version> {
        let path = self.typed_path::<C>(namespace)?;
        typed::save_field(&self.store()?, &path, field, value).await
    }
}

impl<T: Config + Serialize> Loaded<T> {
    /// Writes the value back if nobody changed it since it was read;
    /// [`crate::Error::VersionConflict`] otherwise. Moves the version on.
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
    pub async fn save(&mut self, confo: &Confo) -> Result<Version> {
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

impl<C: Config, V: DeserializeOwned + Send> Field<C, V> {
    /// Reads this field: same as [`Confo::load_field`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # use confo::Confo;
    /// #[derive(Confo, serde::Deserialize)]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// confo.create_namespace("systemA").await?;
    /// confo.use_namespace("systemA").await?;
    /// confo.set("database", serde_json::json!({"port": "5432"}))?;
    /// confo.persist().await?;
    /// assert_eq!(Database::fields().port.load(&confo).await?, 5432);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn load(&self, confo: &Confo) -> Result<V> {
        confo.load_field(*self).await
    }
}

impl<C: Config, V: Serialize + Send + Sync> Field<C, V> {
    /// Writes this field: same as [`Confo::save_field`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # use confo::Confo;
    /// #[derive(Confo, serde::Deserialize)]
    /// #[confo(namespace = "systemA")]
    /// struct Database { port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// confo.create_namespace("systemA").await?;
    /// confo.use_namespace("systemA").await?;
    /// confo.set("database", serde_json::json!({"port": 5432}))?;
    /// confo.persist().await?;
    /// Database::fields().port.save(&confo, 5433).await?;
    /// assert_eq!(confo.load_field(Database::fields().port).await?, 5433);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn save(&self, confo: &Confo, value: V) -> Result<Version> {
        confo.save_field(*self, value).await
    }
}
