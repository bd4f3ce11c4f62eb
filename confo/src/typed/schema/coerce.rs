//! The coercion transform: schemars' schema of a type's serde form, made
//! to take what confo's decoder takes.
//!
//! The decoder reads numbers and booleans stored as strings wherever
//! serde_json hands a value straight to the type, and not where serde
//! buffers the value first (untagged enums, the fields of internally
//! tagged enums, `flatten`). The transform walks the schema from its top
//! with that context: a scalar node reached where strings are read gets
//! the string forms (see [`super::scalar`]); one reached in a buffered
//! place gets only the keyword that keeps integers integers. A definition
//! reached in both kinds of place is kept twice: `Name` and
//! `Name_buffered`.
//!
//! Which places are buffered is read from the shapes schemars gives them:
//! an `anyOf` other than `Option`'s (`[T, {"type": "null"}]`) is an
//! untagged enum; a `oneOf` whose object branches all carry one tag
//! property (`{"const": ...}`) and other fields is internally tagged,
//! while one whose branches hold only the tag and one content key is
//! adjacently tagged (which the decoder reads tag first, coercing). A
//! `Secret<T>` (`writeOnly`) decodes its value itself, always coercing.
//! A flattened struct's members cannot be told from the others in
//! schemars' output: docs/typed.md ("Schemas") lists this limit.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::scalar::{Rule, KEYWORD};

/// The suffix of a definition's copy for buffered places.
pub(crate) const BUFFERED: &str = "_buffered";

/// `root` (a schemars root schema) with confo's coercions, its top level
/// an object.
pub(crate) fn with_coercions(mut root: Value) -> Value {
    let defs = match root.as_object_mut().and_then(|o| o.remove("$defs")) {
        Some(Value::Object(defs)) => defs,
        _ => Map::new(),
    };
    let mut walk = Walk {
        defs: &defs,
        queue: Vec::new(),
        seen: HashSet::new(),
    };
    let mut root = walk.node(root, true);
    let mut out = Map::new();
    while let Some((name, strings)) = walk.queue.pop() {
        let Some(def) = defs.get(&name) else { continue };
        let def = walk.node(def.clone(), strings);
        out.insert(def_name(&name, strings), def);
    }
    // Definitions in the order schemars gave them, the copies after.
    let mut ordered = Map::new();
    for name in defs.keys() {
        if let Some(d) = out.remove(name) {
            ordered.insert(name.clone(), d);
        }
    }
    for (name, d) in out {
        ordered.insert(name, d);
    }
    let obj = ensure_object(&mut root);
    if !ordered.is_empty() {
        obj.insert("$defs".into(), Value::Object(ordered));
    }
    object_at_top(root)
}

fn ensure_object(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = match v {
            Value::Bool(false) => serde_json::json!({ "not": {} }),
            _ => Value::Object(Map::new()),
        };
    }
    match v {
        Value::Object(o) => o,
        _ => unreachable!("made an object above"),
    }
}

/// A configuration is a JSON object: says so at the top, whatever `T` takes.
fn object_at_top(mut root: Value) -> Value {
    let obj = ensure_object(&mut root);
    match obj.get("type") {
        None => {
            obj.insert("type".into(), "object".into());
        }
        Some(Value::String(t)) if t == "object" => {}
        Some(_) => {
            // Another kind (or several): the object part of it, via allOf.
            let mut inner = std::mem::take(obj);
            let mut top = Map::new();
            for k in ["$schema", "$id", "title", "description", "$defs"] {
                if let Some(v) = inner.remove(k) {
                    top.insert(k.into(), v);
                }
            }
            top.insert("type".into(), "object".into());
            top.insert("allOf".into(), Value::Array(vec![Value::Object(inner)]));
            *obj = top;
        }
    }
    root
}

fn def_name(name: &str, strings: bool) -> String {
    if strings {
        name.to_owned()
    } else {
        format!("{name}{BUFFERED}")
    }
}

const DEFS: &str = "#/$defs/";

struct Walk<'a> {
    defs: &'a Map<String, Value>,
    queue: Vec<(String, bool)>,
    seen: HashSet<(String, bool)>,
}

