//! The ZooKeeper backend: the tree of the Python `confo` package.
//!
//! ```text
//! [/chroot]/confo                    created on first connect when missing
//! [/chroot]/confo/<namespace>        no data
//! [/chroot]/confo/<namespace>/<name> one JSON object, UTF-8
//! ```
//!
//! - A [`Version`] is the znode's data version (`stat.version`), so
//!   compare-and-set is ZooKeeper's own `set_data(path, data, version)`.
//!   After a configuration is deleted and created again its version starts
//!   over at 0.
//! - A configuration znode holding nothing, or only whitespace, reads as
//!   `{}`: the Python package creates a configuration's znode empty before
//!   it writes a value, so such nodes exist in shared trees. Anything else
//!   that is not a JSON object is left as is, and decoding it fails with an
//!   error naming the path.
//! - [`Backend::read_many`] is one multi-read request, whatever the count.
//! - With credentials the client authenticates with the `digest` scheme, and
//!   every node confo creates (chroot, `/confo`, namespaces, configurations)
//!   gets the ACL `auth` (all permissions for that identity only), plus
//!   `world:anyone` read when [`ZooKeeperOptions::world_readable`] is set.
//!   Without credentials nodes are open (`world:anyone` all).
//! - A session that expired (or a client that was closed) is replaced by a
//!   new connection on the next operation. [`ZooKeeperOptions::connect_lazily`]
//!   opens the backend without connecting at all: the first operation
//!   connects (for services that start from local snapshots while
//!   ZooKeeper is down).
//! - [`Backend::watch`] is a persistent watch per znode, shared by every
//!   watch on it; see `zookeeper_watch.rs` for reconnections and expiry.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use zookeeper_client::{
    Acl, Acls, AddWatchMode, AuthId, Client, CreateMode, Error as ZkError, MultiReadResult,
    MultiWriteError, MultiWriteResult, Permission, PersistentWatcher, SessionState, Stat,
};

mod builder;
mod watch;

pub use builder::{
    Credentials, ZooKeeperOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORT, DEFAULT_SESSION_TIMEOUT,
};

use super::{check_size, Backend, BatchWrite, Expect, Version, Versioned, Watch, WatchScope};
use crate::error::{Error, Result};
use crate::name::{ConfigName, ConfigPath, Namespace, ROOT};
use watch::Hubs;

/// How many times a write retries when others create or delete the same
/// nodes between its steps (each retry is caused by another client's
/// success, so this bounds a livelock, not ordinary contention).
const MAX_ATTEMPTS: usize = 16;

/// Bytes of values one multi-request carries at most: ZooKeeper refuses
/// requests over 1 MiB (`jute.maxbuffer`), less room for paths and headers.
const MULTI_BYTES: usize = 1024 * 1024 - 64 * 1024;

/// Room each write of a multi-request takes besides its value (path, header).
const MULTI_OVERHEAD: usize = 600;

/// Children deleted per multi-request when deleting a namespace: a request
/// must stay under ZooKeeper's 1 MiB packet limit (names are <= 250 bytes).
const DELETE_BATCH: usize = 1000;

/// A [`Backend`] on a ZooKeeper ensemble.
///
/// Cheap to clone; clones share one session.
///
/// ```no_run
/// # async fn demo() -> Result<(), confo::Error> {
/// use confo::backend::{Backend, Expect, ZooKeeper};
///
/// let store = ZooKeeper::connect("zk://app:s3cret@127.0.0.1:2181").await?;
/// let path = "systemA/database".parse()?;
/// let version = store.write(&path, br#"{"port":5432}"#, Expect::Absent).await?;
/// assert_eq!(store.read(&path).await?.version, version);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ZooKeeper {
    inner: Arc<Inner>,
}

struct Inner {
    options: ZooKeeperOptions,
    describe: String,
    /// The current session; replaced when it ends. `None` until the first
    /// connection of a backend opened lazily.
    client: Mutex<Option<Client>>,
    /// Serializes reconnections.
    reconnect: tokio::sync::Mutex<()>,
    /// The ACL of every node confo creates (see [`acl_policy`]).
    acls: Vec<Acl>,
    /// The shared server-side watches, by znode.
    hubs: Hubs,
}

