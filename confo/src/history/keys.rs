//! Which keys a write changed: dotted paths of the members that differ.

use serde_json::Value;

/// The keys that differ between `old` and `new`, dotted (`pool.size`),
/// sorted: a member added, removed or changed; objects are compared member
/// by member, anything else as a whole. Empty when nothing changed; `[""]`
/// (the whole value) when either is not a JSON object. Names only, never
/// values, so it can be shown for a secret.
///
/// ```
/// let old = br#"{"host":"db","pool":{"size":5,"idle":1}}"#;
/// let new = br#"{"host":"db","pool":{"size":8,"idle":1},"tls":true}"#;
/// assert_eq!(confo::changed_keys(Some(old), new), ["pool.size", "tls"]);
/// assert_eq!(confo::changed_keys(None, br#"{"a":1}"#), ["a"]);
/// ```
pub fn changed_keys(old: Option<&[u8]>, new: &[u8]) -> Vec<String> {
    let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).ok();
    let new = parse(new);
    let old = match old {
        Some(b) => parse(b),
        None => Some(Value::Object(Default::default())),
    };
    let mut out = Vec::new();
    match (&old, &new) {
        (Some(Value::Object(_)), Some(Value::Object(_))) => {
            diff(old.as_ref(), new.as_ref(), &mut String::new(), &mut out)
        }
        _ if old == new => {}
        _ => out.push(String::new()),
    }
    out.sort();
    out
}

fn diff(old: Option<&Value>, new: Option<&Value>, at: &mut String, out: &mut Vec<String>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(key);
                diff(a.get(key), b.get(key), at, out);
                at.truncate(len);
            }
        }
        (a, b) if a == b => {}
        _ => out.push(at.clone()),
    }
}
