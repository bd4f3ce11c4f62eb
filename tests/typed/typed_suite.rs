//! The typed-layer suite: what `#[derive(Confo)]` types can do against any
//! backend, run unchanged against each one. A backend's test file calls
//! [`typed_tests!`] with an async factory returning a [`Fixture`] over a
//! fresh, empty store (adding ZooKeeper is one such line).

#![allow(dead_code)]

use std::any::Any;
use std::collections::BTreeMap;

use confo::backend::Expect;
use confo::{AsBackend, Config, ConfigPath, Confo, Error, Secret};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A manager over a fresh store and whatever keeps the store alive.
pub struct Fixture {
    pub confo: Confo,
    pub guard: Box<dyn Any + Send + Sync>,
}

impl Fixture {
    pub fn new(confo: Confo, guard: impl Any + Send + Sync) -> Self {
        Fixture {
            confo,
            guard: Box::new(guard),
        }
    }
}

/// Generates one `#[tokio::test]` per case, each on a fresh store from `$factory`.
#[macro_export]
macro_rules! typed_tests {
    ($factory:expr) => {
        $crate::typed_tests!(@cases $factory;
            loads_through_every_entry_point, scalars_stored_as_strings_decode,
            nothing_else_is_coerced, every_error_is_reported_at_once,
            nested_and_enum_errors_have_field_paths, options_and_defaults_fill_missing_fields,
            malformed_json_gives_line_and_column, missing_configuration_is_not_found,
            a_type_without_namespace_takes_one_at_run_time, save_is_compare_and_set,
            save_creates_only_what_was_never_loaded, save_keeps_keys_the_type_does_not_know,
            loaded_carries_its_version, renamed_fields_use_their_json_keys,
            field_handles_read_and_write_one_field, field_errors_name_the_field,
            concurrent_field_writers_lose_nothing, decode_errors_never_show_values,
            typed_writes_are_checked_against_every_published_schema,
            load_all_loads_several_configurations_together,
            watch_all_follows_several_configurations_from_one_read,
            watching_again_shares_a_value_never_older_than_the_store,
            typed_writes_are_recorded_in_history,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture: $crate::typed_suite::Fixture = $factory.await;
                $crate::typed_suite::$case(&fixture.confo).await;
                drop(fixture);
            }
        )*
    };
}

#[derive(Confo, Deserialize, Serialize, Debug, Clone, PartialEq)]
#[confo(namespace = "systemA", name = "database")]
pub struct Database {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret<String>,
    pub vendor: Vendor,
}

#[derive(Deserialize, Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Postgres,
    Mysql,
}

fn db_json() -> Value {
    json!({"host": "db.local", "port": 5432, "user": "app", "password": "hunter2", "vendor": "postgres"})
}

async fn put(confo: &Confo, path: &str, value: &Value) {
    let path: ConfigPath = path.parse().unwrap();
    confo
        .backend()
        .unwrap()
        .write(&path, &serde_json::to_vec(value).unwrap(), Expect::Any)
        .await
        .unwrap();
}

async fn put_raw(confo: &Confo, path: &str, bytes: &[u8]) {
    let path: ConfigPath = path.parse().unwrap();
    confo
        .backend()
        .unwrap()
        .write(&path, bytes, Expect::Any)
        .await
        .unwrap();
}

async fn stored(confo: &Confo, path: &str) -> Value {
    let path: ConfigPath = path.parse().unwrap();
    let read = confo.backend().unwrap().read(&path).await.unwrap();
    serde_json::from_slice(&read.bytes).unwrap()
}

fn decode_errors(err: Error) -> BTreeMap<String, String> {
    match err {
        Error::Decode { errors, .. } => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        other => panic!("expected a decode error, got {other}"),
    }
}

pub async fn loads_through_every_entry_point(confo: &Confo) {
    put(confo, "systemA/database", &db_json()).await;

    let a = Database::load(confo).await.unwrap();
    let b: Database = confo.load().await.unwrap();
    let backend = confo.backend().unwrap();
    let c = Database::load_from(&backend).await.unwrap(); // &Arc<dyn Backend>
    let d = Database::load_from(&*backend).await.unwrap(); // &dyn Backend
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a, d);
    assert_eq!(a.port, 5432);
    assert_eq!(a.vendor, Vendor::Postgres);
    assert_eq!(a.password.expose(), "hunter2");
}

