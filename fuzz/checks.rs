//! The properties the fuzz targets check, shared with the regression test
//! (`tests/hostile/fuzz_regressions.rs`) that replays every saved input.

#![allow(dead_code)]

/// The name validator never panics, and whatever it accepts is one clean
/// path segment that round-trips through `ConfigPath`.
pub fn names(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let middle = text
        .char_indices()
        .nth(text.chars().count() / 2)
        .map_or(text.len(), |(i, _)| i);
    let (a, b) = text.split_at(middle);
    if confo_names::check(a).is_ok() {
        assert!(!a.is_empty() && !a.contains('/') && a != "." && a != "..");
        assert!(!a.chars().any(char::is_control));
    }
    if let (Ok(ns), Ok(name)) = (confo::Namespace::new(a), confo::ConfigName::new(b)) {
        let path = confo::ConfigPath::new(ns, name);
        let back: confo::ConfigPath = path.to_string().parse().expect("round trip");
        assert_eq!(back, path);
        assert_eq!(path.znode().matches('/').count(), 3);
    }
    let _ = text.parse::<confo::ConfigPath>();
}

/// The untyped decoder gives an object that re-encodes to itself, or an
/// error that names the path.
pub fn json_object(data: &[u8]) {
    match confo::parse_json_object("fuzz://", "ns/cfg", data) {
        Ok(map) => {
            let bytes = confo::to_json_bytes(&map);
            let again = confo::parse_json_object("fuzz://", "ns/cfg", &bytes)
                .expect("re-encoded object parses");
            assert_eq!(again, map);
        }
        Err(e) => assert!(e.to_string().contains("ns/cfg")),
    }
}

/// A password no URL of the corpus holds by chance: it must never be shown.
const URL_MARK: &str = "Pw9zQxK7";

/// The `zk://` URL parser never panics; nothing it says (errors, `Debug`,
/// `describe`, `redact`) shows the password; and what it accepts
/// describes itself as a URL that parses back to the same thing.
///
/// The input is split in two: `a`, the end of a password starting with
/// [`URL_MARK`] (so it may hold any character: `/`, `?`, `@`...), and `b`,
/// the rest of the URL. The whole input is also parsed as it is.
pub fn url(data: &[u8]) {
    use confo::backend::{redact, ZooKeeperOptions};

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ZooKeeperOptions::from_url(text).map(|o| format!("{o:?} {}", o.describe()));
    let _ = redact(text);

    let middle = text
        .char_indices()
        .nth(text.chars().count() / 2)
        .map_or(text.len(), |(i, _)| i);
    let (a, b) = text.split_at(middle);
    if text.contains(URL_MARK) {
        return;
    }
    let url = format!("zk://user:{URL_MARK}{a}@{b}");
    let shown = match ZooKeeperOptions::from_url(&url) {
        Ok(options) => {
            let describe = options.describe();
            let again = ZooKeeperOptions::from_url(&describe)
                .unwrap_or_else(|e| panic!("{describe:?} (from {url:?}) does not parse: {e}"));
            assert_eq!(again.describe(), describe, "{url:?}");
            assert_eq!(options.user(), Some("user"), "{url:?}");
            format!("{options:?} {describe}")
        }
        Err(e) => format!("{e} {e:?}"),
    };
    assert!(
        !shown.contains(URL_MARK),
        "{url:?} shows its password: {shown}"
    );
    let redacted = redact(&url);
    assert!(
        !redacted.contains(URL_MARK),
        "{url:?} redacted to {redacted}"
    );
}

/// The secret of the typed decoder's seeds: never in an error or `Debug`.
const SECRET_MARK: &str = "hunter2-secret";

#[derive(confo::Confo, serde::Deserialize, Debug)]
#[confo(namespace = "fz", name = "database")]
#[allow(dead_code)]
pub struct Database {
    host: String,
    port: u16,
    user: String,
    password: confo::Secret<String>,
    vendor: Vendor,
    tls: bool,
    pool: Pool,
    replicas: Vec<String>,
    timeout_ms: f64,
    note: Option<String>,
}

#[derive(serde::Deserialize, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Postgres,
    Mysql,
    Other(String),
}

#[derive(serde::Deserialize, Debug)]
pub struct Pool {
    min: u32,
    max: u32,
}

thread_local! {
    static TYPED: confo::blocking::Confo =
        confo::blocking::Confo::from_url("mem://").expect("a memory store");
}

/// The typed decoder (the public load path, on the memory backend) never
/// panics; it accepts only JSON objects; its errors name the path and
/// never show the secret; a loaded value's `Debug` hides it.
pub fn typed(data: &[u8]) {
    TYPED.with(|confo| {
        let path: confo::ConfigPath = "fz/database".parse().expect("a valid path");
        let store = confo.inner().backend().expect("a backend");
        confo
            .block_on(store.write(&path, data, confo::backend::Expect::Any))
            .expect("the memory store takes any bytes");
        let once = data
            .windows(SECRET_MARK.len())
            .filter(|w| *w == SECRET_MARK.as_bytes())
            .count()
            == 1;
        match confo.load::<Database>() {
            Ok(db) => {
                // What loads is a JSON object to serde_json (whose parser
                // decoding uses: a number out of range in an ignored field
                // loads, as it does with `serde_json::from_slice`).
                assert!(
                    serde_json::from_slice::<
                        std::collections::HashMap<String, serde::de::IgnoredAny>,
                    >(data)
                    .is_ok(),
                    "loaded something that is not a JSON object"
                );
                if once && db.password.expose() == SECRET_MARK {
                    assert!(!format!("{db:?}").contains(SECRET_MARK), "{db:?}");
                }
            }
            Err(e) => {
                let shown = format!("{e} {e:?}");
                assert!(shown.contains("fz/database"), "{shown}");
                if once {
                    assert!(!shown.contains(SECRET_MARK), "leaks the secret: {shown}");
                }
            }
        }
    });
}
