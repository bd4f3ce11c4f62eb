//! [`Credentials`]: the Python `confo` package's credential map.

use std::fmt;

use serde::Deserialize;

use super::builder::{has_port, ZooKeeperOptions, DEFAULT_PORT};
use super::url::percent_encode;

/// A port given as a number or as a string, as the Python package allows.
#[derive(Deserialize)]
#[serde(untagged)]
enum PortField {
    Number(u64),
    Text(String),
}

/// The credential map of the Python `confo` package:
///
/// ```json
/// {"zookeeper_host": "10.0.0.1", "zookeeper_port": "2181",
///  "zookeeper_user": "app", "zookeeper_passwd": "s3cret"}
/// ```
///
/// `zookeeper_port` may be a string or a number; user and password are
/// optional (empty means none). `zookeeper_host` may list several hosts
/// separated by commas; each without a port gets `zookeeper_port`.
/// `Debug` shows `***` for the password.
///
/// ```
/// use confo::backend::Credentials;
///
/// let creds: Credentials = serde_json::from_str(
///     r#"{"zookeeper_host": "10.0.0.1", "zookeeper_port": 2181,
///         "zookeeper_user": "app", "zookeeper_passwd": "p@ss/word"}"#,
/// ).unwrap();
/// assert_eq!(creds.into_url(), "zk://app:p%40ss%2Fword@10.0.0.1:2181");
/// ```
#[derive(Clone, Deserialize)]
#[serde(try_from = "RawCredentials")]
pub struct Credentials {
    host: String,
    port: u16,
    user: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
struct RawCredentials {
    zookeeper_host: String,
    #[serde(default)]
    zookeeper_port: Option<PortField>,
    #[serde(default)]
    zookeeper_user: Option<String>,
    #[serde(default)]
    zookeeper_passwd: Option<String>,
}

impl TryFrom<RawCredentials> for Credentials {
    type Error = String;

    fn try_from(raw: RawCredentials) -> std::result::Result<Self, String> {
        let port = match raw.zookeeper_port {
            None => DEFAULT_PORT,
            Some(PortField::Number(n)) => u16::try_from(n)
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("zookeeper_port {n} is not a port (1 to 65535)"))?,
            Some(PortField::Text(s)) => s
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("zookeeper_port {s:?} is not a port (1 to 65535)"))?,
        };
        if raw.zookeeper_host.trim().is_empty() {
            return Err("zookeeper_host is empty".into());
        }
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
        Ok(Credentials {
            host: raw.zookeeper_host.trim().to_owned(),
            port,
            user: non_empty(raw.zookeeper_user),
            password: non_empty(raw.zookeeper_passwd),
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("zookeeper_host", &self.host)
            .field("zookeeper_port", &self.port)
            .field("zookeeper_user", &self.user)
            .field("zookeeper_passwd", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Credentials {
    /// Credentials for `host:port` with no user.
    ///
    /// ```
    /// let creds = confo::backend::Credentials::new("zk1", 2181).with_user("app", "pw");
    /// assert_eq!(creds.into_url(), "zk://app:pw@zk1:2181");
    /// ```
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Credentials {
            host: host.into(),
            port,
            user: None,
            password: None,
        }
    }

    /// Adds a user and password (digest authentication).
    ///
    /// ```
    /// let creds = confo::backend::Credentials::new("zk1", 2181).with_user("app", "pw");
    /// assert!(format!("{creds:?}").contains("***"));
    /// ```
    pub fn with_user(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self.password = Some(password.into());
        self
    }

    /// `host1:port,host2:port`: each host of `zookeeper_host` with the port
    /// unless it has its own.
    fn hosts(&self) -> String {
        self.host
            .split(',')
            .map(|h| h.trim())
            .map(|h| {
                if has_port(h) {
                    h.to_owned()
                } else {
                    format!("{h}:{}", self.port)
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The `zk://` URL these credentials describe, user and password
    /// percent-encoded. It holds the password: do not log it (see
    /// [`crate::backend::redact`]).
    ///
    /// ```
    /// let url = confo::backend::Credentials::new("zk1", 2181).with_user("app", "a b").into_url();
    /// assert_eq!(url, "zk://app:a%20b@zk1:2181");
    /// assert_eq!(confo::backend::redact(&url), "zk://app:***@zk1:2181");
    /// ```
    pub fn into_url(self) -> String {
        let userinfo = match (&self.user, &self.password) {
            (Some(u), p) => format!(
                "{}:{}@",
                percent_encode(u),
                percent_encode(p.as_deref().unwrap_or(""))
            ),
            (None, _) => String::new(),
        };
        format!("zk://{userinfo}{}", self.hosts())
    }

    /// Options for these credentials, to adjust and
    /// [`connect`](ZooKeeperOptions::connect).
    ///
    /// ```
    /// use std::time::Duration;
    /// let creds = confo::backend::Credentials::new("zk1", 2181);
    /// let options = creds.into_options().with_connect_timeout(Duration::from_secs(3));
    /// assert_eq!(options.describe(), "zk://zk1:2181");
    /// ```
    pub fn into_options(self) -> ZooKeeperOptions {
        let mut options = ZooKeeperOptions::new(self.hosts());
        if let Some(user) = self.user {
            options = options.with_credentials(user, self.password.unwrap_or_default());
        }
        options
    }
}

impl From<Credentials> for ZooKeeperOptions {
    fn from(credentials: Credentials) -> Self {
        credentials.into_options()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_accept_the_python_map() {
        let c: Credentials = serde_json::from_str(
            r#"{"zookeeper_host":"h1,h2:3","zookeeper_port":"2182","zookeeper_user":"","zookeeper_passwd":""}"#,
        )
        .unwrap();
        assert_eq!(c.clone().into_url(), "zk://h1:2182,h2:3");
        assert_eq!(c.into_options().user(), None);

        let c: Credentials = serde_json::from_str(
            r#"{"zookeeper_host":"h","zookeeper_port":2181,"zookeeper_user":"u","zookeeper_passwd":"pw"}"#,
        )
        .unwrap();
        let debug = format!("{c:?}");
        assert!(debug.contains("***") && !debug.contains("pw\""), "{debug}");
        let options = ZooKeeperOptions::from_url(&c.clone().into_url()).unwrap();
        assert_eq!(options.digest().unwrap(), b"u:pw");

        for bad in [
            r#"{"zookeeper_host":"h","zookeeper_port":"http"}"#,
            r#"{"zookeeper_host":"h","zookeeper_port":70000}"#,
            r#"{"zookeeper_host":"","zookeeper_port":1}"#,
        ] {
            assert!(serde_json::from_str::<Credentials>(bad).is_err(), "{bad}");
        }
    }
}
