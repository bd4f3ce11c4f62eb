//! The fixed set of types the differential test decodes: serde's
//! container, field and variant attributes, std types, and the crates
//! configuration structs commonly hold. Each comes with valid seed
//! documents that the mutations start from.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::{NonZeroU16, NonZeroU64};
use std::path::PathBuf;
use std::time::Duration;

use confo::{Confo, Secret};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::run::{compare, Side, Verdict};

/// One type under test.
pub struct Case {
    pub name: &'static str,
    pub seeds: fn() -> Vec<Value>,
    /// Keys the `Add` mutation may use.
    pub keys: &'static [&'static str],
    /// Every scalar of a valid document reaches a typed request (nothing
    /// buffered by serde, no `deserialize_any`), so numbers and booleans
    /// stored as strings must decode as the numbers and booleans would.
    pub coerces: bool,
    /// The value does not depend on the order of object keys.
    pub order_free: bool,
    pub run: fn(Side, &[u8], Side, &[u8]) -> Verdict,
}

macro_rules! case {
    ($ty:ty, $keys:expr, coerces = $c:expr, order_free = $o:expr, $($seed:tt)*) => {
        Case {
            name: stringify!($ty),
            seeds: || vec![$(json!($seed)),*],
            keys: $keys,
            coerces: $c,
            order_free: $o,
            run: compare::<$ty>,
        }
    };
}

