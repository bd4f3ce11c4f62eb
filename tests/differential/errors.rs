//! What a refused document gets: every failing field at once, with a path
//! that points at the field, and never a stored value.

use std::net::SocketAddr;
use std::num::NonZeroU16;

use confo::{Confo, Error, Secret};
use serde::de::{self, Deserializer};
use serde::Deserialize;

use crate::run::confo_decode;

fn errors_of<T: confo::Config + std::fmt::Debug>(json: &str) -> Vec<(String, String)> {
    match confo_decode::<T>(json.as_bytes()) {
        Err(Error::Decode { errors, .. }) => {
            errors.into_iter().map(|e| (e.field, e.message)).collect()
        }
        other => panic!("{json}: expected a decode error, got {other:?}"),
    }
}

fn fields(errors: &[(String, String)]) -> Vec<&str> {
    let mut f: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    f.sort();
    f
}

/// Refuses everything, whatever it is given, after reading it.
#[derive(Debug)]
struct Never;

impl<'de> Deserialize<'de> for Never {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de::IgnoredAny::deserialize(d)?;
        Err(de::Error::custom("never valid"))
    }
}

#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "diff", name = "cfg")]
#[allow(dead_code)]
struct Picky {
    url: url::Url,
    id: uuid::Uuid,
    addr: SocketAddr,
    count: NonZeroU16,
    port: u16,
    name: String,
    // Last: a required field that takes nothing hides the required fields
    // declared after it when it is missing (serde reports them in order).
    never: Never,
}

#[test]
fn every_error_is_listed_even_with_types_that_refuse_placeholders() {
    let errors = errors_of::<Picky>(
        r#"{"url":"no url","id":"no uuid","addr":"no address","count":0,"never":1,"port":"x","name":5}"#,
    );
    assert_eq!(
        fields(&errors),
        [
            "cfg.addr",
            "cfg.count",
            "cfg.id",
            "cfg.name",
            "cfg.never",
            "cfg.port",
            "cfg.url"
        ],
        "{errors:?}"
    );
    // Missing ones too.
    let errors = errors_of::<Picky>(r#"{"port":1}"#);
    assert_eq!(
        fields(&errors),
        [
            "cfg.addr",
            "cfg.count",
            "cfg.id",
            "cfg.name",
            "cfg.never",
            "cfg.url"
        ],
        "{errors:?}"
    );
    assert!(
        errors.iter().all(|(_, m)| m.starts_with("missing")),
        "{errors:?}"
    );
}

#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "diff", name = "cfg")]
#[allow(dead_code)]
struct Outer {
    inner: InnerNever,
    port: u16,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct InnerNever {
    never: Never,
    x: u8,
}

#[test]
fn a_nested_field_that_takes_nothing_does_not_hide_the_fields_after_its_struct() {
    let errors = errors_of::<Outer>(r#"{"inner":{"never":1,"x":"bad"},"port":"y"}"#);
    assert_eq!(
        fields(&errors),
        ["cfg.inner.never", "cfg.inner.x", "cfg.port"],
        "{errors:?}"
    );
}

#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "diff", name = "cfg")]
#[allow(dead_code)]
struct Flat {
    name: String,
    #[serde(flatten)]
    pool: Pool,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Pool {
    size: u32,
    idle: u32,
}

#[test]
fn a_missing_field_inside_flatten_is_reported_once_at_its_path() {
    let errors = errors_of::<Flat>(r#"{"name":"n","idle":1}"#);
    assert_eq!(fields(&errors), ["cfg.size"], "{errors:?}");
    assert!(errors[0].1.starts_with("missing"), "{errors:?}");
    let errors = errors_of::<Flat>(r#"{"name":5,"size":"x","idle":[]}"#);
    assert_eq!(
        fields(&errors),
        ["cfg.idle", "cfg.name", "cfg.size"],
        "{errors:?}"
    );
}

#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "diff", name = "cfg")]
#[allow(dead_code)]
struct Tagged {
    v: Kind,
    port: u16,
}

#[derive(Deserialize, Debug)]
#[serde(tag = "type")]
#[allow(dead_code)]
enum Kind {
    A { port: u16, host: String },
}

#[test]
fn paths_inside_an_internally_tagged_enum_point_at_the_field() {
    let errors = errors_of::<Tagged>(r#"{"v":{"type":"A","port":"x"},"port":"y"}"#);
    assert_eq!(
        fields(&errors),
        ["cfg.port", "cfg.v.host", "cfg.v.port"],
        "{errors:?}"
    );
    let missing: Vec<_> = errors
        .iter()
        .filter(|(_, m)| m.starts_with("missing"))
        .collect();
    assert_eq!(missing.len(), 1, "{errors:?}");
}

const MARK: &str = "Zq7Stored";

#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "diff", name = "cfg")]
#[allow(dead_code)]
struct Quoting {
    url: url::Url,
    id: uuid::Uuid,
    version: semver::Version,
    #[serde(deserialize_with = "quote_it")]
    custom: String,
    size: bytesize::ByteSize,
}

fn quote_it<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    Err(de::Error::custom(format!(
        "cannot use {s:?} (uppercase: {})",
        s.to_uppercase()
    )))
}

#[test]
fn no_message_shows_a_stored_value() {
    let json = format!(
        r#"{{"url":"http://[{MARK}","id":"{MARK}","version":"1.{MARK}","custom":"{MARK}","size":"{MARK}"}}"#
    );
    let err = confo_decode::<Quoting>(json.as_bytes()).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(MARK), "{shown}");
    assert!(
        !shown.to_lowercase().contains(&MARK.to_lowercase()),
        "{shown}"
    );
    match err {
        Error::Decode { errors, .. } => assert_eq!(errors.len(), 5, "{errors:?}"),
        other => panic!("{other:?}"),
    }
}

#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "diff", name = "cfg")]
#[allow(dead_code)]
struct Vault {
    creds: Secret<Creds>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Creds {
    user: String,
}

#[test]
fn names_and_values_inside_a_secret_are_not_shown() {
    let json = format!(r#"{{"creds":{{"user":"u","{MARK}":"{MARK}"}}}}"#);
    let err = confo_decode::<Vault>(json.as_bytes()).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(MARK), "{shown}");
    assert!(shown.contains("cfg.creds"), "{shown}");
}
