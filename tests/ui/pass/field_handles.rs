use confo::{Confo, Field, Secret};
use serde::{Deserialize, Serialize};

#[derive(Confo, Deserialize, Serialize)]
#[confo(namespace = "systemB", name = "email")]
#[serde(rename_all = "camelCase")]
pub struct Email {
    pub smtp_server: String,
    #[serde(rename = "PORT", alias = "port")]
    pub port: u16,
    pub password: Secret<String>,
    #[serde(default)]
    pub retries: Option<u8>,
    #[serde(skip)]
    pub cache: Vec<u8>,
    pub r#type: String,
}

fn port_handle() -> Field<Email, u16> {
    Email::fields().port
}

fn main() {
    let fields = Email::fields();
    assert_eq!(fields.smtp_server.key(), "smtpServer");
    assert_eq!(port_handle().key(), "PORT");
    assert_eq!(port_handle().aliases(), ["port"]);
    assert_eq!(fields.r#type.key(), "type");
    assert_eq!(fields.password.path(), "email.password");
    let _: Field<Email, Secret<String>> = fields.password;
    let _: Field<Email, Option<u8>> = fields.retries;
}
