use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
struct Database<T> {
    port: T,
}

fn main() {}
