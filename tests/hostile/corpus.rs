//! A corpus of malformed and adversarial configuration contents, shared by
//! every test that pushes them through a decode path.

#![allow(dead_code)]

/// One hostile content and what it is.
pub struct Case {
    pub label: String,
    pub bytes: Vec<u8>,
}

fn case(label: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Case {
    Case {
        label: label.into(),
        bytes: bytes.into(),
    }
}

/// Whether confo reads `bytes` as a configuration: a JSON object, or an
/// empty or blank value (read as `{}` on every backend, like an empty znode).
pub fn reads_as_object(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.is_object())
}

/// A valid configuration of the example service; the corpus mutates it.
pub const VALID: &str = r#"{"host":"db.local","port":5432,"user":"svc","password":"hunter2-secret","vendor":"postgres","tls":true,"pool":{"min":1,"max":8},"replicas":["a","b"],"timeout_ms":2500.5}"#;

/// At least 200 contents, none of them a well-formed configuration of the
/// expected shape (some are valid JSON with wrong types).
pub fn corpus() -> Vec<Case> {
    let mut out = Vec::new();

    // Invalid UTF-8 in and around strings.
    for (i, bad) in [
        &[0xff][..],
        &[0xc3, 0x28],
        &[0xe2, 0x82],
        &[0xf0, 0x28, 0x8c, 0xbc],
        &[0xed, 0xa0, 0x80],
        &[0xc0, 0xaf],
        &[0xfe, 0xfe, 0xff, 0xff],
        &[0x80],
    ]
    .iter()
    .enumerate()
    {
        let mut in_string = br#"{"host":""#.to_vec();
        in_string.extend_from_slice(bad);
        in_string.extend_from_slice(br#""}"#);
        out.push(case(format!("invalid utf-8 #{i} in a string"), in_string));
        let mut raw = bad.to_vec();
        raw.extend_from_slice(VALID.as_bytes());
        out.push(case(format!("invalid utf-8 #{i} before the object"), raw));
    }

    // Byte order marks.
    out.push(case(
        "utf-8 BOM",
        [&[0xef, 0xbb, 0xbf][..], VALID.as_bytes()].concat(),
    ));
    out.push(case(
        "utf-16 LE BOM",
        [&[0xff, 0xfe][..], VALID.as_bytes()].concat(),
    ));
    let utf16: Vec<u8> = VALID.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    out.push(case("utf-16 encoded", utf16));

    // Every truncation of the valid document (each one is invalid JSON).
    for cut in (0..VALID.len()).step_by(2) {
        out.push(case(
            format!("truncated at byte {cut}"),
            &VALID.as_bytes()[..cut],
        ));
    }

    // Deep nesting.
    for depth in [129usize, 1_000, 10_000] {
        let arrays = format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        out.push(case(format!("{depth}-deep arrays"), arrays));
        let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        out.push(case(format!("{depth}-deep objects"), objects));
        out.push(case(
            format!("{depth} unclosed brackets"),
            "[".repeat(depth),
        ));
    }

    // Numbers at and past every limit.
    for n in [
        "1e400",
        "-1e400",
        "1e-400",
        "18446744073709551616",
        "-9223372036854775809",
        "99999999999999999999999999999999999999",
        "0.0000000000000000000000000000000000001",
        "65536",
        "-1",
        "5432.5",
        "NaN",
        "Infinity",
        "-Infinity",
        "0x1F",
        "01",
        "1.",
        ".5",
        "+1",
        "1e",
        "--1",
    ] {
        out.push(case(format!("port = {n}"), format!("{{\"port\":{n}}}")));
    }
    out.push(case(
        "10,000-digit number",
        format!("{{\"port\":{}}}", "9".repeat(10_000)),
    ));

    // Duplicate keys, odd keys.
    out.push(case("duplicate key", r#"{"port":1,"port":"two"}"#));
    out.push(case(
        "duplicate object key",
        r#"{"pool":{"min":1},"pool":[1]}"#,
    ));
    out.push(case("empty key", r#"{"":1}"#));
    out.push(case("key with NUL escape", r#"{"po\u0000rt":1}"#));
    out.push(case("10,000 keys", {
        let body: Vec<String> = (0..10_000).map(|i| format!("\"k{i}\":{i}")).collect();
        format!("{{{}}}", body.join(","))
    }));

    // Long strings and NUL bytes.
    out.push(case(
        "900 kB string",
        format!("{{\"host\":\"{}\"}}", "x".repeat(900_000)),
    ));
    out.push(case(
        "long key",
        format!("{{\"{}\":1}}", "k".repeat(100_000)),
    ));
    out.push(case("raw NUL in a string", b"{\"host\":\"a\0b\"}".to_vec()));
    out.push(case("raw NUL outside", b"{\"port\":1}\0".to_vec()));
    out.push(case("only NULs", vec![0u8; 64]));
    out.push(case(
        "raw control char in a string",
        b"{\"host\":\"a\x01b\"}".to_vec(),
    ));
    out.push(case(
        "raw newline in a string",
        b"{\"host\":\"a\nb\"}".to_vec(),
    ));
    out.push(case("lone surrogate escape", r#"{"host":"\ud800"}"#));
    out.push(case("bad escape", r#"{"host":"\x41"}"#));
    out.push(case("unterminated escape", r#"{"host":"\u12"}"#));

    // Not an object at the top.
    for (label, text) in [
        ("empty", ""),
        ("spaces", "   \n\t "),
        ("null", "null"),
        ("true", "true"),
        ("number", "5432"),
        ("string", "\"{}\""),
        ("array", "[]"),
        ("array of object", r#"[{"port":1}]"#),
        ("two objects", "{} {}"),
        ("trailing comma", r#"{"port":1,}"#),
        ("trailing garbage", r#"{"port":1} x"#),
        ("single quotes", "{'port':1}"),
        ("unquoted key", "{port:1}"),
        ("comment", "{/* c */\"port\":1}"),
        ("line comment", "{\"port\":1} // c"),
        ("yaml", "port: 1\nhost: db"),
        ("toml", "port = 1"),
        ("xml", "<port>1</port>"),
        ("python dict", "{'port': 1, 'tls': True}"),
        ("python None", "None"),
    ] {
        out.push(case(format!("top level: {label}"), text));
    }

    // Valid JSON, wrong type for every field kind.
    let wrong: [(&str, &[&str]); 9] = [
        ("host", &["1", "true", "null", "[]", "{}", "1.5"]),
        (
            "port",
            &[
                "\"abc\"",
                "\"\"",
                "true",
                "null",
                "[5432]",
                "{}",
                "-5",
                "70000",
                "\"5432.0\"",
                "\"0x10\"",
            ],
        ),
        ("user", &["0", "false", "[\"svc\"]", "{\"name\":\"svc\"}"]),
        (
            "password",
            &[
                "123",
                "null",
                "[\"hunter2-secret\"]",
                "{\"v\":\"hunter2-secret\"}",
            ],
        ),
        (
            "vendor",
            &[
                "\"oracle\"",
                "\"POSTGRES\"",
                "1",
                "null",
                "{\"postgres\":1}",
            ],
        ),
        ("tls", &["\"yes\"", "1", "0", "\"\"", "[]", "\"TRUE \""]),
        (
            "pool",
            &[
                "[]",
                "1",
                "\"min=1\"",
                "{\"min\":\"x\"}",
                "{\"min\":-1}",
                "{\"max\":[]}",
            ],
        ),
        (
            "replicas",
            &["\"a,b\"", "{}", "[1,2]", "[null]", "[[\"a\"]]"],
        ),
        ("timeout_ms", &["\"fast\"", "[]", "{}", "true"]),
    ];
    for (field, values) in wrong {
        for v in values {
            let mut doc: serde_json::Value = serde_json::from_str(VALID).unwrap();
            doc[field] = serde_json::from_str(v).unwrap();
            out.push(case(format!("{field} = {v}"), doc.to_string()));
        }
    }
    // Every field missing, one at a time, and all at once.
    let doc: serde_json::Map<String, serde_json::Value> = serde_json::from_str(VALID).unwrap();
    for key in doc.keys() {
        let mut d = doc.clone();
        d.remove(key);
        out.push(case(
            format!("missing {key}"),
            serde_json::Value::Object(d).to_string(),
        ));
    }
    out.push(case("every field missing", "{}"));
    out
}
