//! Overrides for one machine: `PREFIX__NAMESPACE__NAME__FIELD=value`,
//! applied after reading and before decoding, never written back.

use confo::backend::Expect;
use confo::{Confo, Error, Secret};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Confo, Deserialize, Serialize, Debug)]
#[confo(namespace = "systemA", name = "database")]
#[serde(rename_all = "camelCase")]
struct Database {
    host_name: String,
    port: u16,
    password: Secret<String>,
    pool: Pool,
    replica: Option<String>,
}

#[derive(Deserialize, Serialize, Debug)]
struct Pool {
    size: u32,
}

async fn confo_with(vars: &[(&str, &str)]) -> Confo {
    let confo = Confo::from_url("mem://")
        .await
        .unwrap()
        .with_overrides_from("APP", vars.iter().copied());
    put(
        &confo,
        json!({"hostName": "db.local", "port": 5432, "password": "stored", "pool": {"size": 4}}),
    )
    .await;
    confo
}

async fn put(confo: &Confo, value: Value) {
    confo
        .backend()
        .unwrap()
        .write(
            &"systemA/database".parse().unwrap(),
            &serde_json::to_vec(&value).unwrap(),
            Expect::Any,
        )
        .await
        .unwrap();
}

async fn stored(confo: &Confo) -> Value {
    let read = confo
        .backend()
        .unwrap()
        .read(&"systemA/database".parse().unwrap())
        .await
        .unwrap();
    serde_json::from_slice(&read.bytes).unwrap()
}

#[tokio::test]
async fn a_variable_overrides_one_field() {
    let confo = confo_with(&[("APP__SYSTEMA__DATABASE__PORT", "5433")]).await;
    let db: Database = confo.load().await.unwrap();
    assert_eq!(db.port, 5433);
    assert_eq!(db.host_name, "db.local");
    assert_eq!(
        confo.load_field(Database::fields().port).await.unwrap(),
        5433
    );
}

#[tokio::test]
async fn names_match_ignoring_case_and_keys_keep_their_case() {
    let confo = confo_with(&[
        ("APP__SYSTEMA__DATABASE__HOSTNAME", "replica.local"),
        ("app__systema__database__pool__size", "16"),
        // Not stored, but declared by the type: its key comes from the type.
        ("APP__SYSTEMA__DATABASE__REPLICA", "r1"),
    ])
    .await;
    let db: Database = confo.load().await.unwrap();
    assert_eq!(db.host_name, "replica.local");
    assert_eq!(db.pool.size, 16);
    assert_eq!(db.replica.as_deref(), Some("r1"));
}

#[tokio::test]
async fn the_last_override_of_a_field_wins_and_nested_beats_whole() {
    let confo = confo_with(&[
        ("APP__SYSTEMA__DATABASE__POOL__SIZE", "8"),
        ("APP__SYSTEMA__DATABASE__POOL", r#"{"size": 2}"#),
        ("APP__SYSTEMA__DATABASE__PORT", "1"),
        ("APP__SYSTEMA__DATABASE__PORT", "2"),
    ])
    .await;
    let db: Database = confo.load().await.unwrap();
    assert_eq!(db.pool.size, 8);
    assert_eq!(db.port, 2);
}

#[tokio::test]
async fn other_configurations_and_prefixes_are_untouched() {
    let confo = confo_with(&[
        ("APP__SYSTEMB__DATABASE__PORT", "1"),
        ("APP__SYSTEMA__EMAIL__PORT", "2"),
        ("OTHER__SYSTEMA__DATABASE__PORT", "3"),
    ])
    .await;
    assert_eq!(confo.load::<Database>().await.unwrap().port, 5432);
}

#[tokio::test]
async fn a_bad_override_names_its_variable_and_hides_its_value() {
    let confo = confo_with(&[
        ("APP__SYSTEMA__DATABASE__PORT", "not-a-port"),
        ("APP__SYSTEMA__DATABASE__PASSWORD", "{\"oops\": 1}"),
    ])
    .await;
    let err = confo.load::<Database>().await.unwrap_err();
    let shown = err.to_string();
    assert!(!shown.contains("not-a-port"), "{shown}");
    let Error::Decode { errors, .. } = err else {
        panic!("{shown}")
    };
    // Errors come in the order of the stored keys; look each one up.
    let message = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .unwrap_or_else(|| panic!("no error for {field} in {errors:?}"))
            .message
            .clone()
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(
        message("database.password"),
        "expected a string, found an object (value from environment variable APP__SYSTEMA__DATABASE__PASSWORD)"
    );
    assert_eq!(
        message("database.port"),
        "expected u16, found a string that is not a number (value from environment variable APP__SYSTEMA__DATABASE__PORT)"
    );
}

#[tokio::test]
async fn an_override_of_an_unknown_field_is_an_error() {
    let confo = confo_with(&[("APP__SYSTEMA__DATABASE__PROT", "1")]).await;
    let err = confo.load::<Database>().await.unwrap_err();
    assert!(matches!(err, Error::Override { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "cannot apply environment variable APP__SYSTEMA__DATABASE__PROT to systemA/database in mem://: \
         there is no field database.prot in the stored configuration nor in the Rust type"
    );
    let confo = confo_with(&[("APP__SYSTEMA__DATABASE__POOL", "[1")]).await;
    let err = confo.load::<Database>().await.unwrap_err().to_string();
    assert!(err.contains("not valid JSON (line 1, column 2)"), "{err}");
}

#[tokio::test]
async fn overrides_are_not_written_back() {
    let confo = confo_with(&[
        ("APP__SYSTEMA__DATABASE__PORT", "5433"),
        ("APP__SYSTEMA__DATABASE__PASSWORD", "from-env"),
        ("APP__SYSTEMA__DATABASE__REPLICA", "r1"),
    ])
    .await;
    let mut db: Database = confo.load().await.unwrap();
    db.host_name = "changed".into();
    db.save(&confo).await.unwrap();
    let now = stored(&confo).await;
    assert_eq!(now["hostName"], "changed");
    assert_eq!(now["port"], 5432, "the stored port, not the override");
    assert_eq!(now["password"], "stored");
    assert!(now.get("replica").is_none() || now["replica"].is_null());

    // A field the program changed itself is saved.
    let mut db = confo.load_versioned::<Database>().await.unwrap();
    db.port = 7000;
    db.save(&confo).await.unwrap();
    assert_eq!(stored(&confo).await["port"], 7000);
}

#[tokio::test]
async fn the_environment_is_read_by_with_env_overrides() {
    // The process environment is not mutated by tests; a prefix nothing
    // uses leaves values as stored.
    let confo = Confo::from_url("mem://")
        .await
        .unwrap()
        .with_env_overrides("CONFO_TEST_UNUSED_PREFIX");
    put(
        &confo,
        json!({"hostName": "h", "port": 1, "password": "p", "pool": {"size": 1}}),
    )
    .await;
    assert_eq!(confo.load::<Database>().await.unwrap().port, 1);
}
