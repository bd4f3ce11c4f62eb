//! The ZooKeeper backend against a real server: the Python package's layout,
//! authentication and ACLs, and every kind of bad input or bad luck.
//!
//! One server for the binary (`confo::testing::ZooKeeperServer`); each test
//! works in its own chroot. Tests that stop the server start their own.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use confo::backend::{Backend, BatchWrite, Credentials, Expect, ZooKeeper, MAX_VALUE_BYTES};
use confo::testing::ZooKeeperServer;
use confo::{ConfigPath, Confo, Error, Namespace};
use serde_json::json;
use zookeeper_client::{Acls, Client, CreateMode, Permission};

fn server() -> &'static ZooKeeperServer {
    static SERVER: OnceLock<ZooKeeperServer> = OnceLock::new();
    SERVER.get_or_init(|| ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}")))
}

/// A chroot no other test uses: `/z-<pid>-<n>`.
async fn fresh_chroot() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    tokio::task::spawn_blocking(server).await.unwrap();
    format!(
        "/z-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn url(chroot: &str) -> String {
    format!("{}{chroot}", server().url())
}

fn auth_url(user: &str, password: &str, chroot: &str) -> String {
    format!(
        "zk://{user}:{password}@{}{chroot}",
        server().connect_string()
    )
}

fn p(s: &str) -> ConfigPath {
    s.parse().unwrap()
}

/// A raw client (what the Python package or an operator sees), at `chroot`,
/// optionally authenticated.
async fn raw(chroot: &str, digest: Option<&str>) -> Client {
    let mut connector = Client::connector().with_session_timeout(Duration::from_secs(10));
    if let Some(digest) = digest {
        connector = connector.with_auth("digest", digest.as_bytes());
    }
    tokio::time::timeout(
        Duration::from_secs(20),
        connector.connect(&format!("{}{chroot}", server().connect_string())),
    )
    .await
    .expect("raw connect within 20 s")
    .expect("raw connect")
}

fn open() -> zookeeper_client::CreateOptions<'static> {
    CreateMode::Persistent.with_acls(Acls::anyone_all())
}

/// Requests the server has received so far (its `srvr` report).
pub(crate) fn packets_received(server: &ZooKeeperServer) -> u64 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"srvr").unwrap();
    let mut report = String::new();
    stream.read_to_string(&mut report).unwrap();
    report
        .lines()
        .find_map(|l| l.strip_prefix("Received: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Received: line in {report}"))
}

#[tokio::test]
async fn confo_writes_the_python_layout_and_reads_what_python_wrote() {
    let chroot = fresh_chroot().await;
    let confo = Confo::from_url(&url(&chroot)).await.unwrap();
    confo.create_namespace("systemA").await.unwrap();
    confo.use_namespace("systemA").await.unwrap();
    confo
        .set("database", json!({"host": "db", "port": 5432}))
        .unwrap();
    confo.persist().await.unwrap();

    let zk = raw(&chroot, None).await;
    let (data, _) = zk.get_data("/confo/systemA/database").await.unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(stored, json!({"host": "db", "port": 5432}));
    let (namespace_data, _) = zk.get_data("/confo/systemA").await.unwrap();
    assert!(namespace_data.is_empty(), "namespaces hold no data");

    // Written the way the Python package writes: strings for numbers too.
    zk.create(
        "/confo/systemA/email",
        br#"{"smtp_port": "25", "sender": "ops@example.com"}"#,
        &open(),
    )
    .await
    .unwrap();
    confo.reload().await.unwrap();
    assert_eq!(confo.get_field("email", "smtp_port").unwrap(), json!("25"));
    assert_eq!(confo.count().unwrap(), 2);
}

