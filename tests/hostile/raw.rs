//! The hostile corpus through every untyped decode path: the JSON object
//! parser, the manager reading a namespace, and a live watch. No panic, a
//! clear error naming the path for everything that is not a JSON object,
//! and the watch keeps its last good value.

use crate::corpus as hostile;

use std::time::Duration;

use confo::backend::{Backend, Expect, FileBackend};
use confo::{Confo, Error};

#[test]
fn the_corpus_is_large_enough() {
    let n = hostile::corpus().len();
    println!("{n} hostile cases");
    assert!(n >= 200, "{n}");
}

#[test]
fn the_object_parser_answers_every_case_with_a_value_or_a_located_error() {
    for case in hostile::corpus() {
        match confo::parse_json_object("test://", "ns/cfg", &case.bytes) {
            Ok(map) => {
                // Only genuine JSON objects get through.
                let reparsed: serde_json::Value = serde_json::from_slice(&case.bytes)
                    .unwrap_or_else(|e| panic!("{}: accepted but invalid: {e}", case.label));
                assert!(reparsed.is_object(), "{}", case.label);
                drop(map);
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("ns/cfg"), "{}: {msg}", case.label);
                assert!(
                    matches!(e, Error::InvalidJson { .. } | Error::NotAnObject { .. }),
                    "{}: {e:?}",
                    case.label
                );
                assert!(
                    !msg.contains("hunter2-secret"),
                    "{}: leaks: {msg}",
                    case.label
                );
            }
        }
    }
}

#[tokio::test]
async fn the_manager_reports_each_bad_file_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBackend::new(dir.path());
    let confo = Confo::with_backend(store.clone());
    for (i, case) in hostile::corpus().into_iter().enumerate() {
        let ns = format!("n{i}");
        std::fs::create_dir_all(dir.path().join(&ns)).unwrap();
        std::fs::write(dir.path().join(&ns).join("cfg.json"), &case.bytes).unwrap();
        let outcome = confo.use_namespace(&ns).await;
        let valid_object = hostile::reads_as_object(&case.bytes);
        match outcome {
            Ok(()) => assert!(valid_object, "{}: accepted", case.label),
            Err(e) => {
                assert!(!valid_object, "{}: refused a valid object: {e}", case.label);
                assert!(
                    e.to_string().contains(&format!("{ns}/cfg")),
                    "{}: {e}",
                    case.label
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_survives_the_corpus_and_keeps_its_last_good_value() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBackend::new(dir.path());
    let path = "ns/cfg".parse().unwrap();
    store
        .write(&path, hostile::VALID.as_bytes(), Expect::Absent)
        .await
        .unwrap();
    let confo = Confo::with_backend(store.clone());
    let mut live = confo.watch_raw(&path).await.unwrap();
    for case in hostile::corpus() {
        let is_object = hostile::reads_as_object(&case.bytes);
        if is_object || case.bytes.len() > store.max_value_bytes() {
            continue; // only contents that must be rejected
        }
        store.write(&path, &case.bytes, Expect::Any).await.unwrap();
    }
    // The value never changed: all of the above were rejected.
    assert_eq!(live.get()["port"], 5432);
    store
        .write(&path, br#"{"port":6543}"#, Expect::Any)
        .await
        .unwrap();
    let value = tokio::time::timeout(Duration::from_secs(20), live.changed())
        .await
        .expect("the watch still follows after the corpus")
        .unwrap();
    assert_eq!(value["port"], 6543);
}
