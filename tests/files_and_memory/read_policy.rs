//! One read path: every entry point that reads goes through the store, so
//! the read policy applies to each of them. Each is tried on a store that
//! fails a few times with a lost connection and then answers (the retry
//! rides it out) and, where the read is for a value, on a store that is
//! down while a local copy is present (the copy is used, marked stale).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use confo::backend::{Backend, Expect, MemoryBackend, Versioned, Watch, WatchScope};
use confo::{
    tree, ConfigName, ConfigPath, Confo, Error, Freshness, Namespace, Result, RetryPolicy, Version,
};
use serde::{Deserialize, Serialize};

#[derive(Confo, Deserialize, Serialize, Debug, PartialEq)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    port: u16,
}

const WAIT: Duration = Duration::from_secs(10);

/// A memory store whose reads, listings and watch arms fail with a lost
/// connection: the next `fail_next` of them, or every one while `down`.
#[derive(Debug, Default)]
struct Flaky {
    store: MemoryBackend,
    fail_next: AtomicU32,
    down: AtomicBool,
    failed: AtomicU32,
}

impl Flaky {
    fn fail_next(&self, n: u32) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn failures(&self) -> u32 {
        self.failed.load(Ordering::SeqCst)
    }

    fn gate(&self) -> Result<()> {
        let left = self.fail_next.load(Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) || left > 0 {
            self.fail_next
                .store(left.saturating_sub(1), Ordering::SeqCst);
            self.failed.fetch_add(1, Ordering::SeqCst);
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
        self.gate()?;
        self.store.list_namespaces().await
    }
    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        self.gate()?;
        self.store.list_configs(namespace).await
    }
    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        self.gate()?;
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
    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        self.gate()?;
        self.store.watch(scope).await
    }
}

/// Retries quickly and gives up after a few attempts.
fn quick() -> RetryPolicy {
    RetryPolicy {
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_attempts: 10,
        ..RetryPolicy::default()
    }
}

fn path() -> ConfigPath {
    "systemA/database".parse().unwrap()
}

/// A manager over a flaky store holding `systemA/database = {"port":5432}`.
async fn flaky_confo() -> (Confo, Arc<Flaky>) {
    let flaky = Arc::new(Flaky::default());
    flaky
        .write(&path(), br#"{"port":5432}"#, Expect::Any)
        .await
        .unwrap();
    let confo = Confo::new().with_retry_policy(quick());
    confo
        .load_backend("flaky", flaky.clone() as Arc<dyn Backend>)
        .await
        .unwrap();
    confo.activate_backend("flaky").unwrap();
    (confo, flaky)
}

/// [`flaky_confo`] keeping local copies in a directory of its own, with
/// one load done (so the copy is there).
async fn confo_with_a_local_copy() -> (Confo, Arc<Flaky>, tempfile::TempDir) {
    let (confo, flaky) = flaky_confo().await;
    let dir = tempfile::tempdir().unwrap();
    confo.keep_local_copies(dir.path());
    confo.load::<Database>().await.unwrap();
    assert!(dir.path().join("systemA/database.json").exists());
    (confo, flaky, dir)
}

#[tokio::test]
async fn load_retries_a_store_that_fails_then_answers() {
    let (confo, flaky) = flaky_confo().await;
    flaky.fail_next(3);
    assert_eq!(confo.load::<Database>().await.unwrap().port, 5432);
    assert_eq!(flaky.failures(), 3);
}

#[tokio::test]
async fn load_falls_back_to_the_local_copy_while_the_store_is_down() {
    let (confo, flaky, _dir) = confo_with_a_local_copy().await;
    flaky.set_down(true);
    let db = confo.load_versioned::<Database>().await.unwrap();
    assert_eq!(db.port, 5432);
    assert_eq!(db.freshness(), Freshness::Stale);
}

#[tokio::test]
async fn load_from_a_bare_backend_retries_a_store_that_fails_then_answers() {
    let (_confo, flaky) = flaky_confo().await;
    flaky.fail_next(3);
    assert_eq!(Database::load_from(&*flaky).await.unwrap().port, 5432);
    assert_eq!(flaky.failures(), 3);
}

#[tokio::test]
async fn load_from_a_store_falls_back_to_its_local_copy_while_the_store_is_down() {
    let (confo, flaky, _dir) = confo_with_a_local_copy().await;
    let store = confo.store().unwrap();
    flaky.set_down(true);
    assert_eq!(Database::load_from(&store).await.unwrap().port, 5432);
}

#[tokio::test]
async fn save_reads_the_current_value_through_the_retry() {
    let (confo, flaky) = flaky_confo().await;
    let mut db = confo.load::<Database>().await.unwrap();
    db.port = 5433;
    flaky.fail_next(2);
    db.save(&confo).await.unwrap();
    assert_eq!(flaky.failures(), 2);
    assert_eq!(confo.load::<Database>().await.unwrap().port, 5433);
}

#[tokio::test]
async fn save_never_takes_a_local_copy_for_the_stored_version() {
    let (confo, flaky, _dir) = confo_with_a_local_copy().await;
    flaky.set_down(true);
    let err = Database { port: 1 }.save(&confo).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err}");
}

