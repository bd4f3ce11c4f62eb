//! The minimal service of the README's "Use confo in your service": this
//! file is the README's `main.rs`, line for line (tests/user/examples.rs checks).
//!
//! ```text
//! CONFO_URL=file://examples/config cargo example service
//! ```

use confo::{Confo, Secret};
use serde::Deserialize;

#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    host: String,
    port: u16,
    password: Secret<String>,
}

#[tokio::main]
async fn main() -> Result<(), confo::Error> {
    // CONFO_URL: zk://host:2181, file:///etc/my-service/confo or mem://
    let confo = Confo::from_env().await?;
    let db: Database = confo.load().await?;
    println!("{}:{} (password {})", db.host, db.port, db.password);
    Ok(())
}
