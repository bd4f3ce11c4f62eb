//! Live values on the memory and file backends: changes arrive, bad updates
//! never replace a good value, deletions are reported, and the task stops
//! with its last handle.

use std::sync::Arc;
use std::time::Duration;

use confo::backend::{Backend, Expect, FileBackend, MemoryBackend};
use confo::{ConfigPath, Confo, Freshness, NamespaceChange, Problem};
use serde_json::json;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

fn p(s: &str) -> ConfigPath {
    s.parse().unwrap()
}

macro_rules! on_memory_and_files {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(std::sync::Arc::new(confo::backend::MemoryBackend::new()), None).await;
                }
            )*
        }
        mod file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = confo::backend::FileBackend::new(dir.path());
                    super::$name(std::sync::Arc::new(store), Some(dir.path().to_path_buf())).await;
                }
            )*
        }
    };
}

on_memory_and_files!(
    a_change_reaches_the_live_value,
    an_update_that_does_not_decode_keeps_the_last_good_value,
    deletion_is_reported_and_the_value_stays_until_it_returns,
    rapid_changes_end_on_the_last_value_in_order,
    dropping_every_handle_stops_the_task,
    a_namespace_watch_reports_added_changed_removed,
);

type Store = Arc<dyn Backend>;
type Dir = Option<std::path::PathBuf>;

fn confo_on(store: &Store) -> Confo {
    let confo = Confo::new();
    futures::executor::block_on(confo.load_backend("s", store.clone())).unwrap();
    confo.activate_backend("s").unwrap();
    confo
}

