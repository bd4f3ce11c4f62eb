//! The decoding passes on their own.

use super::*;
use serde::Deserialize;
use serde_json::json;
use serde_json::Map;
use std::collections::BTreeMap;
use std::fmt;

fn fields<T: DeserializeOwned + fmt::Debug>(value: Value) -> Vec<String> {
    let bytes = serde_json::to_vec(&value).unwrap();
    assert!(decode_object::<T>(&bytes).is_none());
    errors::<T>(&bytes, &value, "cfg")
        .into_iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect()
}

#[test]
fn unknown_fields_are_all_listed_with_deny_unknown_fields() {
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        port: u16,
    }
    let errors = fields::<Strict>(json!({"port": "x", "prot": 1, "hots": 2}));
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors.contains(&"cfg.port: expected u16, found a string that is not a number".to_owned())
    );
    assert!(errors
        .iter()
        .any(|e| e.starts_with("cfg.prot: unknown field")));
    assert!(errors
        .iter()
        .any(|e| e.starts_with("cfg.hots: unknown field")));
}

#[test]
fn a_custom_deserializer_that_refuses_everything_does_not_hide_other_errors() {
    #[derive(Debug)]
    struct Never;
    impl<'de> Deserialize<'de> for Never {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            de::IgnoredAny::deserialize(d)?;
            Err(de::Error::custom("never valid"))
        }
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Cfg {
        a: Never,
        b: u8,
    }
    // `a` refuses every candidate too: it is reported once and taken out.
    assert_eq!(
        fields::<Cfg>(json!({"a": 1, "b": "x"})),
        [
            "cfg.a: never valid",
            "cfg.b: expected u8, found a string that is not a number"
        ]
    );
}

#[test]
fn errors_inside_flatten_are_all_listed_at_their_fields() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        x: u8,
        y: u8,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Cfg {
        #[serde(flatten)]
        inner: Inner,
        extra: BTreeMap<String, u8>,
    }
    let errors = fields::<Cfg>(json!({"x": "a", "y": "b", "extra": {}}));
    assert_eq!(
        errors,
        // Buffered by serde (flatten): no coercion there, so any string.
        [
            "cfg.x: expected u8, found a string",
            "cfg.y: expected u8, found a string"
        ]
    );
}

#[test]
fn messages_never_quote_values() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Cfg {
        a: u8,
        b: bool,
        c: Vec<u8>,
        d: char,
    }
    let errors =
        fields::<Cfg>(json!({"a": "secret1", "b": "secret2", "c": "secret3", "d": "secret4"}));
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(errors.iter().all(|e| !e.contains("secret")), "{errors:?}");
}

#[test]
fn a_limit_bounds_the_pass() {
    let many: Map<String, Value> = (0..150).map(|i| (format!("k{i:03}"), json!("x"))).collect();
    let value = Value::Object(many);
    let bytes = serde_json::to_vec(&value).unwrap();
    let errors = errors::<BTreeMap<String, u8>>(&bytes, &value, "cfg");
    assert_eq!(errors.len(), MAX_ERRORS);
}

#[test]
fn the_fast_path_coerces_every_value_it_hands_out() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Port(u16);
    #[derive(Deserialize, Debug, PartialEq)]
    enum E {
        New(u8),
        Tup(u8, bool),
        Rec { a: i32 },
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Cfg {
        opt: Option<u8>,
        list: Vec<f64>,
        map: BTreeMap<String, bool>,
        port: Port,
        tuple: (u8, i64),
        e: Vec<E>,
        big: u128,
    }
    let bytes = br#"{"opt":"1","list":["0.5","2"],"map":{"k":"True"},"port":"80",
        "tuple":["2","-3"],"e":[{"New":"4"},{"Tup":["5","false"]},{"Rec":{"a":"-6"}}],
        "big":"340282366920938463463374607431768211455"}"#;
    let cfg: Cfg = decode_object(bytes).expect("decodes");
    assert_eq!(
        cfg,
        Cfg {
            opt: Some(1),
            list: vec![0.5, 2.0],
            map: BTreeMap::from([("k".to_owned(), true)]),
            port: Port(80),
            tuple: (2, -3),
            e: vec![E::New(4), E::Tup(5, false), E::Rec { a: -6 }],
            big: u128::MAX,
        }
    );
}

