use confo::Confo;

#[derive(Confo)]
#[confo(namespace = "systemA")]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
