//! Publishing the schemas of the types a service reads (over
//! [`crate::checks`]).

use super::Confo;
use crate::error::{Error, Result};
use crate::name::Version;
use crate::typed::{Config, Schema};

impl Confo {
    /// Publishes the schema of `T` ([`Schema::of`]) for the configuration
    /// `T` reads, under this manager's service name
    /// ([`Confo::with_service`]), replacing the one this service published
    /// before. From then on every write of that configuration through
    /// confo (the command, `save`, `update`, `persist`, `import`, ...) is
    /// checked against it, and against every other service's, before it is
    /// written. Call it at start-up, before loading. Returns the version of
    /// the stored schemas.
    ///
    /// Derive `JsonSchema` beside `Deserialize`; its attributes are serde's
    /// (renames, defaults, `flatten`, tagging), so the schema describes
    /// exactly what the type decodes.
    ///
    /// # Errors
    ///
    /// [`Error::NoService`] without a service name; [`Error::InvalidName`]
    /// for a service name that breaks the naming rules; the store's errors.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use confo::schemars::JsonSchema;
    /// use confo::backend::Backend;
    /// use confo::Confo;
    /// use serde::Deserialize;
    ///
    /// #[derive(Confo, Deserialize, JsonSchema)]
    /// #[schemars(crate = "confo::schemars")]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { host: String, port: u16 }
    ///
    /// let confo = Confo::from_url("mem://").await?.with_service("billing");
    /// confo.publish_schema::<Database>().await?;
    ///
    /// confo.create_namespace("systemA").await?;
    /// confo.use_namespace("systemA").await?;
    /// confo.set("database", serde_json::json!({"host": "db", "port": "x"}))?;
    /// let err = confo.persist().await.unwrap_err(); // nothing was written
    /// assert!(confo.backend()?.read(&"systemA/database".parse()?).await.is_err());
    /// assert_eq!(err.kind(), "SchemaRefused");
    /// assert!(err.to_string().contains("port: expected u16, found a string that is not a number (billing)"), "{err}");
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn publish_schema<T: Config + schemars::JsonSchema>(&self) -> Result<Version> {
        self.publish_schema_at::<T>(None).await
    }

    pub(super) async fn publish_schema_at<T: Config + schemars::JsonSchema>(
        &self,
        namespace: Option<&str>,
    ) -> Result<Version> {
        let path = self.typed_path::<T>(namespace)?;
        let service = self.service().ok_or_else(|| Error::NoService {
            path: path.to_string(),
        })?;
        let store = self.store()?;
        crate::checks::publish_schema(store.backend(), &path, &service, &Schema::of::<T>()).await
    }
}
