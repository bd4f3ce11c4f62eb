//! The conformance suite on ZooKeeper: one real server (started by
//! `confo::testing`) for the whole test binary, each test in a fresh chroot.

use confo::conformance_tests;
use confo::testing::conformance;

use std::sync::Arc;

use confo::backend::ZooKeeper;
use confo::testing::ZooKeeperServer;

conformance_tests!(async {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::shared)
        .await
        .expect("server thread")
        .unwrap_or_else(|e| panic!("{e}"));
    let backend = ZooKeeper::connect(&server.fresh_url("t"))
        .await
        .expect("connect to the test server");
    conformance::Fixture::with_guard(Arc::new(backend), ())
});
