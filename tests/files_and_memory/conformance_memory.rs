//! The conformance suite on the memory backend.

use confo::conformance_tests;
use confo::testing::conformance;

use confo::backend::MemoryBackend;

conformance_tests!(async { conformance::Fixture::new(MemoryBackend::new()) });
