use confo::{Config, ConfigPathConst, Confo};
use serde::{Deserialize, Serialize};

#[derive(Confo, Deserialize, Serialize, Debug)]
#[confo(namespace = "systemA", name = "database")]
struct Database {
    host: String,
    port: u16,
}

#[derive(Confo, Deserialize)]
#[confo(namespace = "systemB")]
struct SmtpSettings {
    port: u16,
}

// `name` alone: the namespace comes at run time.
#[derive(Confo, Deserialize)]
#[confo(name = "email")]
struct Email {
    port: u16,
}

// Usable in constant contexts.
const DB_PATH: &str = Database::PATH;

fn main() {
    assert_eq!(Database::NAMESPACE, Some("systemA"));
    assert_eq!(Database::NAME, "database");
    assert_eq!(DB_PATH, "/confo/systemA/database");
    assert_eq!(SmtpSettings::NAME, "smtp_settings");
    assert_eq!(SmtpSettings::PATH, "/confo/systemB/smtp_settings");
    assert_eq!(Email::NAMESPACE, None);
    assert_eq!(Email::NAME, "email");
    // The manager and the derive share the name `Confo`.
    let _manager: Option<Confo> = None;
    let _ = Email::fields().port;
}
