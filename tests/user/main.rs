//! What a user sees first: the examples run as the README says, the
//! README's service snippet is the compiled `examples/service.rs`, and the
//! derive's compile errors are pinned (`tests/ui/`, trybuild).

mod examples;
mod ui;
mod zookeeper_quickstart;
