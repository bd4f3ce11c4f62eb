//! Generated JSON documents: a tree that keeps what `serde_json::Value`
//! loses (duplicate keys, number lexemes), rendered to the bytes both
//! decoders read, and the mutations that turn a valid seed into a near miss.

use proptest::prelude::*;
use serde_json::Value;

/// A JSON document as written: numbers as their text, objects as entry lists.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Doc>),
    Obj(Vec<(String, Doc)>),
}

impl Doc {
    pub fn from_value(value: &Value) -> Doc {
        match value {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(*b),
            Value::Number(n) => Doc::Num(n.to_string()),
            Value::String(s) => Doc::Str(s.clone()),
            Value::Array(items) => Doc::Arr(items.iter().map(Doc::from_value).collect()),
            Value::Object(map) => Doc::Obj(
                map.iter()
                    .map(|(k, v)| (k.clone(), Doc::from_value(v)))
                    .collect(),
            ),
        }
    }

    pub fn render(&self) -> Vec<u8> {
        let mut out = String::new();
        self.write(&mut out);
        out.into_bytes()
    }

    fn write(&self, out: &mut String) {
        match self {
            Doc::Null => out.push_str("null"),
            Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Doc::Num(n) => out.push_str(n),
            Doc::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
            Doc::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Doc::Obj(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Whether some string in the document is one that confo's documented
    /// coercion turns into a number or a boolean.
    pub fn has_coercible_string(&self) -> bool {
        match self {
            Doc::Str(s) => coercible(s),
            Doc::Arr(items) => items.iter().any(Doc::has_coercible_string),
            Doc::Obj(entries) => entries.iter().any(|(_, v)| v.has_coercible_string()),
            _ => false,
        }
    }

    pub fn has_duplicate_keys(&self) -> bool {
        match self {
            Doc::Arr(items) => items.iter().any(Doc::has_duplicate_keys),
            Doc::Obj(entries) => {
                let mut keys: Vec<&String> = entries.iter().map(|(k, _)| k).collect();
                keys.sort();
                keys.windows(2).any(|w| w[0] == w[1])
                    || entries.iter().any(|(_, v)| v.has_duplicate_keys())
            }
            _ => false,
        }
    }

    /// Every node, depth first, as a path of child indices.
    fn paths(&self, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        out.push(here.clone());
        let children: Vec<&Doc> = match self {
            Doc::Arr(items) => items.iter().collect(),
            Doc::Obj(entries) => entries.iter().map(|(_, v)| v).collect(),
            _ => Vec::new(),
        };
        for (i, child) in children.into_iter().enumerate() {
            here.push(i);
            child.paths(here, out);
            here.pop();
        }
    }

    fn at(&mut self, path: &[usize]) -> &mut Doc {
        match path.split_first() {
            None => self,
            Some((i, rest)) => match self {
                Doc::Arr(items) => items[*i].at(rest),
                Doc::Obj(entries) => entries[*i].1.at(rest),
                _ => unreachable!("paths only name existing nodes"),
            },
        }
    }

    /// The node that `pick` chooses among every node of the document.
    pub fn pick(&mut self, pick: usize) -> &mut Doc {
        let mut all = Vec::new();
        self.paths(&mut Vec::new(), &mut all);
        let path = all[pick % all.len()].clone();
        self.at(&path)
    }

    /// Every number and boolean replaced by its text (`5` -> `"5"`), where
    /// `choose` says so.
    pub fn stringify(&mut self, choose: &mut impl FnMut() -> bool) {
        match self {
            Doc::Num(n) if choose() => *self = Doc::Str(n.clone()),
            Doc::Bool(b) if choose() => *self = Doc::Str(b.to_string()),
            Doc::Arr(items) => items.iter_mut().for_each(|i| i.stringify(choose)),
            Doc::Obj(entries) => entries.iter_mut().for_each(|(_, v)| v.stringify(choose)),
            _ => {}
        }
    }

    /// The entries of every object in reverse order.
    pub fn reversed(&self) -> Doc {
        match self {
            Doc::Arr(items) => Doc::Arr(items.iter().map(Doc::reversed).collect()),
            Doc::Obj(entries) => Doc::Obj(
                entries
                    .iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), v.reversed()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The strings confo's coercion reads as numbers or booleans.
pub fn coercible(s: &str) -> bool {
    matches!(s, "true" | "false" | "True" | "False")
        || s.parse::<f64>().is_ok()
        || s.parse::<i128>().is_ok()
        || s.parse::<u128>().is_ok()
}

/// Number lexemes, including those `Value` cannot hold.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "7",
    "-1",
    "-0",
    "255",
    "256",
    "300",
    "65535",
    "65536",
    "-129",
    "1.5",
    "0.25",
    "1.0",
    "1e2",
    "-2.5e-3",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211455",
    "-170141183460469231731687303715884105728",
    "1e400",
];

/// Strings that are no number nor boolean, many of them valid for some type.
const WORDS: &[&str] = &[
    "",
    "a",
    "x",
    "hello",
    "A",
    "B",
    "C",
    "Unit",
    "New",
    "Tup",
    "Rec",
    "unit",
    "new",
    "postgres",
    "mysql",
    "other",
    "kind",
    "type",
    "t",
    "c",
    "v",
    "port",
    "host",
    "http://example.com/a?b=c",
    "not a url",
    "550e8400-e29b-41d4-a716-446655440000",
    "550e8400e29b41d4a716446655440000",
    "1.2.3",
    "^1.2",
    "127.0.0.0/8",
    "::1/128",
    "127.0.0.1",
    "127.0.0.1:8080",
    "[::1]:80",
    "5s",
    "1h 30m",
    "1KiB",
    "2 MB",
    "2020-01-02T03:04:05Z",
    "2020-01-02",
    "é😀",
    "tab\there",
];

/// Strings confo coerces.
const COERCIBLE: &[&str] = &[
    "5",
    "-1",
    "300",
    "1.5",
    "true",
    "True",
    "false",
    "False",
    "1e3",
    "+7",
    "007",
    "NaN",
    "inf",
    "340282366920938463463374607431768211455",
    "18446744073709551616",
];

pub fn leaf(coerce: bool) -> BoxedStrategy<Doc> {
    let mut options = vec![
        Just(Doc::Null).boxed(),
        any::<bool>().prop_map(Doc::Bool).boxed(),
        proptest::sample::select(NUMBERS)
            .prop_map(|n| Doc::Num(n.to_owned()))
            .boxed(),
        proptest::sample::select(WORDS)
            .prop_map(|s| Doc::Str(s.to_owned()))
            .boxed(),
        "[a-z]{0,6}".prop_map(Doc::Str).boxed(),
    ];
    if coerce {
        options.push(
            proptest::sample::select(COERCIBLE)
                .prop_map(|s| Doc::Str(s.to_owned()))
                .boxed(),
        );
    }
    proptest::strategy::Union::new(options).boxed()
}

/// Any small document.
pub fn any_doc(coerce: bool) -> BoxedStrategy<Doc> {
    leaf(coerce)
        .prop_recursive(3, 12, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Doc::Arr),
                proptest::collection::vec(
                    (
                        prop_oneof![
                            proptest::sample::select(WORDS).prop_map(str::to_owned),
                            proptest::sample::select(COERCIBLE).prop_map(str::to_owned),
                            "[a-z]{1,4}"
                        ],
                        inner
                    ),
                    0..4
                )
                .prop_map(Doc::Obj),
            ]
        })
        .boxed()
}

/// One change to a document.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// The node becomes another document.
    Replace(usize, Doc),
    /// An object loses an entry, an array an element.
    Remove(usize, usize),
    /// An object gains an entry (the key may be one it has), an array an element.
    Add(usize, String, Doc),
    /// The node goes into an array of one (or an object's values become an array).
    Wrap(usize),
    /// Numbers and booleans become strings.
    Stringify(usize),
    /// An object's entries in reverse order.
    Reverse(usize),
}

pub fn mutation(coerce: bool, keys: &'static [&'static str]) -> BoxedStrategy<Mutation> {
    let key = prop_oneof![
        proptest::sample::select(keys).prop_map(str::to_owned),
        proptest::sample::select(WORDS).prop_map(str::to_owned),
    ];
    prop_oneof![
        3 => (any::<usize>(), any_doc(coerce)).prop_map(|(p, d)| Mutation::Replace(p, d)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(p, i)| Mutation::Remove(p, i)),
        2 => (any::<usize>(), key, any_doc(coerce)).prop_map(|(p, k, d)| Mutation::Add(p, k, d)),
        1 => any::<usize>().prop_map(Mutation::Wrap),
        if coerce { 2 } else { 0 } => any::<usize>().prop_map(Mutation::Stringify),
        1 => any::<usize>().prop_map(Mutation::Reverse),
    ]
    .boxed()
}

impl Mutation {
    pub fn apply(&self, doc: &mut Doc) {
        match self {
            Mutation::Replace(p, new) => *doc.pick(*p) = new.clone(),
            Mutation::Remove(p, i) => match doc.pick(*p) {
                Doc::Arr(items) if !items.is_empty() => {
                    let n = items.len();
                    items.remove(i % n);
                }
                Doc::Obj(entries) if !entries.is_empty() => {
                    let n = entries.len();
                    entries.remove(i % n);
                }
                _ => {}
            },
            Mutation::Add(p, key, new) => match doc.pick(*p) {
                Doc::Arr(items) => items.push(new.clone()),
                Doc::Obj(entries) => entries.push((key.clone(), new.clone())),
                _ => {}
            },
            Mutation::Wrap(p) => {
                let node = doc.pick(*p);
                *node = match node.clone() {
                    Doc::Obj(entries) => Doc::Arr(entries.into_iter().map(|(_, v)| v).collect()),
                    other => Doc::Arr(vec![other]),
                };
            }
            Mutation::Stringify(p) => doc.pick(*p).stringify(&mut || true),
            Mutation::Reverse(p) => {
                let node = doc.pick(*p);
                *node = node.reversed();
            }
        }
    }
}
