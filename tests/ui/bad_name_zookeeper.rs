use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "zookeeper")]
struct Database {
    port: u16,
}

fn main() {}
