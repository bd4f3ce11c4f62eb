//! The configurations the scenarios read.

use crate::*;

/// Scenario 1: one typed configuration, alone in its namespace (so Python
/// confo's `reload` reads exactly one).
#[derive(confo::Confo, Deserialize, Serialize, confo::schemars::JsonSchema, Debug, Clone)]
#[schemars(crate = "confo::schemars")]
#[confo(namespace = "bench1", name = "database")]
pub(crate) struct Database {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) password: Secret<String>,
    pub(crate) vendor: String,
    pub(crate) pool_size: u32,
    pub(crate) timeout_ms: u64,
    pub(crate) replicas: Vec<String>,
}

pub(crate) fn database_json() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "host": "db.internal.example", "port": 5432, "user": "service",
        "password": "not-a-real-password", "vendor": "postgres",
        "pool_size": 16, "timeout_ms": 2500,
        "replicas": ["db-r1.internal.example", "db-r2.internal.example"]
    }))
    .expect("static JSON")
}

/// Scenarios 2, 5, 6, 7: the configurations of a namespace.
#[derive(Deserialize, Serialize, Debug, Clone)]
pub(crate) struct Item {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) enabled: bool,
    pub(crate) pool: u32,
    pub(crate) tags: Vec<String>,
}

pub(crate) fn item_json(i: usize) -> Vec<u8> {
    serde_json::to_vec(&Item {
        host: format!("svc-{i}.internal.example"),
        port: 1024 + (i % 50_000) as u16,
        user: format!("user{i}"),
        enabled: i.is_multiple_of(2),
        pool: (i % 64) as u32,
        tags: vec!["bench".into(), format!("shard-{}", i % 16)],
    })
    .expect("static JSON")
}

pub(crate) fn item_name(i: usize) -> String {
    format!("cfg{i:05}")
}

/// Scenario 3: the value a writer changes and a `Live` follows.
#[derive(confo::Confo, Deserialize, Serialize, Debug, Clone)]
#[confo(namespace = "bench3", name = "propagate")]
pub(crate) struct Propagate {
    pub(crate) seq: u64,
    /// Wall-clock nanoseconds just before the write (same machine, same clock).
    pub(crate) sent_ns: u64,
    pub(crate) payload: String,
}

pub(crate) fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
