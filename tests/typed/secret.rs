//! `Secret<T>`: transparent in JSON, `***` everywhere a program prints.

use confo::backend::{Backend, Expect, MemoryBackend};
use confo::{Confo, Error, Secret};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Confo, Deserialize, Serialize, Debug)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    user: String,
    password: Secret<String>,
    pin: Option<Secret<u32>>,
}

async fn store_with(value: serde_json::Value) -> MemoryBackend {
    let store = MemoryBackend::new();
    store
        .write(
            &"systemA/database".parse().unwrap(),
            &serde_json::to_vec(&value).unwrap(),
            Expect::Any,
        )
        .await
        .unwrap();
    store
}

#[test]
fn debug_and_display_print_stars() {
    let s = Secret::new("hunter2".to_owned());
    assert_eq!(format!("{s:?}"), "***");
    assert_eq!(format!("{s}"), "***");
    assert_eq!(format!("{s:#?} {s:>10}"), "*** ***");
    assert_eq!(s.expose(), "hunter2");
    assert_eq!(s.expose_secret(), "hunter2");
}

#[test]
fn it_is_transparent_in_json() {
    let s: Secret<String> = serde_json::from_str(r#""hunter2""#).unwrap();
    assert_eq!(serde_json::to_string(&s).unwrap(), r#""hunter2""#);
    let n: Secret<u16> = serde_json::from_value(json!("5432")).unwrap();
    assert_eq!(*n.expose(), 5432);
}

#[tokio::test]
async fn a_loaded_configuration_prints_without_its_secrets() {
    let store = store_with(json!({"user": "app", "password": "hunter2", "pin": "1234"})).await;
    let db = Database::load_from(&store).await.unwrap();
    let shown = format!("{db:?}");
    assert_eq!(
        shown,
        r#"Database { user: "app", password: ***, pin: Some(***) }"#
    );
    assert_eq!(db.password.expose(), "hunter2");
    assert_eq!(db.pin.as_ref().map(|p| *p.expose()), Some(1234));
}

#[tokio::test]
async fn a_mistyped_secret_is_reported_without_its_value() {
    let store = store_with(json!({"user": "app", "password": 987654321, "pin": "hunter2"})).await;
    let err = Database::load_from(&store).await.unwrap_err();
    let display = err.to_string();
    assert_eq!(
        display,
        "systemA/database in mem:// does not match typed::secret::Database: \
         database.password: expected a string, found a number; \
         database.pin: expected u32, found a string that is not a number"
    );
    let debug = format!("{err:?}");
    for shown in [&display, &debug] {
        assert!(!shown.contains("987654321"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
    assert!(matches!(err, Error::Decode { ref errors, .. } if errors.len() == 2));
}

#[tokio::test]
async fn a_custom_error_inside_a_secret_is_replaced() {
    // A type whose own error message quotes its input.
    #[derive(Debug)]
    struct Key;
    impl<'de> Deserialize<'de> for Key {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            Err(serde::de::Error::custom(format!("bad key {s}")))
        }
    }
    #[derive(Confo, Deserialize, Debug)]
    #[confo(namespace = "systemA", name = "database")]
    #[allow(dead_code)]
    struct Keys {
        key: Secret<Key>,
    }
    let store = store_with(json!({"key": "top-secret-key"})).await;
    let err = Keys::load_from(&store).await.unwrap_err().to_string();
    assert!(!err.contains("top-secret-key"), "{err}");
    assert!(err.contains("database.key: not a valid"), "{err}");
    assert!(err.contains("the value is secret and not shown"), "{err}");
}

#[tokio::test]
async fn secrets_are_saved_as_plain_values() {
    let confo = Confo::from_url("mem://").await.unwrap();
    let db = Database {
        user: "app".into(),
        password: Secret::new("hunter2".into()),
        pin: None,
    };
    confo.save(&db).await.unwrap();
    let read = confo
        .backend()
        .unwrap()
        .read(&"systemA/database".parse().unwrap())
        .await
        .unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&read.bytes).unwrap();
    assert_eq!(stored["password"], "hunter2");
}