impl Walk<'_> {
    /// One schema node, `strings`: whether the decoder reads strings for
    /// scalars here.
    fn node(&mut self, v: Value, strings: bool) -> Value {
        let Value::Object(mut obj) = v else {
            return v;
        };
        let strings = strings || obj.get("writeOnly") == Some(&Value::Bool(true));
        if let Some(Value::String(r)) = obj.get_mut("$ref") {
            if let Some(name) = r.strip_prefix(DEFS).map(unescape) {
                if self.defs.contains_key(&name) {
                    if self.seen.insert((name.clone(), strings)) {
                        self.queue.push((name.clone(), strings));
                    }
                    *r = format!("{DEFS}{}", escape(&def_name(&name, strings)));
                }
            }
        }
        if let Some(rule) = Rule::of_node(&obj, strings) {
            rule.publish_strings(&mut obj);
            obj.insert(KEYWORD.into(), rule.keyword());
        }
        for key in ["properties", "patternProperties", "dependentSchemas"] {
            if let Some(Value::Object(map)) = obj.get_mut(key) {
                for (_, sub) in map.iter_mut() {
                    *sub = self.node(sub.take(), strings);
                }
            }
        }
        for key in [
            "additionalProperties",
            "items",
            "additionalItems",
            "contains",
            "not",
            "if",
            "then",
            "else",
            "unevaluatedProperties",
            "unevaluatedItems",
        ] {
            if let Some(sub) = obj.get_mut(key) {
                *sub = self.node(sub.take(), strings);
            }
        }
        // Keys are strings, read as serde_json reads them: never coerced.
        if let Some(sub) = obj.get_mut("propertyNames") {
            *sub = self.node(sub.take(), false);
        }
        for key in ["prefixItems", "allOf"] {
            self.each(&mut obj, key, strings);
        }
        if let Some(Value::Array(branches)) = obj.get("anyOf") {
            let keep = strings && is_option(branches);
            self.each(&mut obj, "anyOf", keep);
        }
        if let Some(Value::Array(branches)) = obj.get("oneOf") {
            let keep = strings && !is_internally_tagged(branches);
            self.each(&mut obj, "oneOf", keep);
        }
        Value::Object(obj)
    }

    fn each(&mut self, obj: &mut Map<String, Value>, key: &str, strings: bool) {
        if let Some(Value::Array(items)) = obj.get_mut(key) {
            for sub in items.iter_mut() {
                *sub = self.node(sub.take(), strings);
            }
        }
    }
}

/// `~1` and `~0` of a JSON Pointer segment.
fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// `Option<T>` of a `T` with a schema of its own: `[T, {"type": "null"}]`.
fn is_option(branches: &[Value]) -> bool {
    let null = serde_json::json!({ "type": "null" });
    branches.len() == 2 && branches.iter().filter(|b| **b == null).count() == 1
}

/// A tag property every object branch holds as a string constant, and
/// requires.
fn tag_of(objects: &[&Map<String, Value>]) -> Option<String> {
    let first = objects.first()?;
    let props = first.get("properties")?.as_object()?;
    props
        .keys()
        .find(|p| {
            objects.iter().all(|o| {
                let constant = o
                    .get("properties")
                    .and_then(|ps| ps.get(p.as_str()))
                    .and_then(|s| s.get("const"))
                    .is_some_and(Value::is_string);
                let required = o
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|x| x == p.as_str()));
                constant && required
            })
        })
        .cloned()
}

/// A `oneOf` of an internally tagged enum: every branch an object with a
/// tag property, and not the adjacently tagged shape (the tag and one
/// content key, nothing else).
fn is_internally_tagged(branches: &[Value]) -> bool {
    let objects: Vec<&Map<String, Value>> = branches.iter().filter_map(Value::as_object).collect();
    if objects.len() != branches.len() {
        return false;
    }
    let Some(tag) = tag_of(&objects) else {
        return false;
    };
    let mut content: Option<&str> = None;
    for o in &objects {
        if o.contains_key("$ref") || o.contains_key("allOf") || o.contains_key("oneOf") {
            return true;
        }
        let Some(props) = o.get("properties").and_then(Value::as_object) else {
            return true;
        };
        for key in props.keys() {
            if *key == tag {
                continue;
            }
            match content {
                None => content = Some(key),
                Some(c) if c == key => {}
                Some(_) => return true,
            }
        }
    }
    false
}
