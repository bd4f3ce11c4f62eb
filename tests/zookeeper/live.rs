//! Live values on a real ZooKeeper, through the faults a service meets:
//! server restarts, session expiry, a cut connection, bursts of changes,
//! bad updates, deletions, and a start while ZooKeeper is down.
//!
//! One shared server for the tests that leave it alone, each in its own
//! chroot; every test that stops a server or cuts a connection starts its
//! own. Every wait is bounded.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use confo::backend::{Backend, Expect, SessionStatus, ZooKeeper};
use confo::testing::ZooKeeperServer;
use confo::{ConfigPath, Confo, Freshness, Live, NamespaceChange, Problem, RetryPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::time::{timeout, Instant};

/// The bound of every wait. Long enough for a JVM to restart on a busy machine.
const WAIT: Duration = Duration::from_secs(60);

fn server() -> &'static ZooKeeperServer {
    static SERVER: OnceLock<ZooKeeperServer> = OnceLock::new();
    SERVER.get_or_init(|| ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}")))
}

/// The shared server, started off the async threads.
async fn shared_server() -> &'static ZooKeeperServer {
    tokio::task::spawn_blocking(server).await.unwrap()
}

/// A server of this test's own, to stop and restart.
async fn own_server() -> Arc<ZooKeeperServer> {
    tokio::task::spawn_blocking(|| ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}")))
        .await
        .map(Arc::new)
        .unwrap()
}

async fn stop(server: &Arc<ZooKeeperServer>) {
    let s = Arc::clone(server);
    tokio::task::spawn_blocking(move || s.stop()).await.unwrap();
}

