//! How to reach ZooKeeper: [`ZooKeeperOptions`] (built by hand or from a
//! `zk://` URL) and [`Credentials`] (the Python package's credential map).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::url::redact;
use super::zookeeper::ZooKeeper;
use crate::error::{Error, Result};

/// ZooKeeper's usual client port, used when a host has none.
///
/// ```
/// let options = confo::backend::ZooKeeperOptions::new("zk1");
/// assert_eq!(options.describe(), format!("zk://zk1:{}", confo::backend::DEFAULT_PORT));
/// ```
pub const DEFAULT_PORT: u16 = 2181;

/// Default for [`ZooKeeperOptions::connect_timeout`].
///
/// ```
/// use confo::backend::{ZooKeeperOptions, DEFAULT_CONNECT_TIMEOUT};
/// assert_eq!(ZooKeeperOptions::new("zk1").get_connect_timeout(), DEFAULT_CONNECT_TIMEOUT);
/// ```
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default for [`ZooKeeperOptions::session_timeout`].
///
/// ```
/// use confo::backend::{ZooKeeperOptions, DEFAULT_SESSION_TIMEOUT};
/// assert_eq!(ZooKeeperOptions::new("zk1").get_session_timeout(), DEFAULT_SESSION_TIMEOUT);
/// ```
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything needed to open a [`ZooKeeper`] backend: hosts, chroot,
/// credentials, timeouts and the ACL policy. Built by
/// [`ZooKeeper::builder`], [`ZooKeeperOptions::from_url`] or from
/// [`Credentials`]; opened by [`ZooKeeperOptions::connect`].
///
/// The URL form is
/// `zk://[user:password@]host[:port][,host[:port]...][/chroot][?options]`:
///
/// - `user:password` authenticates with ZooKeeper's `digest` scheme; a `:`
///   in the user and a `%` in either must be percent-encoded (`%3A`,
///   `%25`); the credentials end at the URL's last `@`, so the chroot and
///   options cannot hold an `@`;
/// - a host without a port uses 2181;
/// - the chroot is a znode path under which confo keeps its `/confo` tree;
///   confo creates it when missing;
/// - options: `connect_timeout=5s`, `session_timeout=10s` (`ms` or `s`),
///   `world_readable=true`.
///
/// Its `Debug` output never shows the password.
///
/// ```
/// use std::time::Duration;
/// use confo::backend::ZooKeeperOptions;
///
/// let options = ZooKeeperOptions::from_url("zk://app:s3cret@zk1:2181,zk2/prod?connect_timeout=3s")?;
/// assert_eq!(options.describe(), "zk://zk1:2181,zk2:2181/prod");
/// assert_eq!(options.get_connect_timeout(), Duration::from_secs(3));
/// assert!(!format!("{options:?}").contains("s3cret"));
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Clone)]
pub struct ZooKeeperOptions {
    hosts: Vec<String>,
    chroot: Option<String>,
    user: Option<(String, String)>,
    connect_timeout: Duration,
    session_timeout: Duration,
    world_readable: bool,
    tls: Option<TlsSettings>,
}

/// PEM text, given as is or as a file read when connecting.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Pem {
    File(std::path::PathBuf),
    Text(String),
}

impl Pem {
    /// The PEM text (reads the file); the error names the file, never its content.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn load(&self, what: &str) -> std::result::Result<String, String> {
        match self {
            Pem::Text(text) => Ok(text.clone()),
            Pem::File(path) => crate::bounded::read_pem(path)
                .map_err(|e| format!("cannot read the {what} {}: {e}", path.display())),
        }
    }

    /// For `Debug`: a file's path, `<PEM>` for text (it may be a key).
    fn shown(&self) -> String {
        match self {
            Pem::File(path) => path.display().to_string(),
            Pem::Text(_) => "<PEM>".into(),
        }
    }
}

/// TLS to ZooKeeper: the CA that signs the servers' certificates and an
/// optional client certificate and key.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    pub(crate) ca: Option<Pem>,
    pub(crate) cert: Option<Pem>,
    pub(crate) key: Option<Pem>,
}

