//! The file and memory backends: the conformance suite on each, the file
//! backend's own behaviour, and the Python-compatible manager API.

mod conformance_file;
mod conformance_memory;
mod file_backend;
mod manager;
