//! Quickstart: read the two configurations of the example service and print
//! them, passwords redacted.
//!
//! ```text
//! cargo run --example quickstart                       # file://examples/config
//! CONFO_URL=zk://127.0.0.1:2181 cargo run --example quickstart
//! ```

use confo::Confo;
use serde_json::Value;

/// Keys whose values are never printed.
const SECRET_KEYS: [&str; 4] = ["password", "passwd", "secret", "token"];

fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let lower = k.to_lowercase();
                    if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
                        (k.clone(), Value::String("***".into()))
                    } else {
                        (k.clone(), redacted(v))
                    }
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[tokio::main]
async fn main() -> Result<(), confo::Error> {
    let url = std::env::var("CONFO_URL").unwrap_or_else(|_| "file://examples/config".into());
    let confo = Confo::from_url(&url).await?;
    println!("backend: {}", confo.backend()?.describe());

    for (namespace, config) in [("systemA", "database"), ("systemB", "email")] {
        confo.use_namespace(namespace).await?;
        let value = confo.get(config)?;
        let pretty = serde_json::to_string_pretty(&redacted(&value)).unwrap_or_default();
        println!("{namespace}/{config} = {pretty}");
    }
    Ok(())
}