impl fmt::Debug for ZooKeeperOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZooKeeperOptions")
            .field("hosts", &self.hosts)
            .field("chroot", &self.chroot)
            .field(
                "credentials",
                &self.user.as_ref().map(|(u, _)| format!("{u}:***")),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("session_timeout", &self.session_timeout)
            .field("world_readable", &self.world_readable)
            .field(
                "tls",
                &self.tls.as_ref().map(|t| {
                    format!(
                        "ca: {}, cert: {}, key: {}",
                        t.ca.as_ref().map_or("none".into(), Pem::shown),
                        t.cert.as_ref().map_or("none".into(), Pem::shown),
                        t.key.as_ref().map_or("none", |_| "***"),
                    )
                }),
            )
            .finish()
    }
}

impl ZooKeeperOptions {
    /// Options for these hosts: a ZooKeeper connect string
    /// (`host:port[,host:port...]`, optionally followed by a `/chroot`).
    /// Nothing is checked until [`ZooKeeperOptions::connect`].
    ///
    /// ```
    /// let options = confo::backend::ZooKeeperOptions::new("127.0.0.1:2181/app");
    /// assert_eq!(options.describe(), "zk://127.0.0.1:2181/app");
    /// ```
    pub fn new(connect_string: impl AsRef<str>) -> Self {
        let s = connect_string.as_ref();
        let (hosts, chroot) = match s.find('/') {
            Some(i) => (&s[..i], Some(s[i..].to_owned())),
            None => (s, None),
        };
        ZooKeeperOptions {
            hosts: hosts.split(',').map(with_default_port).collect(),
            chroot: chroot.filter(|c| c != "/"),
            user: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            world_readable: false,
            tls: None,
        }
    }

