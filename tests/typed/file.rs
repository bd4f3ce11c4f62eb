//! The typed suite on the file backend.

use crate::typed_suite;

typed_tests!(async {
    let dir = tempfile::tempdir().expect("temp dir");
    let confo =
        confo::Confo::with_backend(confo::backend::FileBackend::new(dir.path().join("tree")));
    typed_suite::Fixture::new(confo, dir)
});
