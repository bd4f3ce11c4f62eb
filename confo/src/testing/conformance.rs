//! The conformance suite: what every [`Backend`] must do, run unchanged
//! against each one, confo's own backends and yours (the way object_store's
//! `integration` module serves stores written elsewhere).
//!
//! [`conformance_tests!`](crate::conformance_tests) generates one `#[test]`
//! per case; give it an async factory that returns a [`Fixture`] holding a
//! fresh, empty store. Each test runs on its own multi-thread runtime, so the
//! calling crate needs no tokio features of its own.
//!
//! ```
//! // In tests/conformance.rs of a crate with a backend of its own:
//! use confo::backend::MemoryBackend;
//! use confo::conformance_tests;
//! use confo::testing::conformance::Fixture;
//!
//! conformance_tests!(async { Fixture::new(MemoryBackend::new()) });
//! # fn main() {}
//! ```
//!
//! Each case is also a public function of a store, to call from your own
//! test harness.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backend::{Backend, BatchWrite, Expect, Guard, Meta, Watch, WatchEvent, WatchScope};
use crate::{ConfigName, ConfigPath, Error, Namespace, Version};

mod checked;
mod history;
mod instances;

pub use checked::{
    a_schema_published_during_a_write_is_checked, broken_schemas_refuse_writes_with_a_clear_error,
    checked_writes_refuse_what_a_published_schema_breaks, concurrent_publishers_keep_every_schema,
};
pub use history::{
    every_write_through_a_store_is_recorded, history_keeps_the_newest_and_survives_bad_documents,
    metadata_lands_with_the_write_or_not_at_all, rollback_writes_back_a_recorded_version,
    update_knows_from_history_whether_a_lost_write_landed,
};
pub use instances::{
    a_live_value_registers_what_it_holds_and_rejects, instances_are_kept_beside_the_configuration,
};

/// A fresh store and whatever keeps it alive (a temp dir, a server).
///
/// ```
/// let fixture = confo::testing::conformance::Fixture::new(confo::backend::MemoryBackend::new());
/// assert_eq!(fixture.backend.describe(), "mem://");
/// ```
pub struct Fixture {
    /// The store under test: fresh and empty.
    pub backend: Arc<dyn Backend>,
    /// Dropped after the case: a temporary directory, a server, `()`.
    pub guard: Box<dyn Any + Send + Sync>,
}

impl Fixture {
    /// A fixture for a store that needs nothing kept alive.
    ///
    /// ```
    /// let fixture = confo::testing::conformance::Fixture::new(confo::backend::MemoryBackend::new());
    /// # drop(fixture);
    /// ```
    pub fn new(backend: impl Backend + 'static) -> Self {
        Self::with_guard(Arc::new(backend), ())
    }

    /// A fixture for a store kept alive by `guard` (dropped after the case).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = confo::backend::FileBackend::new(dir.path().join("tree"));
    /// let fixture = confo::testing::conformance::Fixture::with_guard(Arc::new(store), dir);
    /// # drop(fixture);
    /// ```
    pub fn with_guard(backend: Arc<dyn Backend>, guard: impl Any + Send + Sync) -> Self {
        Fixture {
            backend,
            guard: Box::new(guard),
        }
    }
}

/// Generates one `#[test]` per case of [`testing::conformance`](crate::testing::conformance),
/// each on a fresh store from `$factory` (an async expression giving a
/// [`Fixture`]) and on its own multi-thread runtime.
///
/// ```
/// use confo::conformance_tests;
/// use confo::testing::conformance::Fixture;
///
/// conformance_tests!(async { Fixture::new(confo::backend::MemoryBackend::new()) });
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@cases $factory;
            round_trip, versions_change_on_every_write, listing_is_sorted_and_complete,
            create_namespace_reports_existing, missing_namespace_is_an_error,
            compare_and_set_conflicts_carry_the_current_version,
            concurrent_writers_lose_nothing, deletes, delete_namespace_refuses_when_not_empty,
            unusual_valid_names_round_trip, bad_names_never_reach_the_backend,
            unicode_content_round_trips, value_at_the_size_limit_round_trips,
            value_over_the_size_limit_is_refused_and_nothing_changes,
            read_many_marks_missing, read_namespace_reads_all,
            repeated_namespace_reads_see_every_change,
            a_config_watch_reports_create_change_and_delete,
            a_namespace_watch_reports_configurations_coming_and_going,
            batch_writes_round_trip, batch_write_conflicts_name_the_path,
            metadata_round_trips_beside_the_configuration, metadata_stays_out_of_listings,
            metadata_wakes_no_watch, guarded_writes_refuse_when_the_metadata_changed,
            deleting_a_configuration_deletes_its_metadata,
            checked_writes_refuse_what_a_published_schema_breaks,
            a_schema_published_during_a_write_is_checked,
            concurrent_publishers_keep_every_schema,
            broken_schemas_refuse_writes_with_a_clear_error,
            metadata_lands_with_the_write_or_not_at_all,
            every_write_through_a_store_is_recorded,
            history_keeps_the_newest_and_survives_bad_documents,
            rollback_writes_back_a_recorded_version,
            update_knows_from_history_whether_a_lost_write_landed,
            instances_are_kept_beside_the_configuration,
            a_live_value_registers_what_it_holds_and_rejects,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::conformance::run(async {
                    let fixture: $crate::testing::conformance::Fixture = $factory.await;
                    $crate::testing::conformance::$case(fixture.backend.clone()).await;
                    drop(fixture);
                });
            }
        )*
    };
}