impl fmt::Debug for ZooKeeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZooKeeper")
            .field("backend", &self.inner.describe)
            .field("user", &self.inner.options.user())
            .field("world_readable", &self.inner.options.is_world_readable())
            .finish()
    }
}

impl ZooKeeper {
    /// Connects to the ensemble a `zk://` URL names (see
    /// [`ZooKeeperOptions`] for the format), within its connect timeout.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), confo::Error> {
    /// let store = confo::backend::ZooKeeper::connect("zk://127.0.0.1:2181/team-a").await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self> {
        ZooKeeperOptions::from_url(url)?.connect().await
    }

    /// Options for a connect string (`host:port[,host:port...][/chroot]`),
    /// to set credentials, timeouts and ACLs before
    /// [`connect`](ZooKeeperOptions::connect).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), confo::Error> {
    /// let store = confo::backend::ZooKeeper::builder("10.0.0.1:2181,10.0.0.2:2181")
    ///     .credentials("app", "s3cret")
    ///     .world_readable(true)
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn builder(connect_string: impl AsRef<str>) -> ZooKeeperOptions {
        ZooKeeperOptions::new(connect_string)
    }

    pub(crate) async fn with_options(options: ZooKeeperOptions) -> Result<Self> {
        let zk = Self::lazily(options)?;
        zk.client().await?;
        Ok(zk)
    }

    /// The backend, validated but not connected: the first operation connects.
    pub(crate) fn lazily(options: ZooKeeperOptions) -> Result<Self> {
        let describe = options.describe();
        options.validate().map_err(|reason| Error::InvalidUrl {
            url: describe.clone(),
            reason,
        })?;
        let acls = acl_policy(&options);
        Ok(ZooKeeper {
            inner: Arc::new(Inner {
                options,
                describe,
                client: Mutex::new(None),
                reconnect: tokio::sync::Mutex::new(()),
                acls,
                hubs: Hubs::default(),
            }),
        })
    }

    /// [`ZooKeeper::connect`] without connecting: validates the URL and
    /// returns at once; the first operation connects, and each operation
    /// tries again until one succeeds. With [`crate::Confo::keep_snapshots`]
    /// a service can so start while ZooKeeper is down.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), confo::Error> {
    /// let store = confo::backend::ZooKeeper::connect_lazily("zk://127.0.0.1:2181")?;
    /// let confo = confo::Confo::with_backend(store);
    /// confo.keep_snapshots("/var/lib/my-service/confo");
    /// # Ok(()) }
    /// ```
    pub fn connect_lazily(url: &str) -> Result<Self> {
        ZooKeeperOptions::from_url(url)?.connect_lazily()
    }

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

    /// The options this backend was opened with.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), confo::Error> {
    /// let store = confo::backend::ZooKeeper::connect("zk://127.0.0.1:2181").await?;
    /// assert_eq!(store.options().user(), None);
    /// # Ok(()) }
    /// ```
    pub fn options(&self) -> &ZooKeeperOptions {
        &self.inner.options
    }

    /// The ACL for nodes confo creates.
    fn acls(&self) -> Acls<'_> {
        Acls::new(&self.inner.acls)
    }

    /// The session to use: the current one, or a new one when it ended.
    async fn client(&self) -> Result<Client> {
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

    fn current_client(&self) -> Option<Client> {
        self.inner
            .client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Bounds one request: a request waits for a reconnection at most this
    /// long before failing as a connection error.
    fn op_timeout(&self) -> Duration {
        self.inner.options.get_session_timeout() * 2 + self.inner.options.get_connect_timeout()
    }

    async fn within<T>(&self, fut: impl Future<Output = Result<T, ZkError>>) -> Result<T, ZkError> {
        tokio::time::timeout(self.op_timeout(), fut)
            .await
            .unwrap_or(Err(ZkError::Timeout))
    }

    /// Creates `/confo` when missing (the chroot was made by `open_session`).
    async fn prepare(&self, client: &Client) -> Result<()> {
        self.ensure_node(client, ROOT).await
    }

    /// Creates an empty node unless it exists; its parent must exist.
    async fn ensure_node(&self, client: &Client, znode: &str) -> Result<()> {
        match self.within(client.check_stat(znode)).await {
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {}
            Err(e) => return Err(self.error("check", znode, e)),
        }
        let create = CreateMode::Persistent.with_acls(self.acls());
        match self.within(client.create(znode, b"", &create)).await {
            Ok(_) | Err(ZkError::NodeExists) => Ok(()),
            Err(e) => Err(self.error("create", znode, e)),
        }
    }

    /// Creates a namespace node (and `/confo` if someone removed it);
    /// `Ok(false)` when it existed.
    async fn make_namespace(&self, client: &Client, namespace: &Namespace) -> Result<bool> {
        let znode = namespace_znode(namespace);
        let create = CreateMode::Persistent.with_acls(self.acls());
        for _ in 0..MAX_ATTEMPTS {
            match self.within(client.create(&znode, b"", &create)).await {
                Ok(_) => return Ok(true),
                Err(ZkError::NodeExists) => return Ok(false),
                Err(ZkError::NoNode) => self.ensure_node(client, ROOT).await?,
                Err(e) => return Err(self.error("create", &znode, e)),
            }
        }
        Err(self.gave_up("create", &znode))
    }

    /// Maps a ZooKeeper error that has no more specific meaning here.
    fn error(&self, op: &'static str, znode: &str, e: ZkError) -> Error {
        let backend = self.inner.describe.clone();
        match e {
            ZkError::NoAuth => Error::NotAuthorized {
                backend,
                op,
                path: znode.to_owned(),
            },
            e if is_connection_error(&e) => {
                // An ensemble serves only with a quorum: say so, it is the
                // usual cause when one server is still up.
                let quorum = if self.inner.options.connect_string().contains(',') {
                    " (an ensemble serves only while a majority of its servers run and \
                     agree on a leader)"
                } else {
                    ""
                };
                Error::Connection {
                    backend,
                    message: if matches!(op, "write" | "create" | "delete") {
                        format!(
                            "{op} {znode} failed: {e}; the change may or may not have been \
                             applied: read it again once ZooKeeper is reachable{quorum}"
                        )
                    } else {
                        format!(
                            "{op} {znode} failed: {e}; try again once ZooKeeper is reachable{quorum}"
                        )
                    },
                }
            }
            ZkError::AuthFailed => Error::Connection {
                backend,
                message: "ZooKeeper refused the credentials (authentication failed); check the user and password".into(),
            },
            other => Error::Backend {
                backend,
                op,
                path: znode.to_owned(),
                message: other.to_string(),
            },
        }
    }

    fn gave_up(&self, op: &'static str, znode: &str) -> Error {
        Error::Backend {
            backend: self.inner.describe.clone(),
            op,
            path: znode.to_owned(),
            message: format!(
                "gave up after {MAX_ATTEMPTS} attempts: other clients kept creating and deleting it meanwhile"
            ),
        }
    }

    fn not_found(&self, path: &ConfigPath) -> Error {
        Error::NotFound {
            backend: self.inner.describe.clone(),
            path: path.to_string(),
        }
    }

    fn conflict(&self, path: &ConfigPath, expect: Expect, current: Option<Version>) -> Error {
        Error::VersionConflict {
            backend: self.inner.describe.clone(),
            path: path.to_string(),
            expected: expect.to_string(),
            current,
        }
    }

    async fn namespace_missing(&self, client: &Client, namespace: &Namespace) -> Error {
        let known = match self.within(client.list_children(ROOT)).await {
            Ok(mut children) => {
                children.sort();
                children.join(", ")
            }
            Err(_) => String::new(),
        };
        Error::NamespaceNotFound {
            backend: self.inner.describe.clone(),
            namespace: namespace.to_string(),
            known,
        }
    }

    /// The version stored now, `None` when the node does not exist.
    async fn current_version(&self, client: &Client, znode: &str) -> Result<Option<Version>> {
        self.within(client.check_stat(znode))
            .await
            .map(|stat| stat.map(|s| version_of(&s)))
            .map_err(|e| self.error("check", znode, e))
    }

    /// Builds the conflict error for `expect` with the version stored now.
    async fn conflict_now(
        &self,
        client: &Client,
        path: &ConfigPath,
        expect: Expect,
    ) -> Result<Error> {
        let current = self.current_version(client, &path.znode()).await?;
        Ok(self.conflict(path, expect, current))
    }

    /// Creates the configuration node; `Ok(None)` when it already exists.
    async fn create_config(
        &self,
        client: &Client,
        path: &ConfigPath,
        bytes: &[u8],
    ) -> Result<Option<Version>> {
        let znode = path.znode();
        let create = CreateMode::Persistent.with_acls(self.acls());
        for _ in 0..MAX_ATTEMPTS {
            match self.within(client.create(&znode, bytes, &create)).await {
                Ok((stat, _)) => return Ok(Some(version_of(&stat))),
                Err(ZkError::NodeExists) => return Ok(None),
                Err(ZkError::NoNode) => {
                    // The namespace is missing: create it (racing creators
                    // are fine) and try again.
                    self.make_namespace(client, path.namespace()).await?;
                }
                Err(e) => return Err(self.error("create", &znode, e)),
            }
        }
        Err(self.gave_up("create", &znode))
    }

    /// One atomic multi-request. `Expect::Any` becomes the version read
    /// just before (or a create), so a racing writer makes the request fail
    /// and it is tried again, at most [`MAX_ATTEMPTS`] times.
    async fn write_multi(&self, client: &Client, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        let create = CreateMode::Persistent.with_acls(self.acls());
        for _ in 0..MAX_ATTEMPTS {
            let mut expects = Vec::with_capacity(writes.len());
            for w in writes {
                expects.push(match w.expect {
                    Expect::Any => {
                        Expect::from_read(self.current_version(client, &w.path.znode()).await?)
                    }
                    other => other,
                });
            }
            let mut writer = client.new_multi_writer();
            for (w, expect) in writes.iter().zip(&expects) {
                let znode = w.path.znode();
                let added = match expect {
                    Expect::Absent => writer.add_create(&znode, &w.bytes, &create),
                    Expect::Version(v) => match zk_version(*v) {
                        Some(raw) => writer.add_set_data(&znode, &w.bytes, Some(raw)),
                        None => return Err(self.conflict_now(client, &w.path, w.expect).await?),
                    },
                    Expect::Any => writer.add_set_data(&znode, &w.bytes, None),
                };
                added.map_err(|e| self.error("write", &znode, e))?;
            }
            let result = tokio::time::timeout(self.op_timeout(), writer.commit())
                .await
                .unwrap_or(Err(MultiWriteError::RequestFailed {
                    source: ZkError::Timeout,
                }));
            match result {
                Ok(results) => {
                    return Ok(results
                        .iter()
                        .map(|r| match r {
                            MultiWriteResult::SetData { stat } => version_of(stat),
                            // A created node is at version 0 (its stat may be
                            // invalid, ZOOKEEPER-4026).
                            _ => Version::from_raw(0),
                        })
                        .collect());
                }
                Err(MultiWriteError::OperationFailed {
                    index,
                    source: ZkError::BadVersion | ZkError::NodeExists | ZkError::NoNode,
                }) => {
                    let failed = &writes[index.min(writes.len() - 1)];
                    if failed.expect != Expect::Any {
                        return Err(self
                            .conflict_now(client, &failed.path, failed.expect)
                            .await?);
                    }
                    // Raced on a last-writer-wins write: read again and retry.
                }
                Err(e) => {
                    let znode = writes[0].path.znode();
                    return Err(self.error("write", &znode, e.into()));
                }
            }
        }
        Err(self.gave_up("write", &writes[0].path.znode()))
    }

    async fn list_children_of(
        &self,
        client: &Client,
        znode: &str,
    ) -> Result<Option<Vec<String>>, Error> {
        match self.within(client.list_children(znode)).await {
            Ok(children) => Ok(Some(children)),
            Err(ZkError::NoNode) => Ok(None),
            Err(e) => Err(self.error("list", znode, e)),
        }
    }
}

/// Connects (bounded by the connect timeout), authenticates, creates the
/// chroot when missing and returns a client rooted at it.
async fn open_session(options: &ZooKeeperOptions, describe: &str, acls: &[Acl]) -> Result<Client> {
    let hosts = options.connect_string();
    let timeout = options.get_connect_timeout();
    let mut connector = Client::connector().with_session_timeout(options.get_session_timeout());
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
        Some(settings) => Some(tls_options(settings, describe)?),
        None => None,
    };
    let connecting = async {
        #[cfg(feature = "tls")]
        if let Some(tls) = tls {
            return connector.with_tls(tls).secure_connect(&hosts).await;
        }
        connector.connect(&hosts).await
    };
    let client = match tokio::time::timeout(timeout, connecting).await {
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
    let Some(chroot) = options.chroot_path() else {
        return Ok(client);
    };
    let op_timeout = options.get_session_timeout() * 2 + timeout;
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

/// The TLS options of the client: the CA and any client identity, read
/// now (files) and checked. Errors name the file, never its content.
#[cfg(feature = "tls")]
fn tls_options(tls: &builder::TlsSettings, describe: &str) -> Result<zookeeper_client::TlsOptions> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: describe.to_owned(),
        reason,
    };
    let mut options = zookeeper_client::TlsOptions::new();
    if let Some(ca) = &tls.ca {
        let pem = ca.load("CA file").map_err(invalid)?;
        options = options.with_pem_ca(&pem).map_err(|e| {
            invalid(format!(
                "the CA (ca_file) holds no usable PEM certificate: {e}"
            ))
        })?;
    }
    if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
        let cert = cert.load("client certificate").map_err(invalid)?;
        let key = key.load("client key").map_err(invalid)?;
        // The client's message about a bad key never quotes it.
        options = options.with_pem_identity(&cert, &key).map_err(|e| {
            invalid(format!(
                "the client certificate or key is not usable PEM: {e}"
            ))
        })?;
    }
    tracing::debug!(backend = %describe, client_identity = tls.cert.is_some(), "connecting with TLS");
    Ok(options)
}

