// `use confo::Confo;` alone reaches every item the README shows: the
// consts, the loaders and the field handles of the type itself.
use confo::Confo;
use serde::{Deserialize, Serialize};

#[derive(Confo, Deserialize, Serialize, Debug)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    host: String,
    port: u16,
}

#[derive(Confo, Deserialize)]
struct Email {
    port: u16,
}

async fn uses(confo: &Confo) -> confo::Result<()> {
    let mut db = Database::load(confo).await?;
    db.port += 1;
    db.save(confo).await?;
    let live = Database::watch(confo).await?;
    let _port: u16 = live.get().port;
    let _field = Database::fields().port;
    let _email: Email = confo.namespace("systemB").load().await?;
    Ok(())
}

fn main() {
    assert_eq!(Database::PATH, "/confo/systemA/database");
    assert_eq!(Database::NAMESPACE, Some("systemA"));
    assert_eq!(Database::NAME, "database");
    assert_eq!(Email::NAME, "email");
    assert_eq!(Email::NAMESPACE, None);
    let _ = uses;
}