/// Runs one case on a fresh multi-thread runtime (4 workers, as a
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 4)]` would): what
/// [`conformance_tests!`](crate::conformance_tests) calls.
///
/// ```
/// use confo::testing::conformance::{round_trip, run, Fixture};
/// run(async {
///     let fixture = Fixture::new(confo::backend::MemoryBackend::new());
///     round_trip(fixture.backend.clone()).await;
/// });
/// ```
pub fn run(case: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a tokio runtime for the conformance case")
        .block_on(case);
}

fn p(s: &str) -> ConfigPath {
    s.parse().expect("test path is valid")
}

fn ns(s: &str) -> Namespace {
    Namespace::new(s).expect("test namespace is valid")
}

async fn text(b: &dyn Backend, path: &str) -> String {
    let v = b.read(&p(path)).await.expect("read");
    String::from_utf8(v.bytes.to_vec()).expect("utf-8")
}

/// Case: Round trip.
pub async fn round_trip(b: Arc<dyn Backend>) {
    let path = p("systemA/database");
    let v1 = b
        .write(&path, br#"{"host":"db","port":5432}"#, Expect::Absent)
        .await
        .unwrap();
    let read = b.read(&path).await.unwrap();
    assert_eq!(&*read.bytes, br#"{"host":"db","port":5432}"#);
    assert_eq!(read.version, v1);

    let v2 = b
        .write(&path, br#"{"port":5433}"#, Expect::Version(v1))
        .await
        .unwrap();
    assert_ne!(v1, v2);
    let read = b.read(&path).await.unwrap();
    assert_eq!(&*read.bytes, br#"{"port":5433}"#);
    assert_eq!(read.version, v2);

    // Last writer wins only when asked for.
    let v3 = b.write(&path, br#"{}"#, Expect::Any).await.unwrap();
    assert_eq!(b.read(&path).await.unwrap().version, v3);
}

/// Case: Versions change on every write.
pub async fn versions_change_on_every_write(b: Arc<dyn Backend>) {
    let path = p("ns/same");
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(b.write(&path, b"{\"a\":1}", Expect::Any).await.unwrap());
    }
    for (i, v) in seen.iter().enumerate() {
        for w in &seen[i + 1..] {
            assert_ne!(v, w, "same bytes written twice must give two versions");
        }
    }
    // The version text round-trips, as `confo put --if-version` needs.
    let last = *seen.last().unwrap();
    let parsed: Version = last.to_string().parse().unwrap();
    assert_eq!(parsed, last);
}

/// Case: Listing is sorted and complete.
pub async fn listing_is_sorted_and_complete(b: Arc<dyn Backend>) {
    assert!(b.list_namespaces().await.unwrap().is_empty());
    for path in ["zeta/b", "alpha/c", "alpha/a", "alpha/b", "mid/x"] {
        b.write(&p(path), b"{}", Expect::Absent).await.unwrap();
    }
    b.create_namespace(&ns("empty")).await.unwrap();
    let namespaces: Vec<String> = b
        .list_namespaces()
        .await
        .unwrap()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(namespaces, ["alpha", "empty", "mid", "zeta"]);
    let configs: Vec<String> = b
        .list_configs(&ns("alpha"))
        .await
        .unwrap()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(configs, ["a", "b", "c"]);
    assert!(b.list_configs(&ns("empty")).await.unwrap().is_empty());
}

/// Case: Create namespace reports existing.
pub async fn create_namespace_reports_existing(b: Arc<dyn Backend>) {
    assert!(b.create_namespace(&ns("fresh")).await.unwrap());
    assert!(!b.create_namespace(&ns("fresh")).await.unwrap());
    b.write(&p("implicit/a"), b"{}", Expect::Absent)
        .await
        .unwrap();
    assert!(!b.create_namespace(&ns("implicit")).await.unwrap());
}

/// Case: Missing namespace is an error.
pub async fn missing_namespace_is_an_error(b: Arc<dyn Backend>) {
    b.create_namespace(&ns("present")).await.unwrap();
    let err = b.list_configs(&ns("absent")).await.unwrap_err();
    match &err {
        Error::NamespaceNotFound {
            namespace, known, ..
        } => {
            assert_eq!(namespace, "absent");
            assert!(known.contains("present"), "{err}");
        }
        other => panic!("expected NamespaceNotFound, got {other:?}"),
    }
    let err = b.read(&p("absent/x")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("absent/x"), "{err}");
}

/// Case: Compare and set conflicts carry the current version.
pub async fn compare_and_set_conflicts_carry_the_current_version(b: Arc<dyn Backend>) {
    let path = p("cas/x");
    // Expecting a version of something that does not exist.
    let err = b
        .write(&path, b"{}", Expect::Version(Version::from_raw(7)))
        .await
        .unwrap_err();
    match err {
        Error::VersionConflict { current, .. } => assert_eq!(current, None),
        other => panic!("expected conflict, got {other:?}"),
    }
    assert!(b.read(&path).await.unwrap_err().is_not_found());

    let v1 = b.write(&path, b"{\"n\":1}", Expect::Absent).await.unwrap();
    // Create-only on something that exists.
    let err = b
        .write(&path, b"{\"n\":9}", Expect::Absent)
        .await
        .unwrap_err();
    match &err {
        Error::VersionConflict { current, path, .. } => {
            assert_eq!(*current, Some(v1));
            assert_eq!(path, "cas/x");
        }
        other => panic!("expected conflict, got {other:?}"),
    }
    let v2 = b
        .write(&path, b"{\"n\":2}", Expect::Version(v1))
        .await
        .unwrap();
    // A stale writer loses and learns the current version.
    let err = b
        .write(&path, b"{\"n\":3}", Expect::Version(v1))
        .await
        .unwrap_err();
    match err {
        Error::VersionConflict { current, .. } => assert_eq!(current, Some(v2)),
        other => panic!("expected conflict, got {other:?}"),
    }
    assert_eq!(text(&*b, "cas/x").await, "{\"n\":2}");
    // A stale delete loses too.
    let err = b.delete(&path, Expect::Version(v1)).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(text(&*b, "cas/x").await, "{\"n\":2}");
}

/// N tasks each add 1, M times, by read + compare-and-set; the end is N*M.
/// Case: Concurrent writers lose nothing.
pub async fn concurrent_writers_lose_nothing(b: Arc<dyn Backend>) {
    const TASKS: usize = 4;
    const INCREMENTS: usize = 25;
    let path = p("race/counter");
    b.write(&path, b"{\"n\":0}", Expect::Absent).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let b = b.clone();
        let path = path.clone();
        handles.push(tokio::spawn(async move {
            let mut conflicts = 0usize;
            for _ in 0..INCREMENTS {
                // Bounded: each increment gets at most 10,000 attempts.
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    assert!(attempts <= 10_000, "increment never went through");
                    assert!(
                        Instant::now() < deadline,
                        "concurrent writers took over 120 s"
                    );
                    let read = b.read(&path).await.unwrap();
                    let value: serde_json::Value = serde_json::from_slice(&read.bytes).unwrap();
                    let n = value["n"].as_u64().unwrap();
                    let next = format!("{{\"n\":{}}}", n + 1);
                    match b
                        .write(&path, next.as_bytes(), Expect::Version(read.version))
                        .await
                    {
                        Ok(_) => break,
                        Err(e) if e.is_conflict() => conflicts += 1,
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
            }
            conflicts
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let value: serde_json::Value =
        serde_json::from_slice(&b.read(&path).await.unwrap().bytes).unwrap();
    assert_eq!(value["n"].as_u64().unwrap(), (TASKS * INCREMENTS) as u64);
}

/// Case: Deletes.
pub async fn deletes(b: Arc<dyn Backend>) {
    let path = p("del/x");
    let v = b.write(&path, b"{}", Expect::Absent).await.unwrap();
    b.write(&p("del/keep"), b"{}", Expect::Absent)
        .await
        .unwrap();
    b.delete(&path, Expect::Version(v)).await.unwrap();
    assert!(b.read(&path).await.unwrap_err().is_not_found());
    let err = b.delete(&path, Expect::Any).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let names: Vec<String> = b
        .list_configs(&ns("del"))
        .await
        .unwrap()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, ["keep"]);
    // Deleted, then created again from scratch.
    b.write(&path, b"{\"again\":true}", Expect::Absent)
        .await
        .unwrap();
    assert_eq!(text(&*b, "del/x").await, "{\"again\":true}");
}

/// Case: Delete namespace refuses when not empty.
pub async fn delete_namespace_refuses_when_not_empty(b: Arc<dyn Backend>) {
    b.write(&p("full/a"), b"{}", Expect::Absent).await.unwrap();
    b.write(&p("full/b"), b"{}", Expect::Absent).await.unwrap();
    let err = b.delete_namespace(&ns("full"), false).await.unwrap_err();
    match err {
        Error::NamespaceNotEmpty { count, .. } => assert_eq!(count, 2),
        other => panic!("expected NamespaceNotEmpty, got {other:?}"),
    }
    assert_eq!(b.list_configs(&ns("full")).await.unwrap().len(), 2);
    b.delete_namespace(&ns("full"), true).await.unwrap();
    assert!(b.list_namespaces().await.unwrap().is_empty());
    assert!(b.read(&p("full/a")).await.unwrap_err().is_not_found());

    b.create_namespace(&ns("hollow")).await.unwrap();
    b.delete_namespace(&ns("hollow"), false).await.unwrap();
    let err = b.delete_namespace(&ns("hollow"), false).await.unwrap_err();
    assert!(matches!(err, Error::NamespaceNotFound { .. }), "{err:?}");
}

/// Case: Unusual valid names round trip.
pub async fn unusual_valid_names_round_trip(b: Arc<dyn Backend>) {
    let names = [
        "with space",
        "a.b",
        "...",
        ".hidden",
        "données",
        "日本語",
        "snow☃",
        "x.json",
        "UPPER",
    ];
    for name in names {
        let path = ConfigPath::new(ns("odd"), ConfigName::new(name).unwrap());
        let body = format!("{{\"name\":{}}}", serde_json::to_string(name).unwrap());
        b.write(&path, body.as_bytes(), Expect::Absent)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&*b.read(&path).await.unwrap().bytes, body.as_bytes());
    }
    let mut listed: Vec<String> = b
        .list_configs(&ns("odd"))
        .await
        .unwrap()
        .iter()
        .map(|n| n.to_string())
        .collect();
    listed.sort();
    let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(listed, expected, "a.b is 'a.b', not 'a'");
    let longest = "n".repeat(crate::MAX_NAME_BYTES);
    let path = ConfigPath::new(ns("odd"), ConfigName::new(&longest).unwrap());
    b.write(&path, b"{}", Expect::Absent).await.unwrap();
    assert!(b.read(&path).await.is_ok());
}

/// Case: Bad names never reach the backend.
pub async fn bad_names_never_reach_the_backend(b: Arc<dyn Backend>) {
    // "emoji😀": ZooKeeper refuses characters above U+FFFF in paths, so no
    // backend may accept them (a tree must move between backends).
    for bad in [
        "",
        ".",
        "..",
        "a/b",
        "zookeeper",
        "a\0b",
        "tab\there",
        "emoji😀",
    ] {
        let err = Namespace::new(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidName { .. }), "{bad:?}: {err:?}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
    }
    for bad in ["../etc/passwd", "ns/../x", "/etc/passwd", "ns/a/b", "ns"] {
        assert!(
            bad.parse::<ConfigPath>().is_err(),
            "{bad:?} must be refused"
        );
    }
    // Nothing was created by the attempts.
    assert!(b.list_namespaces().await.unwrap().is_empty());
}

/// Case: Unicode content round trips.
pub async fn unicode_content_round_trips(b: Arc<dyn Backend>) {
    let body = r#"{"greeting":"héllo wörld","cjk":"設定","emoji":"🔐","escaped":"\u00e9\n"}"#;
    let path = p("unicode/text");
    b.write(&path, body.as_bytes(), Expect::Absent)
        .await
        .unwrap();
    assert_eq!(text(&*b, "unicode/text").await, body);
}

fn padded(size: usize) -> Vec<u8> {
    let mut body = b"{\"v\":\"".to_vec();
    body.resize(size - 2, b'x');
    body.extend_from_slice(b"\"}");
    assert_eq!(body.len(), size);
    body
}

/// Case: Value at the size limit round trips.
pub async fn value_at_the_size_limit_round_trips(b: Arc<dyn Backend>) {
    let limit = b.max_value_bytes();
    assert!(limit >= 1_000_000, "every backend stores at least 1 MB");
    let body = padded(limit);
    let path = p("big/at-limit");
    b.write(&path, &body, Expect::Absent).await.unwrap();
    let read = b.read(&path).await.unwrap();
    assert_eq!(read.bytes.len(), limit);
    assert!(read.bytes[..] == body[..]);
}

/// Case: Value over the size limit is refused and nothing changes.
pub async fn value_over_the_size_limit_is_refused_and_nothing_changes(b: Arc<dyn Backend>) {
    let limit = b.max_value_bytes();
    let path = p("big/over");
    b.write(&path, b"{\"small\":true}", Expect::Absent)
        .await
        .unwrap();
    let err = b
        .write(&path, &padded(limit + 1), Expect::Any)
        .await
        .unwrap_err();
    match &err {
        Error::ValueTooLarge { size, limit: l, .. } => {
            assert_eq!(*size, limit + 1);
            assert_eq!(*l, limit);
        }
        other => panic!("expected ValueTooLarge, got {other:?}"),
    }
    assert!(err.to_string().contains(&limit.to_string()), "{err}");
    assert_eq!(text(&*b, "big/over").await, "{\"small\":true}");
}

/// Case: Read many marks missing.
pub async fn read_many_marks_missing(b: Arc<dyn Backend>) {
    b.write(&p("many/a"), b"{\"a\":1}", Expect::Absent)
        .await
        .unwrap();
    b.write(&p("many/c"), b"{\"c\":3}", Expect::Absent)
        .await
        .unwrap();
    let got = b
        .read_many(&[p("many/a"), p("many/b"), p("many/c"), p("nowhere/z")])
        .await
        .unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(&*got[0].as_ref().unwrap().bytes, b"{\"a\":1}");
    assert!(got[1].is_none());
    assert_eq!(&*got[2].as_ref().unwrap().bytes, b"{\"c\":3}");
    assert!(got[3].is_none());
    assert!(b.read_many(&[]).await.unwrap().is_empty());
}

/// Case: Read namespace reads all.
pub async fn read_namespace_reads_all(b: Arc<dyn Backend>) {
    for i in 0..50 {
        b.write(
            &p(&format!("bulk/c{i:03}")),
            format!("{{\"i\":{i}}}").as_bytes(),
            Expect::Absent,
        )
        .await
        .unwrap();
    }
    let all = b.read_namespace(&ns("bulk")).await.unwrap();
    assert_eq!(all.len(), 50);
    for (i, (name, v)) in all.iter().enumerate() {
        assert_eq!(name.as_str(), format!("c{i:03}"));
        assert_eq!(&*v.bytes, format!("{{\"i\":{i}}}").as_bytes());
    }
}

/// Case: Repeated namespace reads see every configuration added or
/// removed between them, and a namespace deleted and made again with as
/// many configurations under other names (a backend that keeps listings
/// must notice each).
pub async fn repeated_namespace_reads_see_every_change(b: Arc<dyn Backend>) {
    let names = |all: Vec<(ConfigName, crate::backend::Versioned)>| -> Vec<String> {
        all.into_iter().map(|(n, _)| n.to_string()).collect()
    };
    for name in ["a", "b"] {
        b.write(&p(&format!("again/{name}")), b"{}", Expect::Absent)
            .await
            .unwrap();
    }
    assert_eq!(
        names(b.read_namespace(&ns("again")).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        names(b.read_namespace(&ns("again")).await.unwrap()),
        ["a", "b"]
    );
    b.write(&p("again/c"), br#"{"c":1}"#, Expect::Absent)
        .await
        .unwrap();
    let all = b.read_namespace(&ns("again")).await.unwrap();
    assert_eq!(&*all[2].1.bytes, br#"{"c":1}"#);
    assert_eq!(names(all), ["a", "b", "c"]);
    b.delete(&p("again/a"), Expect::Any).await.unwrap();
    assert_eq!(
        names(b.read_namespace(&ns("again")).await.unwrap()),
        ["b", "c"]
    );
    b.write(&p("again/b"), br#"{"b":2}"#, Expect::Any)
        .await
        .unwrap();
    let all = b.read_namespace(&ns("again")).await.unwrap();
    assert_eq!(&*all[0].1.bytes, br#"{"b":2}"#, "a changed value is read");

    b.delete_namespace(&ns("again"), true).await.unwrap();
    let err = b.read_namespace(&ns("again")).await.unwrap_err();
    assert_eq!(err.kind(), "NamespaceNotFound", "{err}");
    for name in ["x", "y"] {
        b.write(&p(&format!("again/{name}")), b"{}", Expect::Absent)
            .await
            .unwrap();
    }
    assert_eq!(
        names(b.read_namespace(&ns("again")).await.unwrap()),
        ["x", "y"]
    );
}

/// How long a watch may take to report a change.
const EVENT_WAIT: Duration = Duration::from_secs(20);

/// Waits for an event that says `path` may have changed (events are hints:
/// a namespace event or a resync covers it too).
async fn wait_for_event_on(w: &mut Watch, path: &ConfigPath, what: &str) {
    let deadline = tokio::time::Instant::now() + EVENT_WAIT;
    loop {
        let event = tokio::time::timeout_at(deadline, w.next())
            .await
            .unwrap_or_else(|_| panic!("no event for {path} after {what} within {EVENT_WAIT:?}"))
            .unwrap_or_else(|| panic!("the watch ended before {what}"));
        match &event {
            WatchEvent::Changed(p) if p == path => return,
            WatchEvent::NamespaceChanged(n) if n == path.namespace() => return,
            WatchEvent::Resync => return,
            _ => {}
        }
    }
}

/// Lets the events of the last change go by (a file write is several OS
/// events), so the next wait sees only the next change's.
async fn drain(w: &mut Watch) {
    for _ in 0..1000 {
        if tokio::time::timeout(Duration::from_millis(200), w.next())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Case: A config watch reports create change and delete.
pub async fn a_config_watch_reports_create_change_and_delete(b: Arc<dyn Backend>) {
    let path = p("ns/db");
    // Armed before the configuration (and its namespace) exists.
    let mut w = b.watch(&WatchScope::Config(path.clone())).await.unwrap();
    b.write(&path, br#"{"v":1}"#, Expect::Absent).await.unwrap();
    wait_for_event_on(&mut w, &path, "the create").await;
    drain(&mut w).await;
    b.write(&path, br#"{"v":2}"#, Expect::Any).await.unwrap();
    wait_for_event_on(&mut w, &path, "the change").await;
    drain(&mut w).await;
    b.delete(&path, Expect::Any).await.unwrap();
    wait_for_event_on(&mut w, &path, "the delete").await;
    drain(&mut w).await;
    // Another configuration's change is not reported on this one.
    b.write(&p("ns/other"), b"{}", Expect::Absent)
        .await
        .unwrap();
    if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(500), w.next()).await {
        assert!(
            !matches!(&event, WatchEvent::Changed(other) if *other != path),
            "{event:?} reported on a watch of {path}"
        );
    }
}

/// Case: A namespace watch reports configurations coming and going.
pub async fn a_namespace_watch_reports_configurations_coming_and_going(b: Arc<dyn Backend>) {
    b.create_namespace(&ns("ns")).await.unwrap();
    let mut w = b.watch(&WatchScope::Namespace(ns("ns"))).await.unwrap();
    let a = p("ns/a");
    b.write(&a, b"{}", Expect::Absent).await.unwrap();
    wait_for_event_on(&mut w, &a, "adding a").await;
    drain(&mut w).await;
    b.write(&a, br#"{"v":1}"#, Expect::Any).await.unwrap();
    wait_for_event_on(&mut w, &a, "changing a").await;
    drain(&mut w).await;
    b.delete(&a, Expect::Any).await.unwrap();
    wait_for_event_on(&mut w, &a, "removing a").await;
    // Two watches on one scope both hear of a change.
    let mut second = b.watch(&WatchScope::Namespace(ns("ns"))).await.unwrap();
    drain(&mut w).await;
    let c = p("ns/c");
    b.write(&c, b"{}", Expect::Absent).await.unwrap();
    wait_for_event_on(&mut w, &c, "adding c").await;
    wait_for_event_on(&mut second, &c, "adding c (second watch)").await;
}

fn batch(path: &str, body: &str, expect: Expect) -> BatchWrite {
    BatchWrite {
        path: p(path),
        bytes: body.as_bytes().into(),
        expect,
    }
}

/// Case: Batch writes round trip.
pub async fn batch_writes_round_trip(b: Arc<dyn Backend>) {
    let v = b.write(&p("one/a"), b"{}", Expect::Absent).await.unwrap();
    let mut writes = vec![
        batch("one/a", r#"{"a":2}"#, Expect::Version(v)),
        batch("one/b", r#"{"b":1}"#, Expect::Absent),
        batch("two/c", r#"{"c":1}"#, Expect::Any),
    ];
    for i in 0..150 {
        writes.push(batch(
            &format!("many/c{i:03}"),
            &format!("{{\"i\":{i}}}"),
            Expect::Absent,
        ));
    }
    let versions = b.write_many(&writes).await.unwrap();
    assert_eq!(versions.len(), writes.len());
    for (w, version) in writes.iter().zip(&versions) {
        let read = b.read(&w.path).await.unwrap();
        assert_eq!(read.bytes, w.bytes, "{}", w.path);
        assert_eq!(read.version, *version, "{}", w.path);
    }
    assert_eq!(b.list_configs(&ns("many")).await.unwrap().len(), 150);
    assert!(b.write_many(&[]).await.unwrap().is_empty());
}

/// Case: Batch write conflicts name the path.
pub async fn batch_write_conflicts_name_the_path(b: Arc<dyn Backend>) {
    let v1 = b
        .write(&p("cas/x"), b"{\"n\":1}", Expect::Absent)
        .await
        .unwrap();
    b.write(&p("cas/x"), b"{\"n\":2}", Expect::Version(v1))
        .await
        .unwrap();
    let err = b
        .write_many(&[batch("cas/x", r#"{"n":3}"#, Expect::Version(v1))])
        .await
        .unwrap_err();
    match &err {
        Error::VersionConflict { path, current, .. } => {
            assert_eq!(path, "cas/x");
            assert!(current.is_some());
        }
        other => panic!("expected conflict, got {other:?}"),
    }
    let err = b
        .write_many(&[batch("cas/x", "{}", Expect::Absent)])
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(text(&*b, "cas/x").await, "{\"n\":2}");
}

async fn meta_text(b: &dyn Backend, path: &str) -> Option<String> {
    b.read_meta(&p(path), Meta::Schemas)
        .await
        .expect("read metadata")
        .map(|v| String::from_utf8(v.bytes.to_vec()).expect("utf-8"))
}

/// Case: Metadata round trips beside the configuration, with
/// compare-and-set, whether or not the configuration exists.
pub async fn metadata_round_trips_beside_the_configuration(b: Arc<dyn Backend>) {
    let path = p("meta/db");
    assert_eq!(meta_text(&*b, "meta/db").await, None);
    // Before the configuration exists: a service publishes first.
    let v1 = b
        .write_meta(&path, Meta::Schemas, br#"{"s":1}"#, Expect::Absent)
        .await
        .unwrap();
    assert_eq!(
        meta_text(&*b, "meta/db").await.as_deref(),
        Some(r#"{"s":1}"#)
    );
    let again = b
        .write_meta(&path, Meta::Schemas, b"{}", Expect::Absent)
        .await
        .unwrap_err();
    assert!(again.is_conflict(), "{again:?}");
    let v2 = b
        .write_meta(&path, Meta::Schemas, br#"{"s":2}"#, Expect::Version(v1))
        .await
        .unwrap();
    assert_ne!(v1, v2);
    let stale = b
        .write_meta(&path, Meta::Schemas, br#"{"s":3}"#, Expect::Version(v1))
        .await
        .unwrap_err();
    assert!(stale.is_conflict(), "{stale:?}");
    let (value, meta) = b.read_with_meta(&path, Meta::Schemas).await.unwrap();
    assert!(value.is_none(), "the configuration does not exist yet");
    let meta = meta.expect("the metadata");
    assert_eq!((&*meta.bytes, meta.version), (&br#"{"s":2}"#[..], v2));
    let written = b
        .write(&path, br#"{"port":1}"#, Expect::Absent)
        .await
        .unwrap();
    let (value, meta) = b.read_with_meta(&path, Meta::Schemas).await.unwrap();
    let value = value.expect("the configuration");
    assert_eq!(
        (&*value.bytes, value.version),
        (&br#"{"port":1}"#[..], written)
    );
    assert_eq!(meta.expect("the metadata").version, v2);
    // The configuration's own bytes and version are untouched by metadata.
    b.write_meta(&path, Meta::Schemas, br#"{"s":4}"#, Expect::Any)
        .await
        .unwrap();
    assert_eq!(b.read(&path).await.unwrap().version, written);
    let stale = b
        .delete_meta(&path, Meta::Schemas, Expect::Version(v1))
        .await
        .unwrap_err();
    assert!(stale.is_conflict(), "{stale:?}");
    assert!(b
        .delete_meta(&path, Meta::Schemas, Expect::Any)
        .await
        .unwrap());
    assert_eq!(meta_text(&*b, "meta/db").await, None);
    assert!(!b
        .delete_meta(&path, Meta::Schemas, Expect::Any)
        .await
        .unwrap());
    assert_eq!(text(&*b, "meta/db").await, r#"{"port":1}"#);
}

/// Case: Metadata stays out of every listing: no namespace, no
/// configuration, no skipped entry appears for it.
pub async fn metadata_stays_out_of_listings(b: Arc<dyn Backend>) {
    b.write(&p("shown/a"), b"{}", Expect::Absent).await.unwrap();
    for path in ["shown/a", "shown/ghost", "hidden/ghost"] {
        b.write_meta(&p(path), Meta::Schemas, b"{}", Expect::Absent)
            .await
            .unwrap();
    }
    let namespaces = b.namespace_listing().await.unwrap();
    assert_eq!(namespaces.names, vec![ns("shown")]);
    assert!(namespaces.skipped.is_empty(), "{:?}", namespaces.skipped);
    let configs = b.config_listing(&ns("shown")).await.unwrap();
    assert_eq!(configs.names, vec![ConfigName::new("a").unwrap()]);
    assert!(configs.skipped.is_empty(), "{:?}", configs.skipped);
    let all = b.read_namespace(&ns("shown")).await.unwrap();
    assert_eq!(all.len(), 1);
}

/// Case: Metadata wakes no watch: neither the configuration's nor its
/// namespace's (a `Live` never reloads because a schema was published).
pub async fn metadata_wakes_no_watch(b: Arc<dyn Backend>) {
    let path = p("quiet/db");
    b.write(&path, b"{}", Expect::Absent).await.unwrap();
    let mut config = b.watch(&WatchScope::Config(path.clone())).await.unwrap();
    let mut namespace = b.watch(&WatchScope::Namespace(ns("quiet"))).await.unwrap();
    drain(&mut config).await;
    drain(&mut namespace).await;
    let v = b
        .write_meta(&path, Meta::Schemas, b"{}", Expect::Absent)
        .await
        .unwrap();
    b.write_meta(&path, Meta::Schemas, br#"{"a":1}"#, Expect::Version(v))
        .await
        .unwrap();
    b.delete_meta(&path, Meta::Schemas, Expect::Any)
        .await
        .unwrap();
    for (watch, what) in [
        (&mut config, "configuration"),
        (&mut namespace, "namespace"),
    ] {
        if let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(1500), watch.next()).await
        {
            panic!("metadata woke the {what} watch: {event:?}");
        }
    }
    // The watches still work.
    b.write(&path, br#"{"v":1}"#, Expect::Any).await.unwrap();
    wait_for_event_on(&mut config, &path, "a change after the metadata").await;
}

/// Case: A guarded write happens only while its guard holds; when it no
/// longer does, nothing of the batch is written.
pub async fn guarded_writes_refuse_when_the_metadata_changed(b: Arc<dyn Backend>) {
    let path = p("guard/db");
    let absent = Guard {
        path: path.clone(),
        meta: Meta::Schemas,
        expect: Expect::Absent,
    };
    let v1 = b
        .write_guarded(
            &[batch("guard/db", r#"{"n":1}"#, Expect::Absent)],
            std::slice::from_ref(&absent),
        )
        .await
        .unwrap()[0];
    // Again, now that the parents of the metadata may exist (ZooKeeper).
    b.write_guarded(
        &[batch("guard/db", r#"{"n":2}"#, Expect::Version(v1))],
        std::slice::from_ref(&absent),
    )
    .await
    .unwrap();
    let m1 = b
        .write_meta(&path, Meta::Schemas, b"{}", Expect::Absent)
        .await
        .unwrap();
    let refused = b
        .write_guarded(
            &[
                batch("guard/db", r#"{"n":3}"#, Expect::Any),
                batch("guard/other", "{}", Expect::Any),
            ],
            &[absent],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::MetaChanged { path, .. } if path == "guard/db"),
        "{refused:?}"
    );
    assert_eq!(text(&*b, "guard/db").await, r#"{"n":2}"#);
    assert!(b.read(&p("guard/other")).await.unwrap_err().is_not_found());
    let at_m1 = Guard {
        path: path.clone(),
        meta: Meta::Schemas,
        expect: Expect::Version(m1),
    };
    b.write_guarded(
        &[batch("guard/db", r#"{"n":4}"#, Expect::Any)],
        std::slice::from_ref(&at_m1),
    )
    .await
    .unwrap();
    b.write_meta(&path, Meta::Schemas, br#"{"x":1}"#, Expect::Version(m1))
        .await
        .unwrap();
    let refused = b
        .write_guarded(&[batch("guard/db", r#"{"n":5}"#, Expect::Any)], &[at_m1])
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::MetaChanged { .. }), "{refused:?}");
    assert_eq!(text(&*b, "guard/db").await, r#"{"n":4}"#);
    // A guard on another configuration than the one written.
    let elsewhere = Guard {
        path: p("guard/db"),
        meta: Meta::Schemas,
        expect: Expect::Absent,
    };
    let refused = b
        .write_guarded(&[batch("guard/third", "{}", Expect::Any)], &[elsewhere])
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::MetaChanged { .. }), "{refused:?}");
    assert!(b.read(&p("guard/third")).await.unwrap_err().is_not_found());
}

/// Case: Deleting a configuration deletes its metadata, and deleting a
/// namespace deletes that of all its configurations.
pub async fn deleting_a_configuration_deletes_its_metadata(b: Arc<dyn Backend>) {
    for path in ["gone/a", "gone/b", "kept/c"] {
        b.write(&p(path), b"{}", Expect::Absent).await.unwrap();
        b.write_meta(&p(path), Meta::Schemas, b"{}", Expect::Absent)
            .await
            .unwrap();
    }
    b.delete(&p("gone/a"), Expect::Any).await.unwrap();
    assert_eq!(meta_text(&*b, "gone/a").await, None);
    assert!(meta_text(&*b, "gone/b").await.is_some());
    // Created again, it starts with none.
    b.write(&p("gone/a"), b"{}", Expect::Absent).await.unwrap();
    assert_eq!(meta_text(&*b, "gone/a").await, None);
    b.delete_namespace(&ns("gone"), true).await.unwrap();
    assert_eq!(meta_text(&*b, "gone/b").await, None);
    assert!(meta_text(&*b, "kept/c").await.is_some());
}
