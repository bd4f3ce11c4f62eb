//! [`Checked`]: a backend whose writes are validated against the
//! published schemas before they are written.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::violations;
use crate::backend::{
    Backend, BatchWrite, Expect, Guard, Listing, Meta, Versioned, Watch, WatchScope,
};
use crate::error::{Error, Result};
use crate::name::{ConfigName, ConfigPath, Namespace, Version};
use crate::store::Retrying;

/// How many times a write is checked again after the schemas changed
/// between its check and its write.
const CHECK_ATTEMPTS: u32 = 10;

/// How many schema documents read beside a value are kept for the write
/// that follows the read.
const SEEN_KEPT: usize = 32;

/// How reads of published schemas for a write are made concurrent.
const META_READS_AT_ONCE: usize = 32;

/// Whether writes are checked against the published schemas.
///
/// ```
/// assert_eq!(confo::WriteChecks::default(), confo::WriteChecks::Enforce);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WriteChecks {
    /// A value that breaks a published schema is refused
    /// ([`Error::SchemaRefused`]) and nothing is written.
    #[default]
    Enforce,
    /// The value is checked and written anyway; what it breaks is logged
    /// as a warning (`confo put --force`).
    Force,
}

/// A backend (a [`Retrying`] one) whose writes are checked against the
/// schemas the services reading each configuration published: a value
/// that breaks one is refused with [`Error::SchemaRefused`], listing every
/// rule it breaks and which service published it, and nothing is written.
/// The write and a check that the schemas are still the ones the value was
/// checked against go in one atomic step ([`Backend::write_guarded`]); if
/// a service published meanwhile, the value is checked again.
///
/// A read through it reads the configuration and its schemas together (on
/// ZooKeeper one multi-read, as fast as a plain read), so the write that
/// follows a read (`set`, `save_field`, `update`) needs no extra round trip
/// for the schemas; a blind write reads them first (one round trip more).
/// [`crate::Store::backend`] hands one out; everything else is forwarded.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// use confo::{Checked, Retrying, RetryPolicy, Schema, WriteChecks};
/// use serde_json::json;
///
/// let memory = Arc::new(MemoryBackend::new());
/// let path = "systemA/database".parse()?;
/// let schema = Schema::from_json(json!({"type": "object", "required": ["port"]}))?;
/// confo::publish_schema(&*memory, &path, "billing", &schema).await?;
///
/// let checked = Checked::new(Retrying::new(memory.clone(), RetryPolicy::none()), WriteChecks::Enforce);
/// let err = checked.write(&path, br#"{"host":"db"}"#, Expect::Any).await.unwrap_err();
/// assert_eq!(err.kind(), "SchemaRefused");
/// assert!(err.to_string().contains("port: missing; this field is required (billing)"), "{err}");
/// checked.write(&path, br#"{"port":5432}"#, Expect::Any).await?;
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Checked {
    inner: Retrying,
    checks: WriteChecks,
    /// Schema documents read beside a value, for the write that follows.
    seen: Stash,
}

/// Schema documents read beside a value, kept for the write that follows.
type Stash = Arc<Mutex<Vec<(ConfigPath, Option<Versioned>)>>>;

impl Checked {
    /// `inner` with its writes checked as `checks` says.
    pub fn new(inner: Retrying, checks: WriteChecks) -> Self {
        Checked {
            inner,
            checks,
            seen: Arc::default(),
        }
    }

    /// Whether writes are checked.
    pub fn checks(&self) -> WriteChecks {
        self.checks
    }

    /// The backend underneath, with its retry policy and no checks.
    pub fn retrying(&self) -> &Retrying {
        &self.inner
    }

