//! The decode pipeline: stored bytes, then overrides, then serde, with
//! errors that name every failing field (see [`super::decode`]).

use std::any::type_name;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::decode;
use super::overrides::{self, Applied, Override};
use super::Config;
use crate::error::{Error, FieldError, Result};
use crate::json;
use crate::name::ConfigPath;

/// Applies `overrides` to stored bytes and decodes them into `T`.
pub(crate) fn decode_read<T: Config>(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    overrides: &[Override],
) -> Result<(T, Vec<Applied>)> {
    let (value, applied) = parse_with_overrides(describe, path, bytes, overrides, T::KEYS)?;
    let decoded = decode_as::<T>(
        describe,
        path,
        &Value::Object(value),
        path.name().as_str(),
        &applied,
    )?;
    Ok((decoded, applied))
}

/// Decodes stored bytes into `T` with `overrides` applied: what a live
/// value does on every change.
pub(crate) fn decode_bytes<T: Config>(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
    overrides: &[Override],
) -> Result<T> {
    let (value, applied) = parse_with_overrides(describe, path, bytes, overrides, T::KEYS)?;
    decode_as::<T>(
        describe,
        path,
        &Value::Object(value),
        path.name().as_str(),
        &applied,
    )
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
    decode::decode::<V>(value, root).map_err(|errors| Error::Decode {
        backend: describe.to_owned(),
        path: path.to_string(),
        type_name: type_name::<V>(),
        errors: errors
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
