//! The error-collecting pass, run only when the fast path refused a
//! document: every failing field, with its path, and messages that never
//! show a stored value.
//!
//! The parsed value is decoded through [`ValueDe`] and
//! `serde_path_to_error` records where it fails. The place of the failure
//! is made exact (a mismatch serde reports at an object it buffered, a
//! `flatten` struct or an internally tagged enum, is traced to the member
//! holding the offending scalar), reported once, and then given
//! *candidates* until decoding gets past it: a placeholder (which
//! [`ValueDe`] turns into whatever is asked for), then values that types
//! with their own rules take (`1`, a URL, a UUID, an address...). A place
//! that takes none of them is removed from its object, so the other fields
//! of that object are still checked; when that object then misses it, the
//! object itself is removed from its own, and so on up. Failures at a place
//! the pass itself changed are never reported: they are the pass's own doing.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use serde_path_to_error::Segment;

use super::error::{DeError, Found};
use super::scrub::scrub;
use super::value::{ValueDe, PLACEHOLDER};
use crate::error::FieldError;

/// Most errors listed for one configuration.
pub(crate) const MAX_ERRORS: usize = 100;

/// Most decoding passes over documents of `len` bytes: the pass costs a
/// decoding each, so large documents get fewer.
fn max_passes(len: usize) -> usize {
    (64 * 1024 * 1024 / len.max(1)).clamp(8, 400)
}

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// The values tried, in order, at a place that failed.
fn candidates() -> [Value; 16] {
    [
        Value::String(PLACEHOLDER.to_owned()),
        json!(1),
        json!("http://placeholder.invalid/"),
        json!("00000000-0000-0000-0000-000000000000"),
        json!("0.0.0.0:0"),
        json!("0.0.0.0/0"),
        json!("0.0.0"),
        json!("1970-01-01T00:00:00Z"),
        json!("1970-01-01"),
        json!("0s"),
        json!("0.0.0.0"),
        json!("a"),
        json!(true),
        json!([]),
        json!({}),
        json!(null),
    ]
}

/// What the pass did at a place.
enum Touch {
    /// Candidate `n` is there now.
    Candidate(usize),
    /// The member is gone.
    Removed,
}

/// Every error of decoding `value` as `T`, paths from `root`. Empty when
/// this pass finds none (the fast path then explains its own refusal).
pub(crate) fn collect<T: DeserializeOwned>(
    value: &Value,
    root: &str,
    len: usize,
) -> Vec<FieldError> {
    let mut work = value.clone();
    let mut errors = Vec::new();
    let mut reported = HashSet::new();
    let mut touched: Vec<(Vec<Step>, Touch)> = Vec::new();
    let all = candidates();
    for _ in 0..max_passes(len) {
        let err = match serde_path_to_error::deserialize::<_, T>(ValueDe::new(&work)) {
            Ok(_) => break,
            Err(err) => err,
        };
        let segments: Vec<Segment> = err.path().iter().cloned().collect();
        let at = steps(&work, &segments);
        let inner = err.inner();
        let place = place_of(&work, at, inner, &touched);
        let touch = touched.iter_mut().find(|(p, _)| *p == place);
        let next = match touch {
            Some((_, Touch::Removed)) => {
                // Stuck: the member is required and takes nothing. Take out
                // the nearest enclosing object member instead: its parent
                // then goes on to its other members.
                let Some(outer) = enclosing(&place, &touched) else {
                    break;
                };
                if !remove(&mut work, &outer) {
                    break;
                }
                touched.push((outer, Touch::Removed));
                continue;
            }
            Some((_, Touch::Candidate(n))) => {
                *n += 1;
                *n
            }
            None => {
                if errors.len() >= MAX_ERRORS {
                    break;
                }
                if reported.insert(place.clone()) {
                    let stored = get(value, &place).unwrap_or(&Value::Null);
                    errors.push(describe(root, &place, inner, stored));
                }
                if !can_replace(&work, &place, inner) {
                    break;
                }
                touched.push((place.clone(), Touch::Candidate(0)));
                0
            }
        };
        let done = match all.get(next) {
            Some(candidate) => set(&mut work, &place, candidate.clone()),
            None => {
                let removed = remove(&mut work, &place);
                if let Some((_, t)) = touched.iter_mut().find(|(p, _)| *p == place) {
                    *t = Touch::Removed;
                }
                removed
            }
        };
        if !done {
            break;
        }
    }
    errors
}

/// The nearest object member enclosing `place` that the pass has not taken out.
fn enclosing(place: &[Step], touched: &[(Vec<Step>, Touch)]) -> Option<Vec<Step>> {
    (1..place.len())
        .rev()
        .map(|n| &place[..n])
        .find_map(|outer| {
            let removed = touched
                .iter()
                .any(|(p, t)| p.as_slice() == outer && matches!(t, Touch::Removed));
            (matches!(outer.last(), Some(Step::Key(_))) && !removed).then(|| outer.to_vec())
        })
}

/// The steps `segments` take in `value` (an enum's variant is a step only
/// where it is an object's key).
pub(crate) fn steps(value: &Value, segments: &[Segment]) -> Vec<Step> {
    let mut out = Vec::new();
    let mut current = Some(value);
    for segment in segments {
        let step = match segment {
            Segment::Seq { index } => Step::Index(*index),
            Segment::Map { key } => Step::Key(key.clone()),
            Segment::Enum { variant } => match current {
                Some(Value::Object(map)) if map.contains_key(variant) => Step::Key(variant.clone()),
                _ => continue,
            },
            Segment::Unknown => break,
        };
        current = current.and_then(|v| child(v, &step));
        out.push(step);
    }
    out
}

