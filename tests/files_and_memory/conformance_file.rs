//! The conformance suite on the file backend.

use confo::conformance_tests;
use confo::testing::conformance;

use std::sync::Arc;

use confo::backend::FileBackend;

conformance_tests!(async {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = FileBackend::new(dir.path().join("tree"));
    conformance::Fixture::with_guard(Arc::new(backend), dir)
});
