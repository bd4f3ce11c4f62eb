//! The properties the fuzz targets check, shared with the regression test
//! (`tests/fuzz_regressions.rs`) that replays every saved input.

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
    match confo::json::parse_object("fuzz://", "ns/cfg", data) {
        Ok(map) => {
            let bytes = confo::json::to_bytes(&map);
            let again = confo::json::parse_object("fuzz://", "ns/cfg", &bytes)
                .expect("re-encoded object parses");
            assert_eq!(again, map);
        }
        Err(e) => assert!(e.to_string().contains("ns/cfg")),
    }
}
