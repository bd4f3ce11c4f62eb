//! Which members of a value are secrets: the ones a published schema marks
//! `writeOnly` (what [`crate::Secret`] fields publish), so a command that
//! prints an old value or a difference can hide them.

use serde_json::Value;

/// How deep `$ref`s and nesting are followed (a schema may refer to itself).
const MAX_DEPTH: usize = 64;

/// The dotted paths of `value`'s members that any of `schemas` (JSON
/// Schemas, such as [`crate::PublishedSchema::schema`]) marks secret
/// (`writeOnly`: a [`crate::Secret`] field), sorted.
///
/// ```
/// use serde_json::json;
/// let published = confo::PublishedSchema {
///     service: "billing".into(),
///     schema: json!({"type": "object", "properties": {
///         "password": {"type": "string", "writeOnly": true},
///         "pool": {"type": "object", "properties": {"token": {"writeOnly": true}}}
///     }}),
///     published: None,
/// };
/// let value = json!({"password": "hunter2", "pool": {"token": "t", "size": 5}, "host": "db"});
/// assert_eq!(confo::secret_keys([&published.schema], &value), ["password", "pool.token"]);
/// ```
pub fn secret_keys<'a>(schemas: impl IntoIterator<Item = &'a Value>, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for schema in schemas {
        walk(schema, schema, value, &mut String::new(), &mut out, 0);
    }
    out.sort();
    out.dedup();
    out
}

/// `value` with each member `secret_keys` names replaced by `"***"`.
///
/// ```
/// use serde_json::json;
/// let mut value = json!({"password": "hunter2", "host": "db"});
/// confo::redact_keys(&mut value, &["password".to_owned()]);
/// assert_eq!(value, json!({"password": "***", "host": "db"}));
/// ```
pub fn redact_keys(value: &mut Value, keys: &[String]) {
    for key in keys {
        let mut at = &mut *value;
        let parts: Vec<&str> = key.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let Some(next) = at.as_object_mut().and_then(|m| m.get_mut(*part)) else {
                break;
            };
            if i + 1 == parts.len() {
                *next = Value::String("***".into());
                break;
            }
            at = next;
        }
    }
}

fn resolve<'a>(node: &'a Value, root: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) if r.starts_with('#') => root.pointer(&r[1..]).unwrap_or(node),
        _ => node,
    }
}

fn walk(
    node: &Value,
    root: &Value,
    value: &Value,
    at: &mut String,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let node = resolve(node, root);
    if node.get("writeOnly") == Some(&Value::Bool(true)) {
        if !at.is_empty() {
            out.push(at.clone());
        }
        return;
    }
    for branch in ["allOf", "anyOf", "oneOf"] {
        for sub in node
            .get(branch)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(sub, root, value, at, out, depth + 1);
        }
    }
    let Some(members) = value.as_object() else {
        return;
    };
    let properties = node.get("properties").and_then(Value::as_object);
    let additional = node.get("additionalProperties").filter(|a| a.is_object());
    for (key, member) in members {
        let sub = properties.and_then(|p| p.get(key)).or(additional);
        if let Some(sub) = sub {
            let len = at.len();
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(key);
            walk(sub, root, member, at, out, depth + 1);
            at.truncate(len);
        }
    }
}
