//! The store's read policy, on a backend that fails as told.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::backend::{Expect, MemoryBackend, WatchScope};
use crate::name::Version;

/// A memory store whose reads fail with a lost connection: the first
/// `fail_first` of them, or all of them while `down`.
#[derive(Debug, Default)]
struct Flaky {
    store: MemoryBackend,
    fail_first: AtomicU32,
    down: std::sync::atomic::AtomicBool,
    reads: AtomicU32,
}

impl Flaky {
    fn failing(n: u32) -> Arc<Self> {
        let f = Flaky::default();
        f.fail_first.store(n, Ordering::SeqCst);
        Arc::new(f)
    }

    fn fail(&self) -> Result<()> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let left = self.fail_first.load(Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) || left > 0 {
            self.fail_first
                .store(left.saturating_sub(1), Ordering::SeqCst);
            return Err(Error::Connection {
                backend: "flaky://".into(),
                message: "connection lost".into(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Backend for Flaky {
    fn describe(&self) -> &str {
        "flaky://"
    }
    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        self.fail()?;
        self.store.list_namespaces().await
    }
    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        self.fail()?;
        self.store.list_configs(namespace).await
    }
    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        self.fail()?;
        self.store.read(path).await
    }
    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        self.store.write(path, bytes, expect).await
    }
    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        self.store.create_namespace(namespace).await
    }
    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        self.store.delete(path, expect).await
    }
    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        self.store.delete_namespace(namespace, recursive).await
    }
    async fn watch(&self, scope: &WatchScope) -> Result<crate::backend::Watch> {
        self.fail()?;
        self.store.watch(scope).await
    }
}

fn path() -> ConfigPath {
    "systemA/database".parse().unwrap()
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

#[tokio::test]
async fn a_fetch_retries_a_store_that_fails_three_times_then_answers() {
    let flaky = Flaky::failing(3);
    flaky
        .write(&path(), br#"{"port":1}"#, Expect::Any)
        .await
        .unwrap();
    let store = Store::new(flaky.clone()).with_retry_policy(quick());
    let read = store.fetch(&path()).await.unwrap();
    assert_eq!(&*read.value.bytes, br#"{"port":1}"#);
    assert_eq!(read.freshness, Freshness::Fresh);
    assert_eq!(flaky.reads.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn the_backend_of_a_store_retries_reads_and_listings() {
    let flaky = Flaky::failing(2);
    flaky.write(&path(), b"{}", Expect::Any).await.unwrap();
    let store = Store::new(flaky.clone()).with_retry_policy(quick());
    assert_eq!(store.backend().read(&path()).await.unwrap().bytes.len(), 2);
    flaky.fail_first.store(2, Ordering::SeqCst);
    assert_eq!(store.backend().list_namespaces().await.unwrap().len(), 1);
    flaky.fail_first.store(2, Ordering::SeqCst);
    let all = store
        .backend()
        .read_namespace(&"systemA".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn a_store_that_is_down_answers_a_fetch_from_its_local_copy_marked_stale() {
    let dir = tempfile::tempdir().unwrap();
    let flaky = Flaky::failing(0);
    flaky
        .write(&path(), br#"{"port":1}"#, Expect::Any)
        .await
        .unwrap();
    let store = Store::new(flaky.clone())
        .with_retry_policy(RetryPolicy::none())
        .keep_local_copies(dir.path());
    assert_eq!(
        store.fetch(&path()).await.unwrap().freshness,
        Freshness::Fresh
    );

    flaky.down.store(true, Ordering::SeqCst);
    let read = store.fetch(&path()).await.unwrap();
    assert_eq!(read.freshness, Freshness::Stale);
    assert_eq!(&*read.value.bytes, br#"{"port":1}"#);
    let ns = store
        .fetch_namespace(&"systemA".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(ns.freshness, Freshness::Stale);
    assert_eq!(ns.value.len(), 1);
    // A version read before a write never takes the copy.
    let err = store.backend().read(&path()).await.unwrap_err();
    assert!(is_transient(&err), "{err}");
}

#[tokio::test]
async fn a_store_that_is_down_without_a_local_copy_says_so() {
    let flaky = Flaky::failing(0);
    flaky.down.store(true, Ordering::SeqCst);
    let store = Store::new(flaky).with_retry_policy(RetryPolicy::none());
    let err = store.fetch(&path()).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err}");
}

#[tokio::test]
async fn retrying_reports_what_the_backend_underneath_left_out_of_a_listing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ns")).unwrap();
    std::fs::write(dir.path().join("ns/ok.json"), "{}").unwrap();
    std::fs::write(dir.path().join("ns/notes.txt"), "").unwrap();
    std::fs::write(dir.path().join("stray.json"), "{}").unwrap();
    let file: Arc<dyn Backend> = Arc::new(crate::backend::FileBackend::new(dir.path()));
    let retrying = Retrying::new(file.clone(), RetryPolicy::default());

    let ns: Namespace = "ns".parse().unwrap();
    let configs = retrying.config_listing(&ns).await.unwrap();
    assert_eq!(configs, file.config_listing(&ns).await.unwrap());
    assert_eq!(configs.skipped[0].entry, "ns/notes.txt");
    let namespaces = retrying.namespace_listing().await.unwrap();
    assert_eq!(namespaces, file.namespace_listing().await.unwrap());
    assert!(!namespaces.skipped.is_empty(), "{namespaces:?}");
}
