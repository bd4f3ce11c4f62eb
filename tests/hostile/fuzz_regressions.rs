//! Replays every input kept under `fuzz/regressions/<target>/` (crashes the
//! fuzzers found, once fixed, and seeds) through the fuzz targets' checks.

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        check(&data);
        n += 1;
    }
    n
}

#[test]
fn names_regressions() {
    assert!(replay("names", checks::names) > 0);
}

#[test]
fn json_object_regressions() {
    assert!(replay("json_object", checks::json_object) > 0);
}

#[test]
fn url_regressions() {
    assert!(replay("url", checks::url) > 0);
}

#[test]
fn typed_regressions() {
    assert!(replay("typed", checks::typed) > 0);
}
