//! Loads `systemA/database` and builds a database URL from it, without
//! connecting. The password never reaches the terminal.
//!
//! ```text
//! cargo example database                             # examples/config (files)
//! CONFO_URL=zk://127.0.0.1:2181 cargo example database
//! APP__SYSTEMA__DATABASE__PORT=5433 cargo example database         # one-machine override
//! ```

use confo::{Confo, Secret};
use serde::{Deserialize, Serialize};

#[derive(Confo, Deserialize, Serialize, Debug)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    host: String,
    port: u16,
    user: String,
    password: Secret<String>,
    vendor: Vendor,
}

#[derive(Deserialize, Serialize, Debug, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Vendor {
    Postgres,
    Mysql,
}

impl Database {
    /// The URL a driver connects with; it holds the password, so it is a secret.
    fn url(&self) -> Secret<String> {
        Secret::new(self.url_with(self.password.expose()))
    }

    /// The same URL with the password replaced, for logs.
    fn redacted_url(&self) -> String {
        self.url_with("***")
    }

    fn url_with(&self, password: &str) -> String {
        let scheme = match self.vendor {
            Vendor::Postgres => "postgres",
            Vendor::Mysql => "mysql",
        };
        format!(
            "{scheme}://{}:{password}@{}:{}/",
            self.user, self.host, self.port
        )
    }
}

/// `CONFO_URL` when set; else the example tree shipped in this repository.
async fn open() -> confo::Result<Confo> {
    let confo = if std::env::var_os(confo::backend::URL_ENV).is_some() {
        Confo::from_env().await?
    } else {
        Confo::from_url("file://examples/config").await?
    };
    Ok(confo.with_env_overrides("APP"))
}

#[tokio::main]
async fn main() {
    if let Err(err) = run().await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

async fn run() -> confo::Result<()> {
    let confo = open().await?;
    let db: Database = confo.load().await?;
    println!("loaded {db:?}");
    println!("would connect to {}", db.redacted_url());
    let url = db.url();
    println!(
        "the real URL is {} bytes long and prints as {url}",
        url.expose().len()
    );
    Ok(())
}
