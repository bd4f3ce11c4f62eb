use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = 42, name = database)]
struct Database {
    port: u16,
}

fn main() {}
