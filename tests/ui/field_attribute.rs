use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
struct Database {
    #[confo(name = "PORT")]
    port: u16,
}

fn main() {}
