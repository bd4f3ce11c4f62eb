//! Hostile input: a corpus of malformed contents through every decode path,
//! names under proptest, and the fuzz targets' kept inputs.

mod corpus;
mod fuzz_regressions;
mod names_proptest;
mod raw;
mod typed;
