//! The builder: [`ZooKeeperOptions`], everything needed to open a
//! [`ZooKeeper`] backend (hosts, chroot, credentials, timeouts, ACL policy,
//! TLS), with `with_*` setters and plain getters.

use std::fmt;
use std::time::Duration;

use super::tls::{check_tls, Pem, TlsSettings};
use super::ZooKeeper;
use crate::error::Result;

/// ZooKeeper's usual client port, used when a host has none.
///
/// ```
/// let options = confo::backend::ZooKeeperOptions::new("zk1");
/// assert_eq!(options.describe(), format!("zk://zk1:{}", confo::backend::DEFAULT_PORT));
/// ```
pub const DEFAULT_PORT: u16 = 2181;

/// Default for [`ZooKeeperOptions::with_connect_timeout`].
///
/// ```
/// use confo::backend::{ZooKeeperOptions, DEFAULT_CONNECT_TIMEOUT};
/// assert_eq!(ZooKeeperOptions::new("zk1").connect_timeout(), DEFAULT_CONNECT_TIMEOUT);
/// ```
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default for [`ZooKeeperOptions::with_session_timeout`].
///
/// ```
/// use confo::backend::{ZooKeeperOptions, DEFAULT_SESSION_TIMEOUT};
/// assert_eq!(ZooKeeperOptions::new("zk1").session_timeout(), DEFAULT_SESSION_TIMEOUT);
/// ```
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything needed to open a [`ZooKeeper`] backend: hosts, chroot,
/// credentials, timeouts and the ACL policy. Built by
/// [`ZooKeeper::builder`], [`ZooKeeperOptions::from_url`] or from
/// [`Credentials`](super::Credentials); opened by [`ZooKeeperOptions::connect`].
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
/// assert_eq!(options.describe(), "zk://app:***@zk1:2181,zk2:2181/prod");
/// assert_eq!(options.connect_timeout(), Duration::from_secs(3));
/// assert!(!format!("{options:?}").contains("s3cret"));
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Clone)]
pub struct ZooKeeperOptions {
    pub(super) hosts: Vec<String>,
    pub(super) chroot: Option<String>,
    pub(super) user: Option<(String, String)>,
    pub(super) connect_timeout: Duration,
    pub(super) session_timeout: Duration,
    pub(super) world_readable: bool,
    pub(super) tls: Option<TlsSettings>,
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

