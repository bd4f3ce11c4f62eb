//! The README's "Point the quickstart at a local ZooKeeper", step by step,
//! against a real server: seed it with `confo import examples/config`, then
//! run the quickstart with `CONFO_URL` pointing at it.

use std::path::PathBuf;
use std::process::Command;

use confo::testing::ZooKeeperServer;

/// The `confo` binary `cargo test --workspace` builds beside the tests.
fn confo_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = profile_dir.join("confo");
    assert!(
        path.is_file(),
        "{} not built: `cargo test --workspace` builds it; for one test file run `cargo build -p confo-cli` first",
        path.display()
    );
    path
}

#[test]
fn the_zookeeper_quickstart_works_as_written() {
    let server = ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("zk://{}", server.connect_string());
    let root = env!("CARGO_MANIFEST_DIR");

    // Before seeding, the quickstart says what is missing.
    let out = Command::new(super::examples::example("quickstart"))
        .current_dir(root)
        .env("CONFO_URL", &url)
        .output()
        .expect("run quickstart");
    assert!(!out.status.success());

    let seeded = Command::new(confo_bin())
        .current_dir(root)
        .args(["--url", &url, "import", "examples/config"])
        .output()
        .expect("run confo import");
    let stderr = String::from_utf8_lossy(&seeded.stderr);
    assert!(seeded.status.success(), "{stderr}");
    assert!(
        stderr.contains("imported 2 configurations (2 new"),
        "{stderr}"
    );

    let out = super::examples::run_with("quickstart", &[("CONFO_URL", &url)]);
    assert!(
        out.contains("systemA/database: Postgres at db.internal.example:5432"),
        "{out}"
    );
    assert!(out.contains("password: ***"), "{out}");
    drop(server);
}