async fn a_change_reaches_the_live_value(store: Store, _dir: Dir) {
    store
        .write(&p("ns/db"), br#"{"port":1}"#, Expect::Absent)
        .await
        .unwrap();
    let mut live = confo_on(&store).watch_raw(&p("ns/db")).await.unwrap();
    assert_eq!(live.get()["port"], 1);
    assert_eq!(live.status().freshness, Freshness::Fresh);
    let v2 = store
        .write(&p("ns/db"), br#"{"port":2}"#, Expect::Any)
        .await
        .unwrap();
    let value = timeout(WAIT, live.changed()).await.unwrap().unwrap();
    assert_eq!(value["port"], 2);
    assert_eq!(live.version(), v2);
    // A clone shares the value.
    assert_eq!(live.clone().get()["port"], 2);
}

async fn an_update_that_does_not_decode_keeps_the_last_good_value(store: Store, _dir: Dir) {
    store
        .write(&p("ns/db"), br#"{"port":1}"#, Expect::Absent)
        .await
        .unwrap();
    let mut live = confo_on(&store).watch_raw(&p("ns/db")).await.unwrap();
    let mut problems = live.problems();
    store
        .write(&p("ns/db"), b"{\"port\": oops", Expect::Any)
        .await
        .unwrap();
    let problem = timeout(WAIT, problems.recv()).await.unwrap().unwrap();
    match &problem {
        Problem::Rejected { error, .. } => {
            assert!(error.to_string().contains("ns/db"), "{error}")
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(live.get()["port"], 1, "last good value stays");
    assert!(live.status().last_problem.is_some());

    store
        .write(&p("ns/db"), br#"{"port":3}"#, Expect::Any)
        .await
        .unwrap();
    let value = timeout(WAIT, live.changed()).await.unwrap().unwrap();
    assert_eq!(value["port"], 3);
    assert_eq!(live.status().last_problem, None);
}

async fn deletion_is_reported_and_the_value_stays_until_it_returns(store: Store, _dir: Dir) {
    store
        .write(&p("ns/db"), br#"{"port":1}"#, Expect::Absent)
        .await
        .unwrap();
    let mut live = confo_on(&store).watch_raw(&p("ns/db")).await.unwrap();
    let mut status = live.status_stream();
    let mut problems = live.problems();
    store.delete(&p("ns/db"), Expect::Any).await.unwrap();
    let problem = timeout(WAIT, problems.recv()).await.unwrap().unwrap();
    assert!(matches!(problem, Problem::Deleted), "{problem:?}");
    timeout(WAIT, status.wait_for(|s| s.freshness == Freshness::Deleted))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.get()["port"], 1);

    store
        .write(&p("ns/db"), br#"{"port":9}"#, Expect::Absent)
        .await
        .unwrap();
    let value = timeout(WAIT, live.changed()).await.unwrap().unwrap();
    assert_eq!(value["port"], 9);
    assert_eq!(live.status().freshness, Freshness::Fresh);
}

async fn rapid_changes_end_on_the_last_value_in_order(store: Store, _dir: Dir) {
    store
        .write(&p("ns/n"), br#"{"n":0}"#, Expect::Absent)
        .await
        .unwrap();
    let live = confo_on(&store).watch_raw(&p("ns/n")).await.unwrap();
    let mut updates = live.subscribe();
    for i in 1..=100 {
        store
            .write(&p("ns/n"), format!("{{\"n\":{i}}}").as_bytes(), Expect::Any)
            .await
            .unwrap();
    }
    let mut last = 0;
    let deadline = tokio::time::Instant::now() + WAIT;
    while last < 100 {
        let update = tokio::time::timeout_at(deadline, updates.next())
            .await
            .expect("the final value arrives")
            .unwrap();
        let n = update.value["n"].as_u64().unwrap();
        assert!(n > last, "value {n} after {last}: out of order");
        last = n;
    }
    assert_eq!(live.get()["n"], 100);
}

async fn dropping_every_handle_stops_the_task(store: Store, _dir: Dir) {
    store
        .write(&p("ns/x"), b"{}", Expect::Absent)
        .await
        .unwrap();
    let before = Arc::strong_count(&store);
    let confo = confo_on(&store);
    let live = confo.watch_raw(&p("ns/x")).await.unwrap();
    let other = live.clone();
    drop(confo);
    assert!(
        Arc::strong_count(&store) > before,
        "the task holds the store"
    );
    drop(live);
    drop(other);
    // The task wakes on the dropped stop signal and releases the store.
    let deadline = std::time::Instant::now() + WAIT;
    while Arc::strong_count(&store) > before {
        assert!(std::time::Instant::now() < deadline, "task did not stop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn a_namespace_watch_reports_added_changed_removed(store: Store, _dir: Dir) {
    store
        .write(&p("ns/a"), br#"{"v":1}"#, Expect::Absent)
        .await
        .unwrap();
    let mut changes = confo_on(&store).watch_namespace("ns").await.unwrap();
    assert_eq!(changes.known().len(), 1);

    store
        .write(&p("ns/b"), br#"{"v":2}"#, Expect::Absent)
        .await
        .unwrap();
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Added { name, value, .. } => {
            assert_eq!(name, "b");
            assert_eq!(value, json!({"v": 2}));
        }
        other => panic!("expected Added, got {other:?}"),
    }
    store
        .write(&p("ns/a"), br#"{"v":10}"#, Expect::Any)
        .await
        .unwrap();
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Changed { name, value, .. } => {
            assert_eq!(name, "a");
            assert_eq!(value, json!({"v": 10}));
        }
        other => panic!("expected Changed, got {other:?}"),
    }
    store.delete(&p("ns/b"), Expect::Any).await.unwrap();
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Removed { name } => assert_eq!(name, "b"),
        other => panic!("expected Removed, got {other:?}"),
    }
    // Changes elsewhere are not reported here.
    store
        .write(&p("other/z"), b"{}", Expect::Absent)
        .await
        .unwrap();
    store
        .write(&p("ns/c"), b"{}", Expect::Absent)
        .await
        .unwrap();
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Added { name, .. } => assert_eq!(name, "c"),
        other => panic!("expected Added c, got {other:?}"),
    }
}

/// Editors often write in place (truncate, then write) instead of renaming.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_backend_follows_an_editor_writing_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store: Store = Arc::new(FileBackend::new(dir.path()));
    store
        .write(&p("ns/db"), br#"{"port":1}"#, Expect::Absent)
        .await
        .unwrap();
    let mut live = confo_on(&store).watch_raw(&p("ns/db")).await.unwrap();
    std::fs::write(dir.path().join("ns/db.json"), br#"{"port":2}"#).unwrap();
    let value = timeout(WAIT, live.changed()).await.unwrap().unwrap();
    assert_eq!(value["port"], 2);
    // And to a namespace directory created after the watch started.
    std::fs::create_dir(dir.path().join("late")).unwrap();
    std::fs::write(dir.path().join("late/x.json"), br#"{"late":true}"#).unwrap();
    let mut late = confo_on(&store).watch_raw(&p("late/x")).await.unwrap();
    assert_eq!(late.get()["late"], true);
    std::fs::write(dir.path().join("late/x.json"), br#"{"late":false}"#).unwrap();
    let value = timeout(WAIT, late.changed()).await.unwrap().unwrap();
    assert_eq!(value["late"], false);
}

#[tokio::test]
async fn watching_a_missing_configuration_is_an_error() {
    let confo = Confo::with_backend(MemoryBackend::new());
    let err = confo.watch_raw(&p("ns/none")).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

mod typed {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(confo::Confo, Deserialize, Serialize, Debug)]
    #[confo(namespace = "systemA", name = "database")]
    struct Database {
        host: String,
        port: u16,
        password: confo::Secret<String>,
    }

    #[derive(confo::Confo, Deserialize, Serialize, Debug)]
    #[confo(namespace = "systemA", name = "counter")]
    struct Counter {
        n: u64,
        #[serde(default)]
        by: Vec<String>,
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_typed_live_value_rejects_a_mistyped_update_naming_the_field() {
        let confo = Confo::from_url("mem://").await.unwrap();
        let store = confo.backend().unwrap();
        let path = p("systemA/database");
        store
            .write(
                &path,
                br#"{"host":"db","port":5432,"password":"hunter2"}"#,
                Expect::Absent,
            )
            .await
            .unwrap();
        let mut live = confo.watch::<Database>().await.unwrap();
        let mut problems = live.problems();
        assert_eq!(live.get().port, 5432);

        store
            .write(
                &path,
                br#"{"host":"db","port":"high","password":{"leak":"hunter3"}}"#,
                Expect::Any,
            )
            .await
            .unwrap();
        let problem = timeout(WAIT, problems.recv()).await.unwrap().unwrap();
        let shown = problem.to_string();
        assert!(shown.contains("database.port"), "{shown}");
        assert!(shown.contains("database.password"), "{shown}");
        assert!(!shown.contains("hunter"), "{shown}");
        assert_eq!(live.get().port, 5432);

        // Numbers stored as strings, as the Python package writes them.
        store
            .write(
                &path,
                br#"{"host":"db2","port":"6543","password":"pw"}"#,
                Expect::Any,
            )
            .await
            .unwrap();
        let db = timeout(WAIT, live.changed()).await.unwrap().unwrap();
        assert_eq!((db.host.as_str(), db.port), ("db2", 6543));
        assert_eq!(format!("{:?}", db.password), "***");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_typed_updates_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for url in [
            "mem://".to_string(),
            format!("file://{}", dir.path().display()),
        ] {
            let confo = Confo::from_url(&url).await.unwrap();
            confo
                .backend()
                .unwrap()
                .write(&p("systemA/counter"), br#"{"n":0}"#, Expect::Absent)
                .await
                .unwrap();
            let mut tasks = Vec::new();
            for t in 0..4 {
                let confo = confo.clone();
                tasks.push(tokio::spawn(async move {
                    for i in 0..25 {
                        confo
                            .update::<Counter>(|c| {
                                c.n += 1;
                                c.by = vec![format!("t{t}-{i}")];
                            })
                            .await
                            .unwrap();
                    }
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(confo.load::<Counter>().await.unwrap().n, 100, "on {url}");
        }
    }
}

/// A memory store whose watches the test can end, as a backend's event
/// source ends when its connection or task is gone.
mod ending_watches {
    use super::*;
    use confo::backend::{Version, Versioned, Watch, WatchEvent, WatchScope};
    use confo::{ConfigName, Namespace};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use tokio::sync::broadcast;

    #[derive(Debug, Default)]
    struct EndingWatches {
        store: MemoryBackend,
        senders: Mutex<Vec<broadcast::Sender<WatchEvent>>>,
        armed: AtomicUsize,
    }

    impl EndingWatches {
        /// Ends every watch handed out so far.
        fn end_all(&self) {
            self.senders.lock().unwrap().clear();
        }

        fn notify(&self, path: &ConfigPath) {
            for tx in self.senders.lock().unwrap().iter() {
                let _ = tx.send(WatchEvent::Changed(path.clone()));
            }
        }
    }

    #[async_trait::async_trait]
    impl Backend for EndingWatches {
        fn describe(&self) -> &str {
            "mem://ending"
        }
        async fn list_namespaces(&self) -> confo::Result<Vec<Namespace>> {
            self.store.list_namespaces().await
        }
        async fn list_configs(&self, ns: &Namespace) -> confo::Result<Vec<ConfigName>> {
            self.store.list_configs(ns).await
        }
        async fn read(&self, path: &ConfigPath) -> confo::Result<Versioned> {
            self.store.read(path).await
        }
        async fn write(
            &self,
            path: &ConfigPath,
            bytes: &[u8],
            expect: Expect,
        ) -> confo::Result<Version> {
            let v = self.store.write(path, bytes, expect).await?;
            self.notify(path);
            Ok(v)
        }
        async fn create_namespace(&self, ns: &Namespace) -> confo::Result<bool> {
            self.store.create_namespace(ns).await
        }
        async fn delete(&self, path: &ConfigPath, expect: Expect) -> confo::Result<()> {
            self.store.delete(path, expect).await?;
            self.notify(path);
            Ok(())
        }
        async fn delete_namespace(&self, ns: &Namespace, recursive: bool) -> confo::Result<()> {
            self.store.delete_namespace(ns, recursive).await
        }
        async fn watch(&self, scope: &WatchScope) -> confo::Result<Watch> {
            let (tx, rx) = broadcast::channel(16);
            self.senders.lock().unwrap().push(tx);
            self.armed.fetch_add(1, Ordering::SeqCst);
            Ok(Watch::new(rx, scope.clone(), None))
        }
    }

    /// A change made while the watch was gone is read once it is armed again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_live_value_rearms_when_its_watch_ends_and_catches_up() {
        let store = Arc::new(EndingWatches::default());
        store
            .write(&p("ns/db"), br#"{"n":1}"#, Expect::Absent)
            .await
            .unwrap();
        let backend: Store = store.clone();
        let mut live = confo_on(&backend).watch_raw(&p("ns/db")).await.unwrap();
        assert_eq!(store.armed.load(Ordering::SeqCst), 1);

        // A change no watch hears of (as during a lost connection), then
        // the watch ends: the value catches up once it is armed again.
        store
            .store
            .write(&p("ns/db"), br#"{"n":2}"#, Expect::Any)
            .await
            .unwrap();
        assert_eq!(live.get()["n"], 1);
        store.end_all();
        let value = timeout(WAIT, live.changed()).await.unwrap().unwrap();
        assert_eq!(value["n"], 2);
        assert!(store.armed.load(Ordering::SeqCst) >= 2, "re-armed");

        // And the new watch carries the next change.
        store
            .write(&p("ns/db"), br#"{"n":3}"#, Expect::Any)
            .await
            .unwrap();
        let value = timeout(WAIT, live.changed()).await.unwrap().unwrap();
        assert_eq!(value["n"], 3);
    }
}