#[test]
fn the_fast_path_coerces_adjacently_tagged_content_in_any_key_order() {
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(tag = "t", content = "c")]
    enum A {
        N(u16),
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Cfg {
        a: A,
    }
    for bytes in [
        &br#"{"a":{"t":"N","c":"7"}}"#[..],
        br#"{"a":{"c":"7","t":"N"}}"#,
    ] {
        assert_eq!(decode_object::<Cfg>(bytes), Some(Cfg { a: A::N(7) }));
    }
}

#[test]
fn the_fast_path_takes_only_objects_and_what_serde_json_takes() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Cfg {
        t: (u8, u8),
    }
    assert_eq!(decode_object::<Cfg>(b" [[1,2]]"), None);
    assert_eq!(decode_object::<Cfg>(br#"{"t":[1,2,3]}"#), None);
    assert_eq!(decode_object::<Cfg>(br#"{"t":[1,2]} x"#), None);
    assert_eq!(decode_object::<Cfg>(br#"{"t":["1"," 2"]}"#), None);
    assert_eq!(
        decode_object::<Cfg>(b"\n{\"t\":[\"+1\",2]}"),
        Some(Cfg { t: (1, 2) })
    );
}

/// The table of docs/typed.md ("Decoding"), form by form.
#[test]
fn strings_coerce_exactly_in_the_documented_forms() {
    fn one<T: DeserializeOwned>(s: &str) -> Option<T> {
        #[derive(Deserialize)]
        struct W<T> {
            v: T,
        }
        let bytes = serde_json::to_vec(&json!({ "v": s })).unwrap();
        decode_object::<W<T>>(&bytes).map(|w| w.v)
    }
    assert_eq!(one::<bool>("true"), Some(true));
    assert_eq!(one::<bool>("True"), Some(true));
    assert_eq!(one::<bool>("false"), Some(false));
    assert_eq!(one::<bool>("False"), Some(false));
    for refused in ["yes", "TRUE", "1", " true", ""] {
        assert_eq!(one::<bool>(refused), None, "{refused:?}");
    }
    assert_eq!(one::<u16>("5432"), Some(5432));
    assert_eq!(one::<u16>("+7"), Some(7));
    assert_eq!(one::<u16>("007"), Some(7));
    for refused in ["-1", " 5", "5 ", "5.0", "0x10", "1e3", "70000", "", "abc"] {
        assert_eq!(one::<u16>(refused), None, "{refused:?}");
    }
    assert_eq!(
        one::<u128>("340282366920938463463374607431768211455"),
        Some(u128::MAX)
    );
    assert_eq!(one::<i32>("-5"), Some(-5));
    assert_eq!(one::<i32>("+5"), Some(5));
    assert_eq!(one::<i8>("-129"), None);
    assert_eq!(
        one::<i128>("-170141183460469231731687303715884105728"),
        Some(i128::MIN)
    );
    assert_eq!(one::<f64>("0.25"), Some(0.25));
    assert_eq!(one::<f64>("1e3"), Some(1000.0));
    assert_eq!(one::<f64>("-.5"), Some(-0.5));
    assert_eq!(one::<f64>("inf"), Some(f64::INFINITY));
    assert!(one::<f64>("NaN").is_some_and(f64::is_nan));
    assert_eq!(one::<f32>("1.5"), Some(1.5));
    for refused in ["1,5", " 1", "0x1", "one"] {
        assert_eq!(one::<f64>(refused), None, "{refused:?}");
    }
    // Nothing else: a number is not a string.
    assert_eq!(
        decode_object::<BTreeMap<String, String>>(br#"{"v":5}"#),
        None
    );
}