// ---- std scalars and containers ---------------------------------------

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Scalars {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: i8,
    f: i64,
    g: f32,
    h: f64,
    i: bool,
    j: char,
    k: String,
    l: Option<u16>,
    m: u128,
    n: i128,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Sequences {
    tuple: (u8, String),
    array: [u16; 3],
    vec: Vec<u8>,
    deque: VecDeque<i32>,
    set: BTreeSet<u8>,
    hash_set: HashSet<String>,
    pair: Pair,
    unit: (),
    unit_struct: UnitStruct,
}

#[derive(Deserialize, Debug, PartialEq)]
pub struct Pair(u8, u8);

#[derive(Deserialize, Debug, PartialEq)]
pub struct UnitStruct;

#[derive(Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(u16);

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Maps {
    by_port: HashMap<u16, String>,
    by_offset: BTreeMap<i64, u8>,
    by_flag: BTreeMap<bool, u8>,
    by_newtype: BTreeMap<Port, String>,
    by_char: BTreeMap<char, u8>,
    plain: BTreeMap<String, Vec<u8>>,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct StdTypes {
    duration: Duration,
    path: PathBuf,
    ip: IpAddr,
    v4: Ipv4Addr,
    socket: SocketAddr,
    non_zero: NonZeroU16,
    non_zero_big: Option<NonZeroU64>,
    boxed: Box<str>,
    boxed_num: Box<u16>,
    shared: Box<[u8]>,
    wrapping: std::num::Wrapping<u8>,
    range: std::ops::Range<u8>,
    nested_option: Option<Option<u8>>,
    cow: std::borrow::Cow<'static, str>,
}

// ---- enums --------------------------------------------------------------

#[derive(Deserialize, Debug, PartialEq)]
pub enum External {
    Unit,
    New(u16),
    Tup(u8, u8),
    Rec {
        a: u8,
        b: bool,
    },
    #[serde(rename = "renamed", alias = "aka")]
    Renamed,
    #[serde(skip_deserializing)]
    Skipped,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(tag = "type")]
pub enum Internal {
    A { port: u16 },
    B(Inner),
    C,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(tag = "t", content = "c")]
pub enum Adjacent {
    A(u16),
    B { x: u8, on: bool },
    C,
    T(u8, u8),
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(untagged)]
pub enum Untagged {
    Num(u16),
    Text(String),
    Rec { a: u8 },
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Postgres,
    Mysql,
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Debug, PartialEq)]
pub struct Inner {
    x: u8,
    #[serde(default)]
    y: Option<String>,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Enums {
    external: Vec<External>,
    vendor: Vendor,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct InternalCfg {
    v: Internal,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct AdjacentCfg {
    v: Adjacent,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct UntaggedCfg {
    v: Vec<Untagged>,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "snake_case", rename_all_fields = "camelCase")]
#[serde(expecting = "a mode")]
pub enum Mode {
    Plain,
    WithFields {
        max_size: u32,
        #[serde(default)]
        read_only: bool,
    },
    #[serde(untagged)]
    Fallback(u16),
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum StrictTagged {
    On { level: u8 },
    Off,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Generic<T> {
    value: T,
    list: Vec<T>,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Variants {
    modes: Vec<Mode>,
    strict: StrictTagged,
    generic: Generic<i16>,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct MoreStd {
    v6: std::net::Ipv6Addr,
    time: std::time::SystemTime,
    result: Result<u8, String>,
    bound: std::ops::Bound<u8>,
    reverse: std::cmp::Reverse<i8>,
    options: HashMap<String, Option<u8>>,
    inclusive: std::ops::RangeInclusive<u16>,
}

// ---- field and container attributes -----------------------------------

fn seven() -> u32 {
    7
}

/// A `deserialize_with` whose message quotes the value it refuses.
fn loud_port<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let s = String::deserialize(d)?;
    s.strip_prefix("port-")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| de::Error::custom(format!("bad port {s:?}")))
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
#[serde(rename_all = "camelCase")]
pub struct Attributes {
    #[serde(rename = "HOST")]
    host: String,
    #[serde(alias = "p", alias = "prt")]
    port_number: u16,
    #[serde(default)]
    retries: u8,
    #[serde(default = "seven")]
    timeout: u32,
    #[serde(skip)]
    skipped: u8,
    #[serde(skip_deserializing)]
    not_read: String,
    #[serde(deserialize_with = "loud_port")]
    custom: u16,
    #[serde(with = "humantime_serde")]
    every: Duration,
    #[serde(with = "humantime_serde", default)]
    maybe_every: Option<Duration>,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
#[serde(deny_unknown_fields)]
pub struct Strict {
    a: u8,
    b: Option<String>,
    inner: StrictInner,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StrictInner {
    x: bool,
}

#[derive(Deserialize, Debug, PartialEq, Default)]
#[serde(default)]
pub struct Defaulted {
    a: u8,
    b: String,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(transparent)]
pub struct Transparent {
    inner: u16,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(try_from = "String")]
pub struct Even(String);

impl TryFrom<String> for Even {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.len().is_multiple_of(2) {
            Ok(Even(s))
        } else {
            Err(format!("odd length: {s}"))
        }
    }
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(from = "u8")]
pub struct Doubled(u16);

impl From<u8> for Doubled {
    fn from(n: u8) -> Self {
        Doubled(u16::from(n) * 2)
    }
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(tag = "kind")]
pub struct TaggedStruct {
    a: u8,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Containers {
    defaulted: Defaulted,
    transparent: Transparent,
    even: Even,
    doubled: Doubled,
    #[serde(default)]
    tagged: Option<TaggedStruct>,
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Flattened {
    name: String,
    #[serde(flatten)]
    pool: Pool,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Deserialize, Debug, PartialEq)]
pub struct Pool {
    size: u32,
    #[serde(default)]
    idle: Option<u32>,
}

// ---- the ecosystem ----------------------------------------------------

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Ecosystem {
    url: url::Url,
    id: uuid::Uuid,
    at: chrono::DateTime<chrono::Utc>,
    day: chrono::NaiveDate,
    version: semver::Version,
    req: semver::VersionReq,
    net: ipnet::IpNet,
    size: bytesize::ByteSize,
}

// ---- JSON, secrets, hand-written impls --------------------------------

/// Raw JSON compared by its text.
#[derive(Debug)]
pub struct Raw(Box<RawValue>);

impl PartialEq for Raw {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(Raw)
    }
}

/// Asks for a string, and would take a number if it were given one.
#[derive(Debug, PartialEq)]
pub struct StrOrNumber(String);

impl<'de> Deserialize<'de> for StrOrNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StrOrNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<StrOrNumber, E> {
                Ok(StrOrNumber(s.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<StrOrNumber, E> {
                Ok(StrOrNumber(format!("#{n}")))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<StrOrNumber, E> {
                Ok(StrOrNumber(format!("?{b}")))
            }
        }
        d.deserialize_str(V)
    }
}

/// Asks for a u64, and would take a sequence if it were given one.
#[derive(Debug, PartialEq)]
pub struct NumberOrList(u64);

impl<'de> Deserialize<'de> for NumberOrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumberOrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a count")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<NumberOrList, E> {
                Ok(NumberOrList(n))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<NumberOrList, A::Error> {
                let mut n = 0;
                while seq.next_element::<de::IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(NumberOrList(n))
            }
        }
        d.deserialize_u64(V)
    }
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Dynamic {
    any: Value,
    raw: Raw,
    name: StrOrNumber,
    count: NumberOrList,
    password: Secret<String>,
    pin: Option<Secret<u32>>,
}

/// A configuration the size services have: what the benchmark decodes too.
#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
pub struct Database {
    host: String,
    port: u16,
    user: String,
    password: Secret<String>,
    vendor: Vendor,
    pool: Pool,
}

pub fn cases() -> Vec<Case> {
    vec![
        case!(Scalars, &["a", "b", "g", "l", "m"], coerces = true, order_free = true,
            {"a": 1, "b": 300, "c": 70000, "d": 18446744073709551615u64, "e": -5, "f": -9,
             "g": 1.5, "h": 0.25, "i": true, "j": "x", "k": "text", "l": null,
             "m": 7, "n": -7}
            {"a": 255, "b": 0, "c": 0, "d": 0, "e": 127, "f": 0, "g": 0, "h": -1e10,
             "i": false, "j": "é", "k": "", "l": 65535, "m": 0, "n": 0}
        ),
        case!(Sequences, &["tuple", "array", "pair", "unit"], coerces = true, order_free = true,
            {"tuple": [1, "a"], "array": [1, 2, 3], "vec": [], "deque": [-1, 2],
             "set": [3, 1], "hash_set": ["a", "b"], "pair": [4, 5], "unit": null,
             "unit_struct": null}
        ),
        case!(Maps, &["by_port", "by_flag"], coerces = true, order_free = true,
            {"by_port": {"80": "http", "443": "https"}, "by_offset": {"-1": 1, "5": 2},
             "by_flag": {"true": 1, "false": 0}, "by_newtype": {"22": "ssh"},
             "by_char": {"a": 1}, "plain": {"x": [1, 2]}}
            {"by_port": {}, "by_offset": {}, "by_flag": {}, "by_newtype": {},
             "by_char": {}, "plain": {}}
        ),
        case!(StdTypes, &["duration", "socket", "non_zero"], coerces = true, order_free = true,
            {"duration": {"secs": 5, "nanos": 10}, "path": "/etc/x", "ip": "::1",
             "v4": "127.0.0.2", "socket": "127.0.0.1:8080", "non_zero": 3,
             "non_zero_big": 9, "boxed": "b", "boxed_num": 4, "shared": [1, 2],
             "wrapping": 255, "range": {"start": 1, "end": 4}, "nested_option": 5,
             "cow": "c"}
        ),
        case!(Enums, &["external", "vendor"], coerces = true, order_free = true,
            {"external": ["Unit", {"New": 5}, {"Tup": [1, 2]}, {"Rec": {"a": 1, "b": true}},
                         "renamed", "aka"],
             "vendor": "postgres"}
            {"external": [], "vendor": "oracle"}
        ),
        case!(InternalCfg, &["v", "type"], coerces = false, order_free = true,
            {"v": {"type": "A", "port": 5}}
            {"v": {"x": 1, "type": "B"}}
            {"v": {"type": "C"}}
        ),
        case!(AdjacentCfg, &["v", "t", "c"], coerces = true, order_free = true,
            {"v": {"t": "A", "c": 5}}
            {"v": {"c": 5, "t": "A"}}
            {"v": {"c": {"x": 1, "on": false}, "t": "B"}}
            {"v": {"t": "B", "c": {"x": 1, "on": true}}}
            {"v": {"t": "C"}}
            {"v": {"c": [1, 2], "t": "T"}}
        ),
        case!(UntaggedCfg, &["v"], coerces = false, order_free = true,
            {"v": [5, "a", {"a": 1}]}
        ),
        case!(Attributes, &["HOST", "p", "prt", "portNumber", "skipped", "notRead"],
            coerces = false, order_free = true,
            {"HOST": "h", "portNumber": 5, "custom": "port-80", "every": "5s"}
            {"HOST": "h", "p": 5, "retries": 2, "timeout": 9, "custom": "port-1",
             "every": "1h 30m", "maybeEvery": "2s"}
        ),
        case!(Strict, &["a", "b", "inner", "x"], coerces = true, order_free = true,
            {"a": 1, "inner": {"x": true}}
            {"a": 1, "b": "s", "inner": {"x": false}}
        ),
        case!(Containers, &["defaulted", "tagged", "kind"], coerces = false, order_free = true,
            {"defaulted": {}, "transparent": 5, "even": "ab", "doubled": 4}
            {"defaulted": {"a": 1, "b": "x"}, "transparent": 0, "even": "",
             "doubled": 255, "tagged": {"kind": "TaggedStruct", "a": 1}}
        ),
        case!(Flattened, &["name", "size", "idle", "extra"], coerces = false, order_free = true,
            {"name": "n", "size": 4}
            {"name": "n", "size": 4, "idle": 1, "extra": [1]}
        ),
        case!(Ecosystem, &["url", "id", "size"], coerces = false, order_free = true,
            {"url": "http://example.com/a?b=c", "id": "550e8400-e29b-41d4-a716-446655440000",
             "at": "2020-01-02T03:04:05Z", "day": "2020-01-02", "version": "1.2.3",
             "req": "^1.2", "net": "127.0.0.0/8", "size": "1KiB"}
            {"url": "file:///tmp/x", "id": "550e8400e29b41d4a716446655440000",
             "at": "2020-01-02T03:04:05+02:00", "day": "1999-12-31", "version": "0.0.1-rc.1",
             "req": "*", "net": "::1/128", "size": 1024}
        ),
        case!(Dynamic, &["any", "raw", "name", "count", "pin"], coerces = false, order_free = false,
            {"any": {"a": [1, null]}, "raw": {"x": 1.50}, "name": "n", "count": 3,
             "password": "pw", "pin": 1234}
            {"any": null, "raw": [1, 2], "name": "n", "count": 0, "password": "pw"}
        ),
        case!(Variants, &["modes", "kind", "level", "maxSize", "value"], coerces = false, order_free = true,
            {"modes": ["plain", {"with_fields": {"maxSize": 5}}, 7,
                       {"with_fields": {"maxSize": 1, "readOnly": true}}],
             "strict": {"kind": "On", "level": 3}, "generic": {"value": -2, "list": [1, 2]}}
            {"modes": [], "strict": {"kind": "Off"}, "generic": {"value": 0, "list": []}}
        ),
        case!(MoreStd, &["v6", "time", "result", "bound"], coerces = true, order_free = true,
            {"v6": "::1", "time": {"secs_since_epoch": 5, "nanos_since_epoch": 0},
             "result": {"Ok": 5}, "bound": {"Included": 3}, "reverse": -1,
             "options": {"a": null, "b": 2}, "inclusive": {"start": 1, "end": 9}}
            {"v6": "fe80::1", "time": {"secs_since_epoch": 0, "nanos_since_epoch": 7},
             "result": {"Err": "e"}, "bound": "Unbounded", "reverse": 0,
             "options": {}, "inclusive": {"start": 9, "end": 1}}
        ),
        case!(Database, &["host", "port", "pool", "size"], coerces = true, order_free = true,
            {"host": "db", "port": 5432, "user": "app", "password": "pw",
             "vendor": "postgres", "pool": {"size": 4}}
        ),
    ]
}