/// The ACL of what confo creates: open without credentials; with them, all
/// permissions for that identity only, plus read for anyone when
/// `world_readable`.
fn acl_policy(options: &ZooKeeperOptions) -> Vec<Acl> {
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

/// Whether `e` means the server could not be reached or the connection
/// broke (so the request may be tried again): the client's own connection
/// errors, and an I/O error of the socket (`Connection reset by peer` when
/// a server stops mid-request), which the client reports as a custom error.
fn is_connection_error(e: &ZkError) -> bool {
    match e {
        ZkError::ConnectionLoss
        | ZkError::SessionExpired
        | ZkError::SessionMoved
        | ZkError::ClientClosed
        | ZkError::NoHosts
        | ZkError::Timeout => true,
        ZkError::Custom(custom) => {
            let mut source = std::error::Error::source(custom);
            // Bounded by the length of the error's source chain.
            while let Some(cause) = source {
                // The client keeps the I/O error in an `Arc`, which hides it
                // from a downcast of the `Arc` itself.
                type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
                let inner = cause
                    .downcast_ref::<Shared>()
                    .map(|a| &**a as &dyn std::error::Error);
                if cause.is::<std::io::Error>() || inner.is_some_and(|i| i.is::<std::io::Error>()) {
                    return true;
                }
                source = cause.source();
            }
            false
        }
        _ => false,
    }
}

fn is_terminal(state: SessionState) -> bool {
    matches!(
        state,
        SessionState::Expired | SessionState::Closed | SessionState::AuthFailed
    )
}

fn namespace_znode(namespace: &Namespace) -> String {
    format!("{ROOT}/{namespace}")
}

/// `stat.version` (never negative) as an opaque [`Version`].
fn version_of(stat: &Stat) -> Version {
    Version::from_raw(u64::from(stat.version as u32))
}

/// The `stat.version` a [`Version`] stands for; `None` for one no znode can have.
fn zk_version(version: Version) -> Option<i32> {
    i32::try_from(version.raw()).ok()
}

/// Bytes as confo reads them: an empty or all-whitespace node is `{}`.
fn normalize(data: Vec<u8>) -> Arc<[u8]> {
    if data.iter().all(u8::is_ascii_whitespace) {
        Arc::from(&b"{}"[..])
    } else {
        Arc::from(data)
    }
}

fn valid_names<T>(children: Vec<String>, backend: &str, parse: impl Fn(&str) -> Result<T>) -> Vec<T>
where
    T: Ord,
{
    let mut out: Vec<T> = children
        .iter()
        .filter_map(|child| match parse(child) {
            Ok(name) => Some(name),
            Err(e) => {
                tracing::warn!(backend, error = %e, "skipping a znode whose name confo cannot use");
                None
            }
        })
        .collect();
    out.sort();
    out
}

#[async_trait]
impl Backend for ZooKeeper {
    fn describe(&self) -> &str {
        &self.inner.describe
    }

    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        let client = self.client().await?;
        let children = self
            .list_children_of(&client, ROOT)
            .await?
            .unwrap_or_default();
        Ok(valid_names(children, &self.inner.describe, |c| {
            Namespace::new(c)
        }))
    }

    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        let client = self.client().await?;
        let znode = namespace_znode(namespace);
        match self.list_children_of(&client, &znode).await? {
            Some(children) => Ok(valid_names(children, &self.inner.describe, |c| {
                ConfigName::new(c)
            })),
            None => Err(self.namespace_missing(&client, namespace).await),
        }
    }

    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        let client = self.client().await?;
        let znode = path.znode();
        match self.within(client.get_data(&znode)).await {
            Ok((data, stat)) => Ok(Versioned {
                bytes: normalize(data),
                version: version_of(&stat),
            }),
            Err(ZkError::NoNode) => Err(self.not_found(path)),
            Err(e) => Err(self.error("read", &znode, e)),
        }
    }

    /// One multi-read request for all `paths`.
    async fn read_many(&self, paths: &[ConfigPath]) -> Result<Vec<Option<Versioned>>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let znodes: Vec<String> = paths.iter().map(ConfigPath::znode).collect();
        let mut reader = client.new_multi_reader();
        for znode in &znodes {
            reader
                .add_get_data(znode)
                .map_err(|e| self.error("read", znode, e))?;
        }
        let results = self
            .within(reader.commit())
            .await
            .map_err(|e| self.error("read", &format!("{ROOT} ({} nodes)", znodes.len()), e))?;
        if results.len() != znodes.len() {
            return Err(Error::Backend {
                backend: self.inner.describe.clone(),
                op: "read",
                path: format!("{ROOT} ({} nodes)", znodes.len()),
                message: format!(
                    "ZooKeeper answered {} results for {} reads",
                    results.len(),
                    znodes.len()
                ),
            });
        }
        results
            .into_iter()
            .zip(&znodes)
            .map(|(result, znode)| match result {
                MultiReadResult::Data { data, stat } => Ok(Some(Versioned {
                    bytes: normalize(data),
                    version: version_of(&stat),
                })),
                MultiReadResult::Error {
                    err: ZkError::NoNode,
                } => Ok(None),
                MultiReadResult::Error { err } => Err(self.error("read", znode, err)),
                other => Err(Error::Backend {
                    backend: self.inner.describe.clone(),
                    op: "read",
                    path: znode.clone(),
                    message: format!("unexpected multi-read answer {other:?}"),
                }),
            })
            .collect()
    }

    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        check_size(self, path, bytes)?;
        let client = self.client().await?;
        let znode = path.znode();
        for _ in 0..MAX_ATTEMPTS {
            match expect {
                Expect::Absent => match self.create_config(&client, path, bytes).await? {
                    Some(version) => return Ok(version),
                    None => {
                        let current = self.current_version(&client, &znode).await?;
                        if current.is_some() {
                            return Err(self.conflict(path, expect, current));
                        }
                        // Deleted again meanwhile: try to create once more.
                    }
                },
                Expect::Any => match self.within(client.set_data(&znode, bytes, None)).await {
                    Ok(stat) => return Ok(version_of(&stat)),
                    Err(ZkError::NoNode) => {
                        if let Some(version) = self.create_config(&client, path, bytes).await? {
                            return Ok(version);
                        }
                        // Created by someone else meanwhile: overwrite it.
                    }
                    Err(e) => return Err(self.error("write", &znode, e)),
                },
                Expect::Version(expected) => {
                    let Some(raw) = zk_version(expected) else {
                        return Err(self.conflict_now(&client, path, expect).await?);
                    };
                    return match self.within(client.set_data(&znode, bytes, Some(raw))).await {
                        Ok(stat) => Ok(version_of(&stat)),
                        Err(ZkError::BadVersion) => {
                            Err(self.conflict_now(&client, path, expect).await?)
                        }
                        Err(ZkError::NoNode) => Err(self.conflict(path, expect, None)),
                        Err(e) => Err(self.error("write", &znode, e)),
                    };
                }
            }
        }
        Err(self.gave_up("write", &znode))
    }

    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        let client = self.client().await?;
        self.make_namespace(&client, namespace).await
    }

    /// Each run of writes that fits one request is one atomic multi-request.
    async fn write_many(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        for w in writes {
            check_size(self, &w.path, &w.bytes)?;
        }
        let client = self.client().await?;
        // Namespaces first: a multi-request cannot create a parent on demand.
        let mut namespaces: Vec<&Namespace> = writes.iter().map(|w| w.path.namespace()).collect();
        namespaces.sort();
        namespaces.dedup();
        for ns in namespaces {
            self.make_namespace(&client, ns).await?;
        }
        let mut versions = Vec::with_capacity(writes.len());
        let mut start = 0;
        while start < writes.len() {
            // As many writes as fit one request, at least one.
            let mut end = start;
            let mut size = 0;
            while end < writes.len()
                && (end == start || size + writes[end].bytes.len() + MULTI_OVERHEAD <= MULTI_BYTES)
            {
                size += writes[end].bytes.len() + MULTI_OVERHEAD;
                end += 1;
            }
            versions.extend(self.write_multi(&client, &writes[start..end]).await?);
            start = end;
        }
        Ok(versions)
    }

    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        let client = self.client().await?;
        let znode = path.znode();
        let version = match expect {
            Expect::Any => None,
            Expect::Version(v) => match zk_version(v) {
                Some(raw) => Some(raw),
                None => {
                    return match self.current_version(&client, &znode).await? {
                        None => Err(self.not_found(path)),
                        current => Err(self.conflict(path, expect, current)),
                    }
                }
            },
            Expect::Absent => {
                return match self.current_version(&client, &znode).await? {
                    None => Err(self.not_found(path)),
                    current => Err(self.conflict(path, expect, current)),
                }
            }
        };
        match self.within(client.delete(&znode, version)).await {
            Ok(()) => Ok(()),
            Err(ZkError::NoNode) => Err(self.not_found(path)),
            Err(ZkError::BadVersion) => Err(self.conflict_now(&client, path, expect).await?),
            Err(e) => Err(self.error("delete", &znode, e)),
        }
    }

    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        let client = self.client().await?;
        let znode = namespace_znode(namespace);
        for _ in 0..MAX_ATTEMPTS {
            let Some(children) = self.list_children_of(&client, &znode).await? else {
                return Err(self.namespace_missing(&client, namespace).await);
            };
            if !recursive && !children.is_empty() {
                return Err(Error::NamespaceNotEmpty {
                    backend: self.inner.describe.clone(),
                    namespace: namespace.to_string(),
                    count: children.len(),
                });
            }
            // Children in batches, the last batch with the namespace itself,
            // each batch one atomic multi-request.
            let child_znodes: Vec<String> =
                children.iter().map(|c| format!("{znode}/{c}")).collect();
            let mut batches: Vec<&[String]> = child_znodes.chunks(DELETE_BATCH).collect();
            if batches.is_empty() {
                batches.push(&[]);
            }
            let last = batches.len() - 1;
            let mut raced = false;
            for (i, batch) in batches.into_iter().enumerate() {
                let mut writer = client.new_multi_writer();
                for child in batch {
                    writer
                        .add_delete(child, None)
                        .map_err(|e| self.error("delete", child, e))?;
                }
                if i == last {
                    writer
                        .add_delete(&znode, None)
                        .map_err(|e| self.error("delete", &znode, e))?;
                }
                let result = tokio::time::timeout(self.op_timeout(), writer.commit())
                    .await
                    .unwrap_or(Err(MultiWriteError::RequestFailed {
                        source: ZkError::Timeout,
                    }));
                match result {
                    Ok(_) => {}
                    // A configuration was added or removed meanwhile: list again.
                    Err(MultiWriteError::OperationFailed {
                        source: ZkError::NoNode | ZkError::NotEmpty,
                        ..
                    }) => {
                        raced = true;
                        break;
                    }
                    Err(e) => return Err(self.error("delete", &znode, e.into())),
                }
            }
            if !raced {
                return Ok(());
            }
        }
        Err(self.gave_up("delete", &znode))
    }

    /// A persistent watch on the configuration's znode, or a recursive one
    /// on the namespace's; one per znode, shared (see `zookeeper_watch.rs`).
    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        watch::watch(self, &self.inner.hubs, scope).await
    }
}
