//! The typed suite on ZooKeeper: one real server (started by
//! `confo::testing`) for the whole test binary, each test in a fresh chroot.

mod typed_suite;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use confo::testing::ZooKeeperServer;

fn server() -> &'static ZooKeeperServer {
    static SERVER: OnceLock<ZooKeeperServer> = OnceLock::new();
    SERVER.get_or_init(|| ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}")))
}

fn fresh_url() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{}/typed-{}-{n}", server().url(), std::process::id())
}

typed_tests!(async {
    let url = tokio::task::spawn_blocking(fresh_url)
        .await
        .expect("server thread");
    let confo = confo::Confo::from_url(&url)
        .await
        .expect("connect to the test server");
    typed_suite::Fixture::new(confo, ())
});
