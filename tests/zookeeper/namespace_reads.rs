//! Namespace reads repeated on an unchanged namespace skip the listing
//! round trip, and still see every configuration another client adds or
//! removes, and a namespace deleted and made again.

use std::collections::BTreeMap;
use std::time::Duration;

use confo::backend::{Backend, Expect, ZooKeeper};
use confo::testing::ZooKeeperServer;
use confo::Namespace;
use zookeeper_client::{Acls, Client, CreateMode};

use super::backend::packets_received;

async fn own_server() -> ZooKeeperServer {
    tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// What the namespace holds now, as a raw client (the Python package) sees it.
async fn truth(raw: &Client, ns: &str) -> Option<BTreeMap<String, String>> {
    let children = match raw.list_children(&format!("/confo/{ns}")).await {
        Ok(children) => children,
        Err(zookeeper_client::Error::NoNode) => return None,
        Err(e) => panic!("list: {e}"),
    };
    let mut out = BTreeMap::new();
    for child in children {
        let (data, _) = raw.get_data(&format!("/confo/{ns}/{child}")).await.unwrap();
        out.insert(child, String::from_utf8(data).unwrap());
    }
    Some(out)
}

/// What confo's namespace read answers, in the same form.
async fn confo_read(store: &ZooKeeper, ns: &Namespace) -> Option<BTreeMap<String, String>> {
    match store.read_namespace(ns).await {
        Ok(all) => Some(
            all.into_iter()
                .map(|(name, read)| {
                    (
                        name.to_string(),
                        String::from_utf8(read.bytes.to_vec()).unwrap(),
                    )
                })
                .collect(),
        ),
        Err(e) if e.kind() == "NamespaceNotFound" => None,
        Err(e) => panic!("read_namespace: {e}"),
    }
}

#[tokio::test]
async fn a_repeated_namespace_read_is_one_request() {
    let server = own_server().await;
    let store = ZooKeeper::connect(&server.url()).await.unwrap();
    let ns: Namespace = "systemA".parse().unwrap();
    for name in ["a", "b", "c"] {
        store
            .write(
                &format!("systemA/{name}").parse().unwrap(),
                br#"{"n":1}"#,
                Expect::Any,
            )
            .await
            .unwrap();
    }
    // The fewest of a few tries (a session ping may land in one); each
    // count includes the `srvr` probe itself.
    let mut added_read = u64::MAX;
    let mut removed_read = u64::MAX;
    let mut again = u64::MAX;
    for n in 0..5 {
        // A write by this client changes no listing: still cached.
        store
            .write(
                &"systemA/a".parse().unwrap(),
                format!(r#"{{"n":{n}}}"#).as_bytes(),
                Expect::Any,
            )
            .await
            .unwrap();
        let before = packets_received(&server);
        let all = store.read_namespace(&ns).await.unwrap();
        again = again.min(packets_received(&server) - before);
        assert_eq!(all.len(), 3);
        assert_eq!(&*all[0].1.bytes, format!(r#"{{"n":{n}}}"#).as_bytes());

        // A configuration added: the same multi-read brings the new
        // listing, and one more reads what it added.
        let added = format!("systemA/new{n}").parse().unwrap();
        store.write(&added, b"{}", Expect::Absent).await.unwrap();
        let before = packets_received(&server);
        let all = store.read_namespace(&ns).await.unwrap();
        added_read = added_read.min(packets_received(&server) - before);
        assert_eq!(all.len(), 4, "the added configuration is read");
        // Removed: the listing the multi-read brings is the answer.
        store.delete(&added, Expect::Any).await.unwrap();
        let before = packets_received(&server);
        let all = store.read_namespace(&ns).await.unwrap();
        removed_read = removed_read.min(packets_received(&server) - before);
        assert_eq!(all.len(), 3, "the removed configuration is gone");
    }
    assert_eq!(again, 2, "one multi-read of the node's stat and the values");
    assert_eq!(
        added_read, 4,
        "one multi-read, a listing, then one read of what was added"
    );
    assert_eq!(removed_read, 3, "one multi-read, then a listing");
}

/// Another client adds, removes, empties and rewrites configurations, and
/// deletes and recreates the namespace with the same number of children;
/// after every step confo's read is exactly what the raw client sees.
#[tokio::test]
async fn cached_listings_never_hide_or_invent_a_configuration() {
    let server = own_server().await;
    let store = ZooKeeper::connect(&server.url()).await.unwrap();
    let raw = Client::connector()
        .with_session_timeout(Duration::from_secs(10))
        .connect(&server.connect_string())
        .await
        .unwrap();
    let open = CreateMode::Persistent.with_acls(Acls::anyone_all());
    let ns: Namespace = "shared".parse().unwrap();
    store
        .write(&"shared/seed".parse().unwrap(), b"{}", Expect::Any)
        .await
        .unwrap();
    // A deterministic walk (xorshift) over 6 names: 300 steps, each a
    // change by the other client, then a read by confo, which must match.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let mut relisted_recreations = 0;
    for step in 0..300 {
        let name = format!("c{}", next(6));
        let znode = format!("/confo/shared/{name}");
        match next(10) {
            0..=3 => match raw.create(&znode, b"{\"v\":0}", &open).await {
                Ok(_) | Err(zookeeper_client::Error::NodeExists) => {}
                Err(zookeeper_client::Error::NoNode) => {
                    raw.create("/confo/shared", b"", &open).await.unwrap();
                }
                Err(e) => panic!("create: {e}"),
            },
            4..=6 => match raw.delete(&znode, None).await {
                Ok(()) | Err(zookeeper_client::Error::NoNode) => {}
                Err(e) => panic!("delete: {e}"),
            },
            7..=8 => {
                let value = format!("{{\"v\":{step}}}");
                match raw.set_data(&znode, value.as_bytes(), None).await {
                    Ok(_) | Err(zookeeper_client::Error::NoNode) => {}
                    Err(e) => panic!("set: {e}"),
                }
            }
            _ => {
                // The namespace made again with as many children, other names.
                let Some(before) = truth(&raw, "shared").await else {
                    continue;
                };
                for child in before.keys() {
                    raw.delete(&format!("/confo/shared/{child}"), None)
                        .await
                        .unwrap();
                }
                raw.delete("/confo/shared", None).await.unwrap();
                raw.create("/confo/shared", b"", &open).await.unwrap();
                for n in 0..before.len() {
                    raw.create(&format!("/confo/shared/r{step}-{n}"), b"{}", &open)
                        .await
                        .unwrap();
                }
                relisted_recreations += 1;
            }
        }
        let expected = truth(&raw, "shared").await;
        assert_eq!(
            confo_read(&store, &ns).await,
            expected,
            "step {step}: confo's namespace read differs from the store"
        );
        // Read twice: the second one from the kept listing.
        assert_eq!(
            confo_read(&store, &ns).await,
            expected,
            "step {step}, again"
        );
    }
    assert!(relisted_recreations > 5, "the walk recreated the namespace");
}
