use confo::Confo;

// Forgetting `Deserialize` is one error that names the fix.
#[derive(Confo)]
#[confo(namespace = "systemA")]
struct Database {
    port: u16,
}

fn main() {}
