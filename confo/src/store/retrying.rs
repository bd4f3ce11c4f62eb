//! [`Retrying`]: a backend whose reads retry while the store is away.

use std::sync::Arc;

use async_trait::async_trait;

use crate::backend::{
    Backend, BatchWrite, Expect, Guard, Listing, Meta, MetaWrite, Versioned, Watch, WatchScope,
};
use crate::error::Result;
use crate::name::{ConfigName, ConfigPath, Namespace, Version};
use crate::retry::RetryPolicy;

/// A backend whose reads, listings and watch arms retry with a
/// [`RetryPolicy`] when the store cannot be reached; writes pass through
/// untouched (a write that lost its connection may or may not have been
/// applied: only a compare-and-set can tell, see [`crate::update_object`]).
/// It implements [`Backend`] itself, the way object_store's `LimitStore`
/// wraps a store, so whatever takes a backend gets the policy without
/// remembering it. [`crate::Store::backend`] hands one out.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// use confo::{RetryPolicy, Retrying};
///
/// let store = Retrying::new(Arc::new(MemoryBackend::new()), RetryPolicy::default());
/// store.write(&"a/b".parse()?, b"{}", Expect::Any).await?;
/// assert_eq!(&*store.read(&"a/b".parse()?).await?.bytes, b"{}");
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Retrying {
    backend: Arc<dyn Backend>,
    policy: RetryPolicy,
}

impl Retrying {
    /// `backend` retrying its reads with `policy`.
    pub fn new(backend: Arc<dyn Backend>, policy: RetryPolicy) -> Self {
        Retrying { backend, policy }
    }

    /// The policy reads retry with.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// The backend underneath, without the policy.
    pub fn inner(&self) -> &Arc<dyn Backend> {
        &self.backend
    }
}

#[async_trait]
impl Backend for Retrying {
    fn describe(&self) -> &str {
        self.backend.describe()
    }

    fn max_value_bytes(&self) -> usize {
        self.backend.max_value_bytes()
    }

    fn user(&self) -> Option<&str> {
        self.backend.user()
    }

    fn keeps_metadata(&self) -> bool {
        self.backend.keeps_metadata()
    }

    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        self.policy.run(|| self.backend.list_namespaces()).await
    }

    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        self.policy
            .run(|| self.backend.list_configs(namespace))
            .await
    }

    // Every method of the trait is forwarded, defaulted ones too: a default
    // here would answer for the backend underneath (and, for listings,
    // hide the entries it reports as skipped).
    async fn namespace_listing(&self) -> Result<Listing<Namespace>> {
        self.policy.run(|| self.backend.namespace_listing()).await
    }

    async fn config_listing(&self, namespace: &Namespace) -> Result<Listing<ConfigName>> {
        self.policy
            .run(|| self.backend.config_listing(namespace))
            .await
    }

    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        self.policy.run(|| self.backend.read(path)).await
    }

    async fn read_latest(&self, path: &ConfigPath) -> Result<Versioned> {
        self.policy.run(|| self.backend.read_latest(path)).await
    }

    async fn read_many(&self, paths: &[ConfigPath]) -> Result<Vec<Option<Versioned>>> {
        self.policy.run(|| self.backend.read_many(paths)).await
    }

    async fn read_namespace(&self, namespace: &Namespace) -> Result<Vec<(ConfigName, Versioned)>> {
        self.policy
            .run(|| self.backend.read_namespace(namespace))
            .await
    }

    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        self.backend.write(path, bytes, expect).await
    }

    async fn write_many(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        self.backend.write_many(writes).await
    }

    async fn read_meta(&self, path: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        self.policy.run(|| self.backend.read_meta(path, meta)).await
    }

    async fn write_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        self.backend.write_meta(path, meta, bytes, expect).await
    }

    async fn delete_meta(&self, path: &ConfigPath, meta: Meta, expect: Expect) -> Result<bool> {
        self.backend.delete_meta(path, meta, expect).await
    }

    async fn write_guarded(&self, writes: &[BatchWrite], guards: &[Guard]) -> Result<Vec<Version>> {
        self.backend.write_guarded(writes, guards).await
    }

    async fn write_with_meta(
        &self,
        writes: &[BatchWrite],
        guards: &[Guard],
        metas: &[MetaWrite],
    ) -> Result<Vec<Version>> {
        self.backend.write_with_meta(writes, guards, metas).await
    }

    async fn read_with_metas(
        &self,
        path: &ConfigPath,
        metas: &[Meta],
    ) -> Result<(Option<Versioned>, Vec<Option<Versioned>>)> {
        self.policy
            .run(|| self.backend.read_with_metas(path, metas))
            .await
    }

    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        self.backend.create_namespace(namespace).await
    }

    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        self.backend.delete(path, expect).await
    }

    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        self.backend.delete_namespace(namespace, recursive).await
    }

    async fn put_instance(&self, path: &ConfigPath, id: &str, bytes: &[u8]) -> Result<()> {
        self.backend.put_instance(path, id, bytes).await
    }

    async fn remove_instance(&self, path: &ConfigPath, id: &str) -> Result<()> {
        self.backend.remove_instance(path, id).await
    }

    async fn list_instances(&self, path: &ConfigPath) -> Result<Vec<(String, Arc<[u8]>)>> {
        self.policy.run(|| self.backend.list_instances(path)).await
    }

    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        self.policy.run(|| self.backend.watch(scope)).await
    }
}
