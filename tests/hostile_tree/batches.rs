//! Imports tell the truth: a batch that fails writes nothing, on the file
//! and memory backends as on ZooKeeper, so "nothing was written" is true.

use std::sync::Arc;

use confo::backend::{Backend, BatchWrite, Expect, FileBackend, MemoryBackend};
use confo::tree::plan_import;
use confo::ConfigPath;

use super::{within_async, write};

fn batch(paths: &[&str], text: &str) -> Vec<BatchWrite> {
    paths
        .iter()
        .map(|p| BatchWrite {
            path: p.parse().unwrap(),
            bytes: Arc::from(text.as_bytes()),
            expect: Expect::Absent,
        })
        .collect()
}

async fn a_conflicting_batch_writes_nothing(store: &dyn Backend) {
    store
        .write(&"ns/b".parse().unwrap(), br#"{"old":1}"#, Expect::Any)
        .await
        .unwrap();
    // ns/a would be created, ns/b exists: the batch conflicts on its second write.
    let err = store
        .write_many(&batch(&["ns/a", "ns/b", "other/c"], r#"{"new":1}"#))
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    let a: ConfigPath = "ns/a".parse().unwrap();
    assert!(
        store.read(&a).await.is_err(),
        "{}: ns/a was written by a failed batch",
        store.describe()
    );
    let b = store.read(&"ns/b".parse().unwrap()).await.unwrap();
    assert_eq!(&*b.bytes, br#"{"old":1}"#);
}

#[test]
fn a_conflicting_batch_on_the_file_backend_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    within_async(30, "file batch", async move {
        a_conflicting_batch_writes_nothing(&FileBackend::new(root)).await
    });
}

#[test]
fn a_conflicting_batch_on_the_memory_backend_writes_nothing() {
    within_async(30, "memory batch", async move {
        a_conflicting_batch_writes_nothing(&MemoryBackend::new()).await
    });
}

#[test]
fn of_two_concurrent_imports_into_a_file_store_the_loser_writes_nothing() {
    // 100 configurations: more than one import batch.
    let trees = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for (i, t) in trees.iter().enumerate() {
        // Each tree's own configuration sorts first: the loser writes it
        // before it meets the first conflict.
        write(t.path(), &format!("ns/a{i}.json"), "{}");
        for c in 0..100 {
            write(
                t.path(),
                &format!("ns/c{c:02}.json"),
                &format!(r#"{{"from":{i}}}"#),
            );
        }
    }
    let store = tempfile::tempdir().unwrap();
    let (s, t0, t1) = (
        store.path().to_path_buf(),
        trees[0].path().to_path_buf(),
        trees[1].path().to_path_buf(),
    );
    let (results, values, own) = within_async(60, "two imports", async move {
        let a = FileBackend::new(&s);
        let b = FileBackend::new(&s);
        // Both plan before either writes: both expect every name absent.
        let plan_a = plan_import(&a, &t0).await.unwrap();
        let plan_b = plan_import(&b, &t1).await.unwrap();
        let (ra, rb) = tokio::join!(
            async {
                let mut done = 0;
                let r = plan_a.apply(&a, |d, _| done = d).await;
                (r.map_err(|e| e.to_string()), done)
            },
            async {
                let mut done = 0;
                let r = plan_b.apply(&b, |d, _| done = d).await;
                (r.map_err(|e| e.to_string()), done)
            }
        );
        let own = [
            a.read(&"ns/a0".parse().unwrap()).await.is_ok(),
            a.read(&"ns/a1".parse().unwrap()).await.is_ok(),
        ];
        let mut values = Vec::new();
        for c in 0..100 {
            let v = a
                .read(&format!("ns/c{c:02}").parse().unwrap())
                .await
                .unwrap();
            values.push(String::from_utf8(v.bytes.to_vec()).unwrap());
        }
        ([ra, rb], values, own)
    });
    let winners: Vec<usize> = (0..2).filter(|i| results[*i].0.is_ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let (winner, loser) = (winners[0], 1 - winners[0]);
    assert!(
        results[loser].0.as_ref().unwrap_err().contains("conflict"),
        "{results:?}"
    );
    // The loser's report says nothing was done, and nothing of it is stored.
    assert_eq!(results[loser].1, 0, "{results:?}");
    let expected = format!(r#"{{"from":{winner}}}"#);
    assert!(values.iter().all(|v| *v == expected), "{values:?}");
    assert!(own[winner], "the winner's own configuration is stored");
    assert!(
        !own[loser],
        "the loser's own configuration was written: {results:?}"
    );
}
