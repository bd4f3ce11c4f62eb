//! Sessions: opening one (within the connect timeout, with digest
//! authentication, creating the chroot), replacing one that ended on the
//! next operation, bounding each request, the ACL of what confo creates, and
//! the session's state as users see it ([`SessionStatus`]).

use std::future::Future;
use std::time::Duration;

use zookeeper_client::{
    Acl, Acls, AddWatchMode, AuthId, Client, CreateMode, Error as ZkError, Permission,
    PersistentWatcher, SessionState,
};

use super::{ZooKeeper, ZooKeeperOptions};
use crate::error::{Error, Result};
use crate::name::ROOT;

impl ZooKeeper {
    /// The state of the session as the client last saw it.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), confo::Error> {
    /// use confo::backend::{SessionStatus, ZooKeeper};
    /// let store = ZooKeeper::connect("zk://127.0.0.1:2181").await?;
    /// assert_eq!(store.session_status(), SessionStatus::Connected);
    /// # Ok(()) }
    /// ```
    pub fn session_status(&self) -> SessionStatus {
        match self.current_client() {
            None => SessionStatus::NotConnected,
            Some(client) => match client.state() {
                SessionState::SyncConnected | SessionState::ConnectedReadOnly => {
                    SessionStatus::Connected
                }
                SessionState::Disconnected => SessionStatus::Disconnected,
                SessionState::Expired => SessionStatus::Expired,
                _ => SessionStatus::Closed,
            },
        }
    }

    /// The id of the current session (`None` before the first connection):
    /// it changes when an expired session is replaced.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), confo::Error> {
    /// let store = confo::backend::ZooKeeper::connect("zk://127.0.0.1:2181").await?;
    /// assert!(store.session_id().is_some());
    /// # Ok(()) }
    /// ```
    pub fn session_id(&self) -> Option<i64> {
        self.current_client().map(|c| c.session_id().0)
    }

    /// Arms a persistent watch on `znode` on the current session.
    pub(super) async fn arm(&self, znode: &str, mode: AddWatchMode) -> Result<PersistentWatcher> {
        let client = self.client().await?;
        self.within(client.watch(znode, mode))
            .await
            .map_err(|e| self.error("watch", znode, e))
    }

    /// The ACL for nodes confo creates.
    pub(super) fn acls(&self) -> Acls<'_> {
        Acls::new(&self.inner.acls)
    }

    /// The session to use: the current one, or a new one when it ended.
    pub(super) async fn client(&self) -> Result<Client> {
        let usable = |c: &Option<Client>| c.as_ref().filter(|c| !is_terminal(c.state())).cloned();
        if let Some(current) = usable(&self.current_client()) {
            return Ok(current);
        }
        let _serial = self.inner.reconnect.lock().await;
        let current = self.current_client();
        if let Some(current) = usable(&current) {
            return Ok(current); // someone else reconnected meanwhile
        }
        if let Some(ended) = &current {
            tracing::info!(backend = %self.inner.describe, state = %ended.state(), "ZooKeeper session ended; reconnecting");
        }
        let client =
            open_session(&self.inner.options, &self.inner.describe, &self.inner.acls).await?;
        self.prepare(&client).await?;
        *self.inner.client.lock().unwrap_or_else(|e| e.into_inner()) = Some(client.clone());
        Ok(client)
    }

    pub(super) fn current_client(&self) -> Option<Client> {
        self.inner
            .client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Bounds one request: a request waits for a reconnection at most this
    /// long before failing as a connection error.
    pub(super) fn op_timeout(&self) -> Duration {
        self.inner.options.session_timeout() * 2 + self.inner.options.connect_timeout()
    }

    pub(super) async fn within<T>(
        &self,
        fut: impl Future<Output = Result<T, ZkError>>,
    ) -> Result<T, ZkError> {
        tokio::time::timeout(self.op_timeout(), fut)
            .await
            .unwrap_or(Err(ZkError::Timeout))
    }

    /// Creates `/confo` when missing (the chroot was made by `open_session`).
    pub(super) async fn prepare(&self, client: &Client) -> Result<()> {
        self.ensure_node(client, ROOT).await
    }
}