fn child<'a>(value: &'a Value, step: &Step) -> Option<&'a Value> {
    match (step, value) {
        (Step::Key(k), Value::Object(map)) => map.get(k),
        (Step::Index(i), Value::Array(items)) => items.get(*i),
        _ => None,
    }
}

pub(crate) fn get<'a>(value: &'a Value, place: &[Step]) -> Option<&'a Value> {
    place.iter().try_fold(value, |v, step| child(v, step))
}

fn get_mut<'a>(mut value: &'a mut Value, place: &[Step]) -> Option<&'a mut Value> {
    for step in place {
        value = match (step, value) {
            (Step::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Where the failure is: the member a missing or unknown field names, or
/// the member of a buffered object holding the scalar a mismatch is about.
fn place_of(
    work: &Value,
    mut at: Vec<Step>,
    err: &DeError,
    touched: &[(Vec<Step>, Touch)],
) -> Vec<Step> {
    match err {
        DeError::Missing(field) | DeError::Unknown { field, .. } => {
            if at.last() != Some(&Step::Key(field.clone())) {
                at.push(Step::Key(field.clone()));
            }
            at
        }
        DeError::Mismatch { found, message } => {
            let Some(Value::Object(map)) = get(work, &at) else {
                return at;
            };
            if message.ends_with("found an object") {
                return at;
            }
            let free = |k: &String| {
                let mut p = at.clone();
                p.push(Step::Key(k.clone()));
                !touched.iter().any(|(t, _)| *t == p)
            };
            // An untouched member first; else one the pass filled in.
            let hit = map
                .iter()
                .find(|(k, v)| free(k) && holds(v, found, message))
                .or_else(|| map.iter().find(|(_, v)| holds(v, found, message)))
                .map(|(k, _)| k.clone());
            if let Some(k) = hit {
                at.push(Step::Key(k));
            }
            at
        }
        DeError::Custom(_) => at,
    }
}

/// Whether `v` is the scalar (or the kind) a mismatch reports.
fn holds(v: &Value, found: &Found, message: &str) -> bool {
    match (found, v) {
        (Found::Str(s), Value::String(t)) => s == t,
        (Found::Bool(b), Value::Bool(c)) => b == c,
        (Found::Unsigned(n), Value::Number(m)) => m.as_u64() == Some(*n),
        (Found::Signed(n), Value::Number(m)) => m.as_i64() == Some(*n),
        (Found::Float(n), Value::Number(m)) => m.as_f64() == Some(*n),
        (Found::Unit, Value::Null) => true,
        (Found::Other, Value::Array(_)) => message.ends_with("found an array"),
        _ => false,
    }
}

/// Whether the pass may put candidates at `place`: not where an object or
/// array stands for a failure inside it (serde buffered it, and replacing
/// the whole of it would invent errors about its parts).
fn can_replace(work: &Value, place: &[Step], err: &DeError) -> bool {
    match (err, get(work, place)) {
        (DeError::Missing(_), None) => true,
        (DeError::Unknown { .. }, Some(_)) => true,
        (DeError::Missing(_) | DeError::Unknown { .. }, _) => false,
        // (A secret's errors come as messages: they say the kind too.)
        (DeError::Mismatch { message, .. } | DeError::Custom(message), Some(Value::Object(_))) => {
            message.ends_with("found an object")
        }
        (DeError::Mismatch { message, .. } | DeError::Custom(message), Some(Value::Array(_))) => {
            message.ends_with("found an array") || message.ends_with(" elements")
        }
        (_, Some(_)) => true,
        (_, None) => false,
    }
}

/// Puts `new` at `place` (adding the member if its object lacks it).
fn set(work: &mut Value, place: &[Step], new: Value) -> bool {
    let Some((last, parent)) = place.split_last() else {
        return false;
    };
    match (last, get_mut(work, parent)) {
        (Step::Key(k), Some(Value::Object(map))) => {
            map.insert(k.clone(), new);
            true
        }
        (Step::Index(i), Some(Value::Array(items))) if *i < items.len() => {
            items[*i] = new;
            true
        }
        _ => false,
    }
}

fn remove(work: &mut Value, place: &[Step]) -> bool {
    let Some((Step::Key(k), parent)) = place.split_last() else {
        return false;
    };
    match get_mut(work, parent) {
        Some(Value::Object(map)) => map.shift_remove(k).is_some(),
        _ => false,
    }
}

/// `root.a.b[2].c`, the way a user finds the field in the JSON.
pub(crate) fn render(root: &str, place: &[Step]) -> String {
    let mut out = root.to_owned();
    for step in place {
        match step {
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
        }
    }
    out
}

fn describe(root: &str, place: &[Step], err: &DeError, stored: &Value) -> FieldError {
    let message = match err {
        DeError::Missing(_) => {
            "missing; this field is required (or make it an Option, or #[serde(default)])"
                .to_owned()
        }
        DeError::Unknown { expected, .. } => format!("unknown field, expected {expected}"),
        DeError::Mismatch { message, .. } => message.clone(),
        DeError::Custom(message) => scrub(message, stored),
    };
    FieldError {
        field: render(root, place),
        message,
    }
}