pub async fn scalars_stored_as_strings_decode(confo: &Confo) {
    #[derive(Confo, Deserialize, Debug)]
    #[confo(namespace = "systemA", name = "scalars")]
    struct Scalars {
        port: u16,
        offset: i32,
        ratio: f64,
        debug: bool,
        legacy: bool,
        maybe: Option<u32>,
        big: u128,
    }
    put(
        confo,
        "systemA/scalars",
        &json!({"port": "3306", "offset": "-5", "ratio": "0.25", "debug": "true",
                "legacy": "False", "maybe": "7", "big": "340282366920938463463374607431768211455"}),
    )
    .await;
    let s: Scalars = confo.load().await.unwrap();
    assert_eq!((s.port, s.offset, s.ratio), (3306, -5, 0.25));
    assert!(s.debug && !s.legacy);
    assert_eq!(s.maybe, Some(7));
    assert_eq!(s.big, u128::MAX);
}

pub async fn nothing_else_is_coerced(confo: &Confo) {
    #[derive(Confo, Deserialize, Debug)]
    #[confo(namespace = "systemA", name = "strict")]
    struct Strict {
        port: u16,
        name: String,
        on: bool,
    }
    put(
        confo,
        "systemA/strict",
        &json!({"port": "abc", "name": 42, "on": "yes"}),
    )
    .await;
    let errors = decode_errors(confo.load::<Strict>().await.unwrap_err());
    assert_eq!(
        errors["strict.port"],
        "expected u16, found a string that is not a number"
    );
    assert_eq!(errors["strict.name"], "expected a string, found a number");
    assert_eq!(
        errors["strict.on"],
        "expected a boolean, found a string that is not true or false"
    );

    put(
        confo,
        "systemA/strict",
        &json!({"port": 70000, "name": "x", "on": true}),
    )
    .await;
    let errors = decode_errors(confo.load::<Strict>().await.unwrap_err());
    assert_eq!(
        errors["strict.port"],
        "invalid value: expected u16, found a number out of range"
    );
}

pub async fn every_error_is_reported_at_once(confo: &Confo) {
    put(
        confo,
        "systemA/database",
        &json!({"port": "abc", "user": ["x"], "password": 5, "vendor": "oracle"}),
    )
    .await;
    let err = confo.load::<Database>().await.unwrap_err();
    let message = err.to_string();
    let errors = decode_errors(err);
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        [
            "database.host",
            "database.password",
            "database.port",
            "database.user",
            "database.vendor"
        ],
        "{message}"
    );
    assert!(errors["database.host"].starts_with("missing"), "{message}");
    assert_eq!(
        errors["database.port"],
        "expected u16, found a string that is not a number"
    );
    assert_eq!(errors["database.user"], "expected a string, found an array");
    assert_eq!(
        errors["database.password"],
        "expected a string, found a number"
    );
    assert_eq!(
        errors["database.vendor"],
        "unknown variant, expected one of `postgres`, `mysql`"
    );
    assert!(message.starts_with("systemA/database in "), "{message}");
    assert!(message.contains("does not match"), "{message}");
}

pub async fn nested_and_enum_errors_have_field_paths(confo: &Confo) {
    #[derive(Confo, Deserialize, Debug)]
    #[confo(namespace = "systemA", name = "service")]
    struct Service {
        pool: Pool,
        replicas: Vec<Replica>,
        auth: Auth,
    }
    #[derive(Deserialize, Debug)]
    struct Pool {
        size: u32,
        idle: u32,
    }
    #[derive(Deserialize, Debug)]
    struct Replica {
        host: String,
        port: u16,
    }
    #[derive(Deserialize, Debug)]
    enum Auth {
        Token { token: String, ttl: u32 },
    }
    put(
        confo,
        "systemA/service",
        &json!({"pool": {"size": "x"},
                "replicas": [{"host": "a", "port": 1}, {"host": "b", "port": "y"}],
                "auth": {"Token": {"token": "t", "ttl": "soon"}}}),
    )
    .await;
    let errors = decode_errors(confo.load::<Service>().await.unwrap_err());
    assert_eq!(
        errors["service.pool.size"],
        "expected u32, found a string that is not a number"
    );
    assert!(errors["service.pool.idle"].starts_with("missing"));
    assert_eq!(
        errors["service.replicas[1].port"],
        "expected u16, found a string that is not a number"
    );
    assert_eq!(
        errors["service.auth.Token.ttl"],
        "expected u32, found a string that is not a number"
    );
    assert_eq!(errors.len(), 4, "{errors:?}");

    put(
        confo,
        "systemA/service",
        &json!({"pool": {"size": "4", "idle": 1}, "replicas": [], "auth": {"Token": {"token": "t", "ttl": 60}}}),
    )
    .await;
    let ok: Service = confo.load().await.unwrap();
    assert_eq!(ok.pool.size, 4);
    assert!(matches!(ok.auth, Auth::Token { ttl: 60, .. }));
}

