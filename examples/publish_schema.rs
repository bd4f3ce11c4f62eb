//! A service names itself and publishes the schema of the configuration it
//! reads: from then on, every write of `systemA/database` through confo
//! that this service could not read is refused before it is written (README,
//! "Changing configuration safely").
//!
//! `CONFO_URL=file://DIR cargo example publish_schema`: it writes the
//! schema into DIR's `.confo-meta/`, so point it at a copy of
//! `examples/config`, not at the shipped tree.

use confo::schemars::JsonSchema;
use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize, JsonSchema, Debug)]
#[schemars(crate = "confo::schemars")]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    host: String,
    port: u16,
}

#[tokio::main]
async fn main() -> Result<(), confo::Error> {
    let confo = Confo::from_env().await?.with_service("billing");
    confo.publish_schema::<Database>().await?; // replaces billing's previous one
    let db: Database = confo.load().await?;
    println!(
        "billing reads {}:{}; writes to systemA/database are checked",
        db.host, db.port
    );
    Ok(())
}
