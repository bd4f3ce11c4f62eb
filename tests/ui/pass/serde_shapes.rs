use std::collections::BTreeMap;

use confo::Confo;
use serde::{Deserialize, Serialize};

fn default_port() -> u16 {
    5432
}

#[derive(Deserialize, Serialize, Default)]
struct Pool {
    size: u32,
}

// Every serde shape a configuration may use compiles; fields whose JSON is
// not their type's own (flatten, with) simply have no handle.
#[derive(Confo, Deserialize, Serialize, Default)]
#[confo(namespace = "systemA", name = "service")]
#[serde(default, deny_unknown_fields)]
struct Service {
    #[serde(default = "default_port")]
    port: u16,
    pool: Pool,
    labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemA")]
struct WithFlatten {
    #[serde(flatten)]
    rest: BTreeMap<String, serde_json::Value>,
}

fn main() {
    let fields = Service::fields();
    assert_eq!(fields.port.key(), "port");
    let _ = fields.pool;
    let _ = WithFlatten::fields();
}
