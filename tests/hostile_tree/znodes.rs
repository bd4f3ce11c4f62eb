//! Znodes confo cannot represent (made by other tools: `zookeeper`, names
//! over 250 bytes) are reported by listings, export and diff, never skipped
//! silently. Against a real ZooKeeper (`confo::testing`).

use std::time::Duration;

use confo::backend::{Backend, ZooKeeper};
use confo::testing::ZooKeeperServer;
use confo::tree::{diff_tree, export_tree};
use zookeeper_client::{Acls, Client, CreateMode};

use super::within_async;

#[test]
fn znodes_with_refused_names_are_reported_by_listings_export_and_diff() {
    let server = ZooKeeperServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let chroot = format!("/hostile-{}", std::process::id());
    let (connect, url) = (server.connect_string(), format!("{}{chroot}", server.url()));
    let long = "x".repeat(251);
    let dir = tempfile::tempdir().unwrap();
    let (export_dir, diff_dir) = (dir.path().join("export"), dir.path().join("diff"));
    std::fs::create_dir_all(diff_dir.join("ns")).unwrap();
    std::fs::write(diff_dir.join("ns/ok.json"), "{}").unwrap();
    let (listing, top, exported, diffed) = within_async(60, "znodes", async move {
        let raw = Client::connector()
            .with_session_timeout(Duration::from_secs(10))
            .connect(&connect)
            .await
            .unwrap();
        let open = CreateMode::Persistent.with_acls(Acls::anyone_all());
        for (path, data) in [
            (chroot.clone(), ""),
            (format!("{chroot}/confo"), ""),
            (format!("{chroot}/confo/ns"), ""),
            (format!("{chroot}/confo/ns/ok"), "{}"),
            (format!("{chroot}/confo/ns/zookeeper"), "{}"),
            (format!("{chroot}/confo/ns/{long}"), "{}"),
            (format!("{chroot}/confo/zookeeper"), ""),
        ] {
            raw.create(&path, data.as_bytes(), &open).await.unwrap();
        }
        let store = ZooKeeper::connect(&url).await.unwrap();
        let listing = store.config_listing(&"ns".parse().unwrap()).await.unwrap();
        let top = store.namespace_listing().await.unwrap();
        let exported = export_tree(&store, &export_dir).await.unwrap();
        let diffed = diff_tree(&store, &diff_dir).await.unwrap();
        (listing, top, exported, diffed)
    });
    let names: Vec<&str> = listing.names.iter().map(|n| n.as_str()).collect();
    assert_eq!(names, ["ok"]);
    let skipped: Vec<&str> = listing.skipped.iter().map(|s| s.entry.as_str()).collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped.contains(&"ns/zookeeper"), "{skipped:?}");
    assert!(skipped.iter().any(|s| s.len() == 3 + 251), "{skipped:?}");
    assert_eq!(top.skipped.len(), 1, "{:?}", top.skipped);
    assert_eq!(top.skipped[0].entry, "zookeeper");
    assert_eq!(exported.configs, 1);
    assert_eq!(exported.skipped.len(), 3, "{:?}", exported.skipped);
    assert!(diffed.is_empty(), "{diffed:?}");
    assert_eq!(diffed.skipped.len(), 3, "{:?}", diffed.skipped);
}
