//! The ZooKeeper suite: every test against a real server started by
//! `confo::testing` (Debian's `zookeeper` jars; scripts/test.sh installs
//! them). One test binary, so a 2-core machine links it once.

mod backend;
mod conformance;
mod ensemble;
mod env;
mod live;
mod namespace_reads;
mod server;
mod tls;
