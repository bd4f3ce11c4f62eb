//! `confo::blocking`: the typed loaders for synchronous programs.

use confo::{blocking, Confo, Error};
use serde::{Deserialize, Serialize};

#[derive(Confo, Deserialize, Serialize, Debug, PartialEq)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    host: String,
    port: u16,
}

#[derive(Confo, Deserialize, Serialize, Debug, PartialEq)]
struct Email {
    port: u16,
}

#[test]
fn loads_and_saves_without_async() {
    let dir = tempfile::tempdir().unwrap();
    let confo = blocking::Confo::from_url(&format!("file://{}", dir.path().display())).unwrap();
    confo
        .save(&Database {
            host: "db".into(),
            port: 5432,
        })
        .unwrap();
    assert!(dir.path().join("systemA/database.json").is_file());
    let mut db = confo.load_versioned::<Database>().unwrap();
    db.port = 5433;
    confo.save_versioned(&mut db).unwrap();
    assert_eq!(confo.load::<Database>().unwrap().port, 5433);

    confo.save_field(Database::fields().port, 6000).unwrap();
    assert_eq!(confo.load_field(Database::fields().port).unwrap(), 6000);

    confo.save_in(&Email { port: 25 }, "systemB").unwrap();
    assert_eq!(confo.load_in::<Email>("systemB").unwrap().port, 25);

    let backend = confo.inner().backend().unwrap();
    let db: Database = blocking::load_from(&backend).unwrap();
    assert_eq!(db.port, 6000);
}

#[test]
fn overrides_apply_too() {
    let confo = blocking::Confo::from_url("mem://")
        .unwrap()
        .with_overrides_from("APP", [("APP__SYSTEMA__DATABASE__PORT", "1")]);
    confo
        .save(&Database {
            host: "db".into(),
            port: 5432,
        })
        .unwrap();
    assert_eq!(confo.load::<Database>().unwrap().port, 1);
}

#[tokio::test]
async fn inside_an_async_runtime_it_refuses_instead_of_panicking() {
    let err = blocking::Confo::from_url("mem://").unwrap_err();
    assert!(matches!(err, Error::Backend { .. }), "{err}");
    assert!(
        err.to_string().contains("use the async confo::Confo"),
        "{err}"
    );
}
