use confo::Confo;
use serde::Deserialize;

// Every problem is reported, not only the first.
#[derive(Confo, Deserialize)]
#[confo(namespace = "a/b", name = "", colour = "blue")]
struct Database {
    #[confo(name = "port")]
    port: u16,
}

fn main() {}