async fn restart(server: &Arc<ZooKeeperServer>) {
    let s = Arc::clone(server);
    tokio::task::spawn_blocking(move || s.restart().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap();
}

/// A chroot no other test uses.
fn fresh_chroot() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "/live-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A backend on `hosts` + `chroot` with short timeouts, so outages show fast.
async fn zk(hosts: &str, chroot: &str, session: Duration) -> ZooKeeper {
    ZooKeeper::builder(format!("{hosts}{chroot}"))
        .with_session_timeout(session)
        .with_connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn p(s: &str) -> ConfigPath {
    s.parse().unwrap()
}

/// Writes, retrying while the store comes back (the value is the same on
/// every attempt, so a write that landed before its answer was lost is
/// harmless). The writer's own session may expire during an outage too (its
/// write then answers "may or may not have been applied"); the backend opens a
/// new session, so such an answer is retried until the deadline.
async fn write(store: &ZooKeeper, path: &str, value: Value) {
    let bytes = value.to_string();
    let deadline = Instant::now() + WAIT;
    loop {
        match store.write(&p(path), bytes.as_bytes(), Expect::Any).await {
            Ok(_) => return,
            Err(e) if Instant::now() < deadline && retryable(&e) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("write {path}: {e}"),
        }
    }
}

fn retryable(e: &confo::Error) -> bool {
    confo::is_transient(e) || e.is_outcome_unknown()
}

async fn wait_for_freshness<T>(live: &Live<T>, freshness: Freshness, what: &str) {
    let mut status = live.status_stream();
    timeout(WAIT, status.wait_for(|s| s.freshness == freshness))
        .await
        .unwrap_or_else(|_| panic!("{what}: not {freshness:?} within {WAIT:?}"))
        .unwrap();
}

/// Waits until `live` holds a value for which `done` holds.
async fn wait_for_value(live: &Live<Value>, what: &str, done: impl Fn(&Value) -> bool) {
    let mut live = live.clone();
    let deadline = Instant::now() + WAIT;
    while !done(&live.get()) {
        tokio::time::timeout_at(deadline, live.changed())
            .await
            .unwrap_or_else(|_| panic!("{what}: still {} after {WAIT:?}", live.get()))
            .unwrap();
    }
}

// ------------------------------------------------------------ restarts

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_live_values_survive_a_server_restart_and_see_the_next_change() {
    let server = own_server().await;
    let hosts = server.connect_string();
    let chroot = fresh_chroot();
    let session = Duration::from_secs(4);
    let writer = zk(&hosts, &chroot, session).await;
    write(&writer, "ns/db", json!({"n": 1})).await;

    // Two handles on one backend (one shared server-side watch) and one on
    // another session, as three services would.
    let one = Confo::with_backend(zk(&hosts, &chroot, session).await);
    let other = Confo::with_backend(zk(&hosts, &chroot, session).await);
    let lives = vec![
        one.watch_raw(&p("ns/db")).await.unwrap(),
        one.watch_raw(&p("ns/db")).await.unwrap(),
        other.watch_raw(&p("ns/db")).await.unwrap(),
    ];
    for live in &lives {
        assert_eq!(live.get()["n"], 1);
        assert_eq!(live.status().freshness, Freshness::Fresh);
    }

    stop(&server).await;
    for (i, live) in lives.iter().enumerate() {
        wait_for_freshness(
            live,
            Freshness::Stale,
            &format!("live {i} during the outage"),
        )
        .await;
        assert_eq!(live.get()["n"], 1, "the last value stays during the outage");
    }
    restart(&server).await;
    write(&writer, "ns/db", json!({"n": 2})).await;
    for (i, live) in lives.iter().enumerate() {
        wait_for_value(live, &format!("live {i} after the restart"), |v| {
            v["n"] == 2
        })
        .await;
        wait_for_freshness(
            live,
            Freshness::Fresh,
            &format!("live {i} after the restart"),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_value_recovers_from_session_expiry_and_sees_the_next_change() {
    let server = own_server().await;
    let hosts = server.connect_string();
    let chroot = fresh_chroot();
    let writer = zk(&hosts, &chroot, Duration::from_secs(4)).await;
    write(&writer, "ns/db", json!({"n": 1})).await;
    // A short session: the client gives it up 1.4 x 1 s after losing the server.
    let store = zk(&hosts, &chroot, Duration::from_secs(1)).await;
    let first_session = store.session_id();
    let live = Confo::with_backend(store.clone())
        .watch_raw(&p("ns/db"))
        .await
        .unwrap();

    stop(&server).await;
    wait_for_freshness(&live, Freshness::Stale, "during the outage").await;
    let deadline = Instant::now() + WAIT;
    while store.session_status() != SessionStatus::Expired {
        assert!(
            Instant::now() < deadline,
            "the session did not expire: {:?}",
            store.session_status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    restart(&server).await;
    write(&writer, "ns/db", json!({"n": 2})).await;
    wait_for_value(&live, "after the expiry", |v| v["n"] == 2).await;
    wait_for_freshness(&live, Freshness::Fresh, "after the expiry").await;
    assert_ne!(
        store.session_id(),
        first_session,
        "a new session replaced the expired one"
    );

    // The watch was re-armed on the new session: the next change arrives too.
    write(&writer, "ns/db", json!({"n": 3})).await;
    wait_for_value(&live, "on the new session", |v| v["n"] == 3).await;
}

// ------------------------------------------------------------ a cut connection

/// A loopback TCP proxy to a server that can cut every connection through it
/// (and refuse new ones) and let them through again.
struct Proxy {
    port: u16,
    open: Arc<Mutex<bool>>,
    links: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(target_port: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(Mutex::new(true));
        let links: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (open2, links2) = (Arc::clone(&open), Arc::clone(&links));
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !*open2.lock().unwrap() {
                    continue; // dropped: the client sees the connection close
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target_port)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links2.lock().unwrap().push(link.abort_handle());
            }
        });
        Proxy {
            port,
            open,
            links,
            accept,
        }
    }

    fn cut(&self) {
        *self.open.lock().unwrap() = false;
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        *self.open.lock().unwrap() = true;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_while_disconnected_arrives_after_the_reconnection() {
    let server = own_server().await;
    let chroot = fresh_chroot();
    let writer = zk(&server.connect_string(), &chroot, Duration::from_secs(4)).await;
    write(&writer, "ns/db", json!({"n": 1})).await;
    let proxy = Proxy::start(server.port()).await;
    // The longest session the test server grants: the cut must end before it.
    let store = zk(
        &format!("127.0.0.1:{}", proxy.port),
        &chroot,
        Duration::from_secs(4),
    )
    .await;
    let session = store.session_id();
    let live = Confo::with_backend(store.clone())
        .watch_raw(&p("ns/db"))
        .await
        .unwrap();

    proxy.cut();
    wait_for_freshness(&live, Freshness::Stale, "while cut off").await;
    write(&writer, "ns/db", json!({"n": 2})).await;
    assert_eq!(live.get()["n"], 1);
    proxy.restore();
    wait_for_value(&live, "after the reconnection", |v| v["n"] == 2).await;
    wait_for_freshness(&live, Freshness::Fresh, "after the reconnection").await;
    assert_eq!(store.session_id(), session, "the same session, reconnected");

    // The watch works on the reconnected session: the next change arrives.
    write(&writer, "ns/db", json!({"n": 3})).await;
    wait_for_value(&live, "after the reconnection", |v| v["n"] == 3).await;
}

// ------------------------------------------------------------ changes, bad input, deletion

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_quick_changes_end_on_the_last_in_order() {
    let hosts = shared_server().await.connect_string();
    let chroot = fresh_chroot();
    let writer = zk(&hosts, &chroot, Duration::from_secs(4)).await;
    write(&writer, "ns/n", json!({"n": 0})).await;
    let live = Confo::with_backend(zk(&hosts, &chroot, Duration::from_secs(4)).await)
        .watch_raw(&p("ns/n"))
        .await
        .unwrap();
    let mut updates = live.subscribe();
    for i in 1..=100u64 {
        writer
            .write(
                &p("ns/n"),
                json!({ "n": i }).to_string().as_bytes(),
                Expect::Any,
            )
            .await
            .unwrap();
    }
    let mut last = 0;
    let deadline = Instant::now() + WAIT;
    let mut seen = 0;
    while last < 100 {
        let update = tokio::time::timeout_at(deadline, updates.next())
            .await
            .unwrap_or_else(|_| panic!("the final value did not arrive; last seen {last}"))
            .unwrap();
        let n = update.value["n"].as_u64().unwrap();
        assert!(n > last, "value {n} after {last}: out of order");
        last = n;
        seen += 1;
    }
    assert_eq!(live.get()["n"], 100);
    assert!(seen <= 100, "{seen} updates for 100 changes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_json_is_rejected_and_the_next_valid_value_is_taken() {
    let hosts = shared_server().await.connect_string();
    let chroot = fresh_chroot();
    let writer = zk(&hosts, &chroot, Duration::from_secs(4)).await;
    write(&writer, "ns/db", json!({"port": 1})).await;
    let mut live = Confo::with_backend(zk(&hosts, &chroot, Duration::from_secs(4)).await)
        .watch_raw(&p("ns/db"))
        .await
        .unwrap();
    let mut problems = live.problems();
    writer
        .write(&p("ns/db"), b"{\"port\": oops", Expect::Any)
        .await
        .unwrap();
    match timeout(WAIT, problems.recv()).await.unwrap().unwrap() {
        Problem::Rejected { error, .. } => {
            let shown = error.to_string();
            assert!(shown.contains("ns/db"), "{shown}");
            assert!(
                !shown.contains("oops"),
                "a stored value in an error: {shown}"
            );
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(live.get()["port"], 1, "the last good value stays");
    assert!(live.status().last_problem.is_some());

    write(&writer, "ns/db", json!({"port": 2})).await;
    let value = timeout(WAIT, live.changed()).await.unwrap().unwrap();
    assert_eq!(value["port"], 2);
    assert_eq!(live.status().last_problem, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_is_reported_and_the_recreated_value_is_taken() {
    let hosts = shared_server().await.connect_string();
    let chroot = fresh_chroot();
    let writer = zk(&hosts, &chroot, Duration::from_secs(4)).await;
    write(&writer, "ns/db", json!({"v": 1})).await;
    let mut live = Confo::with_backend(zk(&hosts, &chroot, Duration::from_secs(4)).await)
        .watch_raw(&p("ns/db"))
        .await
        .unwrap();
    let mut problems = live.problems();
    let before = live.version();
    writer.delete(&p("ns/db"), Expect::Any).await.unwrap();
    let problem = timeout(WAIT, problems.recv()).await.unwrap().unwrap();
    assert!(matches!(problem, Problem::Deleted), "{problem:?}");
    wait_for_freshness(&live, Freshness::Deleted, "after the delete").await;
    assert_eq!(live.get()["v"], 1, "the last value stays");

    // Created again: ZooKeeper starts its version over, so the version is
    // the same as before; the new value is taken all the same.
    writer
        .write(&p("ns/db"), br#"{"v":2}"#, Expect::Absent)
        .await
        .unwrap();
    let value = timeout(WAIT, live.changed()).await.unwrap().unwrap();
    assert_eq!(value["v"], 2);
    assert_eq!(live.version(), before, "ZooKeeper restarted the version");
    assert_eq!(live.status().freshness, Freshness::Fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_watch_reports_added_changed_removed() {
    let hosts = shared_server().await.connect_string();
    let chroot = fresh_chroot();
    let writer = zk(&hosts, &chroot, Duration::from_secs(4)).await;
    write(&writer, "ns/a", json!({"v": 1})).await;
    let confo = Confo::with_backend(zk(&hosts, &chroot, Duration::from_secs(4)).await);
    let mut changes = confo.watch_namespace("ns").await.unwrap();
    assert_eq!(changes.known().len(), 1);

    write(&writer, "ns/b", json!({"v": 2})).await;
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Added { name, value, .. } => {
            assert_eq!(name, "b");
            assert_eq!(value, json!({"v": 2}));
        }
        other => panic!("expected Added, got {other:?}"),
    }
    write(&writer, "ns/a", json!({"v": 10})).await;
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Changed { name, value, .. } => {
            assert_eq!(name, "a");
            assert_eq!(value, json!({"v": 10}));
        }
        other => panic!("expected Changed, got {other:?}"),
    }
    writer.delete(&p("ns/b"), Expect::Any).await.unwrap();
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Removed { name } => assert_eq!(name, "b"),
        other => panic!("expected Removed, got {other:?}"),
    }
    // Changes in other namespaces are not reported here.
    write(&writer, "other/z", json!({})).await;
    write(&writer, "ns/c", json!({})).await;
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Added { name, .. } => assert_eq!(name, "c"),
        other => panic!("expected Added c, got {other:?}"),
    }
}

// ------------------------------------------------------------ server-side watches

/// The server's `wchc` report: every session's watched paths.
fn watches_by_session(server: &ZooKeeperServer) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"wchc").unwrap();
    let mut report = String::new();
    stream.read_to_string(&mut report).unwrap();
    report
}

async fn wait_for_watch(server: &'static ZooKeeperServer, znode: &str, present: bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        let report = tokio::task::spawn_blocking(move || watches_by_session(server))
            .await
            .unwrap();
        if report.lines().any(|l| l.trim() == znode) == present {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "watch on {znode} present={} expected {present}:\n{report}",
            !present
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_every_handle_removes_the_server_side_watch() {
    let server = shared_server().await;
    let chroot = fresh_chroot();
    let store = zk(&server.connect_string(), &chroot, Duration::from_secs(4)).await;
    write(&store, "ns/db", json!({"v": 1})).await;
    let znode = format!("{chroot}/confo/ns/db");
    let confo = Confo::with_backend(store.clone());
    let live = confo.watch_raw(&p("ns/db")).await.unwrap();
    let second = confo.watch_raw(&p("ns/db")).await.unwrap();
    let clone = live.clone();
    wait_for_watch(server, &znode, true).await;

    drop(live);
    drop(clone);
    // One handle still watches: the shared watch stays.
    write(&store, "ns/db", json!({"v": 2})).await;
    wait_for_value(&second, "the remaining handle", |v| v["v"] == 2).await;
    wait_for_watch(server, &znode, true).await;

    drop(second);
    wait_for_watch(server, &znode, false).await;
}

// ------------------------------------------------------------ local copies

#[derive(confo::Confo, Serialize, Deserialize, Debug, PartialEq)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    host: String,
    port: u16,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_starts_from_its_local_copy_while_zookeeper_is_down() {
    let server = own_server().await;
    let hosts = server.connect_string();
    let chroot = fresh_chroot();
    let dir = tempfile::tempdir().unwrap();
    {
        let store = zk(&hosts, &chroot, Duration::from_secs(4)).await;
        write(
            &store,
            "systemA/database",
            json!({"host": "db", "port": 5432}),
        )
        .await;
        let confo = Confo::with_backend(store);
        confo.keep_local_copies(dir.path());
        assert_eq!(confo.load::<Database>().await.unwrap().port, 5432);
    }
    stop(&server).await;

    // A new process, ZooKeeper down: it starts from the local copy.
    let store = ZooKeeper::builder(format!("{hosts}{chroot}"))
        .with_connect_timeout(Duration::from_secs(1))
        .with_session_timeout(Duration::from_secs(4))
        .connect_lazily()
        .unwrap();
    // Fall back to the local copy after 3 s of retries rather than the default 30.
    let confo = Confo::with_backend(store)
        .with_retry_policy(RetryPolicy::default().with_deadline(Duration::from_secs(3)));
    confo.keep_local_copies(dir.path());
    let started = Instant::now();
    let live = timeout(WAIT, confo.watch::<Database>())
        .await
        .expect("watch returns while ZooKeeper is down")
        .unwrap();
    assert_eq!(live.get().port, 5432);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the retry policy bounds the start: {:?}",
        started.elapsed()
    );
    let status = live.status();
    assert_eq!(status.freshness, Freshness::Stale);
    assert!(status.last_problem.unwrap().contains("local copy"));
    timeout(WAIT, confo.use_namespace("systemA"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(confo.get_field("database", "host").unwrap(), json!("db"));

    restart(&server).await;
    wait_for_freshness(&live, Freshness::Fresh, "once ZooKeeper is back").await;
    assert_eq!(
        *live.get(),
        Database {
            host: "db".into(),
            port: 5432
        }
    );
}

/// `watch_namespace` rides out a server that is down when it is called,
/// with the manager's retry policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_watch_started_during_an_outage_retries_until_the_server_is_back() {
    let server = own_server().await;
    let chroot = fresh_chroot();
    let store = zk(&server.connect_string(), &chroot, Duration::from_secs(4)).await;
    write(&store, "ns/a", json!({"v": 1})).await;
    let confo = Confo::with_backend(store.clone())
        .with_retry_policy(RetryPolicy::default().with_deadline(WAIT));

    stop(&server).await;
    let back = {
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            // Longer than one request waits for a reconnection (2 x session
            // + connect timeout = 10 s): only a retry gets through.
            tokio::time::sleep(Duration::from_secs(12)).await;
            restart(&server).await;
        })
    };
    let mut changes = timeout(WAIT, confo.watch_namespace("ns"))
        .await
        .expect("watch_namespace within the retry deadline")
        .unwrap_or_else(|e| panic!("{e}"));
    back.await.unwrap();
    assert_eq!(changes.known().len(), 1);

    write(&store, "ns/b", json!({"v": 2})).await;
    match timeout(WAIT, changes.next()).await.unwrap().unwrap() {
        NamespaceChange::Added { name, .. } => assert_eq!(name, "b"),
        other => panic!("expected Added b, got {other:?}"),
    }
}

/// A hundred `watch` calls for one configuration in one process cost one
/// read per change, not a hundred: they share one task (and one watch on
/// the server), and every handle still sees the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_watches_of_one_configuration_read_it_once_per_change() {
    #[derive(confo::Confo, Deserialize, Debug)]
    #[confo(namespace = "fan", name = "out")]
    struct FanOut {
        seq: u64,
    }
    let server = own_server().await;
    let confo = Confo::from_url(&server.url()).await.unwrap();
    let store = confo.backend().unwrap();
    let path: ConfigPath = "fan/out".parse().unwrap();
    store
        .write(&path, br#"{"seq":0}"#, Expect::Any)
        .await
        .unwrap();
    let mut handles = Vec::new();
    for _ in 0..100 {
        handles.push(confo.watch::<FanOut>().await.unwrap());
    }
    let writer = Confo::from_url(&server.url()).await.unwrap();
    let writer = writer.backend().unwrap();
    let mut least = u64::MAX;
    for seq in 1..=3u64 {
        let before = super::backend::packets_received(&server);
        let body = format!(r#"{{"seq":{seq}}}"#);
        writer
            .write(&path, body.as_bytes(), Expect::Any)
            .await
            .unwrap();
        for live in &mut handles {
            let deadline = Instant::now() + WAIT;
            while live.get().seq != seq {
                timeout(deadline - Instant::now(), live.changed())
                    .await
                    .expect("every handle sees the change")
                    .unwrap();
            }
        }
        least = least.min(super::backend::packets_received(&server) - before);
    }
    // The write, one read, the probe itself; a ping may fall in between.
    assert!(
        least <= 4,
        "one change cost {least} requests for 100 handles: they do not share one read"
    );
}