/// Connects (bounded by the connect timeout), authenticates, creates the
/// chroot when missing and returns a client rooted at it.
pub(super) async fn open_session(
    options: &ZooKeeperOptions,
    describe: &str,
    acls: &[Acl],
) -> Result<Client> {
    let hosts = options.connect_string();
    let timeout = options.connect_timeout();
    let mut connector = Client::connector().with_session_timeout(options.session_timeout());
    if let Some(digest) = options.digest() {
        connector = connector.with_auth("digest", &digest);
    }
    let connection_error = |message: String| Error::Connection {
        backend: describe.to_owned(),
        message,
    };
    let tls_hint = if options.is_tls() {
        "; with TLS, check that the port is the servers' secureClientPort, that ca_file \
         holds the CA that signed their certificates (issued for the host names in the URL), \
         and the client certificate if they require one"
    } else {
        ""
    };
    #[cfg(feature = "tls")]
    let tls = match options.tls_settings() {
        Some(settings) => Some(super::tls::tls_options(settings, describe)?),
        None => None,
    };
    let connecting = async {
        #[cfg(feature = "tls")]
        if let Some(tls) = tls {
            return connector.with_tls(tls).secure_connect(&hosts).await;
        }
        connector.connect(&hosts).await
    };
    // Every host refusing the connection is known at once: say so rather
    // than wait out the connect timeout. A host that is silent (or
    // accepts) leaves the connect to its timeout.
    let connected = tokio::select! {
        connected = tokio::time::timeout(timeout, connecting) => connected,
        Some(refused) = refused_by_every_host(&hosts) => {
            return Err(connection_error(format!(
                "no ZooKeeper server at {hosts}: {}; check that ZooKeeper runs there and that the hosts and ports are right{tls_hint}",
                refused.join("; ")
            )))
        }
    };
    let client = match connected {
        Ok(Ok(client)) => client,
        Ok(Err(ZkError::BadArguments(reason))) => {
            return Err(Error::InvalidUrl {
                url: describe.to_owned(),
                reason: format!("ZooKeeper's client refuses the options: {reason}"),
            })
        }
        Ok(Err(e)) if e != ZkError::Timeout => {
            return Err(connection_error(format!(
                "no ZooKeeper session with {hosts}: {e}; check that ZooKeeper runs there{tls_hint}"
            )))
        }
        // Our timeout, or the client's own (about the session timeout).
        _ => {
            return Err(connection_error(format!(
                "no ZooKeeper server at {hosts} answered within {:.1} s (connect timeout); \
                 check that ZooKeeper runs there and that the hosts and ports are right{tls_hint}",
                timeout.as_secs_f64()
            )))
        }
    };
    let Some(chroot) = options.chroot() else {
        return Ok(client);
    };
    let op_timeout = options.session_timeout() * 2 + timeout;
    let exists = tokio::time::timeout(op_timeout, client.check_stat(chroot))
        .await
        .unwrap_or(Err(ZkError::Timeout));
    let made = match exists {
        Ok(Some(_)) => Ok(()),
        Ok(None) => tokio::time::timeout(
            op_timeout,
            client.mkdir(chroot, &CreateMode::Persistent.with_acls(Acls::new(acls))),
        )
        .await
        .unwrap_or(Err(ZkError::Timeout)),
        Err(e) => Err(e),
    };
    match made {
        Ok(()) => {}
        Err(ZkError::NoAuth) => {
            return Err(Error::NotAuthorized {
                backend: describe.to_owned(),
                op: "create the chroot",
                path: chroot.to_owned(),
            })
        }
        Err(e) => {
            return Err(connection_error(format!(
                "cannot create the chroot {chroot}: {e}"
            )))
        }
    }
    client.chroot(chroot).map_err(|_| Error::InvalidUrl {
        url: describe.to_owned(),
        reason: format!("ZooKeeper refuses the chroot {chroot:?}"),
    })
}

/// How long the probe of [`refused_by_every_host`] waits for each host.
const REFUSAL_PROBE: std::time::Duration = std::time::Duration::from_secs(1);

/// How many times, [`REFUSAL_RETRY`] apart, every host must refuse before
/// the connect gives up: a server that is just starting gets about a
/// second to listen.
const REFUSAL_ROUNDS: u32 = 8;
const REFUSAL_RETRY: std::time::Duration = std::time::Duration::from_millis(125);

/// `host:port: connection refused` for each host of `connect_string`, when
/// every one of them refuses a TCP connection [`REFUSAL_ROUNDS`] times in a
/// row (about a second); `None` when any accepts, stays silent or cannot be
/// resolved (the session's own connect then decides, within its timeout).
async fn refused_by_every_host(connect_string: &str) -> Option<Vec<String>> {
    let mut refused = None;
    for round in 0..REFUSAL_ROUNDS {
        if round > 0 {
            tokio::time::sleep(REFUSAL_RETRY).await;
        }
        refused = Some(refused_once(connect_string).await?);
    }
    refused
}

/// One round of [`refused_by_every_host`]: a plain TCP connection to each
/// host, concurrently, closed at once.
async fn refused_once(connect_string: &str) -> Option<Vec<String>> {
    let hosts: Vec<&str> = connect_string
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    if hosts.is_empty() {
        return None;
    }
    let mut probes = tokio::task::JoinSet::new();
    for (i, host) in hosts.iter().enumerate() {
        let host = (*host).to_owned();
        probes.spawn(async move {
            let probe = tokio::time::timeout(REFUSAL_PROBE, tokio::net::TcpStream::connect(&host));
            match probe.await {
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    Some((i, format!("{host}: connection refused")))
                }
                _ => None,
            }
        });
    }
    let mut refused = Vec::with_capacity(hosts.len());
    while let Some(done) = probes.join_next().await {
        refused.push(done.ok().flatten()?);
    }
    refused.sort();
    Some(refused.into_iter().map(|(_, message)| message).collect())
}

/// The ACL of what confo creates: open without credentials; with them, all
/// permissions for that identity only, plus read for anyone when
/// `world_readable`.
pub(super) fn acl_policy(options: &ZooKeeperOptions) -> Vec<Acl> {
    if options.user().is_none() {
        return vec![Acl::new(Permission::ALL, AuthId::anyone())];
    }
    let mut acls = vec![Acl::new(Permission::ALL, AuthId::authed())];
    if options.is_world_readable() {
        acls.push(Acl::new(Permission::READ, AuthId::anyone()));
    }
    acls
}

/// The state of a [`ZooKeeper`] backend's session: see
/// [`ZooKeeper::session_status`].
///
/// ```
/// use confo::backend::SessionStatus;
/// assert_ne!(SessionStatus::Connected, SessionStatus::Disconnected);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionStatus {
    /// Opened lazily and no operation has connected yet.
    NotConnected,
    /// Connected: operations go through.
    Connected,
    /// The connection was lost; the client is reconnecting and the session
    /// lives until its timeout.
    Disconnected,
    /// The session expired (the client was away longer than the session
    /// timeout); the next operation opens a new one.
    Expired,
    /// The session was closed or refused; the next operation opens a new one.
    Closed,
}

fn is_terminal(state: SessionState) -> bool {
    matches!(
        state,
        SessionState::Expired | SessionState::Closed | SessionState::AuthFailed
    )
}
