//! confo decodes exactly what `serde_json::from_slice::<T>` decodes, with
//! one documented exception: numbers and booleans stored as strings decode
//! into numeric and boolean fields.
//!
//! Generated documents (valid seeds of a fixed set of types, mutated) are
//! decoded both ways and compared; `families` pins the cases where confo's
//! first decoder differed from serde_json, and `errors` what its messages
//! say.
//!
//! One more rule than serde_json's: a configuration is a JSON object, so a
//! document of another kind is refused even where `T` would take it (serde
//! decodes a struct from an array).

mod doc;
mod errors;
mod families;
mod run;
mod schema;
mod types;

use proptest::prelude::*;

use doc::{mutation, Doc, Mutation};
use run::Side;
use types::{cases, Case};

/// Cases per property: thousands in all, within a minute on a small machine.
const CASES: u32 = 5000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A case, one of its seeds, and mutations to apply to it.
fn mutated(coerce: bool) -> impl Strategy<Value = (usize, usize, Vec<Mutation>)> {
    (0..cases().len()).prop_flat_map(move |i| {
        let keys = cases()[i].keys;
        (
            Just(i),
            any::<usize>(),
            proptest::collection::vec(mutation(coerce, keys), 0..4),
        )
    })
}

/// The indices of the cases that `keep`.
fn where_(keep: fn(&Case) -> bool) -> Vec<usize> {
    cases()
        .iter()
        .enumerate()
        .filter(|(_, c)| keep(c))
        .map(|(i, _)| i)
        .collect()
}

fn document(case: &Case, seed: usize, mutations: &[Mutation]) -> Doc {
    let seeds = (case.seeds)();
    let mut doc = Doc::from_value(&seeds[seed % seeds.len()]);
    for m in mutations {
        m.apply(&mut doc);
    }
    doc
}

proptest! {
    #![proptest_config(config())]

    /// Where serde_json decodes a value, confo decodes the same one; where
    /// serde_json refuses, confo refuses, unless a string in the document
    /// is a number or a boolean (the one coercion).
    #[test]
    fn confo_decodes_what_serde_json_decodes((i, seed, mutations) in mutated(false)) {
        let case = &cases()[i];
        let doc = document(case, seed, &mutations);
        let bytes = doc.render();
        let v = (case.run)(Side::Serde, &bytes, Side::Confo, &bytes);
        let text = String::from_utf8_lossy(&bytes);
        if !matches!(doc, Doc::Obj(_)) {
            // A configuration is a JSON object, whatever the type takes.
            prop_assert!(!v.right.ok,
                "{}: {text}\nconfo: {}", case.name, v.right.shown);
        } else if v.left.ok {
            prop_assert!(v.equal, "{}: {text}\nserde_json: {}\nconfo:      {}", case.name, v.left.shown, v.right.shown);
        } else if !doc.has_coercible_string() {
            prop_assert!(!v.right.ok, "{}: {text}\nserde_json refuses: {}\nconfo decodes: {}", case.name, v.left.shown, v.right.shown);
        }
    }

    /// A valid document with its numbers and booleans (some or all) stored
    /// as strings decodes to the same value, in any key order, for types
    /// that ask for each scalar by its type.
    #[test]
    fn numbers_and_booleans_stored_as_strings_decode_as_themselves(
        i in proptest::sample::select(where_(|c| c.coerces)),
        seed in any::<usize>(),
        bits in any::<u64>(),
    ) {
        let case = &cases()[i];
        let original = document(case, seed, &[]);
        let mut coerced = original.clone();
        let mut n = 0;
        coerced.stringify(&mut || { n += 1; bits & (1 << (n % 64)) != 0 });
        for shown in [coerced.clone(), coerced.reversed()] {
            let v = (case.run)(Side::Serde, &original.render(), Side::Confo, &shown.render());
            prop_assert!(v.left.ok, "{}: a seed serde_json refuses: {}", case.name, v.left.shown);
            prop_assert!(v.equal, "{}: {}\nserde_json: {}\nconfo:      {}", case.name,
                String::from_utf8_lossy(&shown.render()), v.left.shown, v.right.shown);
        }
    }

    /// Reordering the keys of every object changes nothing (documents
    /// without duplicate keys), coercion included.
    #[test]
    fn key_order_does_not_change_the_result((i, seed, mutations) in mutated(true)) {
        let case = &cases()[i];
        prop_assume!(case.order_free);
        let doc = document(case, seed, &mutations);
        prop_assume!(!doc.has_duplicate_keys());
        let a = doc.render();
        let b = doc.reversed().render();
        let v = (case.run)(Side::Confo, &a, Side::Confo, &b);
        prop_assert_eq!(v.left.ok, v.right.ok, "{}: {}\nas written: {}\nreversed:   {}",
            case.name, String::from_utf8_lossy(&a), v.left.shown, v.right.shown);
        if v.left.ok {
            prop_assert!(v.equal, "{}: {}\n{}\n{}", case.name, String::from_utf8_lossy(&a), v.left.shown, v.right.shown);
        }
    }

    /// A refused document's error (Display and Debug) never shows a stored
    /// value, whatever type refuses it and however it quotes what it got.
    #[test]
    fn no_error_shows_a_stored_value(
        (i, seed, mutations) in mutated(true),
        at in any::<usize>(),
        mark in proptest::sample::select(MARKS),
    ) {
        let case = &cases()[i];
        let mut doc = document(case, seed, &mutations);
        *doc.pick(at) = Doc::Str(mark.to_owned());
        let bytes = doc.render();
        let v = (case.run)(Side::Confo, &bytes, Side::Confo, &bytes);
        if !v.left.ok {
            let shown = v.left.shown.to_lowercase();
            prop_assert!(!shown.contains("zq7mark"), "{}: {}\n{}", case.name, String::from_utf8_lossy(&bytes), v.left.shown);
        }
    }
}

