//! ZooKeeper's errors as confo's: what failed, on which znode, and what to
//! do; a connection error says whether a write may have been applied.

use zookeeper_client::{Client, Error as ZkError};

use super::backend::MAX_ATTEMPTS;
use super::ZooKeeper;
use crate::backend::Expect;
use crate::error::Error;
use crate::name::Version;
use crate::name::{ConfigPath, Namespace, ROOT};

impl ZooKeeper {
    /// Maps a ZooKeeper error that has no more specific meaning here.
    pub(super) fn error(&self, op: &'static str, znode: &str, e: ZkError) -> Error {
        let ensemble = self.inner.options.connect_string().contains(',');
        map_error(&self.inner.describe, ensemble, op, znode, e)
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

/// Maps an error of `op` on `znode` (on `describe`, an ensemble when it
/// lists several hosts): a connection problem is [`Error::Connection`] for
/// a read (retried under the retry policy, a `Live` turns Stale) and
/// [`Error::OutcomeUnknown`] for a write or delete of a configuration.
fn map_error(describe: &str, ensemble: bool, op: &'static str, znode: &str, e: ZkError) -> Error {
    let backend = describe.to_owned();
    match e {
        ZkError::NoAuth => Error::NotAuthorized {
            backend,
            op,
            path: znode.to_owned(),
        },
        e if is_connection_error(&e) => {
            // An ensemble serves only with a quorum: say so, it is the
            // usual cause when one server is still up.
            let quorum = if ensemble {
                " (an ensemble serves only while a majority of its servers run and \
                 agree on a leader)"
            } else {
                ""
            };
            // Creating `/confo` or a namespace is idempotent: a connection
            // error there is retried like a read.
            if matches!(op, "write" | "delete") {
                Error::OutcomeUnknown {
                    backend,
                    op,
                    path: znode.to_owned(),
                    message: format!(
                        "{e}; read it again once ZooKeeper is reachable{quorum}, and \
                         write again only if the change is not there"
                    ),
                }
            } else {
                Error::Connection {
                    backend,
                    message: format!(
                        "{op} {znode} failed: {e}; try again once ZooKeeper is reachable{quorum}"
                    ),
                }
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

/// What zookeeper-client 0.11 says, as a custom error without a source,
/// when a connection stopped answering (no byte within its timeout, e.g. a
/// server cut from its quorum or a frozen link) and when a read-only
/// session found a writable server and drops its connection for it.
const STOPPED_ANSWERING: &[&str] = &[
    "no response from connection in",
    "encounter writable server",
];

/// Whether `e` means the server could not be reached, the connection broke
/// or it stopped answering, so that a read may be tried again and a write
/// may or may not have been applied: the client's connection and session
/// errors (lost, expired, moved, closed, no hosts, timed out), its request
/// timeout (`no response from connection in 1600ms`), and an I/O error of
/// the socket (`Connection reset by peer` when a server stops
/// mid-request), the last two reported as custom errors.
pub(super) fn is_connection_error(e: &ZkError) -> bool {
    match e {
        ZkError::ConnectionLoss
        | ZkError::SessionExpired
        | ZkError::SessionMoved
        | ZkError::ClientClosed
        | ZkError::NoHosts
        | ZkError::Timeout => true,
        ZkError::Custom(custom) => {
            let text = custom.to_string();
            if STOPPED_ANSWERING.iter().any(|m| text.contains(m)) {
                return true;
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every error kind of zookeeper-client that a request gets when its
    /// connection broke, stopped answering or lost its session.
    fn connection_kinds() -> Vec<ZkError> {
        vec![
            ZkError::ConnectionLoss,
            ZkError::SessionExpired,
            ZkError::SessionMoved,
            ZkError::ClientClosed,
            ZkError::NoHosts,
            ZkError::Timeout,
        ]
    }

    #[test]
    fn connection_loss_is_a_connection_error() {
        assert!(is_connection_error(&ZkError::ConnectionLoss));
    }

    #[test]
    fn an_expired_session_is_a_connection_error() {
        assert!(is_connection_error(&ZkError::SessionExpired));
    }

    #[test]
    fn a_moved_session_is_a_connection_error() {
        assert!(is_connection_error(&ZkError::SessionMoved));
    }

    #[test]
    fn a_closed_client_is_a_connection_error() {
        assert!(is_connection_error(&ZkError::ClientClosed));
    }

    #[test]
    fn no_hosts_is_a_connection_error() {
        assert!(is_connection_error(&ZkError::NoHosts));
    }

    #[test]
    fn a_timeout_is_a_connection_error() {
        assert!(is_connection_error(&ZkError::Timeout));
    }

    #[test]
    fn creating_a_namespace_that_lost_its_connection_is_retried() {
        let mapped = map_error(
            "zk://a:1",
            false,
            "create",
            "/confo/a",
            ZkError::ConnectionLoss,
        );
        assert!(crate::retry::is_transient(&mapped), "{mapped:?}");
    }

    #[test]
    fn answers_of_the_server_are_not_connection_errors() {
        for e in [
            ZkError::NoNode,
            ZkError::BadVersion,
            ZkError::NodeExists,
            ZkError::NotEmpty,
            ZkError::NoAuth,
            ZkError::AuthFailed,
            ZkError::InvalidAcl,
        ] {
            assert!(!is_connection_error(&e), "{e}");
        }
    }

    #[test]
    fn a_read_that_lost_its_connection_is_a_retried_connection_error() {
        for e in connection_kinds() {
            let mapped = map_error("zk://a:1,b:2", true, "read", "/confo/a/b", e.clone());
            assert!(crate::retry::is_transient(&mapped), "{e}: {mapped:?}");
            let text = mapped.to_string();
            assert!(
                text.contains("/confo/a/b") && text.contains("majority"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_write_that_lost_its_connection_has_an_unknown_outcome() {
        for op in ["write", "delete"] {
            for e in connection_kinds() {
                let mapped = map_error("zk://a:1", false, op, "/confo/a/b", e.clone());
                assert!(mapped.is_outcome_unknown(), "{op}, {e}: {mapped:?}");
                assert!(
                    !crate::retry::is_transient(&mapped),
                    "never retried blindly"
                );
                let text = mapped.to_string();
                assert!(
                    text.contains("may or may not have been applied")
                        && text.contains("/confo/a/b"),
                    "{text}"
                );
            }
        }
    }

    /// The client's custom errors come from a real connection: a real
    /// server behind a proxy that freezes or resets it.
    #[cfg(feature = "testing")]
    mod real_connection {
        use std::time::Duration;

        use zookeeper_client::Client;

        use super::*;
        use crate::testing::{LinkProxy, LinkState, ZooKeeperServer};

        async fn client_through_proxy() -> (ZooKeeperServer, LinkProxy, Client) {
            let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{e}"));
            let proxy =
                LinkProxy::start(format!("127.0.0.1:{}", server.port()).parse().unwrap()).unwrap();
            let client = Client::connector()
                .with_session_timeout(Duration::from_secs(4))
                .connect(&format!("127.0.0.1:{}", proxy.port()))
                .await
                .unwrap();
            (server, proxy, client)
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_request_timeout_of_a_connection_that_stopped_answering_is_a_connection_error() {
            let (_server, proxy, client) = client_through_proxy().await;
            proxy.set_state(LinkState::Freeze);
            let e = tokio::time::timeout(Duration::from_secs(20), client.get_data("/"))
                .await
                .expect("the client gives up on a frozen connection")
                .unwrap_err();
            assert!(matches!(e, ZkError::Custom(_)), "{e:?}");
            assert!(e.to_string().contains("no response from connection"), "{e}");
            assert!(is_connection_error(&e), "{e}");
            let mapped = map_error("zk://h", false, "write", "/confo/a/b", e);
            assert!(mapped.is_outcome_unknown(), "{mapped:?}");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_reset_connection_is_a_connection_error() {
            let (_server, proxy, client) = client_through_proxy().await;
            // A request is answered late enough to be in flight when the
            // link resets.
            proxy.set_delay(Duration::from_millis(500), Duration::ZERO);
            let request = client.get_data("/");
            let reset = async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                proxy.set_state(LinkState::Drop);
            };
            let (outcome, ()) = tokio::join!(
                tokio::time::timeout(Duration::from_secs(20), request),
                reset
            );
            let e = outcome.expect("a reset ends the request").unwrap_err();
            assert!(is_connection_error(&e), "{e:?}");
            let mapped = map_error("zk://h", false, "read", "/confo/a/b", e);
            assert!(crate::retry::is_transient(&mapped), "{mapped:?}");
        }
    }
}
