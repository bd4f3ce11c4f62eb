use confo::{ConfigPathConst, Confo};
use serde::Deserialize;

// Without a namespace the path is only known at run time: no PATH.
#[derive(Confo, Deserialize)]
struct Email {
    port: u16,
}

fn main() {
    let _ = Email::PATH;
}
