use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
struct Database {
    port: u16,
}

async fn run(confo: &Confo) -> confo::Result<u16> {
    confo.load_field(Database::fields().prot).await
}

fn main() {
    let _ = run;
}
