use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(nmespace = "systemA")]
struct Database {
    port: u16,
}

fn main() {}