#[tokio::test]
async fn empty_or_whitespace_configuration_nodes_read_as_empty_objects() {
    let chroot = fresh_chroot().await;
    let store = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    let zk = raw(&chroot, None).await;
    zk.create("/confo/py", b"", &open()).await.unwrap();
    zk.create("/confo/py/empty", b"", &open()).await.unwrap();
    zk.create("/confo/py/blank", b" \n\t ", &open())
        .await
        .unwrap();

    for name in ["py/empty", "py/blank"] {
        let read = store.read(&p(name)).await.unwrap();
        assert_eq!(&*read.bytes, b"{}", "{name}");
        // And it can be written back with compare-and-set.
        store
            .write(&p(name), br#"{"set":true}"#, Expect::Version(read.version))
            .await
            .unwrap();
    }
    let confo = Confo::from_url(&url(&chroot)).await.unwrap();
    confo.use_namespace("py").await.unwrap();
    assert_eq!(confo.get("empty").unwrap(), json!({"set": true}));
}

#[tokio::test]
async fn a_node_that_is_not_a_json_object_is_an_error_naming_its_path() {
    let chroot = fresh_chroot().await;
    let zk = raw(&chroot, None).await;
    let confo = Confo::from_url(&url(&chroot)).await.unwrap();
    zk.create("/confo/bad", b"", &open()).await.unwrap();
    zk.create("/confo/bad/broken", b"host=db\n", &open())
        .await
        .unwrap();

    let err = confo.use_namespace("bad").await.unwrap_err();
    assert!(matches!(err, Error::InvalidJson { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("bad/broken"), "{msg}");
    assert!(msg.contains(&chroot), "the backend is named: {msg}");

    zk.set_data("/confo/bad/broken", b"[1, 2]", None)
        .await
        .unwrap();
    let err = confo.use_namespace("bad").await.unwrap_err();
    assert!(
        matches!(err, Error::NotAnObject { found: "array", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("bad/broken"), "{err}");
}

#[tokio::test]
async fn a_value_over_the_limit_is_refused_before_sending() {
    let chroot = fresh_chroot().await;
    let store = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    let too_big = vec![b' '; MAX_VALUE_BYTES + 1];
    let err = store
        .write(&p("big/x"), &too_big, Expect::Any)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ValueTooLarge { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&MAX_VALUE_BYTES.to_string()),
        "{err}"
    );
    // Nothing was sent: not even the namespace exists.
    assert!(store.list_namespaces().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_server_fails_within_the_connect_timeout_naming_the_hosts() {
    // A closed port: connections are refused.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    // A port that accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();

    for port in [closed, silent_port] {
        let started = Instant::now();
        let err = ZooKeeper::builder(format!("127.0.0.1:{port}"))
            .with_connect_timeout(Duration::from_secs(2))
            .connect()
            .await
            .unwrap_err();
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
        assert!(matches!(err, Error::Connection { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }

    // Through a URL, with the timeout in the URL and a password that must not show.
    let started = Instant::now();
    let err = Confo::from_url(&format!(
        "zk://app:hunter2@127.0.0.1:{closed},127.0.0.2:{closed}?connect_timeout=1s"
    ))
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(4));
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("127.0.0.1:{closed},127.0.0.2:{closed}")),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
    drop(silent);
}

/// Every host refusing the connection is an error within about a second,
/// naming each host as refused, however long the connect timeout; a host
/// that accepts and stays silent still gets the whole timeout.
#[tokio::test]
async fn refused_connections_fail_fast_and_silent_hosts_wait_for_the_timeout() {
    let closed = || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (a, b) = (closed(), closed());
    let started = Instant::now();
    let err = ZooKeeper::builder(format!("127.0.0.1:{a},127.0.0.2:{b}"))
        .with_connect_timeout(Duration::from_secs(30))
        .connect()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "took {elapsed:?} of a 30 s timeout"
    );
    let msg = err.to_string();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(
        msg.contains(&format!("127.0.0.1:{a}: connection refused")),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("127.0.0.2:{b}: connection refused")),
        "{msg}"
    );

    // One silent host among refusing ones: the connect waits for it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let err = ZooKeeper::builder(format!("127.0.0.1:{a},127.0.0.1:{silent_port}"))
        .with_connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_secs(2), "{err}");
    assert!(err.to_string().contains("connect timeout"), "{err}");
    drop(silent);
}

#[tokio::test]
async fn a_client_without_credentials_cannot_read_a_protected_configuration() {
    let chroot = fresh_chroot().await;
    let owner = ZooKeeper::connect(&auth_url("app", "s3cret", &chroot))
        .await
        .unwrap();
    owner
        .write(
            &p("systemA/database"),
            br#"{"password":"db-pass"}"#,
            Expect::Absent,
        )
        .await
        .unwrap();

    // The ACL names the identity, not the world.
    let zk = raw(&chroot, Some("app:s3cret")).await;
    let (acls, _) = zk.get_acl("/confo/systemA/database").await.unwrap();
    assert_eq!(acls.len(), 1, "{acls:?}");
    assert_eq!(acls[0].scheme(), "digest");
    assert!(acls[0].id().starts_with("app:"), "{acls:?}");
    assert_eq!(acls[0].permission(), Permission::ALL);

    let stranger = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    let err = stranger.read(&p("systemA/database")).await.unwrap_err();
    match &err {
        Error::NotAuthorized { op, path, .. } => {
            assert_eq!(*op, "read");
            assert_eq!(path, "/confo/systemA/database");
        }
        other => panic!("expected NotAuthorized, got {other:?}"),
    }
    assert!(err.to_string().contains("/confo/systemA/database"), "{err}");
    // Neither batch reads nor listings get around it.
    let err = stranger
        .read_many(&[p("systemA/database")])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAuthorized { .. }), "{err:?}");
    let err = stranger
        .list_configs(&Namespace::new("systemA").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAuthorized { .. }), "{err:?}");
    let err = stranger
        .write(&p("systemA/database"), b"{}", Expect::Any)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAuthorized { .. }), "{err:?}");
    // The owner still reads its value, unchanged.
    let read = owner.read(&p("systemA/database")).await.unwrap();
    assert_eq!(&*read.bytes, br#"{"password":"db-pass"}"#);
}

