//! The hostile corpus through the typed decode paths: `confo.load::<T>()`
//! and a typed `Live<T>`, with a type covering every field kind of the
//! corpus. No panic, bounded memory, an error naming the path (and the
//! field where one applies) that never quotes the stored secret, and a
//! watch that keeps its last good value.

use crate::corpus as hostile;

use std::time::Duration;

use confo::backend::{Backend, Expect, MemoryBackend};
use confo::{Confo, Error, Problem, Secret};
use serde::Deserialize;

#[derive(confo::Confo, Deserialize, Debug)]
#[confo(namespace = "hostile", name = "database")]
#[allow(dead_code)]
struct Database {
    host: String,
    port: u16,
    user: String,
    password: Secret<String>,
    vendor: Vendor,
    tls: bool,
    pool: Pool,
    replicas: Vec<String>,
    timeout_ms: f64,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Vendor {
    Postgres,
    Mysql,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Pool {
    min: u32,
    max: u32,
}

const SECRET: &str = "hunter2-secret";
const PATH: &str = "hostile/database";
const FIELDS: [&str; 9] = [
    "host",
    "port",
    "user",
    "password",
    "vendor",
    "tls",
    "pool",
    "replicas",
    "timeout_ms",
];
/// How much the peak resident memory may grow while the corpus is decoded.
const MEMORY_BOUND_MIB: u64 = 256;
const WAIT: Duration = Duration::from_secs(10);

/// The field a case breaks, from its label (`port = "abc"`, `missing port`).
fn field_of(label: &str) -> Option<&'static str> {
    FIELDS
        .iter()
        .copied()
        .find(|f| label.starts_with(&format!("{f} = ")) || label == format!("missing {f}"))
}

/// Peak resident set size of this process, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Checks one error: names the path, the field where one applies (the
/// bytes are JSON, one field is wrong), and never the secret (in Display
/// or Debug).
fn check_error(label: &str, bytes: &[u8], e: &Error) {
    let msg = e.to_string();
    let debug = format!("{e:?}");
    assert!(msg.contains(PATH), "{label}: no path in: {msg}");
    assert!(!msg.contains(SECRET), "{label}: leaks the secret: {msg}");
    assert!(
        !debug.contains(SECRET),
        "{label}: Debug leaks the secret: {debug}"
    );
    let is_json = serde_json::from_slice::<serde_json::Value>(bytes).is_ok();
    if let Some(field) = field_of(label).filter(|_| is_json) {
        match e {
            Error::Decode { errors, .. } => assert!(
                errors.iter().any(|fe| fe
                    .field
                    .split('.')
                    .any(|part| part == field || part.starts_with(&format!("{field}[")))),
                "{label}: no error names the field {field}: {msg}"
            ),
            other => panic!("{label}: expected a decode error naming {field}, got {other:?}"),
        }
    }
}

fn confo_on(store: &MemoryBackend) -> Confo {
    Confo::with_backend(store.clone())
}

#[tokio::test]
async fn the_valid_document_loads() {
    let store = MemoryBackend::new();
    let path = PATH.parse().unwrap();
    store
        .write(&path, hostile::VALID.as_bytes(), Expect::Any)
        .await
        .unwrap();
    let db: Database = confo_on(&store).load().await.unwrap();
    assert_eq!(db.port, 5432);
    assert_eq!(db.vendor, Vendor::Postgres);
    assert_eq!(db.pool, Pool { min: 1, max: 8 });
    assert_eq!(db.password.expose(), SECRET);
    assert!(!format!("{db:?}").contains(SECRET));
}

#[tokio::test]
async fn every_hostile_case_fails_to_load_with_a_located_error_in_bounded_memory() {
    let store = MemoryBackend::new();
    let confo = confo_on(&store);
    let path = PATH.parse().unwrap();
    let before = peak_rss_kib();
    let corpus = hostile::corpus();
    let mut failed = 0;
    for case in &corpus {
        store.write(&path, &case.bytes, Expect::Any).await.unwrap();
        match confo.load::<Database>().await {
            Ok(db) => panic!("{}: loaded {db:?}", case.label),
            Err(e) => {
                check_error(&case.label, &case.bytes, &e);
                failed += 1;
            }
        }
    }
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    println!(
        "{failed} of {} hostile cases refused; peak RSS grew by {grown_mib} MiB",
        corpus.len()
    );
    assert!(
        grown_mib < MEMORY_BOUND_MIB,
        "decoding the corpus grew the peak RSS by {grown_mib} MiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_watch_rejects_every_hostile_case_and_keeps_the_last_good_value() {
    let store = MemoryBackend::new();
    let confo = confo_on(&store);
    let path = PATH.parse().unwrap();
    store
        .write(&path, hostile::VALID.as_bytes(), Expect::Any)
        .await
        .unwrap();
    let live = confo.watch::<Database>().await.unwrap();
    let good_version = live.version();
    let mut problems = live.problems();
    for case in hostile::corpus() {
        let version = store.write(&path, &case.bytes, Expect::Any).await.unwrap();
        // Wait for this version's rejection (bounded).
        loop {
            let problem = tokio::time::timeout(WAIT, problems.recv())
                .await
                .unwrap_or_else(|_| panic!("{}: no problem reported within {WAIT:?}", case.label))
                .unwrap_or_else(|e| panic!("{}: {e}", case.label));
            let shown = format!("{problem} {problem:?}");
            assert!(!shown.contains(SECRET), "{}: leaks: {shown}", case.label);
            match problem {
                Problem::Rejected { version: v, error } if v == version => {
                    check_error(&case.label, &case.bytes, &error);
                    break;
                }
                Problem::Rejected { .. } => continue, // an earlier version's, late
                other => panic!("{}: unexpected {other}", case.label),
            }
        }
        assert_eq!(live.version(), good_version, "{}", case.label);
        assert_eq!(live.get().port, 5432, "{}", case.label);
    }
}
