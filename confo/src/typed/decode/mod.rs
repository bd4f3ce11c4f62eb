//! Decoding stored bytes into a user type: exactly what
//! `serde_json::from_slice::<T>` decodes, except that numbers and booleans
//! stored as strings decode into numeric and boolean fields; on failure,
//! every error at once, with field paths, and never a stored value.
//!
//! Two passes, the second only on failure:
//!
//! 1. [`coerce::from_slice`], the fast path: serde_json's deserializer
//!    over the bytes, through a thin adapter that adds the coercion. Its
//!    answer is the answer: what it decodes is the value, what it refuses
//!    is refused.
//! 2. [`collect::collect`], on a refusal: a slower pass over the parsed
//!    value that finds every failing field. Should it find none (it reads a
//!    `serde_json::Value`, which keeps neither duplicate keys nor integers
//!    beyond 64 bits), the fast path's own error is reported, with its path.
//!
//! The rules, and what a message may contain, are in `docs/typed.md`
//! ("Decoding").

pub(crate) mod coerce;
mod collect;
mod error;
mod scrub;
mod value;

use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::Value;

use crate::error::FieldError;
#[cfg(test)]
use collect::MAX_ERRORS;
use error::DeError;
use value::ValueDe;

/// `T` from `bytes` if they are a JSON object that decodes; `None` otherwise
/// (then [`errors`] says why).
pub(crate) fn decode_object<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let first = bytes.iter().find(|b| !b" \t\r\n".contains(b));
    if first != Some(&b'{') {
        return None;
    }
    coerce::from_slice(bytes).ok()
}

/// `T` from `bytes` (any JSON value), the fast path alone.
pub(crate) fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    coerce::from_slice(bytes).ok()
}

/// Why `bytes` (parsed: `value`) do not decode as `T`: every failing
/// field, paths from `root` (the configuration name, e.g. `database`).
/// Never empty.
pub(crate) fn errors<T: DeserializeOwned>(
    bytes: &[u8],
    value: &Value,
    root: &str,
) -> Vec<FieldError> {
    let found = collect::collect::<T>(value, root, bytes.len());
    if !found.is_empty() {
        return found;
    }
    vec![fast_error::<T>(bytes, value, root)]
}

/// The fast path's refusal, with its path and without any stored value.
fn fast_error<T: DeserializeOwned>(bytes: &[u8], value: &Value, root: &str) -> FieldError {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let err = match serde_path_to_error::deserialize::<_, T>(coerce::Coerce(&mut de)) {
        Err(err) => err,
        Ok(_) => {
            let message = match de.end() {
                Err(e) => e.to_string(),
                Ok(()) => "does not decode".to_owned(),
            };
            return FieldError {
                field: root.to_owned(),
                message: scrub::scrub(strip_position(&message), &scrub::document_texts(bytes)),
            };
        }
    };
    let segments: Vec<_> = err.path().iter().cloned().collect();
    let place = collect::steps(value, &segments);
    // Against every text of the document: the parsed value lacks what made
    // this pass necessary (a duplicate key's first value, say).
    let stored = scrub::document_texts(bytes);
    FieldError {
        field: collect::render(root, &place),
        message: scrub::scrub(strip_position(&err.inner().to_string()), &stored),
    }
}

/// serde_json's message without its " at line L column C" tail.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    }
}

/// Decodes a secret's inner value from the JSON it was given, so that no
/// error message can quote it: messages of custom `Deserialize` impls are
/// replaced by one that names only the type, and an unknown field's name
/// is not shown.
pub(crate) fn decode_secret<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    T::deserialize(ValueDe::new(value)).map_err(|err| match err {
        DeError::Custom(_) => format!(
            "not a valid {} (the value is secret and not shown)",
            std::any::type_name::<T>()
        ),
        DeError::Unknown { expected, .. } => {
            format!("an unknown field (its name is secret and not shown), expected {expected}")
        }
        other => other.to_string(),
    })
}

/// A field absent from the stored object: `Option`s become `None`, every
/// other type reports it missing.
pub(crate) fn decode_missing<T: DeserializeOwned>() -> Option<T> {
    T::deserialize(Missing).ok()
}

struct Missing;

impl<'de> de::Deserializer<'de> for Missing {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
        Err(DeError::Missing(String::new()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests;
