//! The decode pipeline: stored bytes, then overrides, then serde, with
//! errors that name every failing field (see [`super::decode`]).

use std::any::type_name;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::decode::{self as rules};
use super::overrides::{self, Applied, Override};
use super::Config;
use crate::error::{Error, FieldError, Result};
use crate::json;
use crate::name::ConfigPath;

/// Applies `overrides` to stored bytes and decodes them into `T`. Without
/// an override of this configuration, the bytes are decoded as they are
/// (the fast path); with one, the overridden object is encoded again and
/// decoded the same way.
pub(crate) fn decode_read<T: Config>(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    overrides: &[Override],
) -> Result<(T, Vec<Applied>)> {
    if !overrides.iter().any(|o| o.names(path)) {
        if let Some(decoded) = rules::decode_object::<T>(bytes) {
            return Ok((decoded, Vec::new()));
        }
    }
    let (map, applied) = parse_with_overrides(describe, path, bytes, overrides, T::KEYS)?;
    let value = Value::Object(map);
    let owned;
    let bytes = if applied.is_empty() {
        bytes
    } else {
        owned = serde_json::to_vec(&value).unwrap_or_default();
        &owned
    };
    let decoded = decode_from::<T>(
        describe,
        path,
        bytes,
        &value,
        path.name().as_str(),
        &applied,
    )?;
    Ok((decoded, applied))
}

/// Decodes the bytes of a stored configuration into `T` by confo's rules
/// (`docs/typed.md`, "Decoding"): what every typed load does once it has
/// read them, without overrides. `path` names the source in errors.
///
/// ```
/// #[derive(confo::Confo, serde::Deserialize, Debug)]
/// #[confo(namespace = "systemA")]
/// struct Database { port: u16 }
///
/// let path = "systemA/database".parse()?;
/// let db: Database = confo::decode(&path, br#"{"port":"5432"}"#)?;
/// assert_eq!(db.port, 5432);
/// let err = confo::decode::<Database>(&path, br#"{"port":"x"}"#).unwrap_err();
/// assert!(err.to_string().ends_with("database.port: expected u16, found a string that is not a number"));
/// # Ok::<(), confo::Error>(())
/// ```
pub fn decode<T: Config>(path: &ConfigPath, bytes: &[u8]) -> Result<T> {
    decode_bytes::<T>("input", path, bytes, &[])
}

/// Decodes stored bytes into `T` with `overrides` applied: what a live
/// value does on every change.
pub(crate) fn decode_bytes<T: Config>(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    overrides: &[Override],
) -> Result<T> {
    Ok(decode_read::<T>(describe, path, bytes, overrides)?.0)
}

pub(crate) fn parse_with_overrides(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    overrides: &[Override],
    declared: &[&str],
) -> Result<(Map<String, Value>, Vec<Applied>)> {
    let mut map = json::parse_object(describe, &path.to_string(), bytes)?;
    let applied = overrides::apply(overrides, describe, path, declared, &mut map)?;
    Ok((map, applied))
}

/// Decodes `value` into `V`; errors name every failing field, and the
/// override that supplied it, if one did.
pub(crate) fn decode_as<V: DeserializeOwned>(
    describe: &str,
    path: &ConfigPath,
    value: &Value,
    root: &str,
    applied: &[Applied],
) -> Result<V> {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    decode_from::<V>(describe, path, &bytes, value, root, applied)
}

/// Decodes `bytes` (parsed: `value`) into `V`, or says why not.
fn decode_from<V: DeserializeOwned>(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    value: &Value,
    root: &str,
    applied: &[Applied],
) -> Result<V> {
    if let Some(decoded) = rules::decode_value::<V>(bytes) {
        return Ok(decoded);
    }
    Err(Error::Decode {
        backend: describe.to_owned(),
        path: path.to_string(),
        type_name: type_name::<V>(),
        errors: rules::errors::<V>(bytes, value, root)
            .into_iter()
            .map(|e| attribute(e, path, applied))
            .collect(),
    })
}

fn attribute(mut error: FieldError, path: &ConfigPath, applied: &[Applied]) -> FieldError {
    for a in applied.iter().rev() {
        let field = format!("{}.{}", path.name(), a.keys.join("."));
        let rest = error.field.strip_prefix(&field);
        if matches!(rest, Some(r) if r.is_empty() || r.starts_with('.') || r.starts_with('[')) {
            error
                .message
                .push_str(&format!(" (value from {})", a.origin));
            break;
        }
    }
    error
}
