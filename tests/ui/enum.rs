use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
enum Vendor {
    Postgres,
    Mysql,
}

fn main() {}
