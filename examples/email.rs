//! Reads the SMTP settings of `systemB/email` with the blocking API, without
//! sending anything.
//!
//! ```text
//! cargo example email                                # examples/config (files)
//! CONFO_URL=zk://127.0.0.1:2181 cargo example email
//! ```

use confo::{blocking, Confo, Secret};
use serde::{Deserialize, Serialize};

#[derive(Confo, Deserialize, Serialize, Debug)]
#[confo(namespace = "systemB", name = "email")]
struct Email {
    port: u16,
    smtp_server: String,
    sender_email: String,
    password: Secret<String>,
}

/// `CONFO_URL` when set; else the example tree shipped in this repository.
fn open() -> confo::Result<blocking::Confo> {
    let confo = if std::env::var_os(confo::backend::URL_ENV).is_some() {
        blocking::Confo::from_env()?
    } else {
        blocking::Confo::from_url("file://examples/config")?
    };
    Ok(confo.with_env_overrides("APP"))
}

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> confo::Result<()> {
    let confo = open()?;
    let email: Email = confo.load()?;
    println!("loaded {email:?}");
    println!(
        "would send as {} through {}:{} (STARTTLS), authenticating with a {}-character password",
        email.sender_email,
        email.smtp_server,
        email.port,
        email.password.expose().chars().count()
    );
    // One field, typed: a typo or a wrong type would not compile.
    let port: u16 = confo.load_field(Email::fields().port)?;
    println!("port alone: {port}");
    Ok(())
}
