//! Typed configurations: the typed suite on every backend, field
//! overrides, secrets and the blocking API.

#[macro_use]
mod typed_suite;
mod blocking;
mod file;
mod memory;
mod overrides;
mod secret;
mod zookeeper;
