//! The published schema of a type describes exactly what confo decodes:
//! over generated documents (valid seeds, mutated, numbers and booleans
//! sometimes stored as strings), `Schema::of::<T>()` accepts a document if
//! and only if `T` decodes it. A write checked against a service's schema is
//! then refused exactly when that service could not read the value.

#![allow(dead_code)]

use std::num::NonZeroU16;

use confo::schemars::JsonSchema;
use confo::{Confo, Schema, Secret};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::doc::{mutation, Doc, Mutation};
use crate::run::confo_decode;

#[derive(Confo, Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
#[confo(namespace = "diff", name = "cfg")]
pub struct Service {
    host: String,
    port: u16,
    #[serde(default)]
    replicas: Vec<String>,
    timeout_ms: Option<u64>,
    enabled: bool,
    #[serde(rename = "maxConn")]
    max_conn: u32,
    password: Secret<String>,
    ratio: f64,
    level: i8,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
pub struct Inner {
    x: u8,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Backend {
    Zk { hosts: Vec<String> },
    File(Inner),
    Memory,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Fast,
    Slow(u16),
    Custom { limit: u32 },
}

#[derive(Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
#[serde(untagged)]
pub enum Port {
    Number(u16),
    Named(String),
}

#[derive(Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
pub struct Limits {
    rate: u32,
}

#[derive(Confo, Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
#[confo(namespace = "diff", name = "cfg")]
pub struct Shapes {
    backend: Backend,
    mode: Mode,
    port: Port,
    inner: Option<Inner>,
    id: NonZeroU16,
    tags: Vec<u8>,
}

#[derive(Confo, Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
#[confo(namespace = "diff", name = "cfg")]
#[serde(deny_unknown_fields)]
pub struct Strict {
    a: u16,
    #[serde(default)]
    b: bool,
    c: Option<char>,
}

const SERVICE_KEYS: &[&str] = &[
    "host",
    "port",
    "replicas",
    "timeout_ms",
    "enabled",
    "maxConn",
    "password",
    "ratio",
    "level",
];
const SHAPES_KEYS: &[&str] = &[
    "backend", "mode", "port", "inner", "id", "tags", "type", "hosts", "x", "name", "fast", "slow",
    "custom", "limit", "zk", "file", "memory",
];
const STRICT_KEYS: &[&str] = &["a", "b", "c"];

/// One type: its seeds, the keys mutations may add, and the check.
struct Case {
    name: &'static str,
    seeds: fn() -> Vec<Value>,
    keys: &'static [&'static str],
    agree: fn(&[u8]) -> Result<(), String>,
}

/// `Ok` when the schema and the decoder agree on `bytes`.
fn agree<T: confo::Config + JsonSchema + std::fmt::Debug>(bytes: &[u8]) -> Result<(), String> {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(()); // not JSON: refused before any schema is consulted
    };
    let violations = Schema::of::<T>().check(&value);
    let decoded = confo_decode::<T>(bytes);
    match (violations.is_empty(), &decoded) {
        (true, Ok(_)) | (false, Err(_)) => Ok(()),
        (true, Err(e)) => Err(format!("the schema accepts what confo refuses: {e}")),
        (false, Ok(v)) => Err(format!(
            "the schema refuses what confo decodes ({v:?}): {}",
            violations
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "Service",
            seeds: || {
                vec![
                    json!({"host": "db", "port": 5432, "replicas": ["r1"], "timeout_ms": 2500,
                           "enabled": true, "maxConn": 10, "password": "pw", "ratio": 0.5, "level": -3}),
                    json!({"host": "db", "port": "5432", "enabled": "false", "maxConn": "7",
                           "password": "pw", "ratio": "1e3", "level": "127", "timeout_ms": null}),
                ]
            },
            keys: SERVICE_KEYS,
            agree: agree::<Service>,
        },
        Case {
            name: "Shapes",
            seeds: || {
                vec![
                    json!({"backend": {"type": "zk", "hosts": ["a:2181"]}, "mode": "fast",
                           "port": 80, "inner": {"x": 1}, "id": 1, "tags": [1, 2]}),
                    json!({"backend": {"type": "file", "x": 3, "name": "n"}, "mode": {"slow": 9},
                           "port": "http", "inner": null, "id": "2", "tags": []}),
                    json!({"backend": {"type": "memory"}, "mode": {"custom": {"limit": 4}},
                           "port": "8080", "id": 65535, "tags": ["3"]}),
                ]
            },
            keys: SHAPES_KEYS,
            agree: agree::<Shapes>,
        },
        Case {
            name: "Strict",
            seeds: || {
                vec![
                    json!({"a": 1, "b": true, "c": "x"}),
                    json!({"a": "2", "c": null}),
                ]
            },
            keys: STRICT_KEYS,
            agree: agree::<Strict>,
        },
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 5000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn generated() -> impl Strategy<Value = (usize, usize, Vec<Mutation>)> {
    (0..cases().len()).prop_flat_map(|i| {
        let keys = cases()[i].keys;
        (
            Just(i),
            any::<usize>(),
            proptest::collection::vec(mutation(true, keys), 0..4),
        )
    })
}

proptest! {
    #![proptest_config(config())]

    /// Every document the schema accepts decodes, and every document that
    /// decodes is accepted.
    #[test]
    fn the_schema_accepts_exactly_what_decodes((i, seed, mutations) in generated()) {
        let case = &cases()[i];
        let seeds = (case.seeds)();
        let mut doc = Doc::from_value(&seeds[seed % seeds.len()]);
        for m in &mutations {
            m.apply(&mut doc);
        }
        // Duplicate keys are a decode error the schema (of a parsed value) cannot see.
        prop_assume!(!doc.has_duplicate_keys());
        let bytes = doc.render();
        let verdict = (case.agree)(&bytes);
        // An array where the schema wants an object, that still decodes, is
        // a struct in serde's sequence form: the second documented gap
        // (below), on the safe side.
        let sequence_form = matches!(&verdict, Err(e)
            if e.starts_with("the schema refuses what confo decodes")
                && e.rsplit_once("): ").is_some_and(|(_, rules)| rules.split("; ").all(|r|
                    r.ends_with("found an array") || r.ends_with("(found an array)"))));
        prop_assert!(verdict.is_ok() || sequence_form, "{}: {}\n{}", case.name,
            String::from_utf8_lossy(&bytes), verdict.unwrap_err());
    }
}

#[test]
fn every_seed_is_accepted_and_decodes() {
    for case in cases() {
        for seed in (case.seeds)() {
            let bytes = serde_json::to_vec(&seed).unwrap();
            (case.agree)(&bytes).unwrap_or_else(|e| panic!("{}: {seed}: {e}", case.name));
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            assert!(
                match case.name {
                    "Service" => Schema::of::<Service>().check(&value).is_empty(),
                    "Shapes" => Schema::of::<Shapes>().check(&value).is_empty(),
                    _ => Schema::of::<Strict>().check(&value).is_empty(),
                },
                "{}: {seed} is a valid seed",
                case.name
            );
        }
    }
}

#[derive(Confo, Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
#[confo(namespace = "diff", name = "cfg")]
pub struct Flattened {
    name: String,
    #[serde(flatten)]
    limits: Limits,
}

/// serde_json decodes a struct from a JSON array of its fields in order
/// (`[5432, "db"]` for `{port, host}`); the schema describes configurations
/// as objects and refuses that form, so a write in it is refused although
/// the service could read it. Documented in docs/typed.md ("Schemas"); the
/// refusal errs on the safe side (no write a service cannot read passes).
#[test]
fn structs_in_serde_sequence_form_are_the_documented_limit() {
    let gap = agree::<Shapes>(br#"{"backend":["memory"],"mode":"fast","port":1,"id":1,"tags":[]}"#)
        .unwrap_err();
    assert!(
        gap.contains("the schema refuses what confo decodes"),
        "{gap}"
    );
}

/// The known gap for flattened members, documented in docs/typed.md ("Schemas"): serde
/// buffers the members of a flattened struct, so confo cannot read their
/// numbers stored as strings, and schemars' output does not say which
/// members were flattened, so the schema takes the string forms there.
/// Everything else about them agrees. Fixing the gap makes this test fail:
/// then drop the limit from the docs and `Flattened` into the property.
#[test]
fn flattened_members_are_the_documented_limit() {
    let agrees = |doc: Value| agree::<Flattened>(&serde_json::to_vec(&doc).unwrap());
    assert!(agrees(json!({"name": "a", "rate": 6})).is_ok());
    assert!(agrees(json!({"name": "a"})).is_ok());
    assert!(agrees(json!({"name": "a", "rate": -1})).is_ok());
    assert!(agrees(json!({"name": 1, "rate": 6})).is_ok());
    let gap = agrees(json!({"name": "a", "rate": "6"})).unwrap_err();
    assert!(
        gap.contains("the schema accepts what confo refuses"),
        "{gap}"
    );
}
