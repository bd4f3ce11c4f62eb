use confo::Confo;
use serde::Deserialize;

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
struct Nothing;

fn main() {}
