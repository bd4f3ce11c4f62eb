use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
struct Database {
    port: u16,
}

async fn run(confo: &Confo) -> confo::Result<()> {
    let port: String = confo.load_field(Database::fields().port).await?;
    let _ = port;
    Ok(())
}

fn main() {
    let _ = run;
}
