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

// The traits carry the same for generic code.
fn path_of<T: ConfigPathConst>() -> &'static str {
    T::PATH
}

fn name_of<T: Config>() -> (Option<&'static str>, &'static str) {
    (T::NAMESPACE, T::NAME)
}

fn main() {
    assert_eq!(Database::NAMESPACE, Some("systemA"));
    assert_eq!(Database::NAME, "database");
    assert_eq!(DB_PATH, "/confo/systemA/database");
    assert_eq!(SmtpSettings::NAME, "smtp_settings");
    assert_eq!(SmtpSettings::PATH, "/confo/systemB/smtp_settings");
    assert_eq!(Email::NAMESPACE, None);
    assert_eq!(Email::NAME, "email");
    assert_eq!(path_of::<Database>(), DB_PATH);
    assert_eq!(name_of::<Email>(), (None, "email"));
    // The manager and the derive share the name `Confo`.
    let _manager: Option<Confo> = None;
    let _ = Email::fields().port;
}
