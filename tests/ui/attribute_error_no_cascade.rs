use confo::Confo;
use serde::{Deserialize, Serialize};

// A refused attribute is the one error: the uses of what the derive would
// have generated still compile against its stand-in.
#[derive(Confo, Deserialize, Serialize)]
#[confo(namespace = "a/b")]
struct Database {
    port: u16,
}

#[allow(dead_code)]
async fn uses(confo: &confo::Confo) -> confo::Result<()> {
    let db = Database::load(confo).await?;
    db.save(confo).await?;
    let _live = Database::watch(confo).await?;
    let _db: Database = confo.load().await?;
    let _ = (Database::NAME, Database::NAMESPACE, Database::PATH);
    let _port: u16 = confo.load_field(Database::fields().port).await?;
    Database::fields().port.save(confo, 5433).await?;
    Ok(())
}

fn main() {}
