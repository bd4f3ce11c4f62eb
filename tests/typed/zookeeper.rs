//! The typed suite on ZooKeeper: one real server (started by
//! `confo::testing`) for the whole test binary, each test in a fresh chroot.

use crate::typed_suite;

use confo::testing::ZooKeeperServer;

typed_tests!(async {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::shared)
        .await
        .expect("server thread")
        .unwrap_or_else(|e| panic!("{e}"));
    let confo = confo::Confo::from_url(&server.fresh_url("typed"))
        .await
        .expect("connect to the test server");
    typed_suite::Fixture::new(confo, ())
});
