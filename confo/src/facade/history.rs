//! History, rollback and running instances through the manager (over
//! [`crate::history`] and [`crate::Instances`]).

use super::Confo;
use crate::error::Result;
use crate::history::{History, Recording};
use crate::live::Instances;
use crate::name::{ConfigPath, Version};

impl Confo {
    /// This manager, recording `message` with each of its writes in the
    /// configuration's history (`confo set -m`): a handle that shares
    /// everything else with `self`.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { pool: u32 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// confo.with_message("raise the pool").save(&Database { pool: 8 }).await?;
    /// let history = confo.history("systemA/database").await?;
    /// assert_eq!(history.entries[0].message.as_deref(), Some("raise the pool"));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn with_message(&self, message: impl Into<String>) -> Confo {
        Confo {
            recording: Recording {
                message: Some(message.into()),
                ..self.recording.clone()
            },
            ..self.clone()
        }
    }

    /// Keeps the last `keep` writes of each configuration this handle
    /// writes in its history (default [`crate::DEFAULT_KEEP`]; 0 records
    /// nothing).
    ///
    /// ```
    /// let confo = confo::Confo::with_backend(confo::backend::MemoryBackend::new()).with_history_keep(10);
    /// assert_eq!(confo.store()?.recording().keep, 10);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn with_history_keep(mut self, keep: usize) -> Self {
        self.recording.keep = keep;
        self
    }

    /// The recorded writes of the configuration at `path`
    /// (`namespace/name`), oldest first, with its current value (see
    /// [`History`]).
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidPath`] for a bad path; a history document
    /// that is not one; the store's errors.
    pub async fn history(&self, path: &str) -> Result<History> {
        let path: ConfigPath = path.parse()?;
        self.store()?.history(&path).await
    }

    /// Writes back the value `path` had at `version`: a checked,
    /// compare-and-set write, itself recorded (see
    /// [`crate::Store::rollback`]). Returns the new version.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?;
    /// let good = confo.save(&Database { port: 5432 }).await?;
    /// confo.save(&Database { port: 1 }).await?;
    /// confo.rollback("systemA/database", good).await?;
    /// assert_eq!(confo.load::<Database>().await?.port, 5432);
    /// let history = confo.history("systemA/database").await?;
    /// assert_eq!(history.entries.len(), 3);
    /// assert_eq!(history.entries[2].message.as_deref(), Some(&*format!("rollback to version {good}")));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn rollback(&self, path: &str, version: Version) -> Result<Version> {
        let path: ConfigPath = path.parse()?;
        self.store()?.rollback(&path, version).await
    }

    /// The running instances that follow the configuration at `path`
    /// (`namespace/name`), the version each holds and what each rejected:
    /// every [`crate::Live`] started by a manager with a service name
    /// ([`Confo::with_service`]) registers itself (see [`Instances`]).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// #[derive(confo::Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { port: u16 }
    ///
    /// let confo = confo::Confo::from_url("mem://").await?.with_service("billing");
    /// let version = confo.save(&Database { port: 5432 }).await?;
    /// let live = confo.watch::<Database>().await?;
    /// let mut found = confo.instances("systemA/database").await?;
    /// for _ in 0..100 {
    ///     if !found.running.is_empty() { break; }
    ///     tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    ///     found = confo.instances("systemA/database").await?;
    /// }
    /// assert_eq!(found.running[0].service, "billing");
    /// assert_eq!(found.running[0].version, version);
    /// # drop(live);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn instances(&self, path: &str) -> Result<Instances> {
        let path: ConfigPath = path.parse()?;
        crate::live::read_instances(self.store()?.backend(), &path).await
    }
}
