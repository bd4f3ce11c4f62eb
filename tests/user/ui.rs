//! The contract of `#[derive(Confo)]` at compile time: every declaration it
//! refuses, with the exact message and span (`tests/ui/*.stderr`), and the
//! ones it accepts (`tests/ui/pass/`). Regenerate snapshots with
//! `TRYBUILD=overwrite cargo test --test user ui::`, then read every diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
