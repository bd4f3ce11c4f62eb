use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA", name = "..")]
struct Database {
    port: u16,
}

fn main() {}