pub async fn options_and_defaults_fill_missing_fields(confo: &Confo) {
    #[derive(Confo, Deserialize, Debug)]
    #[confo(namespace = "systemA", name = "defaults")]
    struct Defaults {
        replica: Option<String>,
        #[serde(default)]
        retries: u32,
        #[serde(default = "default_timeout")]
        timeout: u64,
    }
    fn default_timeout() -> u64 {
        30
    }
    put(confo, "systemA/defaults", &json!({})).await;
    let d: Defaults = confo.load().await.unwrap();
    assert_eq!((d.replica, d.retries, d.timeout), (None, 0, 30));
    assert_eq!(
        confo.load_field(Defaults::fields().timeout).await.unwrap(),
        30
    );
    assert_eq!(
        confo.load_field(Defaults::fields().retries).await.unwrap(),
        0
    );
    assert_eq!(
        confo.load_field(Defaults::fields().replica).await.unwrap(),
        None
    );

    put(
        confo,
        "systemA/defaults",
        &json!({"replica": null, "retries": "2"}),
    )
    .await;
    let d: Defaults = confo.load().await.unwrap();
    assert_eq!((d.replica, d.retries), (None, 2));
}

pub async fn malformed_json_gives_line_and_column(confo: &Confo) {
    put_raw(
        confo,
        "systemA/database",
        b"{\n  \"host\": \"db\",\n  \"port\": ,\n}",
    )
    .await;
    match confo.load::<Database>().await.unwrap_err() {
        Error::InvalidJson {
            line, column, path, ..
        } => {
            assert_eq!((line, column), (3, 11));
            assert_eq!(path, "systemA/database");
        }
        other => panic!("expected InvalidJson, got {other}"),
    }
    put_raw(confo, "systemA/database", b"[1, 2]").await;
    assert!(matches!(
        confo.load::<Database>().await.unwrap_err(),
        Error::NotAnObject { found: "array", .. }
    ));
}

pub async fn missing_configuration_is_not_found(confo: &Confo) {
    let err = confo.load::<Database>().await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains("systemA/database"), "{err}");
}

