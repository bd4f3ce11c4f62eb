//! Quickstart: the example service's two configurations, typed, printed with
//! passwords redacted.
//!
//! ```text
//! cargo example quickstart                             # file://examples/config
//! CONFO_URL=zk://127.0.0.1:2181 cargo example quickstart
//! ```

use confo::{Confo, Secret};
use serde::Deserialize;

/// `systemA/database`: where the service keeps its data.
#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    host: String,
    port: u16,
    user: String,
    password: Secret<String>,
    vendor: Vendor,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "lowercase")]
enum Vendor {
    Postgres,
    Mysql,
}

/// `systemB/email`: how the service sends mail.
#[derive(Confo, Deserialize, Debug)]
#[confo(namespace = "systemB", name = "email")]
struct Email {
    port: u16,
    smtp_server: String,
    sender_email: String,
    password: Secret<String>,
}

#[tokio::main]
async fn main() -> Result<(), confo::Error> {
    // CONFO_URL when set; else the example tree shipped in this repository.
    let url =
        std::env::var(confo::backend::URL_ENV).unwrap_or_else(|_| "file://examples/config".into());
    let confo = Confo::from_url(&url).await?;
    println!("backend: {}", confo.backend()?.describe());

    let db: Database = confo.load().await?;
    let email: Email = confo.load().await?;
    println!(
        "systemA/database: {:?} at {}:{} as {} (password {}, {} characters)",
        db.vendor,
        db.host,
        db.port,
        db.user,
        db.password, // Display and Debug of a Secret print ***
        db.password.expose().len(),
    );
    println!(
        "systemB/email: {} via {}:{} (password {})",
        email.sender_email, email.smtp_server, email.port, email.password,
    );
    // The whole values, as Debug shows them: every Secret is ***.
    println!("{db:#?}\n{email:#?}");
    Ok(())
}
