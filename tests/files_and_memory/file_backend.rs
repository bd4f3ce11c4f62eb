//! What the file backend promises beyond the conformance suite: the layout on
//! disk, atomic writes, compare-and-set between two instances on one
//! directory, and clear reports of files that are not configurations.

use std::fs;
use std::sync::Arc;
use std::time::{Duration, Instant};

use confo::backend::{Backend, Durability, Expect, FileBackend};
use confo::{ConfigPath, Confo, Error, Namespace};

fn p(s: &str) -> ConfigPath {
    s.parse().unwrap()
}

#[tokio::test]
async fn layout_is_root_namespace_name_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBackend::new(dir.path());
    store
        .write(&p("systemA/database"), br#"{"port":5432}"#, Expect::Absent)
        .await
        .unwrap();
    let on_disk = fs::read_to_string(dir.path().join("systemA").join("database.json")).unwrap();
    assert_eq!(on_disk, r#"{"port":5432}"#);
    // A file dropped in by hand (or by the Python package) is read as is.
    fs::write(dir.path().join("systemA/cache.json"), br#"{"ttl": 30}"#).unwrap();
    let read = store.read(&p("systemA/cache")).await.unwrap();
    assert_eq!(&*read.bytes, br#"{"ttl": 30}"#);
}

#[tokio::test]
async fn writes_leave_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBackend::new(dir.path());
    for i in 0..20 {
        store
            .write(&p("ns/x"), format!("{{\"i\":{i}}}").as_bytes(), Expect::Any)
            .await
            .unwrap();
    }
    let entries: Vec<String> = fs::read_dir(dir.path().join("ns"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["x.json"]);
}

#[tokio::test]
async fn a_leftover_temporary_file_is_not_a_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBackend::new(dir.path());
    store
        .write(&p("ns/x"), b"{}", Expect::Absent)
        .await
        .unwrap();
    // What a crash between create and rename would leave behind.
    fs::write(dir.path().join("ns/.confo-tmp.123.4"), b"{\"half\":").unwrap();
    let names = store.list_configs(&"ns".parse().unwrap()).await.unwrap();
    assert_eq!(names, ["x"]);
}

#[tokio::test]
async fn an_editor_writing_in_place_changes_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBackend::new(dir.path());
    let v1 = store
        .write(&p("ns/x"), b"{\"a\":1}", Expect::Absent)
        .await
        .unwrap();
    fs::write(dir.path().join("ns/x.json"), b"{\"a\":2}").unwrap();
    let v2 = store.read(&p("ns/x")).await.unwrap().version;
    assert_ne!(v1, v2);
    // So a writer holding v1 does not overwrite the edit.
    let err = store
        .write(&p("ns/x"), b"{\"a\":3}", Expect::Version(v1))
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(
        fs::read_to_string(dir.path().join("ns/x.json")).unwrap(),
        "{\"a\":2}"
    );
}

/// Two independent backends (as two processes would have) on one directory,
/// each with several tasks doing compare-and-set increments: none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn compare_and_set_holds_between_two_instances_on_one_directory() {
    const PER_TASK: u64 = 20;
    let dir = tempfile::tempdir().unwrap();
    let a: Arc<dyn Backend> = Arc::new(FileBackend::new(dir.path()));
    let b: Arc<dyn Backend> = Arc::new(FileBackend::new(dir.path()));
    a.write(&p("race/n"), b"{\"n\":0}", Expect::Absent)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut tasks = Vec::new();
    for store in [a.clone(), b.clone(), a.clone(), b.clone()] {
        tasks.push(tokio::spawn(async move {
            for _ in 0..PER_TASK {
                for attempt in 0.. {
                    assert!(attempt < 10_000 && Instant::now() < deadline, "starved");
                    let read = store.read(&p("race/n")).await.unwrap();
                    let n: serde_json::Value = serde_json::from_slice(&read.bytes).unwrap();
                    let next = format!("{{\"n\":{}}}", n["n"].as_u64().unwrap() + 1);
                    match store
                        .write(&p("race/n"), next.as_bytes(), Expect::Version(read.version))
                        .await
                    {
                        Ok(_) => break,
                        Err(e) if e.is_conflict() => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let read = b.read(&p("race/n")).await.unwrap();
    let n: serde_json::Value = serde_json::from_slice(&read.bytes).unwrap();
    assert_eq!(n["n"], 4 * PER_TASK);
}

#[tokio::test]
async fn files_that_are_not_configurations_are_skipped_not_read_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("ns/nested")).unwrap();
    fs::write(root.join("ns/good.json"), b"{}").unwrap();
    fs::write(root.join("ns/notes.txt"), b"hello").unwrap();
    fs::write(root.join("ns/backup.json~"), b"{}").unwrap();
    fs::write(root.join("ns/a.b.json"), b"{\"dotted\":true}").unwrap();
    fs::write(root.join("README"), b"a file at the root").unwrap();
    let store = FileBackend::new(root);
    assert_eq!(store.list_namespaces().await.unwrap(), ["ns"]);
    // `a.b.json` is the configuration `a.b` (the Python package read it as `a`).
    assert_eq!(
        store.list_configs(&"ns".parse().unwrap()).await.unwrap(),
        ["a.b", "good"]
    );
}

#[tokio::test]
async fn bad_json_and_non_objects_are_reported_with_where() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("ns")).unwrap();
    fs::write(
        root.join("ns/broken.json"),
        b"{\n  \"port\": 5432,\n  \"host\": \n}",
    )
    .unwrap();
    let confo = Confo::from_url(&format!("file://{}", root.display()))
        .await
        .unwrap();
    let err = confo.use_namespace("ns").await.unwrap_err();
    match &err {
        Error::InvalidJson {
            path, line, column, ..
        } => {
            assert_eq!(path, "ns/broken");
            assert_eq!(*line, 4);
            assert!(*column >= 1);
        }
        other => panic!("expected InvalidJson, got {other:?}"),
    }
    assert!(err.to_string().contains("line 4"), "{err}");

    fs::write(root.join("ns/broken.json"), b"[1, 2]").unwrap();
    let err = confo.use_namespace("ns").await.unwrap_err();
    assert!(
        matches!(err, Error::NotAnObject { found: "array", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("ns/broken"), "{err}");

    // An empty file reads as `{}`, like an empty znode: one rule for both.
    fs::write(root.join("ns/broken.json"), b"").unwrap();
    let read = FileBackend::new(root).read(&p("ns/broken")).await.unwrap();
    assert_eq!(&*read.bytes, b"{}");
}

#[tokio::test]
async fn a_directory_named_like_a_configuration_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("ns/odd.json")).unwrap();
    let store = FileBackend::new(dir.path());
    let err = store.read(&p("ns/odd")).await.unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_out_of_the_root_are_refused_inside_allowed() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.json"), b"{\"stolen\":true}").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("ns")).unwrap();
    fs::write(root.join("ns/real.json"), b"{\"real\":true}").unwrap();
    symlink(
        outside.path().join("secret.json"),
        root.join("ns/leak.json"),
    )
    .unwrap();
    symlink(root.join("ns/real.json"), root.join("ns/alias.json")).unwrap();
    symlink(outside.path(), root.join("escape")).unwrap();
    let store = FileBackend::new(root);

    let err = store.read(&p("ns/leak")).await.unwrap_err();
    assert!(err.to_string().contains("outside the root"), "{err}");
    assert!(!err.to_string().contains("stolen"));
    let err = store.read(&p("escape/secret")).await.unwrap_err();
    assert!(err.to_string().contains("outside the root"), "{err}");
    let err = store
        .write(&p("escape/planted"), b"{}", Expect::Any)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("outside the root"), "{err}");
    assert!(!outside.path().join("planted.json").exists());

    let alias = store.read(&p("ns/alias")).await.unwrap();
    assert_eq!(&*alias.bytes, b"{\"real\":true}");
}

#[tokio::test]
async fn describe_names_the_absolute_root() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBackend::new(dir.path());
    assert_eq!(store.describe(), format!("file://{}", dir.path().display()));
    let err = store
        .list_configs(&Namespace::new("missing").unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

/// A read from a store whose directory does not exist is still "not found"
/// (so `NotFound` handling keeps working), and its message names the
/// missing directory; the first write creates it.
#[tokio::test]
async fn a_missing_directory_is_named_in_not_found_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("never-made");
    let confo = Confo::with_backend(FileBackend::new(&root));
    let err = confo
        .backend()
        .unwrap()
        .read(&p("systemA/database"))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "(the directory {} does not exist)",
            root.display()
        )),
        "{text}"
    );
    let err = confo.use_namespace("systemA").await.unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    confo
        .backend()
        .unwrap()
        .write(&p("systemA/database"), b"{}", Expect::Absent)
        .await
        .unwrap();
    assert!(root.join("systemA/database.json").is_file());
    let err = confo
        .backend()
        .unwrap()
        .read(&p("systemA/other"))
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("does not exist"), "{err}");
}

