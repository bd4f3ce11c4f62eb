//! Overrides for one machine: environment variables that replace single
//! fields of a configuration after it is read and before it is decoded.
//!
//! `PREFIX__SYSTEMA__DATABASE__PORT=5433` overrides the field `port` of the
//! configuration `systemA/database`; more `__`-separated segments reach into
//! nested objects (`PREFIX__SYSTEMA__DATABASE__POOL__SIZE`).
//!
//! - Names are matched case-insensitively (environment variables are upper
//!   case by convention), and the key keeps the case it has in the stored
//!   configuration, or in the Rust type when the key is not stored.
//! - The value is a string, and decodes into numbers and booleans like any
//!   stored string; a value starting with `{` or `[` is parsed as JSON.
//! - Precedence: an override beats the stored value. Several overrides of
//!   the same field: the one given last wins. An override of a nested field
//!   is applied after one of the object holding it.
//! - Overrides apply to typed reads through a [`crate::Confo`](struct@crate::Confo)
//!   (`load`, `load_versioned`, `load_field`, also scoped with `namespace(..)`), not to
//!   `load_from(backend)` nor to the Python-style `get`/`set` API, and they
//!   are never written back: `save` restores the stored value of an
//!   overridden field unless the program changed that field.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::name::ConfigPath;

/// One override: where, what, and where it came from.
#[derive(Clone)]
pub(crate) struct Override {
    /// "environment variable PREFIX__A__B__C".
    pub origin: String,
    pub namespace: String,
    pub name: String,
    pub field: Vec<String>,
    pub raw: String,
}

impl std::fmt::Debug for Override {
    // The value may be a secret: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Override({})", self.origin)
    }
}

/// An override applied to one read: the keys it reached, the stored value it
/// replaced, and the value it put there.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub origin: String,
    pub keys: Vec<String>,
    pub stored: Option<Value>,
    pub value: Value,
}

/// The overrides in `vars` that start with `prefix__`, in a stable order.
/// Variables with fewer than three segments after the prefix are not
/// overrides of a field and are skipped.
pub(crate) fn parse<K, V>(prefix: &str, vars: impl IntoIterator<Item = (K, V)>) -> Vec<Override>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let head = format!("{}__", prefix.to_uppercase());
    let mut out: Vec<Override> = vars
        .into_iter()
        .filter_map(|(key, value)| {
            let key = key.as_ref();
            let upper = key.to_uppercase();
            let rest = upper.strip_prefix(&head)?;
            let segments: Vec<String> = rest.split("__").map(str::to_owned).collect();
            if segments.len() < 3 || segments.iter().any(String::is_empty) {
                tracing::debug!(
                    variable = key,
                    "not a field override (PREFIX__NS__NAME__FIELD), skipped"
                );
                return None;
            }
            Some(Override {
                origin: format!("environment variable {key}"),
                namespace: segments[0].clone(),
                name: segments[1].clone(),
                field: segments[2..].to_vec(),
                raw: value.as_ref().to_owned(),
            })
        })
        .collect();
    // Stable: keeps the given order among overrides of equal depth.
    out.sort_by_key(|o| o.field.len());
    out
}

fn same_name(a: &str, upper: &str) -> bool {
    a.to_uppercase() == upper
}

impl Override {
    /// Whether this override is of the configuration at `path`.
    pub(crate) fn names(&self, path: &ConfigPath) -> bool {
        same_name(path.namespace().as_str(), &self.namespace)
            && same_name(path.name().as_str(), &self.name)
    }
}

/// The key of `map` that `segment` names: the exact key, else the first
/// that matches ignoring case, else one of `declared` (the Rust type's keys).
fn find_key(map: &Map<String, Value>, segment: &str, declared: &[&str]) -> Option<String> {
    if map.contains_key(segment) {
        return Some(segment.to_owned());
    }
    map.keys()
        .find(|k| same_name(k, segment))
        .cloned()
        .or_else(|| {
            declared
                .iter()
                .find(|k| same_name(k, segment))
                .map(|k| (*k).to_owned())
        })
}

