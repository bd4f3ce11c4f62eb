//! Cases of instance registrations: kept beside the configuration, out of
//! listings and watches, gone with the configuration; a [`crate::Live`]
//! with a service name registers what it holds and what it rejected.

use std::sync::Arc;
use std::time::Duration;

use super::{drain, p, text};
use crate::backend::{Backend, Expect, WatchScope};
use crate::{Confo, Instances};

/// Case: Registrations are kept per configuration, listed sorted by id,
/// replaced by a write of the same id, removed one by one and with the
/// configuration or its namespace; they appear in no listing and wake no
/// watch.
pub async fn instances_are_kept_beside_the_configuration(b: Arc<dyn Backend>) {
    let path = p("inst/db");
    b.write(&path, b"{}", Expect::Absent).await.unwrap();
    let mut watch = b.watch(&WatchScope::Config(path.clone())).await.unwrap();
    drain(&mut watch).await;
    b.put_instance(&path, "b-2", br#"{"n":1}"#).await.unwrap();
    b.put_instance(&path, "a-1", br#"{"n":1}"#).await.unwrap();
    b.put_instance(&path, "b-2", br#"{"n":2}"#).await.unwrap();
    b.put_instance(&p("inst/other"), "c-3", b"{}")
        .await
        .unwrap();
    let listed = b.list_instances(&path).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["a-1", "b-2"]);
    assert_eq!(&*listed[1].1, br#"{"n":2}"#);
    if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(1500), watch.next()).await {
        panic!("a registration woke the watch: {event:?}");
    }
    assert_eq!(
        b.list_configs(&"inst".parse().unwrap())
            .await
            .unwrap()
            .len(),
        1,
        "registrations are not configurations"
    );
    b.remove_instance(&path, "a-1").await.unwrap();
    b.remove_instance(&path, "a-1").await.unwrap();
    assert_eq!(b.list_instances(&path).await.unwrap().len(), 1);
    b.delete(&path, Expect::Any).await.unwrap();
    assert!(b.list_instances(&path).await.unwrap().is_empty());
    b.write(&p("inst/other"), b"{}", Expect::Any).await.unwrap();
    b.delete_namespace(&"inst".parse().unwrap(), true)
        .await
        .unwrap();
    assert!(b.list_instances(&p("inst/other")).await.unwrap().is_empty());
}

async fn registered(confo: &Confo, path: &str, until: impl Fn(&Instances) -> bool) -> Instances {
    let mut found = confo.instances(path).await.unwrap();
    for _ in 0..250 {
        if until(&found) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        found = confo.instances(path).await.unwrap();
    }
    panic!("the registration never got there: {found:?}");
}

/// Case: A [`crate::Live`] of a manager with a service name registers its
/// instance with the version it holds; a version it rejects is recorded
/// with its field errors; a later good one clears it; dropping the value
/// removes the registration. Without a service name nothing registers.
pub async fn a_live_value_registers_what_it_holds_and_rejects(b: Arc<dyn Backend>) {
    // A port, as a typed value would decode it, with its field error.
    let decode: crate::Decoder<u16> = Arc::new(|describe, path, bytes| {
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
        value
            .get("port")
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| crate::Error::Decode {
                backend: describe.to_owned(),
                path: path.to_string(),
                type_name: "Database",
                errors: vec![crate::FieldError {
                    field: "port".into(),
                    message: "expected u16".into(),
                }],
            })
    });
    let confo = Confo::new();
    confo.load_backend("b", b.clone()).await.unwrap();
    confo.activate_backend("b").unwrap();
    let path = p("status/database");
    let v1 = b
        .write(&path, br#"{"port":5432}"#, Expect::Absent)
        .await
        .unwrap();

    let anonymous = confo.watch_with(&path, decode.clone()).await.unwrap();
    let billing = confo.clone().with_service("billing");
    let live = billing.watch_with(&path, decode).await.unwrap();
    let found = registered(&billing, "status/database", |f| !f.running.is_empty()).await;
    assert_eq!(
        found.running.len(),
        1,
        "only the named service registers: {found:?}"
    );
    let me = &found.running[0];
    assert_eq!(
        (me.service.as_str(), me.version, me.pid),
        ("billing", v1, std::process::id())
    );
    assert_eq!(found.current, Some(v1));
    assert!(
        found.summary()[0].starts_with("1 instance on version "),
        "{:?}",
        found.summary()
    );

    let bad = b
        .write(&path, br#"{"port":"fast"}"#, Expect::Any)
        .await
        .unwrap();
    let found = registered(&billing, "status/database", |f| {
        f.running
            .first()
            .and_then(|i| i.rejected.as_ref())
            .is_some()
    })
    .await;
    let rejected = found.running[0].rejected.clone().unwrap();
    assert_eq!(rejected.version, bad);
    assert_eq!(rejected.errors, ["port: expected u16"]);
    assert_eq!(
        found.running[0].version, v1,
        "it still holds the last good one"
    );
    let summary = found.summary().join("\n");
    assert!(
        summary.contains(&format!("1 rejected version {bad}: port: ")),
        "{summary}"
    );
    assert!(summary.contains("(billing on "), "{summary}");

    let v3 = b
        .write(&path, br#"{"port":5433}"#, Expect::Any)
        .await
        .unwrap();
    let found = registered(&billing, "status/database", |f| {
        f.running.first().map(|i| i.version) == Some(v3)
    })
    .await;
    assert!(found.running[0].rejected.is_none());
    assert_eq!(text(&*b, "status/database").await, r#"{"port":5433}"#);

    drop(live);
    registered(&billing, "status/database", |f| f.running.is_empty()).await;
    drop(anonymous);
}
