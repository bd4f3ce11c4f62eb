use confo::Confo;
use serde::Deserialize;

// The default name is the struct name in snake_case: "zookeeper" is reserved.
#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
struct Zookeeper {
    port: u16,
}

fn main() {}
