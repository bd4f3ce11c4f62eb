//! Turning stored bytes into a JSON object, and back, with errors that say where.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The JSON kind of `value`, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Parses `bytes` as one JSON object.
///
/// `backend` and `path` only name the source in errors. Syntax errors give
/// line and column; valid JSON that is not an object is [`Error::NotAnObject`].
///
/// ```
/// let obj = confo::parse_json_object("input", "a/b", br#"{"port": 5432}"#)?;
/// assert_eq!(obj["port"], 5432);
/// let err = confo::parse_json_object("input", "a/b", b"[1]").unwrap_err();
/// assert!(err.to_string().contains("holds a JSON array"));
/// let err = confo::parse_json_object("input", "a/b", b"{\n  \"port\": }").unwrap_err();
/// assert!(err.to_string().contains("line 2"));
/// # Ok::<(), confo::Error>(())
/// ```
pub fn parse_object(backend: &str, path: &str, bytes: &[u8]) -> Result<Map<String, Value>> {
    match parse_value(backend, path, bytes)? {
        Value::Object(map) => Ok(map),
        other => Err(Error::NotAnObject {
            backend: backend.to_owned(),
            path: path.to_owned(),
            found: kind(&other),
        }),
    }
}

/// Parses `bytes` as any JSON value, with the errors of [`parse_object`].
pub fn parse_value(backend: &str, path: &str, bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice::<Value>(bytes).map_err(|e| Error::InvalidJson {
        backend: backend.to_owned(),
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: syntax_message(&e),
    })
}

/// serde_json's message without its " at line L column C" tail (we add our own).
fn syntax_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    }
}

/// Encodes an object the way confo stores it: compact UTF-8 JSON.
///
/// ```
/// let mut map = serde_json::Map::new();
/// map.insert("port".into(), 5432.into());
/// assert_eq!(confo::to_json_bytes(&map), br#"{"port":5432}"#);
/// ```
pub fn to_bytes(map: &Map<String, Value>) -> Vec<u8> {
    // Serializing a Map of Values cannot fail: keys are strings.
    serde_json::to_vec(map).unwrap_or_else(|_| b"{}".to_vec())
}
