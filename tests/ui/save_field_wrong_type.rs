use confo::Confo;
use serde::{Deserialize, Serialize};

#[derive(Confo, Deserialize, Serialize)]
#[confo(namespace = "systemA")]
struct Database {
    port: u16,
}

async fn run(confo: &Confo) -> confo::Result<()> {
    confo.save_field(Database::fields().port, "5433").await?;
    Ok(())
}

fn main() {
    let _ = run;
}