/// The batch write behind `confo export`, both ways of making it durable:
/// every file written (replacing what was there), no temporary file left,
/// each one readable at once.
#[tokio::test]
async fn write_all_durable_writes_every_file_and_leaves_no_temporaries() {
    for durability in [Durability::Batch, Durability::EachFile] {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBackend::new(dir.path());
        store
            .write(&p("a/keep"), br#"{"old":true}"#, Expect::Absent)
            .await
            .unwrap();
        let files: Vec<(ConfigPath, Arc<[u8]>)> = (0..300)
            .map(|i| {
                let path = p(&format!("ns{}/c{i}", i % 3));
                (path, Arc::from(format!("{{\"i\":{i}}}").into_bytes()))
            })
            .chain([(p("a/keep"), Arc::from(&br#"{"new":true}"#[..]))])
            .collect();
        store.write_all_durable(files, durability).await.unwrap();
        for i in 0..300 {
            let read = store.read(&p(&format!("ns{}/c{i}", i % 3))).await.unwrap();
            assert_eq!(&*read.bytes, format!("{{\"i\":{i}}}").as_bytes());
        }
        assert_eq!(
            &*store.read(&p("a/keep")).await.unwrap().bytes,
            br#"{"new":true}"#
        );
        for ns in ["ns0", "ns1", "ns2", "a"] {
            for entry in fs::read_dir(dir.path().join(ns)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                assert!(
                    name.ends_with(".json") && !name.starts_with('.'),
                    "{ns}/{name}"
                );
            }
        }
        // A value over the limit refuses the whole batch before anything is written.
        let big: Arc<[u8]> = Arc::from(vec![b' '; confo::backend::MAX_VALUE_BYTES + 1]);
        let err = store
            .write_all_durable(
                vec![(p("z/new"), Arc::from(&b"{}"[..])), (p("z/big"), big)],
                durability,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ValueTooLarge { .. }), "{err:?}");
        assert!(!dir.path().join("z").exists());
    }
}
