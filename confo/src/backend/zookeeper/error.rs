//! ZooKeeper's errors as confo's: what failed, on which znode, and what to
//! do; a connection error says whether a write may have been applied.

use zookeeper_client::{Client, Error as ZkError};

use super::backend::MAX_ATTEMPTS;
use super::ZooKeeper;
use crate::backend::{Expect, Version};
use crate::error::Error;
use crate::name::{ConfigPath, Namespace, ROOT};

impl ZooKeeper {
    /// Maps a ZooKeeper error that has no more specific meaning here.
    pub(super) fn error(&self, op: &'static str, znode: &str, e: ZkError) -> Error {
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

    pub(super) fn gave_up(&self, op: &'static str, znode: &str) -> Error {
        Error::Backend {
            backend: self.inner.describe.clone(),
            op,
            path: znode.to_owned(),
            message: format!(
                "gave up after {MAX_ATTEMPTS} attempts: other clients kept creating and deleting it meanwhile"
            ),
        }
    }

    pub(super) fn not_found(&self, path: &ConfigPath) -> Error {
        Error::NotFound {
            backend: self.inner.describe.clone(),
            path: path.to_string(),
        }
    }

    pub(super) fn conflict(
        &self,
        path: &ConfigPath,
        expect: Expect,
        current: Option<Version>,
    ) -> Error {
        Error::VersionConflict {
            backend: self.inner.describe.clone(),
            path: path.to_string(),
            expected: expect.to_string(),
            current,
        }
    }

    pub(super) async fn namespace_missing(&self, client: &Client, namespace: &Namespace) -> Error {
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
}

/// Whether `e` means the server could not be reached or the connection
/// broke (so the request may be tried again): the client's own connection
/// errors, and an I/O error of the socket (`Connection reset by peer` when
/// a server stops mid-request), which the client reports as a custom error.
pub(super) fn is_connection_error(e: &ZkError) -> bool {
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