    /// Parses a `zk://` URL (see the type's documentation).
    /// Errors never contain the password.
    ///
    /// ```
    /// use confo::backend::ZooKeeperOptions;
    ///
    /// let options = ZooKeeperOptions::from_url("zk://10.0.0.1,10.0.0.2:2182")?;
    /// assert_eq!(options.describe(), "zk://10.0.0.1:2181,10.0.0.2:2182");
    /// let err = ZooKeeperOptions::from_url("zk://u:hunter2@h:notaport").unwrap_err();
    /// assert!(err.to_string().contains("port"));
    /// assert!(!err.to_string().contains("hunter2"));
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidUrl {
            url: redact(url),
            reason,
        };
        let (rest, tls) = match url.split_once("://") {
            Some(("zk" | "zookeeper", rest)) => (rest, false),
            Some(("zks", rest)) => (rest, true),
            _ => {
                return Err(invalid(
                    "a ZooKeeper URL starts with zk:// (or zks:// for TLS)".into(),
                ))
            }
        };
        // Credentials end at the last '@' of the URL, wherever it is: a
        // password may hold '/', '?' or '@' unencoded and must never be
        // taken for a host, chroot or option (and shown in an error).
        // `redact` hides exactly this part.
        let (userinfo, rest) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (hosts, chroot) = rest.split_at(authority_end);
        let mut options = ZooKeeperOptions::new(hosts);
        options.chroot = (!chroot.is_empty() && chroot != "/").then(|| chroot.to_owned());
        if tls {
            options.tls = Some(TlsSettings::default());
        }
        if let Some(userinfo) = userinfo {
            let Some((user, password)) = userinfo.split_once(':') else {
                return Err(invalid(
                    "credentials must be user:password (digest authentication)".into(),
                ));
            };
            let user = percent_decode(user).map_err(&invalid)?;
            let password = percent_decode(password).map_err(&invalid)?;
            options = options.credentials(user, password);
        }
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "connect_timeout" => {
                    options.connect_timeout = parse_duration(value).map_err(&invalid)?
                }
                "session_timeout" => {
                    options.session_timeout = parse_duration(value).map_err(&invalid)?
                }
                "world_readable" => {
                    options.world_readable = match value {
                        "" | "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => {
                            return Err(invalid(format!(
                                "world_readable takes true or false, not {value:?}"
                            )))
                        }
                    }
                }
                "tls" => match value {
                    "" | "true" | "1" | "yes" => {
                        options.tls.get_or_insert_with(TlsSettings::default);
                    }
                    "false" | "0" | "no" if !tls => options.tls = None,
                    _ => {
                        return Err(invalid(format!(
                            "tls takes true or false (and zks:// is always TLS), not {value:?}"
                        )))
                    }
                },
                "ca_file" | "cert_file" | "key_file" => {
                    if value.is_empty() {
                        return Err(invalid(format!("{key} needs a file name")));
                    }
                    let file = Some(Pem::File(percent_decode(value).map_err(&invalid)?.into()));
                    let settings = options.tls.get_or_insert_with(TlsSettings::default);
                    match key {
                        "ca_file" => settings.ca = file,
                        "cert_file" => settings.cert = file,
                        _ => settings.key = file,
                    }
                }
                _ => {
                    return Err(invalid(format!(
                        "unknown option {key:?}; known: connect_timeout, session_timeout, \
                         world_readable, tls, ca_file, cert_file, key_file"
                    )))
                }
            }
        }
        options.validate().map_err(invalid)?;
        Ok(options)
    }

    /// Authenticates with ZooKeeper's `digest` scheme as `user`.
    ///
    /// What confo creates is then readable and writable by this identity
    /// only (ACL `auth` with all permissions), unless
    /// [`ZooKeeperOptions::world_readable`] is set.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeper::builder("127.0.0.1:2181")
    ///     .credentials("app", "s3cret");
    /// assert!(format!("{options:?}").contains("app:***"));
    /// ```
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user = Some((user.into(), password.into()));
        self
    }

    /// Keeps the `/confo` tree under this znode (created when missing).
    ///
    /// ```
    /// let options = confo::backend::ZooKeeper::builder("127.0.0.1:2181").chroot("/team-a");
    /// assert_eq!(options.describe(), "zk://127.0.0.1:2181/team-a");
    /// ```
    pub fn chroot(mut self, chroot: impl Into<String>) -> Self {
        let chroot = chroot.into();
        self.chroot = (!chroot.is_empty() && chroot != "/").then_some(chroot);
        self
    }

    /// How long [`ZooKeeperOptions::connect`] waits for a session before
    /// failing with [`Error::Connection`] (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = confo::backend::ZooKeeper::builder("127.0.0.1:2181")
    ///     .connect_timeout(Duration::from_secs(2));
    /// assert_eq!(options.get_connect_timeout(), Duration::from_secs(2));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The session timeout asked of the server (default 10 s; the server
    /// bounds it between 2 and 20 ticks). A disconnected client has this
    /// long to reconnect before its session expires.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = confo::backend::ZooKeeper::builder("127.0.0.1:2181")
    ///     .session_timeout(Duration::from_secs(30));
    /// assert_eq!(options.get_session_timeout(), Duration::from_secs(30));
    /// ```
    pub fn session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// With credentials, also lets anyone *read* what confo creates (ACL
    /// `world:anyone` read); only the creator may change it. Without
    /// credentials nodes are open to all anyway.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeper::builder("127.0.0.1:2181")
    ///     .credentials("app", "s3cret")
    ///     .world_readable(true);
    /// assert!(options.is_world_readable());
    /// ```
    pub fn world_readable(mut self, world_readable: bool) -> Self {
        self.world_readable = world_readable;
        self
    }

    /// Connects with TLS, checking the servers' certificates against this
    /// CA (PEM text: one or more certificates). The servers must listen
    /// with TLS (ZooKeeper's `secureClientPort`); the URL form is
    /// `zks://host:port?ca_file=/path/ca.pem`. Needs the `tls` feature (on
    /// by default).
    ///
    /// ```
    /// # let ca_pem = String::new();
    /// let options = confo::backend::ZooKeeper::builder("zk1:2281").tls_ca(ca_pem);
    /// assert!(options.is_tls());
    /// assert_eq!(options.describe(), "zks://zk1:2281");
    /// ```
    pub fn tls_ca(mut self, ca_pem: impl Into<String>) -> Self {
        self.tls.get_or_insert_with(TlsSettings::default).ca = Some(Pem::Text(ca_pem.into()));
        self
    }

    /// Presents this client certificate and key (PEM text) to servers that
    /// ask for one (ZooKeeper's `ssl.clientAuth=need`); turns TLS on. The
    /// URL form is `?cert_file=/path/cert.pem&key_file=/path/key.pem`.
    /// `Debug` never shows the key.
    ///
    /// ```
    /// # let (ca, cert, key) = (String::new(), String::new(), String::from("KEY"));
    /// let options = confo::backend::ZooKeeper::builder("zk1:2281")
    ///     .tls_ca(ca)
    ///     .tls_identity(cert, key);
    /// assert!(!format!("{options:?}").contains("KEY"));
    /// ```
    pub fn tls_identity(mut self, cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        let settings = self.tls.get_or_insert_with(TlsSettings::default);
        settings.cert = Some(Pem::Text(cert_pem.into()));
        settings.key = Some(Pem::Text(key_pem.into()));
        self
    }

    /// Whether connections use TLS (`zks://`, `?tls=true`, or a CA or
    /// identity given).
    ///
    /// ```
    /// use confo::backend::ZooKeeperOptions;
    /// assert!(ZooKeeperOptions::from_url("zks://h:2281?ca_file=/etc/zk/ca.pem")?.is_tls());
    /// assert!(!ZooKeeperOptions::from_url("zk://h:2181")?.is_tls());
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls_settings(&self) -> Option<&TlsSettings> {
        self.tls.as_ref()
    }

    /// The connect timeout in effect.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeperOptions::from_url("zk://h?connect_timeout=1500ms")?;
    /// assert_eq!(options.get_connect_timeout().as_millis(), 1500);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn get_connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The session timeout in effect.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeperOptions::from_url("zk://h?session_timeout=30s")?;
    /// assert_eq!(options.get_session_timeout().as_secs(), 30);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn get_session_timeout(&self) -> Duration {
        self.session_timeout
    }

    /// Whether [`ZooKeeperOptions::world_readable`] is set.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeperOptions::from_url("zk://u:p@h?world_readable=true")?;
    /// assert!(options.is_world_readable());
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn is_world_readable(&self) -> bool {
        self.world_readable
    }

    /// The user name, when credentials are set.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeperOptions::from_url("zk://app:pw@h")?;
    /// assert_eq!(options.user(), Some("app"));
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn user(&self) -> Option<&str> {
        self.user.as_ref().map(|(u, _)| u.as_str())
    }

    /// `zk://host:port[,host:port...][/chroot]` (`zks://` with TLS): where
    /// this backend stores, for messages. Never contains credentials.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeperOptions::from_url("zk://u:secret@h:1/x")?;
    /// assert_eq!(options.describe(), "zk://h:1/x");
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn describe(&self) -> String {
        format!(
            "{}://{}{}",
            if self.tls.is_some() { "zks" } else { "zk" },
            self.hosts.join(","),
            self.chroot.as_deref().unwrap_or("")
        )
    }

    /// The hosts as a ZooKeeper connect string, without chroot.
    pub(crate) fn connect_string(&self) -> String {
        self.hosts.join(",")
    }

    pub(crate) fn chroot_path(&self) -> Option<&str> {
        self.chroot.as_deref()
    }

    /// `user:password` for the digest scheme.
    pub(crate) fn digest(&self) -> Option<Vec<u8>> {
        self.user
            .as_ref()
            .map(|(u, p)| format!("{u}:{p}").into_bytes())
    }

    /// Checks hosts and chroot; the reason never contains the password.
    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        if self.hosts.iter().all(|h| h.is_empty()) {
            return Err("no host given; expected zk://host:port".into());
        }
        for host in &self.hosts {
            check_host(host)?;
        }
        if let Some((user, _)) = &self.user {
            if user.is_empty() {
                return Err("the user name is empty".into());
            }
        }
        if let Some(chroot) = &self.chroot {
            check_chroot(chroot)?;
        }
        if self.connect_timeout.is_zero() {
            return Err("connect_timeout must be more than zero".into());
        }
        if self.session_timeout.is_zero() {
            return Err("session_timeout must be more than zero".into());
        }
        if let Some(tls) = &self.tls {
            check_tls(tls, &self.hosts)?;
        }
        Ok(())
    }

    /// Connects (within the connect timeout), authenticates, creates the
    /// chroot and `/confo` when missing, and returns the backend.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), confo::Error> {
    /// use std::time::Duration;
    /// use confo::backend::ZooKeeper;
    ///
    /// let store = ZooKeeper::builder("127.0.0.1:2181")
    ///     .credentials("app", "s3cret")
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(self) -> Result<ZooKeeper> {
        ZooKeeper::with_options(self).await
    }

    /// Checks the options and returns the backend without connecting: the
    /// first operation connects (see [`ZooKeeper::connect_lazily`]).
    ///
    /// ```
    /// let store = confo::backend::ZooKeeper::builder("127.0.0.1:1").connect_lazily()?;
    /// assert_eq!(store.session_status(), confo::backend::SessionStatus::NotConnected);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn connect_lazily(self) -> Result<ZooKeeper> {
        ZooKeeper::lazily(self)
    }
}

