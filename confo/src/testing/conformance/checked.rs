//! Cases of checked writes: the schemas services publish, and every write
//! through a [`Store`] checked against them, on every backend.

use std::sync::Arc;

use serde_json::json;

use super::{batch, p, text};
use crate::backend::{Backend, Expect, Meta};
use crate::{Error, Schema, Store, WriteChecks};

fn store(b: &Arc<dyn Backend>) -> Store {
    Store::new(b.clone()).with_retry_policy(crate::RetryPolicy::none())
}

fn needs_integer_port() -> Schema {
    Schema::from_json(json!({
        "type": "object",
        "properties": {"port": {"type": "integer"}},
        "required": ["port"]
    }))
    .expect("test schema compiles")
}

fn needs_host() -> Schema {
    Schema::from_json(json!({
        "type": "object",
        "properties": {"host": {"type": "string"}},
        "required": ["host"]
    }))
    .expect("test schema compiles")
}

/// What a refusal lists, as `rule (service)` lines.
fn refusal(err: &Error) -> Vec<String> {
    match err {
        Error::SchemaRefused { violations, .. } => {
            violations.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected SchemaRefused, got {other:?}"),
    }
}

/// Case: A write that breaks a schema some service published is refused,
/// listing every rule it breaks and which service's it is, and nothing is
/// written; one that satisfies every schema is written; a batch with one
/// refused value writes none; retiring a schema lifts its rules.
pub async fn checked_writes_refuse_what_a_published_schema_breaks(b: Arc<dyn Backend>) {
    let path = p("checked/db");
    let store = store(&b);
    let w = store.backend();
    w.write(&path, br#"{"host":"db","port":1}"#, Expect::Absent)
        .await
        .unwrap();
    crate::publish_schema(&*b, &path, "billing", &needs_integer_port())
        .await
        .unwrap();
    crate::publish_schema(&*b, &path, "search", &needs_host())
        .await
        .unwrap();

    let err = w
        .write(&path, br#"{"port":"x"}"#, Expect::Any)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        [
            "port: expected an integer, found a string (billing)",
            "host: missing; this field is required (search)"
        ]
    );
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(text(&*b, "checked/db").await, r#"{"host":"db","port":1}"#);

    w.write(&path, br#"{"host":"db2","port":2}"#, Expect::Any)
        .await
        .unwrap();
    assert_eq!(text(&*b, "checked/db").await, r#"{"host":"db2","port":2}"#);

    // A batch (import): one refused value, nothing written.
    let err = w
        .write_many(&[
            batch("checked/fresh", "{}", Expect::Any),
            batch("checked/db", r#"{"host":"db3"}"#, Expect::Any),
        ])
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        ["port: missing; this field is required (billing)"]
    );
    assert!(b
        .read(&p("checked/fresh"))
        .await
        .unwrap_err()
        .is_not_found());
    assert_eq!(text(&*b, "checked/db").await, r#"{"host":"db2","port":2}"#);

    // Not JSON at all.
    let err = w.write(&path, b"port=1", Expect::Any).await.unwrap_err();
    assert!(refusal(&err).contains(&"the value is not JSON (billing)".to_owned()));

    assert!(crate::retire_schema(&*b, &path, "billing").await.unwrap());
    w.write(&path, br#"{"host":"db4"}"#, Expect::Any)
        .await
        .unwrap();
    assert_eq!(text(&*b, "checked/db").await, r#"{"host":"db4"}"#);
    let left = crate::published_schemas(&*b, &path).await.unwrap();
    assert_eq!(
        left.iter().map(|s| s.service.as_str()).collect::<Vec<_>>(),
        ["search"]
    );
}

/// Case: A schema published between the read a write starts from and the
/// write itself is still checked: the write's atomic guard sees the change
/// and the value is checked again.
pub async fn a_schema_published_during_a_write_is_checked(b: Arc<dyn Backend>) {
    let path = p("racing/db");
    let store = store(&b);
    let w = store.backend();
    w.write(&path, br#"{"port":1}"#, Expect::Absent)
        .await
        .unwrap();
    // The read keeps the (absent) schemas for the write that follows.
    let read = w.read(&path).await.unwrap();
    crate::publish_schema(&*b, &path, "billing", &needs_host())
        .await
        .unwrap();
    let err = w
        .write(&path, br#"{"port":2}"#, Expect::Version(read.version))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        ["host: missing; this field is required (billing)"]
    );
    assert_eq!(text(&*b, "racing/db").await, r#"{"port":1}"#);

    // And again with a schema present: replaced between read and write.
    let read = w.read(&path).await.unwrap();
    crate::publish_schema(&*b, &path, "billing", &needs_integer_port())
        .await
        .unwrap();
    let err = w
        .write(
            &path,
            br#"{"host":"h","port":"x"}"#,
            Expect::Version(read.version),
        )
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        ["port: expected an integer, found a string (billing)"]
    );
    w.write(&path, br#"{"port":3}"#, Expect::Version(read.version))
        .await
        .unwrap();
}

/// Case: Services publishing at the same time each keep their schema; a
/// service publishing again replaces only its own.
pub async fn concurrent_publishers_keep_every_schema(b: Arc<dyn Backend>) {
    let path = p("publish/db");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (b, path) = (b.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let schema = Schema::from_json(json!({"type": "object", "title": format!("v{i}")}))
                .expect("test schema compiles");
            crate::publish_schema(&*b, &path, &format!("svc{i}"), &schema)
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    crate::publish_schema(&*b, &path, "svc3", &needs_host())
        .await
        .unwrap();
    let all = crate::published_schemas(&*b, &path).await.unwrap();
    let services: Vec<&str> = all.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        services,
        ["svc0", "svc1", "svc2", "svc3", "svc4", "svc5", "svc6", "svc7"]
    );
    assert_eq!(all[3].schema["required"], json!(["host"]));
    assert_eq!(all[4].schema["title"], json!("v4"));
    assert!(all.iter().all(|s| s.published.is_some()));
    // A bad service name never reaches the store.
    let err = crate::publish_schema(&*b, &path, "a/b", &needs_host())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invalid service name"), "{err}");
}

/// Case: Published schemas that are corrupt, or that do not compile, make
/// every checked write fail with an error naming the service and how to
/// repair it (never a write that skips the check); a forced write goes
/// through; removing them all repairs the configuration.
pub async fn broken_schemas_refuse_writes_with_a_clear_error(b: Arc<dyn Backend>) {
    let path = p("broken/db");
    let store = store(&b);
    b.write(&path, br#"{"port":1}"#, Expect::Absent)
        .await
        .unwrap();
    b.write_meta(&path, Meta::Schemas, b"{not json", Expect::Absent)
        .await
        .unwrap();
    let err = store
        .backend()
        .write(&path, br#"{"port":2}"#, Expect::Any)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "InvalidSchema");
    assert!(err.to_string().contains("broken/db"), "{err}");
    assert!(err.to_string().contains("confo schema rm"), "{err}");

    let doc = json!({"services": {"legacy": {"schema": {"type": "array"}}}});
    b.write_meta(
        &path,
        Meta::Schemas,
        doc.to_string().as_bytes(),
        Expect::Any,
    )
    .await
    .unwrap();
    let err = store
        .backend()
        .write(&path, br#"{"port":2}"#, Expect::Any)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "InvalidSchema");
    assert!(err.to_string().contains("\"legacy\""), "{err}");
    assert!(err.to_string().contains("--service legacy"), "{err}");
    assert_eq!(text(&*b, "broken/db").await, r#"{"port":1}"#);

    let forced = store.clone().with_write_checks(WriteChecks::Force);
    forced
        .backend()
        .write(&path, br#"{"port":3}"#, Expect::Any)
        .await
        .unwrap();
    assert_eq!(text(&*b, "broken/db").await, r#"{"port":3}"#);

    assert!(crate::retire_all_schemas(&*b, &path).await.unwrap());
    store
        .backend()
        .write(&path, br#"{"port":4}"#, Expect::Any)
        .await
        .unwrap();
}