/// Applies the overrides that name `path` to `map`.
pub(crate) fn apply(
    overrides: &[Override],
    backend: &str,
    path: &ConfigPath,
    declared: &[&str],
    map: &mut Map<String, Value>,
) -> Result<Vec<Applied>> {
    let mut applied = Vec::new();
    for o in overrides {
        if !o.names(path) {
            continue;
        }
        let fail = |message: String| Error::Override {
            backend: backend.to_owned(),
            path: path.to_string(),
            origin: o.origin.clone(),
            message,
        };
        let value = if o.raw.starts_with('{') || o.raw.starts_with('[') {
            serde_json::from_str::<Value>(&o.raw).map_err(|e| {
                fail(format!(
                    "its value starts like JSON but is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ))
            })?
        } else {
            Value::String(o.raw.clone())
        };
        let mut keys = Vec::with_capacity(o.field.len());
        let mut target = &mut *map;
        let (last, parents) = o
            .field
            .split_last()
            .ok_or_else(|| fail("no field".into()))?;
        for (depth, segment) in parents.iter().enumerate() {
            let decl: &[&str] = if depth == 0 { declared } else { &[] };
            let key = find_key(target, segment, decl).ok_or_else(|| {
                fail(format!(
                    "there is no field {} to reach into",
                    shown(path, &keys, segment)
                ))
            })?;
            keys.push(key.clone());
            target = match target.get_mut(&key) {
                Some(Value::Object(inner)) => inner,
                _ => {
                    return Err(fail(format!(
                        "{} is not an object, so it has no field {last}",
                        shown(path, &keys, "")
                    )))
                }
            };
        }
        let decl: &[&str] = if parents.is_empty() { declared } else { &[] };
        let key = find_key(target, last, decl).ok_or_else(|| {
            fail(format!(
                "there is no field {} in the stored configuration{}",
                shown(path, &keys, last),
                if parents.is_empty() {
                    " nor in the Rust type"
                } else {
                    ""
                }
            ))
        })?;
        keys.push(key.clone());
        let stored = target.insert(key, value.clone());
        applied.push(Applied {
            origin: o.origin.clone(),
            keys,
            stored,
            value,
        });
    }
    Ok(applied)
}

fn shown(path: &ConfigPath, keys: &[String], last: &str) -> String {
    let mut out = path.name().to_string();
    for k in keys {
        out.push('.');
        out.push_str(k);
    }
    if !last.is_empty() {
        out.push('.');
        out.push_str(&last.to_lowercase());
    }
    out
}

/// Whether `now` (the field as the program saves it) is still what the
/// override put there, so that saving must restore the stored value.
pub(crate) fn unchanged(now: &Value, put: &Value) -> bool {
    if now == put {
        return true;
    }
    match (now, put) {
        (Value::Number(n), Value::String(s)) => {
            n.to_string() == *s
                || matches!((n.as_f64(), s.parse::<f64>()), (Some(a), Ok(b)) if a == b)
        }
        (Value::Bool(b), Value::String(s)) => s.eq_ignore_ascii_case(&b.to_string()),
        _ => false,
    }
}

/// The value at `keys` in `map`.
pub(crate) fn get<'a>(map: &'a Map<String, Value>, keys: &[String]) -> Option<&'a Value> {
    let (first, rest) = keys.split_first()?;
    let mut current = map.get(first)?;
    for key in rest {
        current = current.as_object()?.get(key)?;
    }
    Some(current)
}

/// Sets (or with `None` removes) the value at `keys` in `map`.
pub(crate) fn set(map: &mut Map<String, Value>, keys: &[String], value: Option<Value>) {
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut target = map;
    for key in parents {
        target = match target.get_mut(key) {
            Some(Value::Object(inner)) => inner,
            _ => return,
        };
    }
    match value {
        Some(v) => {
            target.insert(last.clone(), v);
        }
        None => {
            target.remove(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn matches_case_insensitively_and_keeps_the_stored_case() {
        let overrides = parse("app", [("APP__SYSTEMA__DATABASE__SMTPSERVER", "mail")]);
        let path: ConfigPath = "systemA/database".parse().unwrap();
        let mut map = obj(json!({"smtpServer": "old"}));
        let applied = apply(&overrides, "mem://", &path, &[], &mut map).unwrap();
        assert_eq!(map, obj(json!({"smtpServer": "mail"})));
        assert_eq!(applied[0].keys, ["smtpServer"]);
        assert_eq!(applied[0].stored, Some(json!("old")));
    }

    #[test]
    fn other_prefixes_and_short_names_are_ignored() {
        let o = parse(
            "APP",
            [
                ("OTHER__A__B__C", "1"),
                ("APP__LOG", "x"),
                ("APP__A__B", "y"),
            ],
        );
        assert!(o.is_empty());
    }

    #[test]
    fn nested_overrides_apply_after_their_parent() {
        let o = parse(
            "APP",
            [
                ("APP__NS__CFG__POOL__SIZE", "5"),
                ("APP__NS__CFG__POOL", r#"{"size": 1, "idle": 2}"#),
            ],
        );
        let path: ConfigPath = "ns/cfg".parse().unwrap();
        let mut map = Map::new();
        apply(&o, "mem://", &path, &["pool"], &mut map).unwrap();
        assert_eq!(map, obj(json!({"pool": {"size": "5", "idle": 2}})));
    }

    #[test]
    fn unknown_fields_are_errors_naming_the_variable() {
        let o = parse("APP", [("APP__NS__CFG__NOPE", "1")]);
        let path: ConfigPath = "ns/cfg".parse().unwrap();
        let err = apply(&o, "mem://", &path, &["port"], &mut Map::new()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("environment variable APP__NS__CFG__NOPE"),
            "{msg}"
        );
        assert!(msg.contains("cfg.nope"), "{msg}");
    }

    #[test]
    fn unchanged_compares_through_string_coercion() {
        assert!(unchanged(&json!(5433), &json!("5433")));
        assert!(unchanged(&json!(true), &json!("True")));
        assert!(!unchanged(&json!(5434), &json!("5433")));
    }
}
