//! The file and memory backends: the conformance suite on each, the file
//! backend's own behaviour, the Python-compatible manager API, and the read
//! policy at every entry point that reads.

mod conformance_file;
mod conformance_memory;
mod file_backend;
mod manager;
mod read_policy;
