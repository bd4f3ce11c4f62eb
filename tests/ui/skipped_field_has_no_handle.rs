use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
struct Database {
    port: u16,
    #[serde(skip)]
    cache: Vec<u8>,
}

fn main() {
    let _ = Database::fields().cache;
}