pub async fn a_type_without_namespace_takes_one_at_run_time(confo: &Confo) {
    #[derive(Confo, Deserialize, Serialize, Debug)]
    struct Email {
        port: u16,
        smtp_server: String,
    }
    assert_eq!(Email::NAMESPACE, None);
    assert_eq!(Email::NAME, "email");

    let err = confo.load::<Email>().await.unwrap_err();
    assert!(
        matches!(err, Error::MissingNamespace { name: "email", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("namespace("), "{err}");

    put(
        confo,
        "systemB/email",
        &json!({"port": "587", "smtp_server": "smtp.local"}),
    )
    .await;
    assert_eq!(
        confo
            .namespace("systemB")
            .load::<Email>()
            .await
            .unwrap()
            .port,
        587
    );
    let system_b = confo.namespace("systemB");
    assert_eq!(system_b.load::<Email>().await.unwrap().port, 587);
    let backend = confo.backend().unwrap();
    assert_eq!(
        Email::load_from(&backend.namespace("systemB"))
            .await
            .unwrap()
            .port,
        587
    );
    assert!(matches!(
        Email::load_from(&backend).await.unwrap_err(),
        Error::MissingNamespace { .. }
    ));
    assert!(matches!(
        confo.namespace("a/b").load::<Email>().await.unwrap_err(),
        Error::InvalidName { .. }
    ));

    // The namespace in use is the fallback.
    confo.use_namespace("systemB").await.unwrap();
    assert_eq!(
        confo.load::<Email>().await.unwrap().smtp_server,
        "smtp.local"
    );
}

pub async fn save_is_compare_and_set(confo: &Confo) {
    put(confo, "systemA/database", &db_json()).await;
    let mut db: Database = confo.load().await.unwrap();
    // Someone else changes it meanwhile.
    let mut theirs = db_json();
    theirs["user"] = json!("admin");
    put(confo, "systemA/database", &theirs).await;

    db.port = 6543;
    let err = db.save(confo).await.unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(stored(confo, "systemA/database").await["user"], "admin");

    let mut db: Database = confo.load().await.unwrap();
    db.port = 6543;
    db.save(confo).await.unwrap();
    let now = stored(confo, "systemA/database").await;
    assert_eq!(
        (now["port"].clone(), now["user"].clone()),
        (json!(6543), json!("admin"))
    );
    // Saved again: against the version it wrote itself.
    db.port = 6544;
    confo.save(&db).await.unwrap();
}

pub async fn save_creates_only_what_was_never_loaded(confo: &Confo) {
    let db: Database = serde_json::from_value(db_json()).unwrap();
    db.save(confo).await.unwrap();
    assert_eq!(stored(confo, "systemA/database").await, db_json());

    // A manager that never loaded it cannot overwrite it blindly.
    let other = Confo::new();
    other
        .load_backend("default", confo.backend().unwrap())
        .await
        .unwrap();
    other.activate_backend("default").unwrap();
    assert!(db.save(&other).await.unwrap_err().is_conflict());
}

pub async fn save_keeps_keys_the_type_does_not_know(confo: &Confo) {
    let mut with_extra = db_json();
    with_extra["python_only"] = json!({"keep": true});
    put(confo, "systemA/database", &with_extra).await;
    let mut db: Database = confo.load().await.unwrap();
    db.host = "db2".into();
    db.save(confo).await.unwrap();
    let now = stored(confo, "systemA/database").await;
    assert_eq!(now["python_only"], json!({"keep": true}));
    assert_eq!(now["host"], "db2");
}

pub async fn loaded_carries_its_version(confo: &Confo) {
    put(confo, "systemA/database", &db_json()).await;
    let mut a = confo.load_versioned::<Database>().await.unwrap();
    let mut b = confo.load_versioned::<Database>().await.unwrap();
    assert_eq!(a.version(), b.version());
    assert_eq!(a.path().to_string(), "systemA/database");
    a.port = 1;
    let v = a.save(confo).await.unwrap();
    assert_eq!(a.version(), v);
    b.port = 2;
    assert!(b.save(confo).await.unwrap_err().is_conflict());
    a.port = 3;
    a.save(confo).await.unwrap();
    assert_eq!(confo.load::<Database>().await.unwrap().port, 3);
    assert!(format!("{a:?}").contains("password: ***"));
}

pub async fn renamed_fields_use_their_json_keys(confo: &Confo) {
    #[derive(Confo, Deserialize, Serialize, Debug)]
    #[confo(namespace = "systemB", name = "email")]
    #[serde(rename_all = "camelCase")]
    struct Email {
        smtp_server: String,
        #[serde(rename = "PORT")]
        port: u16,
        sender_email: String,
    }
    assert_eq!(Email::fields().smtp_server.key(), "smtpServer");
    assert_eq!(Email::fields().port.key(), "PORT");
    put(
        confo,
        "systemB/email",
        &json!({"smtpServer": "smtp", "PORT": "25", "senderEmail": "a@b"}),
    )
    .await;
    let e: Email = confo.load().await.unwrap();
    assert_eq!((e.smtp_server.as_str(), e.port), ("smtp", 25));
    assert_eq!(confo.load_field(Email::fields().port).await.unwrap(), 25);
    confo
        .save_field(Email::fields().sender_email, "c@d".to_owned())
        .await
        .unwrap();
    assert_eq!(stored(confo, "systemB/email").await["senderEmail"], "c@d");
}

pub async fn field_handles_read_and_write_one_field(confo: &Confo) {
    put(confo, "systemA/database", &db_json()).await;
    let port: u16 = confo.load_field(Database::fields().port).await.unwrap();
    assert_eq!(port, 5432);
    assert_eq!(Database::fields().port.load(confo).await.unwrap(), 5432);
    let password = confo.load_field(Database::fields().password).await.unwrap();
    assert_eq!(password.expose(), "hunter2");

    confo
        .save_field(Database::fields().port, 5433)
        .await
        .unwrap();
    Database::fields()
        .vendor
        .save(confo, Vendor::Mysql)
        .await
        .unwrap();
    let now = stored(confo, "systemA/database").await;
    assert_eq!(now["port"], 5433);
    assert_eq!(now["vendor"], "mysql");
    assert_eq!(now["host"], "db.local", "other fields are left as stored");
}

pub async fn field_errors_name_the_field(confo: &Confo) {
    put(confo, "systemA/database", &json!({"port": "abc"})).await;
    let err = confo.load_field(Database::fields().port).await.unwrap_err();
    assert_eq!(
        decode_errors(err),
        BTreeMap::from([(
            "database.port".to_owned(),
            "expected u16, found a string that is not a number".to_owned()
        )])
    );
    let err = confo.load_field(Database::fields().host).await.unwrap_err();
    assert!(
        matches!(&err, Error::FieldNotFound { field, .. } if field == "host"),
        "{err}"
    );

    // save_field needs the configuration to exist.
    confo
        .backend()
        .unwrap()
        .delete(&"systemA/database".parse().unwrap(), Expect::Any)
        .await
        .unwrap();
    assert!(confo
        .save_field(Database::fields().port, 1)
        .await
        .unwrap_err()
        .is_not_found());
}

pub async fn concurrent_field_writers_lose_nothing(confo: &Confo) {
    put(confo, "systemA/database", &db_json()).await;
    let a = confo.clone();
    let b = confo.clone();
    let c = confo.clone();
    let (ra, rb, rc) = tokio::join!(
        tokio::spawn(async move { a.save_field(Database::fields().port, 1).await }),
        tokio::spawn(async move { b.save_field(Database::fields().host, "h".to_owned()).await }),
        tokio::spawn(async move { c.save_field(Database::fields().user, "u".to_owned()).await }),
    );
    ra.unwrap().unwrap();
    rb.unwrap().unwrap();
    rc.unwrap().unwrap();
    let now = stored(confo, "systemA/database").await;
    assert_eq!(
        (
            now["port"].clone(),
            now["host"].clone(),
            now["user"].clone()
        ),
        (json!(1), json!("h"), json!("u"))
    );
}

pub async fn decode_errors_never_show_values(confo: &Confo) {
    #[derive(Confo, Deserialize, Debug)]
    #[confo(namespace = "systemA", name = "vault")]
    struct Vault {
        pin: Secret<u32>,
        token: Secret<String>,
        port: u16,
    }
    put(
        confo,
        "systemA/vault",
        &json!({"pin": "s3cr3t-pin", "token": {"nested": "s3cr3t-token"}, "port": "s3cr3t-port"}),
    )
    .await;
    let err = confo.load::<Vault>().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    let errors = decode_errors(err);
    assert_eq!(
        errors["vault.pin"],
        "expected u32, found a string that is not a number"
    );
    assert_eq!(errors["vault.token"], "expected a string, found an object");
    assert_eq!(
        errors["vault.port"],
        "expected u16, found a string that is not a number"
    );
}

/// Another manager on the same store (its own service name, its own
/// remembered versions).
async fn sibling(confo: &Confo) -> Confo {
    let other = Confo::new();
    other
        .load_backend("default", confo.backend().unwrap())
        .await
        .unwrap();
    other.activate_backend("default").unwrap();
    other
}

/// billing reads the pool with a `u16` port; a newer search reads it with a
/// `u8` one. Every typed write of billing is checked against both: what
/// search cannot read is refused, naming search, and nothing is written;
/// `forced()` writes it anyway.
pub async fn typed_writes_are_checked_against_every_published_schema(confo: &Confo) {
    use confo::schemars::JsonSchema;

    #[derive(Confo, Deserialize, Serialize, JsonSchema, Debug, Clone)]
    #[schemars(crate = "confo::schemars")]
    #[confo(namespace = "systemA", name = "pool")]
    struct Pool {
        host: String,
        port: u16,
    }
    #[derive(Confo, Deserialize, Serialize, JsonSchema, Debug, Clone)]
    #[schemars(crate = "confo::schemars")]
    #[confo(namespace = "systemA", name = "pool")]
    struct SmallPool {
        host: String,
        port: u8,
        size: u32,
    }

    put(
        confo,
        "systemA/pool",
        &json!({"host": "db", "port": 80, "size": 4}),
    )
    .await;
    let unnamed = sibling(confo).await;
    assert_eq!(
        unnamed.publish_schema::<Pool>().await.unwrap_err().kind(),
        "NoService"
    );
    let billing = sibling(confo).await.with_service("billing");
    let search = sibling(confo).await.with_service("search");
    Pool::publish_schema(&billing).await.unwrap();
    search.publish_schema::<SmallPool>().await.unwrap();
    let published =
        confo::published_schemas(&*confo.backend().unwrap(), &"systemA/pool".parse().unwrap())
            .await
            .unwrap();
    let services: Vec<&str> = published.iter().map(|p| p.service.as_str()).collect();
    assert_eq!(services, ["billing", "search"]);

    let refused_by_search = |err: Error| {
        assert_eq!(err.kind(), "SchemaRefused", "{err}");
        let text = err.to_string();
        assert!(
            text.contains("port: ") && text.contains("(search)"),
            "{text}"
        );
        assert!(!text.contains("(billing)"), "{text}");
    };
    let mut pool: Pool = billing.load().await.unwrap();
    pool.port = 5432;
    refused_by_search(billing.save(&pool).await.unwrap_err());
    refused_by_search(
        billing
            .save_field(Pool::fields().port, 6000)
            .await
            .unwrap_err(),
    );
    refused_by_search(billing.update::<Pool>(|p| p.port = 7000).await.unwrap_err());
    billing.use_namespace("systemA").await.unwrap();
    billing
        .set("pool", json!({"host": "db", "port": 9000, "size": 4}))
        .unwrap();
    refused_by_search(billing.persist().await.unwrap_err());
    assert_eq!(
        stored(confo, "systemA/pool").await,
        json!({"host": "db", "port": 80, "size": 4})
    );

    // What both read is written; keys billing does not know are kept.
    billing.save_field(Pool::fields().port, 81).await.unwrap();
    let mut pool: Pool = billing.load().await.unwrap();
    assert_eq!(pool.port, 81);
    pool.host = "db2".into();
    billing.save(&pool).await.unwrap();
    assert_eq!(
        stored(confo, "systemA/pool").await,
        json!({"host": "db2", "port": 81, "size": 4})
    );

    // Forced: written anyway; the manager it came from still checks.
    pool.port = 5432;
    billing.forced().save(&pool).await.unwrap();
    assert_eq!(stored(confo, "systemA/pool").await["port"], 5432);
    refused_by_search(billing.update::<Pool>(|p| p.port = 5433).await.unwrap_err());
    // Once search retires its schema, billing's own rules are the only ones.
    assert!(confo::retire_schema(
        &*confo.backend().unwrap(),
        &"systemA/pool".parse().unwrap(),
        "search"
    )
    .await
    .unwrap());
    billing.update::<Pool>(|p| p.port = 5433).await.unwrap();
    assert_eq!(stored(confo, "systemA/pool").await["port"], 5433);
}

/// Two of the three configurations `load_all` and `watch_all` start from
/// (`systemC/limits` is left missing), the email port stored as a string.
async fn seed_two_of_three(confo: &Confo) {
    put(confo, "systemA/database", &db_json()).await;
    put(
        confo,
        "systemB/email",
        &json!({"smtp": "mail", "port": "587"}),
    )
    .await;
}

#[derive(Confo, Deserialize, Serialize, Debug, PartialEq)]
#[confo(namespace = "systemB", name = "email")]
pub struct StartEmail {
    smtp: String,
    port: u16,
}

#[derive(Confo, Deserialize, Serialize, Debug, PartialEq)]
#[confo(namespace = "systemC", name = "limits")]
pub struct StartLimits {
    rps: u32,
}

/// `load_all` gives what each `load` would: the values, the first error in
/// the tuple's order, and versions remembered for `save`.
pub async fn load_all_loads_several_configurations_together(confo: &Confo) {
    seed_two_of_three(confo).await;
    let err = confo
        .load_all::<(Database, StartEmail, StartLimits)>()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("systemC/limits"), "{err}");

    put(confo, "systemC/limits", &json!({"rps": "many"})).await;
    let err = confo
        .load_all::<(Database, StartEmail, StartLimits)>()
        .await
        .unwrap_err();
    let errors = decode_errors(err);
    assert_eq!(
        errors["limits.rps"],
        "expected u32, found a string that is not a number"
    );

    put(confo, "systemC/limits", &json!({"rps": 100})).await;
    let (db, email, limits) = confo
        .load_all::<(Database, StartEmail, StartLimits)>()
        .await
        .unwrap();
    assert_eq!(db, serde_json::from_value::<Database>(db_json()).unwrap());
    assert_eq!(
        email,
        StartEmail {
            smtp: "mail".into(),
            port: 587
        }
    );
    assert_eq!(limits.rps, 100);
    // Remembered: a save is compare-and-set against what was loaded.
    let (mut limits,): (StartLimits,) = confo.load_all().await.unwrap();
    put(confo, "systemC/limits", &json!({"rps": 200})).await;
    limits.rps = 300;
    assert!(confo.save(&limits).await.unwrap_err().is_conflict());
    let (mut limits,): (StartLimits,) = confo.load_all().await.unwrap();
    limits.rps = 300;
    confo.save(&limits).await.unwrap();
    assert_eq!(stored(confo, "systemC/limits").await["rps"], 300);
}

/// `watch_all` starts what each `watch` would: the values, the first error
/// in the tuple's order, and each value following its own configuration.
pub async fn watch_all_follows_several_configurations_from_one_read(confo: &Confo) {
    seed_two_of_three(confo).await;
    let err = confo
        .watch_all::<(Database, StartEmail, StartLimits)>()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("systemC/limits"), "{err}");

    // The first error in the tuple's order: the database's, not the
    // missing limits'.
    put(confo, "systemA/database", &json!({"port": "high"})).await;
    let err = confo
        .watch_all::<(Database, StartEmail, StartLimits)>()
        .await
        .unwrap_err();
    assert!(
        decode_errors(err).contains_key("database.port"),
        "the database's decode error comes first"
    );
    put(confo, "systemA/database", &db_json()).await;

    put(confo, "systemC/limits", &json!({"rps": "many"})).await;
    let err = confo
        .watch_all::<(Database, StartEmail, StartLimits)>()
        .await
        .unwrap_err();
    assert_eq!(
        decode_errors(err)["limits.rps"],
        "expected u32, found a string that is not a number"
    );

    put(confo, "systemC/limits", &json!({"rps": 100})).await;
    let (db, mut email, mut limits) = confo
        .watch_all::<(Database, StartEmail, StartLimits)>()
        .await
        .unwrap();
    assert_eq!(
        *db.get(),
        serde_json::from_value::<Database>(db_json()).unwrap()
    );
    assert_eq!(email.get().port, 587, "decoded as watch decodes");
    assert_eq!(limits.get().rps, 100);
    assert_eq!(limits.path().to_string(), "systemC/limits");

    // Each follows its own configuration, and only it.
    put(confo, "systemC/limits", &json!({"rps": 200})).await;
    let within = std::time::Duration::from_secs(20);
    let changed = tokio::time::timeout(within, limits.changed()).await;
    assert_eq!(changed.expect("limits follows").unwrap().rps, 200);
    put(
        confo,
        "systemB/email",
        &json!({"smtp": "mail2", "port": 25}),
    )
    .await;
    let changed = tokio::time::timeout(within, email.changed()).await;
    assert_eq!(changed.expect("email follows").unwrap().smtp, "mail2");
    assert_eq!(limits.get().rps, 200);
    assert_eq!(db.get().port, 5432);
}