/// Stored values that types quote in their messages (whole, in part, or
/// changed), each holding a mark no message has of its own.
const MARKS: &[&str] = &[
    "Zq7Mark",
    "http://[Zq7Mark",
    "Zq7Mark://x",
    "1.Zq7Mark",
    "^Zq7Mark",
    "Zq7Mark-e29b-41d4-a716-446655440000",
    "127.0.0.0/Zq7Mark",
    "Zq7Mark:80",
    "5Zq7Mark",
    "2020-01-02TZq7Mark",
    "port-Zq7Mark",
    "zq7mark",
];

/// What lists the fields a document fails at.
type Failing = fn(&[u8]) -> Vec<String>;

/// The fields `bytes` fail at, as confo lists them.
fn failing_fields<T: confo::Config + std::fmt::Debug>(bytes: &[u8]) -> Vec<String> {
    match run::confo_decode::<T>(bytes) {
        Err(confo::Error::Decode { errors, .. }) => {
            // The top-level field each error is in (`cfg.range[0]` is in `cfg.range`).
            let mut fields: Vec<String> = errors
                .into_iter()
                .map(|e| {
                    let rest = e.field.strip_prefix("cfg.").unwrap_or(&e.field);
                    let key = rest.split(['.', '[']).next().unwrap_or(rest);
                    format!("cfg.{key}")
                })
                .collect();
            fields.sort();
            fields.dedup();
            fields
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Breaking any set of fields of a valid document (each given a value
    /// of a kind its type never takes) gets exactly those fields listed,
    /// whatever their types do with confo's stand-ins (url, uuid, chrono,
    /// semver, ipnet, addresses, NonZero, durations).
    #[test]
    fn every_broken_field_is_listed_at_once(broken in any::<u32>(), which in 0..3usize) {
        let (name, fields): (&str, Failing) = match which {
            0 => ("Scalars", failing_fields::<types::Scalars>),
            1 => ("Ecosystem", failing_fields::<types::Ecosystem>),
            _ => ("StdTypes", failing_fields::<types::StdTypes>),
        };
        let case = cases().into_iter().find(|c| c.name == name).expect("a case of that name");
        let seed = (case.seeds)()[0].clone();
        let mut object = seed.as_object().cloned().unwrap_or_default();
        let keys: Vec<String> = object.keys().cloned().collect();
        let mut expected = Vec::new();
        for (n, key) in keys.iter().enumerate() {
            if broken & (1 << (n % 32)) != 0 {
                object.insert(key.clone(), serde_json::json!([[{}]]));
                expected.push(format!("cfg.{key}"));
            }
        }
        prop_assume!(!expected.is_empty());
        expected.sort();
        let bytes = serde_json::to_vec(&object).unwrap();
        prop_assert_eq!(fields(&bytes), expected, "{}", String::from_utf8_lossy(&bytes));
    }
}