impl From<Credentials> for ZooKeeperOptions {
    fn from(credentials: Credentials) -> Self {
        credentials.into_options()
    }
}

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
    /// let options = creds.into_options().connect_timeout(Duration::from_secs(3));
    /// assert_eq!(options.describe(), "zk://zk1:2181");
    /// ```
    pub fn into_options(self) -> ZooKeeperOptions {
        let mut options = ZooKeeperOptions::new(self.hosts());
        if let Some(user) = self.user {
            options = options.credentials(user, self.password.unwrap_or_default());
        }
        options
    }
}

fn has_port(host: &str) -> bool {
    match host.strip_prefix('[') {
        // `[::1]:2181` has a port, `[::1]` has none.
        Some(rest) => rest
            .split_once(']')
            .is_some_and(|(_, after)| after.starts_with(':')),
        None => host.matches(':').count() == 1,
    }
}

fn with_default_port(host: &str) -> String {
    let host = host.trim();
    if host.is_empty() || has_port(host) {
        host.to_owned()
    } else {
        format!("{host}:{DEFAULT_PORT}")
    }
}

fn check_host(host: &str) -> std::result::Result<(), String> {
    if host.is_empty() {
        return Err("an empty host in the host list (two commas in a row?)".into());
    }
    let (name, port) = match host.rfind(':') {
        Some(i) => (&host[..i], &host[i + 1..]),
        None => (host, ""),
    };
    if name.is_empty() {
        return Err(format!("host {host:?} has no name before the port"));
    }
    // A name, an IPv4 address or a bracketed IPv6 address: anything else
    // (a bare IPv6 address, a stray ':' or space) would be read differently
    // by the client, and would not describe itself as the same URL.
    let valid = match name.strip_prefix('[') {
        Some(rest) => rest
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok()),
        None => name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')),
    };
    if !valid {
        return Err(format!(
            "host {host:?} is not a host name, an IPv4 address or an IPv6 address in brackets \
             ([::1]:2181)"
        ));
    }
    match port.parse::<u16>() {
        Ok(p) if p != 0 => Ok(()),
        _ => Err(format!(
            "host {host:?} has an invalid port {port:?}; expected host:port with a port from 1 to 65535"
        )),
    }
}

