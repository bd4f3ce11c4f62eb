//! The `Confo` manager: the Python package's API, with errors instead of
//! prints and compare-and-set instead of silent overwrites. Runs against the
//! memory and the file backend.

use confo::backend::{Backend, Expect, FileBackend, MemoryBackend};
use confo::{Confo, Error};
use serde_json::json;

async fn seeded(store: &dyn Backend) {
    for (path, body) in [
        (
            "systemA/database",
            r#"{"host":"db","port":5432,"password":"pw"}"#,
        ),
        ("systemA/cache", r#"{"ttl":30}"#),
        ("systemB/email", r#"{"port":587}"#),
    ] {
        store
            .write(&path.parse().unwrap(), body.as_bytes(), Expect::Absent)
            .await
            .unwrap();
    }
}

macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = confo::backend::MemoryBackend::new();
                    super::$name(std::sync::Arc::new(store)).await;
                }
            )*
        }
        mod file {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = confo::backend::FileBackend::new(dir.path());
                    super::$name(std::sync::Arc::new(store)).await;
                }
            )*
        }
    };
}

on_every_backend!(
    python_api_round_trip,
    use_namespace_refuses_unknown_names,
    persist_never_overwrites_a_concurrent_change,
    reload_keeps_unpersisted_changes,
    switching_namespace_with_pending_changes_is_refused,
    set_refuses_non_objects_and_get_field_names_the_field,
);

type Store = std::sync::Arc<dyn Backend>;

fn manager(store: &Store) -> Confo {
    let confo = Confo::new();
    futures::executor::block_on(confo.load_backend("main", store.clone())).unwrap();
    confo.activate_backend("main").unwrap();
    confo
}

async fn python_api_round_trip(store: Store) {
    seeded(&*store).await;
    let confo = manager(&store);
    let ns = confo.namespaces().await.unwrap();
    assert_eq!(ns.all_namespaces, ["systemA", "systemB"]);
    assert_eq!(ns.current_namespace, None);

    confo.use_namespace("systemA").await.unwrap();
    assert_eq!(confo.count().unwrap(), 2);
    assert_eq!(
        confo.namespaces().await.unwrap().current_namespace.unwrap(),
        "systemA"
    );
    let all = confo.get_all().unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["cache", "database"]);
    assert_eq!(confo.get_field("database", "port").unwrap(), json!(5432));

    confo.set_field("database", "port", json!(5433)).unwrap();
    confo.set("queue", json!({"url": "amqp://q"})).unwrap();
    assert_eq!(confo.persist().await.unwrap(), 2);
    assert_eq!(confo.persist().await.unwrap(), 0, "nothing left to write");

    let stored = store
        .read(&"systemA/database".parse().unwrap())
        .await
        .unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&stored.bytes).unwrap();
    assert_eq!(stored["port"], 5433);
    assert_eq!(stored["host"], "db", "other fields kept");

    let fresh = manager(&store);
    fresh.use_namespace("systemA").await.unwrap();
    assert_eq!(fresh.count().unwrap(), 3);
    assert_eq!(fresh.get("queue").unwrap(), json!({"url": "amqp://q"}));

    assert!(confo.create_namespace("systemC").await.unwrap());
    assert!(!confo.create_namespace("systemC").await.unwrap());
    confo.use_namespace("systemC").await.unwrap();
    assert_eq!(confo.count().unwrap(), 0);
}

async fn use_namespace_refuses_unknown_names(store: Store) {
    seeded(&*store).await;
    let confo = manager(&store);
    let err = confo.use_namespace("systemZ").await.unwrap_err();
    match &err {
        Error::NamespaceNotFound {
            namespace, known, ..
        } => {
            assert_eq!(namespace, "systemZ");
            assert!(known.contains("systemA"), "{err}");
        }
        other => panic!("expected NamespaceNotFound, got {other:?}"),
    }
    let err = confo.use_namespace("../etc").await.unwrap_err();
    assert!(matches!(err, Error::InvalidName { .. }), "{err:?}");
    // Still no namespace in use.
    assert!(matches!(confo.get("database"), Err(Error::NoNamespace)));
}

async fn persist_never_overwrites_a_concurrent_change(store: Store) {
    seeded(&*store).await;
    let alice = manager(&store);
    let bob = manager(&store);
    alice.use_namespace("systemA").await.unwrap();
    bob.use_namespace("systemA").await.unwrap();

    alice.set_field("database", "port", json!(1111)).unwrap();
    bob.set_field("database", "host", json!("bob-host"))
        .unwrap();
    alice.persist().await.unwrap();
    let err = bob.persist().await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert!(err.to_string().contains("systemA/database"), "{err}");

    // Alice's write is in the store; Bob's change is still his, not lost.
    let stored = store
        .read(&"systemA/database".parse().unwrap())
        .await
        .unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&stored.bytes).unwrap();
    assert_eq!(stored["port"], 1111);
    assert_eq!(stored["host"], "db");
    assert_eq!(bob.get_field("database", "host").unwrap(), "bob-host");

    // The same happens for a configuration both create.
    alice.set("new", json!({"by": "alice"})).unwrap();
    bob.set("new", json!({"by": "bob"})).unwrap();
    alice.persist().await.unwrap();
    assert!(bob.persist().await.unwrap_err().is_conflict());
}

