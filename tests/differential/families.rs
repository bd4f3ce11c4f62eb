//! The families of documents where confo's first decoder (a deserializer
//! over `serde_json::Value` with placeholders) disagreed with serde_json,
//! one test each.

use std::collections::{BTreeMap, HashMap};

use confo::Confo;
use serde::Deserialize;

use crate::run::{compare, Side};
use crate::types::{AdjacentCfg, Dynamic, Ecosystem, Maps, Sequences};

/// confo and serde_json agree on `json`: the same value, or both refuse.
#[track_caller]
fn agree<T: confo::Config + std::fmt::Debug + PartialEq>(json: &str) -> bool {
    let v = compare::<T>(Side::Serde, json.as_bytes(), Side::Confo, json.as_bytes());
    assert_eq!(
        v.left.ok, v.right.ok,
        "{json}\nserde_json: {}\nconfo:      {}",
        v.left.shown, v.right.shown
    );
    if v.left.ok {
        assert!(
            v.equal,
            "{json}\nserde_json: {}\nconfo:      {}",
            v.left.shown, v.right.shown
        );
    }
    v.left.ok
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
struct Tuples {
    tuple: (u8, u8),
    array: [u8; 2],
    pair: Pair,
    variant: Shape,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Pair(u8, u8);

#[derive(Deserialize, Debug, PartialEq)]
enum Shape {
    Tup(u8, u8),
    Rec { a: u8, b: u8 },
}

#[test]
fn sequences_longer_than_the_type_takes_are_refused() {
    let ok = r#"{"tuple":[1,2],"array":[1,2],"pair":[1,2],"variant":{"Tup":[1,2]}}"#;
    assert!(agree::<Tuples>(ok));
    for long in [
        r#"{"tuple":[1,2,3],"array":[1,2],"pair":[1,2],"variant":{"Tup":[1,2]}}"#,
        r#"{"tuple":[1,2],"array":[1,2,3],"pair":[1,2],"variant":{"Tup":[1,2]}}"#,
        r#"{"tuple":[1,2],"array":[1,2],"pair":[1,2,3],"variant":{"Tup":[1,2]}}"#,
        r#"{"tuple":[1,2],"array":[1,2],"pair":[1,2],"variant":{"Tup":[1,2,3]}}"#,
    ] {
        assert!(!agree::<Tuples>(long), "{long}");
    }
    assert!(!agree::<Sequences>(
        r#"{"tuple":[1,"a",2],"array":[1,2,3],"vec":[],"deque":[],"set":[],"hash_set":[],
            "pair":[4,5],"unit":null,"unit_struct":null}"#
    ));
}

#[test]
fn struct_variants_take_what_serde_json_takes() {
    agree::<Tuples>(r#"{"tuple":[1,2],"array":[1,2],"pair":[1,2],"variant":{"Rec":[1,2]}}"#);
    agree::<Tuples>(r#"{"tuple":[1,2],"array":[1,2],"pair":[1,2],"variant":{"Rec":[1,2,3]}}"#);
    agree::<Tuples>(
        r#"{"tuple":[1,2],"array":[1,2],"pair":[1,2],"variant":{"Rec":{"a":1,"b":2}}}"#,
    );
}

#[test]
fn integer_boolean_and_newtype_map_keys_decode_from_their_strings() {
    assert!(agree::<Maps>(
        r#"{"by_port":{"80":"http"},"by_offset":{"-1":1},"by_flag":{"true":1},
            "by_newtype":{"22":"ssh"},"by_char":{"a":1},"plain":{}}"#
    ));
    #[derive(Confo, Deserialize, Debug, PartialEq)]
    #[confo(namespace = "diff", name = "cfg")]
    struct Keys {
        ports: HashMap<u16, String>,
        offsets: BTreeMap<i64, u8>,
    }
    assert!(agree::<Keys>(
        r#"{"ports":{"8080":"a"},"offsets":{"-5":1}}"#
    ));
    // Keys are read as serde_json reads them: no coercion of their own.
    agree::<Keys>(r#"{"ports":{"+80":"a"},"offsets":{}}"#);
    assert!(!agree::<Keys>(r#"{"ports":{"http":"a"},"offsets":{}}"#));
}

#[derive(Confo, Deserialize, Debug, PartialEq)]
#[confo(namespace = "diff", name = "cfg")]
struct Named {
    name: crate::types::StrOrNumber,
    count: crate::types::NumberOrList,
}

#[test]
fn a_string_asked_for_is_not_taken_from_another_kind() {
    assert!(agree::<Named>(r#"{"name":"n","count":2}"#));
    for json in [
        r#"{"name":7,"count":2}"#,
        r#"{"name":true,"count":2}"#,
        r#"{"name":"n","count":[1,2]}"#,
    ] {
        assert!(!agree::<Named>(json), "{json}");
    }
    for json in [
        r#"{"any":1,"raw":1,"name":7,"count":1,"password":"pw"}"#,
        r#"{"any":1,"raw":1,"name":true,"count":1,"password":"pw"}"#,
        r#"{"any":1,"raw":1,"name":"n","count":[1,2],"password":"pw"}"#,
    ] {
        assert!(!agree::<Dynamic>(json), "{json}");
    }
    // A uuid asked for as a string is not taken from an array of bytes.
    assert!(!agree::<Ecosystem>(
        r#"{"url":"http://a/","id":[85,14,132,0,226,155,65,212,167,22,68,102,85,68,0,0],
            "at":"2020-01-02T03:04:05Z","day":"2020-01-02","version":"1.2.3","req":"*",
            "net":"127.0.0.0/8","size":1}"#
    ));
}

#[test]
fn raw_values_decode() {
    assert!(agree::<Dynamic>(
        r#"{"any":1,"raw":{"kept":[1.50, "as written"]},"name":"n","count":1,"password":"pw"}"#
    ));
}

#[test]
fn coercion_in_adjacently_tagged_enums_does_not_depend_on_key_order() {
    let tag_first = crate::run::confo_decode::<AdjacentCfg>(br#"{"v":{"t":"A","c":"5"}}"#);
    let content_first = crate::run::confo_decode::<AdjacentCfg>(br#"{"v":{"c":"5","t":"A"}}"#);
    assert_eq!(
        format!("{tag_first:?}"),
        format!("{content_first:?}"),
        "tag first: {tag_first:?}\ncontent first: {content_first:?}"
    );
    assert!(content_first.is_ok(), "{content_first:?}");
}

#[test]
fn big_integers_decode_like_serde_json() {
    #[derive(Confo, Deserialize, Debug, PartialEq)]
    #[confo(namespace = "diff", name = "cfg")]
    struct Big {
        u: u128,
        i: i128,
    }
    assert!(agree::<Big>(
        r#"{"u":340282366920938463463374607431768211455,"i":-170141183460469231731687303715884105728}"#
    ));
    assert!(!agree::<Big>(r#"{"u":1.5,"i":0}"#));
}

#[test]
fn duplicate_fields_are_refused() {
    assert!(!agree::<crate::types::Database>(
        r#"{"host":"db","host":"db2","port":1,"user":"u","password":"p","vendor":"mysql","pool":{"size":1}}"#
    ));
}
