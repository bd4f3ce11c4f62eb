//! The typed suite on the memory backend.

use crate::typed_suite;

typed_tests!(async {
    typed_suite::Fixture::new(
        confo::Confo::with_backend(confo::backend::MemoryBackend::new()),
        (),
    )
});
