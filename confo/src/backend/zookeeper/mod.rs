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
//!   [`Backend::read_namespace`] repeated while the namespace's children
//!   are unchanged is one too: the last listing is kept with the namespace
//!   node's children counters, read again with the values (`listings.rs`).
//! - With credentials the client authenticates with the `digest` scheme, and
//!   every node confo creates (chroot, `/confo`, namespaces, configurations)
//!   gets the ACL `auth` (all permissions for that identity only), plus
//!   `world:anyone` read when [`ZooKeeperOptions::with_world_readable`] is set.
//!   Without credentials nodes are open (`world:anyone` all).
//! - A session that expired (or a client that was closed) is replaced by a
//!   new connection on the next operation. [`ZooKeeperOptions::connect_lazily`]
//!   opens the backend without connecting at all: the first operation
//!   connects (for services that start from local copies while
//!   ZooKeeper is down).
//! - [`Backend::watch`] is a persistent watch per znode, shared by every
//!   watch on it; see `watch.rs` for reconnections and expiry.
//!
//! One concern a file: [`ZooKeeper`] and its constructors here; the
//! [`Backend`] implementation (`backend.rs`); sessions: opening, replacing,
//! bounding requests, the ACL of created nodes (`session.rs`); mapping
//! ZooKeeper's errors to confo's (`error.rs`); the builder
//! [`ZooKeeperOptions`] (`builder.rs`), its `zk://` URL form (`url.rs`), the
//! Python package's credential map [`Credentials`] (`credentials.rs`), TLS
//! (`tls.rs`); shared persistent watches (`watch.rs`).

use std::fmt;
use std::sync::{Arc, Mutex};

use zookeeper_client::{Acl, Client};

mod backend;
mod builder;
mod credentials;
mod error;
mod listings;
mod meta;
mod session;
mod tls;
mod url;
mod watch;

pub use builder::{
    ZooKeeperOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORT, DEFAULT_SESSION_TIMEOUT,
};
pub use credentials::Credentials;
pub use session::SessionStatus;

#[cfg(doc)]
use crate::backend::Backend;
use crate::error::{Error, Result};
use watch::Hubs;

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
    /// The ACL of every node confo creates (see `session::acl_policy`).
    acls: Vec<Acl>,
    /// The shared server-side watches, by znode.
    hubs: Hubs,
    /// The last listing of each namespace read (`listings.rs`).
    listings: listings::Listings,
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
    ///     .with_credentials("app", "s3cret")
    ///     .with_world_readable(true)
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
        let acls = session::acl_policy(&options);
        Ok(ZooKeeper {
            inner: Arc::new(Inner {
                options,
                describe,
                client: Mutex::new(None),
                reconnect: tokio::sync::Mutex::new(()),
                acls,
                hubs: Hubs::default(),
                listings: listings::Listings::default(),
            }),
        })
    }

    /// [`ZooKeeper::connect`] without connecting: validates the URL and
    /// returns at once; the first operation connects, and each operation
    /// tries again until one succeeds. With [`crate::Confo::keep_local_copies`]
    /// a service can so start while ZooKeeper is down.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), confo::Error> {
    /// let store = confo::backend::ZooKeeper::connect_lazily("zk://127.0.0.1:2181")?;
    /// let confo = confo::Confo::with_backend(store);
    /// confo.keep_local_copies("/var/lib/my-service/confo");
    /// # Ok(()) }
    /// ```
    pub fn connect_lazily(url: &str) -> Result<Self> {
        ZooKeeperOptions::from_url(url)?.connect_lazily()
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
}
