//! The conformance suite on the file backend.

mod conformance;

use std::sync::Arc;

use confo::backend::FileBackend;

conformance_tests!(async {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = FileBackend::new(dir.path().join("tree"));
    conformance::Fixture::with_guard(Arc::new(backend), dir)
});
