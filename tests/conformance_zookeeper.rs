//! The conformance suite on ZooKeeper: one real server (started by
//! `confo::testing`) for the whole test binary, each test in a fresh chroot.

mod conformance;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use confo::backend::ZooKeeper;
use confo::testing::ZooKeeperServer;

fn server() -> &'static ZooKeeperServer {
    static SERVER: OnceLock<ZooKeeperServer> = OnceLock::new();
    SERVER.get_or_init(|| ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}")))
}

/// `zk://127.0.0.1:PORT/t-<n>`: a tree no other test touches.
fn fresh_url() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{}/t-{}-{n}", server().url(), std::process::id())
}

conformance_tests!(async {
    let url = tokio::task::spawn_blocking(fresh_url)
        .await
        .expect("server thread");
    let backend = ZooKeeper::connect(&url)
        .await
        .expect("connect to the test server");
    conformance::Fixture::with_guard(Arc::new(backend), ())
});