/// Every typed write is recorded in the configuration's history with the
/// handle's message: save, save_field, update, persist, rollback; the
/// history's old values hold the secret, and printing an entry never does.
pub async fn typed_writes_are_recorded_in_history(confo: &Confo) {
    put(confo, "systemA/database", &db_json()).await;
    let mut db: Database = confo.load().await.unwrap();
    db.port = 5433;
    confo.with_message("save").save(&db).await.unwrap();
    confo
        .with_message("save_field")
        .save_field(Database::fields().user, "ops".to_owned())
        .await
        .unwrap();
    confo
        .with_message("update")
        .update::<Database>(|d| d.host = "db2".into())
        .await
        .unwrap();
    let session = sibling(confo).await;
    session.use_namespace("systemA").await.unwrap();
    let mut value = stored(confo, "systemA/database").await;
    value["vendor"] = json!("mysql");
    session.set("database", value).unwrap();
    session.with_message("persist").persist().await.unwrap();

    let history = confo.history("systemA/database").await.unwrap();
    let messages: Vec<Option<&str>> = history
        .entries
        .iter()
        .map(|e| e.message.as_deref())
        .collect();
    assert_eq!(
        messages,
        [
            Some("save"),
            Some("save_field"),
            Some("update"),
            Some("persist")
        ],
        "the first value was written past the store (confo.backend()): not recorded"
    );
    let changed: Vec<&[String]> = history.entries.iter().map(|e| &e.changed[..]).collect();
    assert_eq!(changed[0], ["port"]);
    assert_eq!(changed[1], ["user"]);
    assert_eq!(changed[2], ["host"]);
    assert_eq!(changed[3], ["vendor"]);
    assert!(!format!("{history:?}").contains("hunter2"));

    // Back to the value before `save`: a checked write, itself recorded.
    let before_save = history.entries[0].previous.as_ref().unwrap().version;
    confo
        .rollback("systemA/database", before_save)
        .await
        .unwrap();
    let back: Database = confo.load().await.unwrap();
    assert_eq!((back.port, back.host.as_str()), (5432, "db.local"));
    assert_eq!(back.password.expose(), "hunter2");
    let history = confo.history("systemA/database").await.unwrap();
    assert_eq!(history.entries.len(), 5);
    assert!(!history.gap_after);
}