#[tokio::test]
async fn a_wrong_password_is_not_authorized_and_never_shown() {
    let chroot = fresh_chroot().await;
    let owner = ZooKeeper::connect(&auth_url("app", "right-pass", &chroot))
        .await
        .unwrap();
    owner
        .write(&p("systemA/database"), b"{}", Expect::Absent)
        .await
        .unwrap();

    // Digest authentication itself never fails: the wrong password is a
    // different identity, refused by the ACL.
    let intruder = ZooKeeper::connect(&auth_url("app", "wrong-pass", &chroot))
        .await
        .unwrap();
    let err = intruder.read(&p("systemA/database")).await.unwrap_err();
    assert!(matches!(err, Error::NotAuthorized { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("/confo/systemA/database"), "{msg}");
    assert!(
        !msg.contains("wrong-pass") && !msg.contains("right-pass"),
        "{msg}"
    );
    let debug = format!("{intruder:?} {err:?} {:?}", intruder.options());
    assert!(!debug.contains("wrong-pass"), "{debug}");
}

#[tokio::test]
async fn world_readable_lets_anyone_read_but_only_the_owner_write() {
    let chroot = fresh_chroot().await;
    let owner = ZooKeeper::builder(format!("{}{chroot}", server().connect_string()))
        .with_credentials("app", "s3cret")
        .with_world_readable(true)
        .connect()
        .await
        .unwrap();
    let v = owner
        .write(
            &p("public/feature-flags"),
            br#"{"beta":true}"#,
            Expect::Absent,
        )
        .await
        .unwrap();

    let zk = raw(&chroot, None).await;
    let (acls, _) = zk.get_acl("/confo/public/feature-flags").await.unwrap();
    assert!(
        acls.iter()
            .any(|a| a.scheme() == "world" && a.permission() == Permission::READ),
        "{acls:?}"
    );

    let reader = Confo::from_url(&url(&chroot)).await.unwrap();
    reader.use_namespace("public").await.unwrap();
    assert_eq!(
        reader.get_field("feature-flags", "beta").unwrap(),
        json!(true)
    );

    let stranger = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    let err = stranger
        .write(
            &p("public/feature-flags"),
            br#"{"beta":false}"#,
            Expect::Version(v),
        )
        .await
        .unwrap_err();
    match &err {
        Error::NotAuthorized { op, path, .. } => {
            assert_eq!(*op, "write");
            assert!(path.ends_with("public/feature-flags"), "{path}");
        }
        other => panic!("expected NotAuthorized, got {other:?}"),
    }
    let err = stranger
        .write(&p("public/new"), b"{}", Expect::Absent)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAuthorized { .. }), "{err:?}");
    let read = owner.read(&p("public/feature-flags")).await.unwrap();
    assert_eq!((&*read.bytes, read.version), (&br#"{"beta":true}"#[..], v));
}

#[tokio::test]
async fn a_configuration_deleted_between_listing_and_reading_is_skipped() {
    let chroot = fresh_chroot().await;
    let store = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    for name in ["a", "b", "c"] {
        store
            .write(&p(&format!("ns/{name}")), b"{}", Expect::Absent)
            .await
            .unwrap();
    }
    let ns = Namespace::new("ns").unwrap();
    let listed = store.list_configs(&ns).await.unwrap();
    assert_eq!(listed.len(), 3);
    raw(&chroot, None)
        .await
        .delete("/confo/ns/b", None)
        .await
        .unwrap();

    let paths: Vec<ConfigPath> = listed
        .iter()
        .map(|n| ConfigPath::new(ns.clone(), n.clone()))
        .collect();
    let read = store.read_many(&paths).await.unwrap();
    assert!(read[0].is_some() && read[1].is_none() && read[2].is_some());
    assert!(store.read(&p("ns/b")).await.unwrap_err().is_not_found());
    let all = store.read_namespace(&ns).await.unwrap();
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn read_many_is_one_request_whatever_the_count() {
    let chroot = fresh_chroot().await;
    let store = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    let paths: Vec<ConfigPath> = (0..40).map(|i| p(&format!("batch/c{i:02}"))).collect();
    for path in &paths {
        store.write(path, b"{}", Expect::Absent).await.unwrap();
    }
    let server = server();
    // Other tests share the server, so measure the smallest of a few tries.
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = packets_received(server);
        let read = store.read_many(&paths).await.unwrap();
        let after = packets_received(server);
        assert_eq!(read.iter().flatten().count(), 40);
        fewest = fewest.min(after - before);
    }
    // One multi-read plus the `srvr` probe itself.
    assert!(fewest <= 2, "read_many of 40 took {fewest} requests");
}

#[tokio::test]
async fn concurrent_creators_of_one_new_configuration_never_see_raw_zookeeper_errors() {
    let chroot = fresh_chroot().await;
    let a = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    let b = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    for i in 0..20 {
        // A new namespace each round: both also race to create it.
        let path = p(&format!("race{i}/cfg"));
        let (ra, rb) = tokio::join!(
            a.write(&path, br#"{"by":"a"}"#, Expect::Absent),
            b.write(&path, br#"{"by":"b"}"#, Expect::Absent)
        );
        match (&ra, &rb) {
            (Ok(_), Err(e)) | (Err(e), Ok(_)) => {
                assert!(e.is_conflict(), "round {i}: {e:?}")
            }
            other => panic!("round {i}: exactly one creator must win, got {other:?}"),
        }

        let path = p(&format!("any{i}/cfg"));
        let (ra, rb) = tokio::join!(
            a.write(&path, br#"{"by":"a"}"#, Expect::Any),
            b.write(&path, br#"{"by":"b"}"#, Expect::Any)
        );
        let (va, vb) = (ra.unwrap(), rb.unwrap());
        assert_ne!(va, vb, "round {i}: two writes, two versions");
        let stored = a.read(&path).await.unwrap();
        assert!(stored.version == va || stored.version == vb);
    }
}

#[tokio::test]
async fn urls_work_through_load_backend_and_python_credentials() {
    let chroot = fresh_chroot().await;
    let confo = Confo::new();
    confo.load_backend("zk", url(&chroot)).await.unwrap();
    confo.activate_backend("zk").unwrap();
    confo.create_namespace("systemB").await.unwrap();

    assert_eq!(
        confo.namespaces().await.unwrap().all_namespaces,
        [Namespace::new("systemB").unwrap()]
    );

    let python_map = json!({
        "zookeeper_host": "127.0.0.1",
        "zookeeper_port": server().port().to_string(),
        "zookeeper_user": "py",
        "zookeeper_passwd": "p@ss:w/rd",
    });
    let creds: Credentials = serde_json::from_value(python_map).unwrap();
    assert!(!format!("{creds:?}").contains("p@ss"));
    let store = creds
        .clone()
        .into_options()
        .with_chroot(chroot.clone())
        .connect()
        .await
        .unwrap();
    store
        .write(&p("systemB/secret"), b"{}", Expect::Absent)
        .await
        .unwrap();
    // The URL form authenticates as the same identity.
    let again = ZooKeeper::connect(&format!("{}{chroot}", creds.into_url()))
        .await
        .unwrap();
    again.read(&p("systemB/secret")).await.unwrap();
}

#[tokio::test]
async fn the_backend_survives_a_server_restart() {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let store = ZooKeeper::builder(server.connect_string())
        .with_session_timeout(Duration::from_secs(4))
        .with_connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let v1 = store
        .write(&p("ns/kept"), br#"{"n":1}"#, Expect::Absent)
        .await
        .unwrap();

    let server = tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .unwrap();
    let started = Instant::now();
    let err = store.read(&p("ns/kept")).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains(&server.connect_string()), "{err}");

    let server = tokio::task::spawn_blocking(move || {
        server.restart().unwrap_or_else(|e| panic!("{e}"));
        server
    })
    .await
    .unwrap();
    // Reconnects on its own (same session, or a new one once it expired).
    let read = read_once_back(&store, "ns/kept", "no recovery").await;
    assert_eq!(read.version, v1);
    store
        .write(&p("ns/kept"), br#"{"n":2}"#, Expect::Version(v1))
        .await
        .unwrap();
    drop(server);
}

/// Reads `path` until the store answers again (30 s at most); until then
/// every failure must be a connection error.
async fn read_once_back(store: &ZooKeeper, path: &str, what: &str) -> confo::backend::Versioned {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match store.read(&p(path)).await {
            Ok(read) => return read,
            Err(e) if Instant::now() < deadline => {
                assert!(matches!(e, Error::Connection { .. }), "{e:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{what} within 30 s: {e}"),
        }
    }
}

#[tokio::test]
async fn the_backend_opens_a_new_session_when_its_session_expired() {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    // The server grants 2 to 20 ticks of 200 ms: a 2 s session.
    let store = ZooKeeper::builder(server.connect_string())
        .with_session_timeout(Duration::from_secs(2))
        .with_connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    store
        .write(&p("ns/kept"), br#"{"n":1}"#, Expect::Absent)
        .await
        .unwrap();

    // Down for longer than the session: the client gives the session up.
    let server = tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let server = tokio::task::spawn_blocking(move || {
        server.restart().unwrap_or_else(|e| panic!("{e}"));
        server
    })
    .await
    .unwrap();

    let read = read_once_back(&store, "ns/kept", "no new session").await;
    assert_eq!(&*read.bytes, br#"{"n":1}"#);
    drop(server);
}

#[tokio::test]
async fn a_batch_write_is_one_atomic_multi_request() {
    let chroot = fresh_chroot().await;
    let store = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    store
        .create_namespace(&"bulk".parse().unwrap())
        .await
        .unwrap();
    let writes: Vec<BatchWrite> = (0..100)
        .map(|i| BatchWrite {
            path: p(&format!("bulk/c{i:03}")),
            bytes: format!("{{\"i\":{i}}}").into_bytes().into(),
            expect: Expect::Absent,
        })
        .collect();

    // One existing configuration in the middle: the whole batch is refused.
    store
        .write(&p("bulk/c050"), b"{\"mine\":true}", Expect::Absent)
        .await
        .unwrap();
    let err = store.write_many(&writes).await.unwrap_err();
    match &err {
        confo::Error::VersionConflict { path, .. } => assert_eq!(path, "bulk/c050"),
        other => panic!("expected a conflict on bulk/c050, got {other:?}"),
    }
    let names = store.list_configs(&"bulk".parse().unwrap()).await.unwrap();
    assert_eq!(names, ["c050"], "nothing of the refused batch was written");

    // Without it, the batch goes through in one request (fewest of a few
    // tries, since other tests share the server).
    store.delete(&p("bulk/c050"), Expect::Any).await.unwrap();
    let server = server();
    let before = packets_received(server);
    store.write_many(&writes).await.unwrap();
    let after = packets_received(server);
    assert_eq!(
        store
            .list_configs(&"bulk".parse().unwrap())
            .await
            .unwrap()
            .len(),
        100
    );
    // The namespace check, the multi-request and the probe itself; allow
    // a few requests of tests running alongside.
    assert!(
        after - before <= 10,
        "batch of 100 took {} requests",
        after - before
    );
}

/// Published schemas live under `/confo-meta`, never under `/confo` (what
/// the Python package lists and confo watches), with the configuration's
/// ACL; writes made outside confo (the Python package, zkCli) are not
/// checked, and confo reads what they wrote.
#[tokio::test]
async fn schemas_stay_out_of_the_python_tree_and_take_the_configurations_acl() {
    let chroot = fresh_chroot().await;
    let owner = ZooKeeper::connect(&auth_url("app", "s3cret", &chroot))
        .await
        .unwrap();
    let path = p("systemA/database");
    owner
        .write(&path, br#"{"host":"db","port":5432}"#, Expect::Absent)
        .await
        .unwrap();
    let schema = confo::Schema::from_json(json!({
        "type": "object", "properties": {"port": {"type": "integer"}}, "required": ["port"]
    }))
    .unwrap();
    confo::publish_schema(&owner, &path, "billing", &schema)
        .await
        .unwrap();

    let zk = raw(&chroot, Some("app:s3cret")).await;
    let mut top = zk.list_children("/").await.unwrap();
    top.sort();
    assert_eq!(top, ["confo", "confo-meta"]);
    assert_eq!(zk.list_children("/confo").await.unwrap(), ["systemA"]);
    assert_eq!(
        zk.list_children("/confo/systemA").await.unwrap(),
        ["database"]
    );
    assert!(zk
        .list_children("/confo/systemA/database")
        .await
        .unwrap()
        .is_empty());
    for node in [
        "/confo-meta/systemA/database",
        "/confo-meta/systemA/database/schemas",
    ] {
        let (acls, _) = zk.get_acl(node).await.unwrap();
        assert_eq!(acls.len(), 1, "{node}: {acls:?}");
        assert_eq!(acls[0].scheme(), "digest", "{node}");
        assert!(acls[0].id().starts_with("app:"), "{node}: {acls:?}");
    }
    let stranger = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    let err = confo::published_schemas(&stranger, &path)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAuthorized { .. }), "{err:?}");

    // A write from outside confo is not checked; confo reads it as it is,
    // and its own next write is checked again.
    zk.set_data("/confo/systemA/database", br#"{"host":"db"}"#, None)
        .await
        .unwrap();
    assert_eq!(
        &*owner.read(&path).await.unwrap().bytes,
        br#"{"host":"db"}"#
    );
    let store = confo::Store::new(std::sync::Arc::new(owner));
    let err = store
        .backend()
        .write(&path, br#"{"host":"db2"}"#, Expect::Any)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "SchemaRefused", "{err}");
}

/// `load_all` of configurations in three namespaces is one request to the
/// server, whatever their number.
#[tokio::test]
async fn load_all_is_one_request_to_the_server() {
    #[derive(confo::Confo, serde::Deserialize, Debug)]
    #[confo(namespace = "nsA", name = "a")]
    struct A {
        x: u32,
    }
    #[derive(confo::Confo, serde::Deserialize, Debug)]
    #[confo(namespace = "nsB", name = "b")]
    struct B {
        y: String,
    }
    #[derive(confo::Confo, serde::Deserialize, Debug)]
    #[confo(namespace = "nsC", name = "c")]
    struct C {
        z: bool,
    }
    // A server of its own: no other test's requests in its count.
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let confo = Confo::from_url(&server.url()).await.unwrap();
    let store = confo.backend().unwrap();
    for (path, value) in [
        ("nsA/a", r#"{"x":1}"#),
        ("nsB/b", r#"{"y":"two"}"#),
        ("nsC/c", r#"{"z":true}"#),
    ] {
        store
            .write(&p(path), value.as_bytes(), Expect::Any)
            .await
            .unwrap();
    }
    // The fewest of a few tries (a session ping may land in one); each
    // count includes the `srvr` probe itself.
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = packets_received(&server);
        let (a, b, c) = confo.load_all::<(A, B, C)>().await.unwrap();
        fewest = fewest.min(packets_received(&server) - before);
        assert_eq!((a.x, b.y.as_str(), c.z), (1, "two", true));
    }
    assert_eq!(fewest, 2, "one multi-read for three configurations");
    // Three loads are three.
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = packets_received(&server);
        confo.load::<A>().await.unwrap();
        confo.load::<B>().await.unwrap();
        confo.load::<C>().await.unwrap();
        fewest = fewest.min(packets_received(&server) - before);
    }
    assert_eq!(fewest, 4);
}

/// A recorded write costs no request more than before history: a blind
/// write is one multi-read (value, schemas, history) and one multi-request
/// (the value and its history entry); a read-then-write reuses the read.
/// The history node takes the configuration's ACL.
#[tokio::test]
async fn history_rides_in_the_writes_own_request_with_the_configurations_acl() {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let owner = ZooKeeper::connect(&format!("zk://app:s3cret@127.0.0.1:{}", server.port()))
        .await
        .unwrap();
    let store = confo::Store::new(std::sync::Arc::new(owner));
    let path = p("systemA/database");
    store
        .backend()
        .write(&path, br#"{"n":0}"#, Expect::Absent)
        .await
        .unwrap();
    let mut fewest = u64::MAX;
    for n in 1..6 {
        let before = packets_received(&server);
        store
            .backend()
            .write(&path, format!(r#"{{"n":{n}}}"#).as_bytes(), Expect::Any)
            .await
            .unwrap();
        fewest = fewest.min(packets_received(&server) - before);
    }
    assert_eq!(fewest, 3, "a read, a write, and the srvr probe");
    let mut fewest = u64::MAX;
    for n in 10..15 {
        let before = packets_received(&server);
        let read = store.backend().read(&path).await.unwrap();
        store
            .backend()
            .write(
                &path,
                format!(r#"{{"n":{n}}}"#).as_bytes(),
                Expect::Version(read.version),
            )
            .await
            .unwrap();
        fewest = fewest.min(packets_received(&server) - before);
    }
    assert_eq!(
        fewest, 3,
        "the read brings the history: one read, one write"
    );
    let history = store.history(&path).await.unwrap();
    assert_eq!(history.entries.len(), 11);
    assert!(
        history.entries.iter().all(|e| e.author == "app"),
        "the digest user is the author"
    );

    let owner = Client::connector()
        .with_auth("digest", b"app:s3cret")
        .connect(&format!("127.0.0.1:{}", server.port()))
        .await
        .unwrap();
    let (acls, _) = owner
        .get_acl("/confo-meta/systemA/database/history")
        .await
        .unwrap();
    assert_eq!(acls.len(), 1, "{acls:?}");
    assert_eq!(acls[0].scheme(), "digest");
    let stranger = Client::connector()
        .connect(&format!("127.0.0.1:{}", server.port()))
        .await
        .unwrap();
    assert!(matches!(
        stranger
            .get_data("/confo-meta/systemA/database/history")
            .await,
        Err(zookeeper_client::Error::NoAuth)
    ));
}

/// An instance's registration is an ephemeral node: when its session
/// ends (the process died), the server drops it, and `status` no longer
/// lists it.
#[tokio::test]
async fn instance_registrations_end_with_their_session() {
    let chroot = fresh_chroot().await;
    let path = p("systemA/database");
    let watcher = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    watcher.write(&path, b"{}", Expect::Absent).await.unwrap();
    let gone_with_me = ZooKeeper::connect(&url(&chroot)).await.unwrap();
    gone_with_me
        .put_instance(&path, "billing-host-1", br#"{"version":"0"}"#)
        .await
        .unwrap();
    assert_eq!(watcher.list_instances(&path).await.unwrap().len(), 1);
    let zk = raw(&chroot, None).await;
    let (_, stat) = zk
        .get_data("/confo-meta/systemA/database/instances/billing-host-1")
        .await
        .unwrap();
    assert_ne!(stat.ephemeral_owner, 0, "an ephemeral node");
    // What the Python package sees, with history and instances present:
    // the namespace and the configuration, nothing beneath it; what it
    // writes, confo reads, and records nothing for.
    confo::Store::new(std::sync::Arc::new(watcher.clone()))
        .backend()
        .write(&path, br#"{"n":1}"#, Expect::Any)
        .await
        .unwrap();
    assert_eq!(zk.list_children("/confo").await.unwrap(), ["systemA"]);
    assert_eq!(
        zk.list_children("/confo/systemA").await.unwrap(),
        ["database"]
    );
    assert!(zk
        .list_children("/confo/systemA/database")
        .await
        .unwrap()
        .is_empty());
    zk.set_data("/confo/systemA/database", br#"{"n":2}"#, None)
        .await
        .unwrap();
    assert_eq!(&*watcher.read(&path).await.unwrap().bytes, br#"{"n":2}"#);
    let history = confo::read_history(&watcher, &path).await.unwrap();
    assert_eq!(history.entries.len(), 1);
    assert!(history.gap_after, "the outside write shows as a gap");
    drop(gone_with_me);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !watcher.list_instances(&path).await.unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the registration outlived its session"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
