//! Criterion benchmark (issue 11): confo's decoding success path against
//! `serde_json::from_slice::<T>` on the same bytes, for a 6-field
//! configuration and a 50-field nested one.
//!
//! `cargo bench --bench decode`. For instruction counts, which this noisy
//! machine repeats exactly, run one loop under callgrind instead of
//! criterion (see docs/bench.md, "decode"):
//!
//! ```text
//! CONFO_DECODE_LOOP=confo/6:10000 valgrind --tool=callgrind target/release/deps/decode-<hash>
//! ```

use std::hint::black_box;

use confo::{ConfigPath, Secret};
use criterion::{criterion_group, Criterion};
use serde::Deserialize;

#[derive(confo::Confo, Deserialize, Debug)]
#[confo(namespace = "bench", name = "database")]
#[allow(dead_code)] // fields are read by the decoder only
struct Database {
    host: String,
    port: u16,
    user: String,
    password: Secret<String>,
    vendor: Vendor,
    pool_size: u32,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Vendor {
    Postgres,
    Mysql,
}

const DATABASE: &[u8] = br#"{"host":"db.internal.example","port":5432,"user":"service","password":"not-a-real-password","vendor":"postgres","pool_size":16}"#;

/// The same configuration as the Python package writes it.
const DATABASE_STRINGS: &[u8] = br#"{"host":"db.internal.example","port":"5432","user":"service","password":"not-a-real-password","vendor":"postgres","pool_size":"16"}"#;

/// Ten fields of every kind a section holds.
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Section {
    name: String,
    enabled: bool,
    port: u16,
    timeout_ms: u64,
    ratio: f64,
    retries: u8,
    hosts: Vec<String>,
    labels: std::collections::BTreeMap<String, String>,
    note: Option<String>,
    mode: Vendor,
}

#[derive(confo::Confo, Deserialize, Debug)]
#[confo(namespace = "bench", name = "service")]
#[allow(dead_code)]
struct Service {
    http: Section,
    grpc: Section,
    database: Section,
    cache: Section,
    queue: Section,
}

fn section(name: &str) -> String {
    format!(
        r#"{{"name":"{name}","enabled":true,"port":8080,"timeout_ms":2500,"ratio":0.75,"retries":3,"hosts":["a.example","b.example"],"labels":{{"team":"core","tier":"1"}},"note":null,"mode":"mysql"}}"#
    )
}

fn service() -> Vec<u8> {
    let sections: Vec<String> = ["http", "grpc", "database", "cache", "queue"]
        .iter()
        .map(|s| format!(r#""{s}":{}"#, section(s)))
        .collect();
    format!("{{{}}}", sections.join(",")).into_bytes()
}

fn path(s: &str) -> ConfigPath {
    s.parse().expect("a valid path")
}

/// One decoding, by name: what the callgrind loop runs.
fn run(which: &str, service: &[u8]) {
    let database = path("bench/database");
    let svc = path("bench/service");
    match which {
        "serde/6" => drop(black_box(
            serde_json::from_slice::<Database>(black_box(DATABASE)).unwrap(),
        )),
        "confo/6" => drop(black_box(
            confo::decode::<Database>(&database, black_box(DATABASE)).unwrap(),
        )),
        "serde/50" => drop(black_box(
            serde_json::from_slice::<Service>(black_box(service)).unwrap(),
        )),
        "confo/50" => drop(black_box(
            confo::decode::<Service>(&svc, black_box(service)).unwrap(),
        )),
        other => panic!("unknown loop {other:?}: serde/6, confo/6, serde/50, confo/50"),
    }
}

fn benches(c: &mut Criterion) {
    let service = service();
    let database = path("bench/database");
    let svc = path("bench/service");

    let mut six = c.benchmark_group("decode 6 fields");
    six.bench_function("serde_json::from_slice", |b| {
        b.iter(|| serde_json::from_slice::<Database>(black_box(DATABASE)).unwrap())
    });
    six.bench_function("confo::decode", |b| {
        b.iter(|| confo::decode::<Database>(&database, black_box(DATABASE)).unwrap())
    });
    six.bench_function("confo::decode, numbers as strings", |b| {
        b.iter(|| confo::decode::<Database>(&database, black_box(DATABASE_STRINGS)).unwrap())
    });
    six.finish();

    let mut fifty = c.benchmark_group("decode 50 fields nested");
    fifty.bench_function("serde_json::from_slice", |b| {
        b.iter(|| serde_json::from_slice::<Service>(black_box(&service)).unwrap())
    });
    fifty.bench_function("confo::decode", |b| {
        b.iter(|| confo::decode::<Service>(&svc, black_box(&service)).unwrap())
    });
    fifty.finish();
}

criterion_group!(decode, benches);

fn main() {
    // `CONFO_DECODE_LOOP=confo/6:10000`: that decoding, that many times, and
    // nothing else (for callgrind).
    if let Ok(spec) = std::env::var("CONFO_DECODE_LOOP") {
        let (which, n) = spec.split_once(':').unwrap_or((&spec, "1"));
        let n: usize = n.parse().expect("a count after ':'");
        let service = service();
        for _ in 0..n {
            run(which, &service);
        }
        return;
    }
    decode();
    Criterion::default().configure_from_args().final_summary();
}
