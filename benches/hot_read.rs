//! Criterion microbenchmarks (issue 7): the hot read `live.get()` and the
//! decoding a load pays on top of the round trip.
//!
//! `cargo bench --bench hot_read`. The side-by-side table with the peers
//! comes from `scripts/bench.sh` (benches/peers/).

use std::hint::black_box;

use confo::backend::{Backend, Expect, MemoryBackend};
use confo::{Config, Confo, Secret};
use criterion::{criterion_group, criterion_main, Criterion};
use serde::Deserialize;

#[derive(confo::Confo, Deserialize, Debug)]
#[confo(namespace = "bench1", name = "database")]
#[allow(dead_code)] // fields are read by the decoder only
struct Database {
    host: String,
    port: u16,
    user: String,
    password: Secret<String>,
    vendor: String,
    pool_size: u32,
    timeout_ms: u64,
    replicas: Vec<String>,
}

const DATABASE: &[u8] = br#"{"host":"db.internal.example","port":5432,"user":"service","password":"not-a-real-password","vendor":"postgres","pool_size":16,"timeout_ms":2500,"replicas":["db-r1.internal.example","db-r2.internal.example"]}"#;

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let store = MemoryBackend::new();
    let confo = rt.block_on(async {
        store
            .write(&"bench1/database".parse().unwrap(), DATABASE, Expect::Any)
            .await
            .unwrap();
        Confo::with_backend(store.clone())
    });
    let live = rt
        .block_on(confo.watch::<Database>())
        .expect("a live value on the memory backend");

    c.bench_function("live.get()", |b| b.iter(|| black_box(live.get())));
    c.bench_function("serde_json::from_slice::<Database>", |b| {
        b.iter(|| serde_json::from_slice::<Database>(black_box(DATABASE)).unwrap())
    });
    c.bench_function("Database::load (memory backend)", |b| {
        b.iter(|| rt.block_on(Database::load(&confo)).unwrap())
    });
}

criterion_group!(hot_read, benches);
criterion_main!(hot_read);
