use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "", name = "database")]
struct Database {
    port: u16,
}

fn main() {}
