//! [`Scoped`]: the typed methods of [`Confo`] in a namespace given at run
//! time, instead of an `_in` twin of each (the way figment's `select`
//! scopes a figment).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Confo;
use crate::error::Result;
use crate::live::Live;
use crate::name::Version;
use crate::typed::{Config, Field, Loaded};

/// A [`Confo`] scoped to one namespace, from [`Confo::namespace`]: its
/// typed methods read and write `<namespace>/<T::NAME>`, for types that
/// declare no namespace or to reach another namespace's copy. The name is
/// checked when a method is called.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
/// struct Email { port: u16 }
///
/// let confo = confo::Confo::from_url("mem://").await?;
/// let err = confo.load::<Email>().await.err().unwrap();
/// assert!(err.to_string().contains("namespace("));
///
/// let system_b = confo.namespace("systemB");
/// system_b.save(&Email { port: 25 }).await?;
/// system_b.save_field(Email::fields().port, 587).await?;
/// assert_eq!(system_b.load::<Email>().await?.port, 587);
/// assert_eq!(system_b.load_field(Email::fields().port).await?, 587);
/// assert_eq!(system_b.load_versioned::<Email>().await?.path().to_string(), "systemB/email");
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Scoped<'a> {
    confo: &'a Confo,
    namespace: String,
}

impl Confo {
    /// This manager's typed methods in `namespace` (see [`Scoped`]).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// struct Email { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.backend()?.write(&"systemB/email".parse()?, br#"{"port":25}"#, confo::backend::Expect::Any).await?;
    /// assert_eq!(confo.namespace("systemB").load::<Email>().await?.port, 25);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn namespace(&self, namespace: impl Into<String>) -> Scoped<'_> {
        Scoped {
            confo: self,
            namespace: namespace.into(),
        }
    }
}

impl Scoped<'_> {
    /// The namespace this handle is scoped to.
    ///
    /// ```
    /// let confo = confo::Confo::new();
    /// assert_eq!(confo.namespace("systemB").name(), "systemB");
    /// ```
    pub fn name(&self) -> &str {
        &self.namespace
    }

    /// [`Confo::load`] in this namespace.
    pub async fn load<T: Config>(&self) -> Result<T> {
        Ok(self
            .confo
            .load_versioned_at::<T>(Some(&self.namespace))
            .await?
            .into_inner())
    }

    /// [`Confo::load_versioned`] in this namespace.
    pub async fn load_versioned<T: Config>(&self) -> Result<Loaded<T>> {
        self.confo
            .load_versioned_at::<T>(Some(&self.namespace))
            .await
    }

    /// [`Confo::save`] in this namespace.
    pub async fn save<T: Config + Serialize>(&self, value: &T) -> Result<Version> {
        self.confo
            .save_remembered(value, Some(&self.namespace))
            .await
    }

    /// [`Confo::load_field`] in this namespace.
    pub async fn load_field<C: Config, V: DeserializeOwned>(
        &self,
        field: Field<C, V>,
    ) -> Result<V> {
        self.confo.load_field_at(field, Some(&self.namespace)).await
    }

    /// [`Confo::save_field`] in this namespace.
    pub async fn save_field<C: Config, V: Serialize>(
        &self,
        field: Field<C, V>,
        value: V,
    ) -> Result<Version> {
        self.confo
            .save_field_at(field, value, Some(&self.namespace))
            .await
    }

    /// [`Confo::watch`] in this namespace.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// struct Email { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.namespace("systemB").save(&Email { port: 25 }).await?;
    /// let live = confo.namespace("systemB").watch::<Email>().await?;
    /// assert_eq!(live.get().port, 25);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn watch<T: Config>(&self) -> Result<Live<T>> {
        self.confo.watch_at::<T>(Some(&self.namespace)).await
    }

    /// [`Confo::update`] in this namespace.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// struct Email { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.namespace("systemB").save(&Email { port: 25 }).await?;
    /// let after = confo.namespace("systemB").update::<Email>(|e| e.port = 587).await?;
    /// assert_eq!(after.port, 587);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn update<T: Config + Serialize>(&self, change: impl FnMut(&mut T)) -> Result<T> {
        self.confo
            .update_at::<T>(Some(&self.namespace), change)
            .await
    }
}