fn check_tls(tls: &TlsSettings, hosts: &[String]) -> std::result::Result<(), String> {
    if cfg!(not(feature = "tls")) {
        return Err("TLS (zks://) is not compiled into this build of confo \
                    (enable the `tls` feature)"
            .into());
    }
    if tls.ca.is_none() {
        return Err("TLS needs the CA that signed the servers' certificates: \
                    add ?ca_file=/path/to/ca.pem"
            .into());
    }
    match (&tls.cert, &tls.key) {
        (Some(_), None) => return Err("cert_file needs key_file (the client's private key)".into()),
        (None, Some(_)) => return Err("key_file needs cert_file (the client's certificate)".into()),
        _ => {}
    }
    // The TLS client checks each server's certificate against its host name
    // (and fails hard on a name that cannot be one): refuse such names here.
    #[cfg(feature = "tls")]
    for host in hosts {
        let name = host
            .rsplit_once(':')
            .map_or(host.as_str(), |(name, _)| name);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        if rustls_pki_types::ServerName::try_from(name).is_err() {
            return Err(format!(
                "{name:?} is not a host name or IP address TLS can check a certificate against"
            ));
        }
    }
    #[cfg(not(feature = "tls"))]
    let _ = hosts;
    Ok(())
}

fn check_chroot(chroot: &str) -> std::result::Result<(), String> {
    let bad = |why: &str| Err(format!("invalid chroot {chroot:?}: {why}"));
    if chroot.ends_with('/') {
        return bad("it must not end with '/'");
    }
    for segment in chroot.split('/').skip(1) {
        match segment {
            "" => return bad("it has an empty segment ('//')"),
            "." | ".." => return bad("'.' and '..' are not allowed"),
            s if s
                .chars()
                .any(|c| c.is_control() || matches!(u32::from(c), 0xE000..=0xF8FF | 0xFFF0..)) =>
            {
                return bad("it holds a character ZooKeeper refuses")
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse_duration(value: &str) -> std::result::Result<Duration, String> {
    let parsed = if let Some(ms) = value.strip_suffix("ms") {
        ms.parse::<u64>().ok().map(Duration::from_millis)
    } else if let Some(s) = value.strip_suffix('s') {
        s.parse::<u64>().ok().map(Duration::from_secs)
    } else {
        None
    };
    match parsed {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(format!(
            "invalid duration {value:?}; write it like 500ms or 10s"
        )),
    }
}

fn percent_decode(s: &str) -> std::result::Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    "a '%' in the credentials must start an escape like %40".to_owned()
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the credentials are not UTF-8 once decoded".to_owned())
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let o = ZooKeeperOptions::from_url("zk://a:1,b/x/y?session_timeout=500ms&world_readable")
            .unwrap();
        assert_eq!(o.describe(), "zk://a:1,b:2181/x/y");
        assert_eq!(o.get_session_timeout(), Duration::from_millis(500));
        assert!(o.is_world_readable());
        assert_eq!(o.user(), None);

        let o = ZooKeeperOptions::from_url("zk://us%3Aer:p%40ss:w@h:2/").unwrap();
        assert_eq!(o.describe(), "zk://h:2");
        assert_eq!(o.digest().unwrap(), b"us:er:p@ss:w");

        // Unencoded '/', '?' and '@' in a password stay in the password.
        let o = ZooKeeperOptions::from_url("zk://u:p/a?s@s@h:2/c?session_timeout=1s").unwrap();
        assert_eq!(o.describe(), "zk://h:2/c");
        assert_eq!(o.digest().unwrap(), b"u:p/a?s@s");
        assert_eq!(o.get_session_timeout(), Duration::from_secs(1));

        let o = ZooKeeperOptions::from_url("zk://[::1]:2181,[::2]").unwrap();
        assert_eq!(o.describe(), "zk://[::1]:2181,[::2]:2181");
    }

    #[test]
    fn bad_urls_say_why_without_the_password() {
        for (url, why) in [
            ("zk://", "no host"),
            ("zk://h:0", "invalid port"),
            ("zk://h:99999", "invalid port"),
            ("zk://a,,b", "empty host"),
            ("zk://u:secret@h/x/", "end with '/'"),
            ("zk://u:secret@h//x", "empty segment"),
            ("zk://u:secret@h/../x", "'..'"),
            ("zk://user-only@h", "user:password"),
            ("zk://u:secret@h?nope=1", "unknown option"),
            ("zk://u:secret@h?connect_timeout=5", "500ms or 10s"),
            ("zk://u:sec%zzret@h", "escape"),
            ("zk://u:sec/ret@h:x", "invalid port"),
            ("zk://u:sec?ret@h?nope", "unknown option"),
            ("zk://secret@h", "user:password"),
            ("zk://::1", "IPv6 address in brackets"),
            ("zk://[::1", "IPv6 address in brackets"),
            ("zk://a b:1", "not a host name"),
            ("zk://:1]:21\u{18}1", "not a host name"),
        ] {
            let err = ZooKeeperOptions::from_url(url).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(why), "{url}: {msg}");
            assert!(!msg.contains("secret"), "{url}: {msg}");
        }
    }

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