async fn reload_keeps_unpersisted_changes(store: Store) {
    seeded(&*store).await;
    let confo = manager(&store);
    confo.use_namespace("systemA").await.unwrap();
    confo.set_field("cache", "ttl", json!(60)).unwrap();
    store
        .write(&"systemA/extra".parse().unwrap(), b"{}", Expect::Absent)
        .await
        .unwrap();
    confo.reload().await.unwrap();
    assert_eq!(confo.count().unwrap(), 3, "sees the new configuration");
    assert_eq!(
        confo.get_field("cache", "ttl").unwrap(),
        60,
        "keeps the change"
    );
}

async fn switching_namespace_with_pending_changes_is_refused(store: Store) {
    seeded(&*store).await;
    let confo = manager(&store);
    confo.use_namespace("systemA").await.unwrap();
    confo.set_field("cache", "ttl", json!(1)).unwrap();
    let err = confo.use_namespace("systemB").await.unwrap_err();
    match &err {
        Error::PendingChanges { configs, .. } => assert_eq!(configs, &["cache"]),
        other => panic!("expected PendingChanges, got {other:?}"),
    }
    assert_eq!(confo.current_namespace().unwrap(), "systemA");
    confo.persist().await.unwrap();
    confo.use_namespace("systemB").await.unwrap();
}

async fn set_refuses_non_objects_and_get_field_names_the_field(store: Store) {
    seeded(&*store).await;
    let confo = manager(&store);
    confo.use_namespace("systemB").await.unwrap();
    let err = confo.set("email", json!([1, 2])).unwrap_err();
    assert!(
        matches!(err, Error::NotAnObject { found: "array", .. }),
        "{err:?}"
    );
    let err = confo.get_field("email", "smtp").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("\"smtp\"") && msg.contains("systemB/email"),
        "{msg}"
    );
    let err = confo.get("nope").unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = confo.set_field("nope", "x", json!(1)).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn no_backend_and_unknown_backend_are_typed_errors() {
    let confo = Confo::new();
    assert!(matches!(
        confo.namespaces().await,
        Err(Error::NoActiveBackend)
    ));
    assert!(matches!(confo.count(), Err(Error::NoNamespace)));
    confo
        .load_backend("mem", MemoryBackend::new())
        .await
        .unwrap();
    confo
        .load_backend("files", "file://./unused")
        .await
        .unwrap();
    let err = confo.activate_backend("zk").unwrap_err();
    match &err {
        Error::UnknownBackend { name, loaded } => {
            assert_eq!(name, "zk");
            assert_eq!(loaded, &["files", "mem"]);
        }
        other => panic!("expected UnknownBackend, got {other:?}"),
    }
    assert!(err.to_string().contains("files, mem"), "{err}");
    let backends = confo.backends();
    assert_eq!(backends.all_backends, ["files", "mem"]);
    assert_eq!(backends.active_backend, None);
    confo.activate_backend("mem").unwrap();
    assert_eq!(confo.backends().active_backend.as_deref(), Some("mem"));
    assert_eq!(confo.backend().unwrap().describe(), "mem://");
}

#[tokio::test]
async fn from_url_and_from_env() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let confo = Confo::from_url(&url).await.unwrap();
    assert_eq!(confo.backend().unwrap().describe(), url);
    let confo = Confo::from_url("mem://").await.unwrap();
    assert_eq!(confo.backend().unwrap().describe(), "mem://");
    let err = Confo::from_url("s3://user:hunter2@bucket")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUrl { .. }));
    assert!(!err.to_string().contains("hunter2"), "{err}");
    // from_env without CONFO_URL set uses the default ./confo directory.
    if std::env::var_os("CONFO_URL").is_none() {
        let confo = Confo::from_env().await.unwrap();
        assert!(confo.backend().unwrap().describe().ends_with("/confo"));
    }
}

#[tokio::test]
async fn file_and_memory_behave_alike_for_the_same_script() {
    async fn script(store: Store) -> Vec<String> {
        let confo = manager(&store);
        confo.create_namespace("ns").await.unwrap();
        confo.use_namespace("ns").await.unwrap();
        confo.set("a", json!({"x": 1})).unwrap();
        confo.persist().await.unwrap();
        confo.set_field("a", "y", json!("two")).unwrap();
        confo.persist().await.unwrap();
        confo.reload().await.unwrap();
        confo
            .get_all()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
    let dir = tempfile::tempdir().unwrap();
    let from_files = script(std::sync::Arc::new(FileBackend::new(dir.path()))).await;
    let from_memory = script(std::sync::Arc::new(MemoryBackend::new())).await;
    assert_eq!(from_files, from_memory);
    assert_eq!(from_files, [r#"a={"x":1,"y":"two"}"#]);
}

/// N tasks each add 1, M times, through `update_json`: none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for store in [
        std::sync::Arc::new(MemoryBackend::new()) as Store,
        std::sync::Arc::new(FileBackend::new(dir.path())) as Store,
    ] {
        let path: confo::ConfigPath = "ns/counter".parse().unwrap();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let confo = manager(&store);
            let path = path.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..25 {
                    confo
                        .update_json(&path, |obj| {
                            let n = obj.get("n").and_then(|v| v.as_u64()).unwrap_or(0);
                            obj.insert("n".into(), json!(n + 1));
                            Ok(())
                        })
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let read = store.read(&path).await.unwrap();
        assert_eq!(&*read.bytes, br#"{"n":100}"#, "on {}", store.describe());
    }
}
