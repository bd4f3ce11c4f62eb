use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = ".")]
struct Database {
    port: u16,
}

fn main() {}
