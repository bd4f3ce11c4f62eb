//! No password or secret value in any log line, error, `Debug` output or
//! panic message: every `tracing` event and span of the process (confo's
//! and the ZooKeeper client's, at TRACE) is captured into a buffer, and
//! each test checks its own secrets against that buffer and against every
//! message it produced.

use std::collections::hash_map::DefaultHasher;
use std::fmt::{Debug, Write as _};
use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use confo::backend::{Backend, Credentials, Expect, MemoryBackend, ZooKeeperOptions};
use confo::testing::ZooKeeperServer;
use confo::{Confo, Secret};
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Everything logged by this test process.
fn log() -> &'static Arc<Mutex<String>> {
    static LOG: OnceLock<Arc<Mutex<String>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(String::new()));
        tracing::subscriber::set_global_default(Capture {
            log: log.clone(),
            next_id: AtomicU64::new(1),
        })
        .expect("the only subscriber of this test binary");
        log
    })
}

/// A subscriber that writes every event and span, with all fields, to a buffer.
struct Capture {
    log: Arc<Mutex<String>>,
    next_id: AtomicU64,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(String::new());
        span.record(&mut fields);
        let line = format!("span {}{}\n", span.metadata().name(), fields.0);
        self.log.lock().unwrap().push_str(&line);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed))
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut fields = Fields(String::new());
        values.record(&mut fields);
        self.log
            .lock()
            .unwrap()
            .push_str(&format!("record{}\n", fields.0));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let meta = event.metadata();
        let line = format!("{} {}{}\n", meta.level(), meta.target(), fields.0);
        self.log.lock().unwrap().push_str(&line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Asserts that no secret is in `shown` (one message, Debug output...) nor
/// in anything logged so far.
fn assert_hidden(secrets: &[&str], what: &str, shown: &str) {
    for secret in secrets {
        assert!(!shown.contains(secret), "{what} shows {secret:?}: {shown}");
        let log = log().lock().unwrap();
        if let Some(at) = log.find(secret) {
            let start = log[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = log[at..].find('\n').map_or(log.len(), |i| at + i);
            panic!("a log line shows {secret:?}: {}", &log[start..end]);
        }
    }
}

/// A secret unique to this call site, unlikely anywhere else.
fn secret(label: &str) -> String {
    let mut h = DefaultHasher::new();
    label.hash(&mut h);
    format!("Sx{:012x}", h.finish() & 0xffff_ffff_ffff)
}

fn server() -> &'static ZooKeeperServer {
    static SERVER: OnceLock<ZooKeeperServer> = OnceLock::new();
    SERVER.get_or_init(|| ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}")))
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn bad_urls_never_show_their_password() {
    log();
    let pw = secret("bad urls");
    for url in [
        format!("zk://admin:{pw}@h:notaport"),
        format!("zk://admin:{pw}@h:1/bad//chroot"),
        format!("zk://admin:{pw}@h:1?unknown=1"),
        format!("zk://admin:{pw}/x@h:notaport"),
        format!("zk://admin:{pw}?x@h:1?connect_timeout=x"),
        format!("zk://admin:{pw}@"),
        format!("zk://{pw}@h:1"),
        format!("zks://admin:{pw}@h:1"),
        format!("zks://admin:{pw}@bad_host!:1?ca_file=/nonexistent"),
        format!("zz://admin:{pw}@h:1"),
        format!("admin:{pw}@h:1"),
    ] {
        let err = Confo::from_url(&url).await.unwrap_err();
        assert_hidden(&[&pw], &url, &format!("{err} {err:?}"));
        if let Err(err) = ZooKeeperOptions::from_url(&url) {
            assert_hidden(&[&pw], &url, &format!("{err} {err:?}"));
        }
        assert_hidden(&[&pw], &url, &confo::backend::redact(&url));
    }
}

#[tokio::test]
async fn an_unreachable_server_never_shows_the_password() {
    log();
    let pw = secret("unreachable");
    let url = format!(
        "zk://admin:{pw}@127.0.0.1:{}/app?connect_timeout=1s",
        closed_port()
    );
    let err = Confo::from_url(&url).await.unwrap_err();
    assert!(matches!(err, confo::Error::Connection { .. }), "{err:?}");
    assert_hidden(&[&pw], "unreachable server", &format!("{err} {err:?}"));
}

#[derive(confo::Confo, Serialize, Deserialize, Debug)]
#[confo(namespace = "leaks", name = "database")]
struct Database {
    host: String,
    password: Secret<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_everything_around_it_never_show_a_password() {
    log();
    let right = secret("right password");
    let wrong = secret("wrong password");
    let stored = secret("stored secret");
    let server = tokio::task::spawn_blocking(server).await.unwrap();
    let url =
        format!("{}/leaks-auth", server.url()).replace("zk://", &format!("zk://admin:{right}@"));
    let owner = Confo::from_url(&url).await.unwrap();
    owner
        .save(&Database {
            host: "db".into(),
            password: Secret::new(stored.clone()),
        })
        .await
        .unwrap();
    let loaded = owner.load_versioned::<Database>().await.unwrap();
    owner.use_namespace("leaks").await.unwrap(); // the untyped cache holds the value
    let shown = format!(
        "{owner:?} {loaded:?} {:?} {:?}",
        owner.backend().unwrap().describe(),
        owner.load::<Database>().await.unwrap()
    );
    assert_hidden(&[&right, &stored], "the owner's Debug", &shown);

    // Another client with the wrong password: not authorized to read.
    let url = url.replace(&right, &wrong);
    let intruder = Confo::from_url(&url).await.unwrap();
    let err = intruder.load::<Database>().await.unwrap_err();
    assert!(matches!(err, confo::Error::NotAuthorized { .. }), "{err:?}");
    let shown = format!("{err} {err:?} {intruder:?}");
    assert_hidden(&[&right, &wrong, &stored], "a wrong password", &shown);

    // Options and credentials in Debug.
    let options = ZooKeeperOptions::from_url(&url).unwrap();
    let creds = Credentials::new("127.0.0.1", server.port()).with_user("admin", &wrong);
    let shown = format!("{options:?} {creds:?} {:?}", creds.clone().into_options());
    assert_hidden(&[&wrong], "options and credentials", &shown);
}

#[derive(confo::Confo, Deserialize, Debug)]
#[confo(namespace = "leaks", name = "typed")]
#[allow(dead_code)]
struct Typed {
    password: Secret<String>,
    pin: Secret<u32>,
    token: Secret<Vec<String>>,
    nested: Nested,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Nested {
    key: Secret<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decode_errors_debug_live_and_panics_never_show_a_secret() {
    log();
    let s = secret("typed secret");
    let store = MemoryBackend::new();
    let confo = Confo::with_backend(store.clone());
    let path = "leaks/typed".parse().unwrap();
    let good = format!(
        r#"{{"password":"{s}-a","pin":"1234","token":["{s}-b"],"nested":{{"key":"{s}-c"}}}}"#
    );
    store
        .write(&path, good.as_bytes(), Expect::Any)
        .await
        .unwrap();
    let loaded = confo.load_versioned::<Typed>().await.unwrap();
    let live = confo.watch::<Typed>().await.unwrap();
    let mut problems = live.problems();
    assert_hidden(
        &[&s],
        "Loaded and Live",
        &format!("{loaded:?} {live:?} {:?}", live.get()),
    );

    // Wrong shapes around the secrets: errors name the field, never the value.
    for bad in [
        format!(r#"{{"password":["{s}"],"pin":1,"token":[],"nested":{{"key":"k"}}}}"#),
        format!(r#"{{"password":{{"v":"{s}"}},"pin":1,"token":[],"nested":{{"key":"k"}}}}"#),
        format!(r#"{{"password":"p","pin":"{s}","token":[],"nested":{{"key":"k"}}}}"#),
        format!(r#"{{"password":"p","pin":1,"token":"{s}","nested":{{"key":"k"}}}}"#),
        format!(r#"{{"password":"p","pin":1,"token":[1,"{s}"],"nested":{{"key":"k"}}}}"#),
        format!(r#"{{"password":"p","pin":1,"token":[],"nested":{{"key":["{s}"]}}}}"#),
        format!(r#"{{"password":"p","pin":1,"token":[],"nested":"{s}"}}"#),
        format!(r#"{{"password":"{s}","pin":1,"token":[],"nested":{{"key":"k"}},"#),
        format!(r#"{{"password":"{s}\x"}}"#),
    ] {
        let version = store
            .write(&path, bad.as_bytes(), Expect::Any)
            .await
            .unwrap();
        let err = confo.load::<Typed>().await.unwrap_err();
        assert!(err.to_string().contains("leaks/typed"), "{err}");
        assert_hidden(&[&s], &bad, &format!("{err} {err:?}"));
        // The live value rejects it, saying so without the value.
        loop {
            let problem = tokio::time::timeout(Duration::from_secs(10), problems.recv())
                .await
                .expect("a problem report")
                .unwrap();
            assert_hidden(&[&s], "a live problem", &format!("{problem} {problem:?}"));
            if matches!(&problem, confo::Problem::Rejected { version: v, .. } if *v == version) {
                break;
            }
        }
        // A panic on the error (unwrap, expect) shows the error's Debug.
        let panic = AssertUnwindSafe(async { confo.load::<Typed>().await.unwrap() })
            .catch_unwind()
            .await
            .expect_err("unwrap of an error panics");
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(message.contains("leaks/typed"), "{message}");
        assert_hidden(&[&s], "a panic message", &message);
    }
    assert_hidden(
        &[&s],
        "the live value after rejections",
        &format!("{live:?}"),
    );

    // Overrides carrying a secret: never in Debug or errors.
    let o = secret("override");
    let confo = Confo::with_backend(store.clone()).with_overrides_from(
        "APP",
        [
            ("APP__LEAKS__TYPED__PASSWORD", o.as_str()),
            ("APP__LEAKS__TYPED__PIN", o.as_str()),
        ],
    );
    store
        .write(&path, good.as_bytes(), Expect::Any)
        .await
        .unwrap();
    let err = confo.load::<Typed>().await.unwrap_err();
    assert_hidden(
        &[&o, &s],
        "an override error and the manager",
        &format!("{err} {err:?} {confo:?}"),
    );
}

#[tokio::test]
async fn a_panic_on_a_url_error_never_shows_the_password() {
    log();
    let pw = secret("panic url");
    let url = format!("zk://admin:{pw}/p@h:notaport");
    let panic = AssertUnwindSafe(async { Confo::from_url(&url).await.expect("connect") })
        .catch_unwind()
        .await
        .expect_err("expect of an error panics");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("connect"), "{message}");
    assert_hidden(&[&pw], "a panic message", &message);
}