    fn remember(&self, path: &ConfigPath, doc: Option<Versioned>) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|(p, _)| p != path);
        if seen.len() >= SEEN_KEPT {
            seen.remove(0);
        }
        seen.push((path.clone(), doc));
    }

    fn take_seen(&self, path: &ConfigPath) -> Option<Option<Versioned>> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let at = seen.iter().position(|(p, _)| p == path)?;
        Some(seen.remove(at).1)
    }

    /// The schema documents of `paths`: the ones read beside a value, the
    /// others read now (concurrently).
    async fn docs(&self, paths: &[&ConfigPath]) -> Result<Vec<Option<Versioned>>> {
        let mut out: Vec<Option<Option<Versioned>>> =
            paths.iter().map(|p| self.take_seen(p)).collect();
        let missing: Vec<usize> = (0..paths.len()).filter(|i| out[*i].is_none()).collect();
        if missing.len() == 1 {
            let i = missing[0];
            out[i] = Some(self.inner.read_meta(paths[i], Meta::Schemas).await?);
        } else {
            for batch in missing.chunks(META_READS_AT_ONCE) {
                let mut reads = tokio::task::JoinSet::new();
                for &i in batch {
                    let (inner, path) = (self.inner.clone(), paths[i].clone());
                    reads.spawn(async move { (i, inner.read_meta(&path, Meta::Schemas).await) });
                }
                while let Some(done) = reads.join_next().await {
                    let (i, read) = done.map_err(|e| Error::Backend {
                        backend: self.describe().to_owned(),
                        op: "read",
                        path: format!("{} (schemas)", paths[0]),
                        message: format!("the read of published schemas stopped: {e}"),
                    })?;
                    out[i] = Some(read?);
                }
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// Checks `bytes` for `path` against `doc`: `Err` when refused; with
    /// [`WriteChecks::Force`], what it breaks is logged instead.
    fn check(&self, path: &ConfigPath, bytes: &[u8], doc: Option<&Versioned>) -> Result<()> {
        let found = match violations(self.describe(), path, bytes, doc) {
            Ok(found) if found.is_empty() => return Ok(()),
            Ok(found) => Error::SchemaRefused {
                backend: self.describe().to_owned(),
                path: path.to_string(),
                violations: found,
            },
            Err(e) => e,
        };
        match self.checks {
            WriteChecks::Enforce => Err(found),
            WriteChecks::Force => {
                tracing::warn!(path = %path, backend = self.describe(), refusal = %found,
                    "writing anyway (forced): the checks against the published schemas were overridden");
                Ok(())
            }
        }
    }

    /// Checks `writes` and writes them guarded, again from fresh schemas
    /// when they changed in between.
    async fn checked_write(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        let paths: Vec<&ConfigPath> = writes.iter().map(|w| &w.path).collect();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let docs = self.docs(&paths).await?;
            for (w, doc) in writes.iter().zip(&docs) {
                self.check(&w.path, &w.bytes, doc.as_ref())?;
            }
            if self.checks == WriteChecks::Force {
                return self.inner.write_many(writes).await;
            }
            let guards: Vec<Guard> = writes
                .iter()
                .zip(docs)
                .map(|(w, doc)| Guard {
                    path: w.path.clone(),
                    meta: Meta::Schemas,
                    expect: doc.map_or(Expect::Absent, |d| Expect::Version(d.version)),
                })
                .collect();
            match self.inner.write_guarded(writes, &guards).await {
                Err(Error::MetaChanged { .. }) if attempt < CHECK_ATTEMPTS => {
                    tracing::debug!(path = %paths[0], attempt, "schemas changed while checking a write; checking again");
                }
                other => return other,
            }
        }
    }
}

#[async_trait]
impl Backend for Checked {
    fn describe(&self) -> &str {
        self.inner.describe()
    }

    fn max_value_bytes(&self) -> usize {
        self.inner.max_value_bytes()
    }

    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        self.inner.list_namespaces().await
    }

    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        self.inner.list_configs(namespace).await
    }

    async fn namespace_listing(&self) -> Result<Listing<Namespace>> {
        self.inner.namespace_listing().await
    }

    async fn config_listing(&self, namespace: &Namespace) -> Result<Listing<ConfigName>> {
        self.inner.config_listing(namespace).await
    }

    /// The value and, in the same round trip where the store allows, its
    /// published schemas, kept for the write that follows.
    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        match self.inner.read_with_meta(path, Meta::Schemas).await? {
            (Some(value), doc) => {
                self.remember(path, doc);
                Ok(value)
            }
            // Not there: the plain read says exactly why (no such
            // configuration, or no such namespace).
            (None, _) => self.inner.read(path).await,
        }
    }

    async fn read_latest(&self, path: &ConfigPath) -> Result<Versioned> {
        self.inner.read_latest(path).await
    }

    async fn read_many(&self, paths: &[ConfigPath]) -> Result<Vec<Option<Versioned>>> {
        self.inner.read_many(paths).await
    }

    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        let write = BatchWrite {
            path: path.clone(),
            bytes: Arc::from(bytes),
            expect,
        };
        let versions = self.checked_write(std::slice::from_ref(&write)).await?;
        versions.first().copied().ok_or_else(|| Error::Backend {
            backend: self.describe().to_owned(),
            op: "write",
            path: path.to_string(),
            message: "the store answered no version for the write".into(),
        })
    }

    async fn write_many(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        self.checked_write(writes).await
    }

    async fn read_meta(&self, path: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        self.inner.read_meta(path, meta).await
    }

    async fn read_with_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
    ) -> Result<(Option<Versioned>, Option<Versioned>)> {
        self.inner.read_with_meta(path, meta).await
    }

    async fn write_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        self.inner.write_meta(path, meta, bytes, expect).await
    }

    async fn delete_meta(&self, path: &ConfigPath, meta: Meta, expect: Expect) -> Result<bool> {
        self.inner.delete_meta(path, meta, expect).await
    }

    /// Unchecked: the caller guards its writes itself.
    async fn write_guarded(&self, writes: &[BatchWrite], guards: &[Guard]) -> Result<Vec<Version>> {
        self.inner.write_guarded(writes, guards).await
    }

    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        self.inner.create_namespace(namespace).await
    }

    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        self.inner.delete(path, expect).await
    }

    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        self.inner.delete_namespace(namespace, recursive).await
    }

    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        self.inner.watch(scope).await
    }
}
