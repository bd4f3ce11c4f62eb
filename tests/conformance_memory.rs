//! The conformance suite on the memory backend.

mod conformance;

use confo::backend::MemoryBackend;

conformance_tests!(async { conformance::Fixture::new(MemoryBackend::new()) });