/// `watch` of a configuration the manager already follows shares that
/// value's task, yet every new handle is as new as the store when it was
/// asked for, and overrides added since are applied.
pub async fn watching_again_shares_a_value_never_older_than_the_store(confo: &Confo) {
    put(confo, "systemA/database", &db_json()).await;
    let mut first = confo.watch::<Database>().await.unwrap();
    let mut second = confo.watch::<Database>().await.unwrap();
    assert_eq!(second.get().port, 5432);

    // A write, then at once a new handle: it holds the write, whether or
    // not the first handle's task has had its event yet.
    for port in 1..=20u16 {
        let mut db = db_json();
        db["port"] = json!(port);
        put(confo, "systemA/database", &db).await;
        let again = confo.watch::<Database>().await.unwrap();
        assert_eq!(
            again.get().port,
            port,
            "a new handle is never older than the store"
        );
    }
    // Every handle follows, each waking for the last value.
    let wait = std::time::Duration::from_secs(30);
    for live in [&mut first, &mut second] {
        let deadline = tokio::time::Instant::now() + wait;
        while live.get().port != 20 {
            tokio::time::timeout_at(deadline, live.changed())
                .await
                .expect("every handle follows the changes")
                .unwrap();
        }
    }
    let mut third = confo.watch::<Database>().await.unwrap();
    put(confo, "systemA/database", &db_json()).await;
    // A new handle has no wake-up pending for the value it already holds.
    let value = tokio::time::timeout(wait, third.changed())
        .await
        .expect("a shared handle wakes for the next change")
        .unwrap();
    assert_eq!(
        value.port, 5432,
        "a new handle's first wake-up is the change"
    );
    for live in [&mut first, &mut second] {
        // A handle may still have a wake-up for an earlier value it has
        // not asked for; the change comes after it.
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let value = tokio::time::timeout_at(deadline, live.changed())
                .await
                .expect("a shared handle wakes for the next change")
                .unwrap();
            if value.port == 5432 {
                break;
            }
            assert_eq!(value.port, 20, "nothing but the last two values");
        }
    }

    // Overrides added later decide what a new handle decodes; the handles
    // taken before keep theirs.
    let confo = confo
        .clone()
        .with_overrides_from("APP", [("APP__SYSTEMA__DATABASE__PORT", "7")]);
    let overridden = confo.watch::<Database>().await.unwrap();
    assert_eq!(overridden.get().port, 7);
    assert_eq!(first.get().port, 5432);

    // All handles gone: watching again starts afresh.
    drop((first, second, third, overridden));
    let last = confo.watch::<Database>().await.unwrap();
    assert_eq!(last.get().port, 7);
}
