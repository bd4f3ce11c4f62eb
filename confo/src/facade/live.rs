//! Live values, namespace watches and read-modify-write updates on
//! [`Confo`]: each takes the manager's store (and, typed, its overrides)
//! and calls the live layer ([`crate::live`]) or the store's
//! [`crate::update_object`].

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::followers::Settings;
use super::Confo;
use crate::backend::{Versioned, Watch};
use crate::error::Result;
use crate::json;
use crate::live::{self, Decoder, Live, NamespaceWatch};
use crate::name::{ConfigPath, Namespace, Version};
use crate::retry::RetryPolicy;
use crate::store::{update_object, Fetched, Store, UpdatePolicy};
use crate::typed::{self, decode_bytes, Config};

impl Confo {
    /// Follows the configuration `T` declares: a [`crate::Live`] whose
    /// [`get`](crate::Live::get) always returns the last value that decoded
    /// (with this manager's overrides applied).
    ///
    /// Each call arms a watch and reads the store. When this manager
    /// already follows the configuration as `T` and that value's task holds
    /// exactly what the call read, the new handle shares the task (as a
    /// clone does): however many handles, one read per change. Otherwise
    /// (a change on its way, say) it gets a task of its own. Either way the
    /// handle holds what the store held when it was asked for, never an
    /// older value.
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
    pub async fn watch<T: Config>(&self) -> Result<Live<T>> {
        self.watch_at::<T>(None).await
    }

    pub(super) async fn watch_at<T: Config>(&self, namespace: Option<&str>) -> Result<Live<T>> {
        let path = self.typed_path::<T>(namespace)?;
        let store = self.store()?;
        let (watch, read) = live::arm_and_read(&store, &path).await?;
        self.start_typed(&store, path, watch, read)
    }

    /// A typed value from a watch armed before `read`: a new handle on the
    /// task this manager already follows it with, when that task holds
    /// exactly `read` (see [`super::followers`]), else a task of its own.
    pub(super) fn start_typed<T: Config>(
        &self,
        store: &Store,
        path: ConfigPath,
        watch: Option<Watch>,
        read: Fetched<Versioned>,
    ) -> Result<Live<T>> {
        let typed = self.typed();
        let service = self.service();
        let settings = Settings::of(store, service.clone(), typed.overrides_epoch());
        if let Some(shared) = typed.followers.share::<T>(&path, &settings, &read) {
            return Ok(shared);
        }
        let overrides = self.overrides();
        let decoder: Decoder<T> = Arc::new(move |describe, path, bytes| {
            decode_bytes::<T>(describe, path, bytes, &overrides)
        });
        let live = Live::start_from(store.clone(), path, decoder, service, watch, read)?;
        typed.followers.keep(&live, settings);
        Ok(live)
    }

    /// Follows one configuration as an untyped JSON object.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// let path = "systemA/database".parse()?;
    /// confo.backend()?.write(&path, br#"{"port":5432}"#, confo::backend::Expect::Any).await?;
    /// let live = confo.watch_raw(&path).await?;
    /// assert_eq!(live.get()["port"], 5432);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn watch_raw(&self, path: &ConfigPath) -> Result<Live<Value>> {
        let decode: Decoder<Value> = Arc::new(|backend, path, bytes| {
            json::parse_object(backend, &path.to_string(), bytes).map(Value::Object)
        });
        self.watch_with(path, decode).await
    }

    /// Follows one configuration decoded with `decode`, through the
    /// manager's store (its retry and local copies).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// let path = "systemA/size".parse()?;
    /// confo.backend()?.write(&path, b"{}", confo::backend::Expect::Any).await?;
    /// let live = confo.watch_with(&path, Arc::new(|_, _, bytes: &[u8]| Ok(bytes.len()))).await?;
    /// assert_eq!(*live.get(), 2);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn watch_with<T: Send + Sync + 'static>(
        &self,
        path: &ConfigPath,
        decode: Decoder<T>,
    ) -> Result<Live<T>> {
        Live::start(self.store()?, path.clone(), decode, self.service()).await
    }

    /// Follows every configuration of a namespace (the arm and the first
    /// read retry with the manager's policy).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.create_namespace("systemA").await?;
    /// let changes = confo.watch_namespace("systemA").await?;
    /// assert!(changes.known().is_empty());
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn watch_namespace(&self, namespace: &str) -> Result<NamespaceWatch> {
        NamespaceWatch::on(&self.store()?, Namespace::new(namespace)?).await
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

    pub(super) async fn update_at<T: Config + Serialize>(
        &self,
        namespace: Option<&str>,
        change: impl FnMut(&mut T),
    ) -> Result<T> {
        let path = self.typed_path::<T>(namespace)?;
        typed::update(&self.store()?, &path, change).await
    }

    /// [`update_object`] through the manager's store: its reads retry with
    /// [`Confo::retry_policy`]; the rounds are [`UpdatePolicy::default`]'s.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// let path = "systemA/counters".parse()?;
    /// for _ in 0..3 {
    ///     confo.update_json(&path, |obj| {
    ///         let n = obj.get("hits").and_then(|v| v.as_u64()).unwrap_or(0);
    ///         obj.insert("hits".into(), (n + 1).into());
    ///         Ok(())
    ///     }).await?;
    /// }
    /// let read = confo.backend()?.read(&path).await?;
    /// assert_eq!(&*read.bytes, br#"{"hits":3}"#);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn update_json<F>(&self, path: &ConfigPath, change: F) -> Result<Version>
    where
        F: FnMut(&mut Map<String, Value>) -> Result<()>,
    {
        let store = self.store()?;
        // The store's backend retries its reads already.
        let policy = UpdatePolicy {
            retry: RetryPolicy::none(),
            ..UpdatePolicy::default()
        };
        update_object(store.backend(), path, &policy, change).await
    }
}