#[tokio::test]
async fn save_field_reads_the_current_value_through_the_retry() {
    let (confo, flaky) = flaky_confo().await;
    flaky.fail_next(2);
    confo
        .save_field(Database::fields().port, 6000)
        .await
        .unwrap();
    assert_eq!(flaky.failures(), 2);
    flaky.fail_next(2);
    assert_eq!(
        confo.load_field(Database::fields().port).await.unwrap(),
        6000
    );
}

#[tokio::test]
async fn update_reads_through_the_retry() {
    let (confo, flaky) = flaky_confo().await;
    flaky.fail_next(3);
    let after = confo.update::<Database>(|db| db.port += 1).await.unwrap();
    assert_eq!(after.port, 5433);
    assert_eq!(flaky.failures(), 3);
}

#[tokio::test]
async fn use_namespace_and_reload_retry_a_store_that_fails_then_answers() {
    let (confo, flaky) = flaky_confo().await;
    flaky.fail_next(3);
    confo.use_namespace("systemA").await.unwrap();
    assert_eq!(confo.get_field("database", "port").unwrap(), 5432);
    flaky.fail_next(3);
    confo.reload().await.unwrap();
    assert_eq!(flaky.failures(), 6);
    flaky.fail_next(3);
    assert_eq!(confo.namespaces().await.unwrap().all_namespaces.len(), 1);
}

#[tokio::test]
async fn use_namespace_and_reload_fall_back_to_the_local_copies_while_the_store_is_down() {
    let (confo, flaky, _dir) = confo_with_a_local_copy().await;
    flaky.set_down(true);
    confo.use_namespace("systemA").await.unwrap();
    assert_eq!(confo.get_field("database", "port").unwrap(), 5432);
    confo.reload().await.unwrap();
    assert_eq!(confo.count().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_value_starts_through_the_retry() {
    let (confo, flaky) = flaky_confo().await;
    flaky.fail_next(3); // the arm, then the read
    let live = confo.watch::<Database>().await.unwrap();
    assert_eq!(live.get().port, 5432);
    assert_eq!(live.status().freshness, Freshness::Fresh);
    assert_eq!(flaky.failures(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_value_starts_from_the_local_copy_while_the_store_is_down_then_catches_up() {
    let (confo, flaky, _dir) = confo_with_a_local_copy().await;
    flaky.set_down(true);
    let mut live = confo.watch::<Database>().await.unwrap();
    assert_eq!(live.get().port, 5432);
    assert_eq!(live.status().freshness, Freshness::Stale);

    flaky
        .write(&path(), br#"{"port":5433}"#, Expect::Any)
        .await
        .unwrap();
    flaky.set_down(false);
    let now = tokio::time::timeout(WAIT, async {
        loop {
            let v = live.changed().await.unwrap();
            if v.port == 5433 {
                return v;
            }
        }
    })
    .await
    .expect("the live value catches up once the store is back");
    assert_eq!(now.port, 5433);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_value_keeps_a_local_copy_of_each_value_it_takes() {
    let (confo, flaky, dir) = confo_with_a_local_copy().await;
    let mut live = confo.watch::<Database>().await.unwrap();
    flaky.fail_next(2); // the re-read after the change fails twice, then answers
    flaky
        .write(&path(), br#"{"port":5439}"#, Expect::Any)
        .await
        .unwrap();
    let now = tokio::time::timeout(WAIT, live.changed())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.port, 5439);
    let copy = std::fs::read(dir.path().join("systemA/database.json")).unwrap();
    assert_eq!(copy, br#"{"port":5439}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_watch_starts_through_the_retry() {
    let (confo, flaky) = flaky_confo().await;
    flaky.fail_next(3);
    let changes = confo.watch_namespace("systemA").await.unwrap();
    assert_eq!(changes.known().len(), 1);
    assert_eq!(flaky.failures(), 3);
}

#[tokio::test]
async fn a_tree_export_through_the_store_retries_a_store_that_fails_then_answers() {
    let (confo, flaky) = flaky_confo().await;
    let dir = tempfile::tempdir().unwrap();
    flaky.fail_next(3);
    let store = confo.store().unwrap();
    tree::export_tree(store.backend(), dir.path())
        .await
        .unwrap();
    assert_eq!(flaky.failures(), 3);
    let exported = std::fs::read(dir.path().join("systemA/database.json")).unwrap();
    assert_eq!(exported, br#"{"port":5432}"#);
}
