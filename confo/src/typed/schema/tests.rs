//! Unit tests of schemas: generation, coercions, `from_json`, messages.

use schemars::JsonSchema;
use serde::Deserialize;

use super::*;
use crate::Secret;

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Inner {
    x: u8,
    #[serde(default)]
    y: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
#[serde(tag = "type")]
enum Internal {
    A { port: u16 },
    B(Inner),
    C,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    A(u16),
    B { x: u8, on: bool },
    C,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
#[serde(untagged)]
enum Untagged {
    Num(u16),
    Text(String),
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
#[serde(tag = "kind")]
struct TaggedStruct {
    a: u8,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Explore {
    opt: Option<u16>,
    inner: Option<Inner>,
    internal: Internal,
    adjacent: Adjacent,
    untagged: Untagged,
    tagged: TaggedStruct,
    secret: Secret<u32>,
    nz: std::num::NonZeroI8,
    #[serde(flatten)]
    flat: Inner2,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Inner2 {
    z: u32,
}

#[test]
fn explore() {
    let s = Schema::of::<Explore>();
    println!("{}", serde_json::to_string_pretty(s.as_json()).unwrap());
}