    /// Authenticates with ZooKeeper's `digest` scheme as `user`.
    ///
    /// What confo creates is then readable and writable by this identity
    /// only (ACL `auth` with all permissions), unless
    /// [`ZooKeeperOptions::with_world_readable`] is set.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeper::builder("127.0.0.1:2181")
    ///     .with_credentials("app", "s3cret");
    /// assert!(format!("{options:?}").contains("app:***"));
    /// ```
    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.user = Some((user.into(), password.into()));
        self
    }

    /// Keeps the `/confo` tree under this znode (created when missing).
    ///
    /// ```
    /// let options = confo::backend::ZooKeeper::builder("127.0.0.1:2181").with_chroot("/team-a");
    /// assert_eq!(options.describe(), "zk://127.0.0.1:2181/team-a");
    /// ```
    pub fn with_chroot(mut self, chroot: impl Into<String>) -> Self {
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
    ///     .with_connect_timeout(Duration::from_secs(2));
    /// assert_eq!(options.connect_timeout(), Duration::from_secs(2));
    /// ```
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
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
    ///     .with_session_timeout(Duration::from_secs(30));
    /// assert_eq!(options.session_timeout(), Duration::from_secs(30));
    /// ```
    pub fn with_session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// With credentials, also lets anyone *read* what confo creates (ACL
    /// `world:anyone` read); only the creator may change it. Without
    /// credentials nodes are open to all anyway.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeper::builder("127.0.0.1:2181")
    ///     .with_credentials("app", "s3cret")
    ///     .with_world_readable(true);
    /// assert!(options.is_world_readable());
    /// ```
    pub fn with_world_readable(mut self, world_readable: bool) -> Self {
        self.world_readable = world_readable;
        self
    }

    /// Connects with TLS, checking the servers' certificates against this
    /// CA (PEM text: one or more certificates). The servers must listen
    /// with TLS (ZooKeeper's `secureClientPort`); the URL form is
    /// `zks://host:port?ca_file=/path/ca.pem`. Needs the `tls` feature
    /// (off by default: it builds the aws-lc C library).
    ///
    /// ```
    /// # let ca_pem = String::new();
    /// let options = confo::backend::ZooKeeper::builder("zk1:2281").with_tls_ca(ca_pem);
    /// assert!(options.is_tls());
    /// assert_eq!(options.describe(), "zks://zk1:2281");
    /// ```
    pub fn with_tls_ca(mut self, ca_pem: impl Into<String>) -> Self {
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
    ///     .with_tls_ca(ca)
    ///     .with_tls_identity(cert, key);
    /// assert!(!format!("{options:?}").contains("KEY"));
    /// ```
    pub fn with_tls_identity(
        mut self,
        cert_pem: impl Into<String>,
        key_pem: impl Into<String>,
    ) -> Self {
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
    /// assert_eq!(options.connect_timeout().as_millis(), 1500);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The session timeout in effect.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeperOptions::from_url("zk://h?session_timeout=30s")?;
    /// assert_eq!(options.session_timeout().as_secs(), 30);
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn session_timeout(&self) -> Duration {
        self.session_timeout
    }

    /// Whether [`ZooKeeperOptions::with_world_readable`] is set.
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

    /// `zk://[user:***@]host:port[,host:port...][/chroot]` (`zks://` with
    /// TLS): where this backend stores, and as whom, for messages. The
    /// user is shown (percent-encoded, as in a URL) so a refusal says which
    /// identity was refused; the password never is: it is always `***`.
    ///
    /// ```
    /// let options = confo::backend::ZooKeeperOptions::from_url("zk://u:secret@h:1/x")?;
    /// assert_eq!(options.describe(), "zk://u:***@h:1/x");
    /// let options = confo::backend::ZooKeeperOptions::from_url("zk://h:1")?;
    /// assert_eq!(options.describe(), "zk://h:1");
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn describe(&self) -> String {
        let user = self.user.as_ref().map_or(String::new(), |(u, _)| {
            format!("{}:***@", super::url::percent_encode(u))
        });
        format!(
            "{}://{user}{}{}",
            if self.tls.is_some() { "zks" } else { "zk" },
            self.hosts.join(","),
            self.chroot.as_deref().unwrap_or("")
        )
    }

    /// The hosts as a ZooKeeper connect string, without chroot.
    pub(crate) fn connect_string(&self) -> String {
        self.hosts.join(",")
    }

    pub(crate) fn chroot(&self) -> Option<&str> {
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
    ///     .with_credentials("app", "s3cret")
    ///     .with_connect_timeout(Duration::from_secs(3))
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

pub(super) fn has_port(host: &str) -> bool {
    match host.strip_prefix('[') {
        // `[::1]:2181` has a port, `[::1]` has none.
        Some(rest) => rest
            .split_once(']')
            .is_some_and(|(_, after)| after.starts_with(':')),
        None => host.matches(':').count() == 1,
    }
}

pub(super) fn with_default_port(host: &str) -> String {
    let host = host.trim();
    if host.is_empty() || has_port(host) {
        host.to_owned()
    } else {
        format!("{host}:{DEFAULT_PORT}")
    }
}

pub(super) fn check_host(host: &str) -> std::result::Result<(), String> {
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

pub(super) fn check_chroot(chroot: &str) -> std::result::Result<(), String> {
    let bad = |why: &str| Err(format!("invalid chroot {chroot:?}: {why}"));
    if chroot.ends_with('/') {
        return bad("it must not end with '/'");
    }
    if chroot.split('/').nth(1) == Some("zookeeper") {
        return bad("ZooKeeper reserves /zookeeper and everything under it (quotas, its configuration); choose another chroot, e.g. /confo");
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
