use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA", name = "db/primary")]
struct Database {
    port: u16,
}

fn main() {}
