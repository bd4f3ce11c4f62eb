//! `examples/live.rs` does what its documentation says: its service loop
//! takes each change made by another client, keeps serving through a bad
//! update, and stops by itself. The example's own code runs here (included
//! as a module), on a copy of its configuration tree.

#[allow(dead_code)] // `main` and its helpers: only the loop is tested
#[path = "../../examples/live.rs"]
mod example;

use std::time::Duration;

use confo::backend::Expect;
use confo::Confo;
use example::{serve, Database, Limits};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(30);

/// A copy of `examples/config` (the example's default store), so the test
/// never edits the repository's files.
fn example_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config/systemA");
    std::fs::create_dir_all(dir.path().join("systemA")).unwrap();
    std::fs::copy(
        from.join("database.json"),
        dir.path().join("systemA/database.json"),
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_loop_takes_each_change_and_stops_after_n() {
    let dir = example_tree();
    let confo = Confo::from_url(&format!("file://{}", dir.path().display()))
        .await
        .unwrap();
    let live = confo.watch::<Database>().await.unwrap();
    assert_eq!(live.get().port, 5432);
    let service = tokio::spawn({
        let live = live.clone();
        async move {
            serve(
                &live,
                Limits {
                    changes: 2,
                    timeout: WAIT,
                },
            )
            .await
        }
    });

    // What `confo set systemA/database port 5433` does, from another client.
    let other = Confo::from_url(&format!("file://{}", dir.path().display()))
        .await
        .unwrap();
    let mut seen = live.clone();
    other.update::<Database>(|db| db.port = 5433).await.unwrap();
    assert_eq!(
        timeout(WAIT, seen.changed()).await.unwrap().unwrap().port,
        5433
    );
    // A bad update is rejected: the service keeps serving the last good value.
    let mut problems = live.problems();
    other
        .backend()
        .unwrap()
        .write(
            &"systemA/database".parse().unwrap(),
            br#"{"host":"db","port":"high","user":"u","password":"p","vendor":"postgres"}"#,
            Expect::Any,
        )
        .await
        .unwrap();
    timeout(WAIT, problems.recv()).await.unwrap().unwrap();
    assert_eq!(live.get().port, 5433);
    other
        .backend()
        .unwrap()
        .write(
            &"systemA/database".parse().unwrap(),
            br#"{"host":"db2","port":6543,"user":"u","password":"p","vendor":"postgres"}"#,
            Expect::Any,
        )
        .await
        .unwrap();

    let taken = timeout(WAIT, service).await.unwrap().unwrap();
    let ports: Vec<u16> = taken.iter().map(|db| db.port).collect();
    assert_eq!(ports, [5433, 6543]);
    assert_eq!(taken[1].host, "db2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_loop_stops_at_its_timeout() {
    let dir = example_tree();
    let confo = Confo::from_url(&format!("file://{}", dir.path().display()))
        .await
        .unwrap();
    let live = confo.watch::<Database>().await.unwrap();
    let limits = Limits {
        changes: 5,
        timeout: Duration::from_millis(200),
    };
    let taken = timeout(WAIT, serve(&live, limits)).await.unwrap();
    assert!(taken.is_empty());
}

#[test]
fn limits_come_from_flags_then_environment_then_defaults() {
    let none = |_: &str| None;
    assert_eq!(Limits::parse(Vec::new(), none).unwrap(), Limits::default());
    let env = |k: &str| (k == "LIVE_CHANGES").then(|| "3".to_string());
    let limits = Limits::parse(["--timeout".into(), "500ms".into()], env).unwrap();
    assert_eq!(limits.changes, 3);
    assert_eq!(limits.timeout, Duration::from_millis(500));
    let flags = [
        "--changes".to_string(),
        "1".into(),
        "--timeout".into(),
        "5m".into(),
    ];
    let limits = Limits::parse(flags, env).unwrap();
    assert_eq!(
        (limits.changes, limits.timeout),
        (1, Duration::from_secs(300))
    );
    for bad in [
        vec!["--changes".to_string()],
        vec!["--changes".into(), "many".into()],
        vec!["--timeout".into(), "soon".into()],
        vec!["--verbose".into()],
    ] {
        assert!(Limits::parse(bad.clone(), none).is_err(), "{bad:?}");
    }
}
