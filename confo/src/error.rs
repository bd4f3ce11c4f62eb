//! The one error type of confo.
//!
//! Every message says what failed, where (backend, path, field) and, where
//! there is something to do, what to do. No message ever contains a secret:
//! URLs are shown with their password replaced by `***`, and decoding errors
//! never quote a stored value.

use std::fmt;

use crate::name::NameRule;
use crate::name::Version;

/// Shorthand for `Result<T, confo::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which kind of name was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A namespace.
    Namespace,
    /// A configuration name.
    Config,
    /// A backend name given to [`crate::Confo::load_backend`].
    Backend,
    /// A service name given to [`crate::Confo::with_service`].
    Service,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Namespace => "namespace",
            NameKind::Config => "configuration name",
            NameKind::Backend => "backend name",
            NameKind::Service => "service name",
        })
    }
}

/// One problem found while decoding a configuration into a Rust type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field from the configuration's root, e.g. `database.port`.
    pub field: String,
    /// What went wrong, without the stored value.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// One file or directory of a tree on disk that cannot be imported.
///
/// ```
/// let p = confo::TreeProblem { file: "systemA/db.json".into(), message: "not valid JSON".into() };
/// assert_eq!(p.to_string(), "systemA/db.json: not valid JSON");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeProblem {
    /// The file or directory, relative to the tree's root.
    pub file: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for TreeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// Everything that can go wrong in confo.
///
/// Its `Debug` is the variant's name and the message, so what
/// `fn main() -> Result<(), confo::Error>` prints says what, where and
/// what to do (and, like the message, never a secret):
///
/// ```
/// let err = confo::Error::NotFound { backend: "mem://".into(), path: "a/b".into() };
/// assert_eq!(format!("{err:?}"), format!("NotFound: {err}"));
/// ```
///
/// ```
/// use confo::{Error, Namespace};
///
/// match Namespace::new("..") {
///     Err(Error::InvalidName { name, .. }) => assert_eq!(name, ".."),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A namespace or configuration name broke a naming rule.
    #[error("invalid {kind} {name:?}: {rule}")]
    InvalidName {
        /// Namespace, configuration or backend name.
        kind: NameKind,
        /// The rejected name, as given.
        name: String,
        /// The rule it broke.
        rule: NameRule,
    },

    /// A version given as text (`confo put --if-version`) is not one.
    #[error("invalid version {found:?}: a version is the unsigned number printed by `confo get --show-version`")]
    InvalidVersion {
        /// The text given.
        found: String,
    },

    /// A [`crate::blocking`] call was made from inside an async runtime.
    #[error("confo::blocking was called from inside an async runtime, where blocking would stall it; use the async confo::Confo there")]
    BlockingInAsync,

    /// A configuration path did not have the `namespace/name` form.
    #[error("invalid configuration path {path:?}: {reason}")]
    InvalidPath {
        /// The rejected path.
        path: String,
        /// Why.
        reason: String,
    },

    /// The configuration does not exist.
    #[error("configuration {path} not found in {backend}; create it with `confo put {path} <file>` or check the name")]
    NotFound {
        /// Backend description (URL without password).
        backend: String,
        /// `namespace/name`.
        path: String,
    },

    /// The namespace does not exist.
    #[error("namespace {namespace:?} not found in {backend} (known: {known}); create it by writing a configuration in it (`confo put {namespace}/<name> <file>`) or check the name")]
    NamespaceNotFound {
        /// Backend description.
        backend: String,
        /// The missing namespace.
        namespace: String,
        /// The namespaces that do exist, comma separated.
        known: String,
    },

    /// A compare-and-set write found another version than the one expected.
    #[error("version conflict on {path} in {backend}: expected {expected}, found {}; someone else changed it: reload and apply your change again", current.map(|v| v.to_string()).unwrap_or_else(|| "no configuration".into()))]
    VersionConflict {
        /// Backend description.
        backend: String,
        /// `namespace/name`.
        path: String,
        /// What the writer expected (a version, or "absent").
        expected: String,
        /// The version now stored, `None` when the configuration is gone.
        current: Option<Version>,
    },

    /// A namespace still holds configurations and was not deleted.
    #[error("namespace {namespace:?} in {backend} is not empty ({count} configurations); delete them first or ask for a recursive delete")]
    NamespaceNotEmpty {
        /// Backend description.
        backend: String,
        /// The namespace.
        namespace: String,
        /// How many configurations it holds.
        count: usize,
    },

    /// Stored or given bytes are not valid JSON.
    #[error("{path} in {backend} is not valid JSON: {message} at line {line}, column {column}")]
    InvalidJson {
        /// Backend description (or "input").
        backend: String,
        /// `namespace/name` or a file name.
        path: String,
        /// Line of the syntax error (1-based).
        line: usize,
        /// Column of the syntax error (1-based).
        column: usize,
        /// What the parser expected.
        message: String,
    },

    /// Stored or given JSON is valid but not an object.
    #[error("{path} in {backend} holds a JSON {found}, but a configuration must be a JSON object ({{...}})")]
    NotAnObject {
        /// Backend description.
        backend: String,
        /// `namespace/name` or a file name.
        path: String,
        /// What was found: "array", "string", "number", "boolean" or "null".
        found: &'static str,
    },

    /// A JSON Schema cannot be used to check configurations: it does not
    /// parse or compile, or no configuration (a JSON object) satisfies it.
    #[error("{schema} cannot be used to check a configuration: {message}")]
    InvalidSchema {
        /// Which schema: "the schema you gave", or the service and
        /// configuration that published it.
        schema: String,
        /// What is wrong with it and what to do.
        message: String,
    },

    /// A value is larger than every backend can store.
    #[error("{path}: value of {size} bytes is over the limit of {limit} bytes (ZooKeeper's 1 MiB znode limit less room for the request); split the configuration")]
    ValueTooLarge {
        /// Backend description.
        backend: String,
        /// `namespace/name`.
        path: String,
        /// Size of the value in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },

    /// A directory tree (for `confo import` / `confo diff`) breaks the layout
    /// `<dir>/<namespace>/<name>.json` or holds a file that is not a JSON
    /// object within the size limit. Lists every problem, not just the first.
    #[error("{dir} is not a valid confo tree ({} problem{}); fix every one and run again:{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(|p| format!("\n  {p}")).collect::<String>())]
    InvalidTree {
        /// The tree's root directory.
        dir: String,
        /// Every problem found (at least one).
        problems: Vec<TreeProblem>,
    },

    /// A field asked for by name is not in the configuration.
    #[error("field {field:?} not found in {path} in {backend}")]
    FieldNotFound {
        /// Backend description.
        backend: String,
        /// `namespace/name`.
        path: String,
        /// The missing field.
        field: String,
    },

    /// A configuration did not decode into the Rust type asked for.
    #[error("{path} in {backend} does not match {type_name}: {}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Decode {
        /// Backend description.
        backend: String,
        /// `namespace/name`.
        path: String,
        /// The Rust type.
        type_name: &'static str,
        /// Every field that failed (at least one).
        errors: Vec<FieldError>,
    },

    /// A value could not be turned into JSON.
    #[error("cannot encode {what} as JSON: {message}")]
    Encode {
        /// What was being encoded.
        what: String,
        /// The serializer's message.
        message: String,
    },

    /// A typed configuration declares no namespace and none was given.
    #[error("{type_name} (configuration {name:?}) declares no namespace and none is in use: pass one with `confo.namespace(\"<namespace>\").load::<{type_name}>()`, call `use_namespace`, or add `#[confo(namespace = \"...\")]`")]
    MissingNamespace {
        /// The Rust type.
        type_name: &'static str,
        /// Its configuration name.
        name: &'static str,
    },

    /// An override (an environment variable) could not be applied.
    #[error("cannot apply {origin} to {path} in {backend}: {message}")]
    Override {
        /// Backend description.
        backend: String,
        /// `namespace/name`.
        path: String,
        /// Where the override came from: "environment variable APP__A__B__C".
        origin: String,
        /// What is wrong (never the value).
        message: String,
    },

    /// The manager has no active backend.
    #[error("no active backend: call `load_backend(name, backend)` then `activate_backend(name)`, or build with `Confo::from_url`")]
    NoActiveBackend,

    /// A backend name is not loaded.
    #[error("unknown backend {name:?}; loaded backends: [{}]", loaded.join(", "))]
    UnknownBackend {
        /// The unknown name.
        name: String,
        /// The names that are loaded.
        loaded: Vec<String>,
    },

    /// The manager has no current namespace.
    #[error("no namespace in use: call `use_namespace(ns)` first")]
    NoNamespace,

    /// A schema was to be published, and the manager has no service name
    /// to publish it under.
    #[error("no service name to publish the schema of {path} under: name the service first, `Confo::from_env().await?.with_service(\"billing\")`")]
    NoService {
        /// The configuration whose schema was to be published.
        path: String,
    },

    /// Changes made with `set`/`set_field` are not persisted yet.
    #[error("namespace {namespace:?} has changes not persisted yet ({}); call `persist()` first, or they would be lost", configs.join(", "))]
    PendingChanges {
        /// The namespace in use.
        namespace: String,
        /// The changed configurations.
        configs: Vec<String>,
    },

    /// A URL could not be used to build a backend.
    #[error("cannot use backend URL {url}: {reason}")]
    InvalidUrl {
        /// The URL with any password replaced by `***`.
        url: String,
        /// Why.
        reason: String,
    },

    /// The backend refused access.
    #[error("not authorized to {op} {path} in {backend}: give credentials with access (zk://user:password@host:port) or ask an operator to grant it")]
    NotAuthorized {
        /// Backend description.
        backend: String,
        /// What was attempted ("read", "write", ...).
        op: &'static str,
        /// The path concerned.
        path: String,
    },

    /// The backend could not be reached or lost its connection.
    #[error("cannot reach {backend}: {message}")]
    Connection {
        /// Backend description (hosts, no password).
        backend: String,
        /// What happened.
        message: String,
    },

    /// A write was refused before it was made: the new value breaks the
    /// schema one or more services reading the configuration published
    /// (`confo schema show <path>`). Nothing was written. `confo` exits 6.
    ///
    /// ```
    /// use confo::{Error, ServiceViolation};
    /// let err = Error::SchemaRefused {
    ///     backend: "mem://".into(),
    ///     path: "systemA/database".into(),
    ///     violations: vec![ServiceViolation {
    ///         service: "billing".into(),
    ///         path: "port".into(),
    ///         rule: "expected u16, found a string".into(),
    ///     }],
    /// };
    /// assert!(err.to_string().contains("port: expected u16, found a string (billing)"));
    /// ```
    #[error("refused to write {path} in {backend}: the new value breaks the schema{} published by {} (nothing was written; fix the value, or write anyway with --force):{}",
        if distinct_services(violations).len() == 1 { "" } else { "s" },
        distinct_services(violations).join(", "),
        violations.iter().map(|v| format!("\n  {v}")).collect::<String>())]
    SchemaRefused {
        /// Where the store is.
        backend: String,
        /// The configuration.
        path: String,
        /// Every rule the value breaks, with the service whose schema has it.
        violations: Vec<crate::checks::ServiceViolation>,
    },

    /// The metadata a write was checked against (the published schemas)
    /// changed before the write landed; nothing was written.
    #[error("the {meta} of {path} in {backend} changed while the write was being checked, so nothing was written: read them again and retry")]
    MetaChanged {
        /// Where the store is.
        backend: String,
        /// The configuration.
        path: String,
        /// Which metadata changed (`schemas`, `history`, `history-3`).
        meta: String,
    },

    /// A version asked of a configuration's history that it does not hold
    /// (`confo show PATH@V`, `confo rollback --to V`).
    ///
    /// ```
    /// let err = confo::Error::VersionNotRecorded {
    ///     backend: "mem://".into(),
    ///     path: "a/b".into(),
    ///     version: confo::Version::from_raw(3),
    ///     reason: "it was pruned".into(),
    /// };
    /// assert!(err.to_string().contains("version 3 of a/b"));
    /// ```
    #[error("version {version} of {path} in {backend} is not in its history: {reason}")]
    VersionNotRecorded {
        /// Where the store is.
        backend: String,
        /// The configuration.
        path: String,
        /// The version asked for.
        version: Version,
        /// Why it is not there, and the versions that are.
        reason: String,
    },

    /// A write was sent, and the connection broke or stopped answering
    /// before its answer came: it may or may not have been applied.
    ///
    /// Never retried by [`crate::RetryPolicy`] (applying it again could
    /// apply it twice). `update` resolves it itself when it can (see
    /// [`crate::update_object`]) and returns it only when it cannot
    /// tell; then read `path` and decide. Match it with
    /// [`Error::is_outcome_unknown`].
    ///
    /// ```
    /// let err = confo::Error::OutcomeUnknown {
    ///     backend: "zk://h:2181".into(),
    ///     op: "write",
    ///     path: "/confo/a/b".into(),
    ///     message: "connection to server has lost".into(),
    /// };
    /// assert!(err.is_outcome_unknown());
    /// assert!(err.to_string().contains("may or may not have been applied"));
    /// ```
    #[error("{op} {path} in {backend} may or may not have been applied: {message}")]
    OutcomeUnknown {
        /// Backend description (hosts, no password).
        backend: String,
        /// What was attempted ("write", "delete", "update").
        op: &'static str,
        /// The path concerned (a znode or `namespace/name`).
        path: String,
        /// What happened and what to do.
        message: String,
    },

    /// A watch ended: the task following a configuration
    /// ([`crate::Live::changed`]) or the backend's events for a namespace
    /// ([`crate::NamespaceWatch::next`]) stopped, so no more changes will
    /// arrive through this handle. Watch again to go on following it.
    ///
    /// ```
    /// let err = confo::Error::WatchStopped {
    ///     backend: "zk://h:2181".into(),
    ///     path: "systemA/database".into(),
    /// };
    /// assert!(err.to_string().contains("watch it again"));
    /// ```
    #[error("the watch of {path} in {backend} has stopped, so no more changes will arrive: watch it again (`confo.watch`, `confo.watch_namespace`) to go on following it")]
    WatchStopped {
        /// Backend description (hosts, no password).
        backend: String,
        /// The configuration or namespace watched.
        path: String,
    },

    /// An I/O operation of the file backend failed.
    #[error("{op} {path} in {backend} failed: {source}")]
    Io {
        /// Backend description.
        backend: String,
        /// What was attempted.
        op: &'static str,
        /// The file or directory concerned.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Any other failure reported by a backend.
    #[error("{op} {path} in {backend} failed: {message}")]
    Backend {
        /// Backend description.
        backend: String,
        /// What was attempted.
        op: &'static str,
        /// The path concerned.
        path: String,
        /// The backend's message.
        message: String,
    },
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {self}", self.kind())
    }
}

impl Error {
    /// The variant's name, as `Debug` shows it: a stable word to match on in
    /// logs and tests.
    ///
    /// ```
    /// let err = confo::Error::NoService { path: "systemA/database".into() };
    /// assert_eq!(err.kind(), "NoService");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidName { .. } => "InvalidName",
            Error::InvalidVersion { .. } => "InvalidVersion",
            Error::BlockingInAsync => "BlockingInAsync",
            Error::InvalidPath { .. } => "InvalidPath",
            Error::NotFound { .. } => "NotFound",
            Error::NamespaceNotFound { .. } => "NamespaceNotFound",
            Error::VersionConflict { .. } => "VersionConflict",
            Error::NamespaceNotEmpty { .. } => "NamespaceNotEmpty",
            Error::InvalidJson { .. } => "InvalidJson",
            Error::NotAnObject { .. } => "NotAnObject",
            Error::InvalidSchema { .. } => "InvalidSchema",
            Error::ValueTooLarge { .. } => "ValueTooLarge",
            Error::InvalidTree { .. } => "InvalidTree",
            Error::FieldNotFound { .. } => "FieldNotFound",
            Error::Decode { .. } => "Decode",
            Error::Encode { .. } => "Encode",
            Error::MissingNamespace { .. } => "MissingNamespace",
            Error::Override { .. } => "Override",
            Error::NoActiveBackend => "NoActiveBackend",
            Error::UnknownBackend { .. } => "UnknownBackend",
            Error::NoNamespace => "NoNamespace",
            Error::NoService { .. } => "NoService",
            Error::PendingChanges { .. } => "PendingChanges",
            Error::InvalidUrl { .. } => "InvalidUrl",
            Error::NotAuthorized { .. } => "NotAuthorized",
            Error::Connection { .. } => "Connection",
            Error::SchemaRefused { .. } => "SchemaRefused",
            Error::MetaChanged { .. } => "MetaChanged",
            Error::VersionNotRecorded { .. } => "VersionNotRecorded",
            Error::OutcomeUnknown { .. } => "OutcomeUnknown",
            Error::WatchStopped { .. } => "WatchStopped",
            Error::Io { .. } => "Io",
            Error::Backend { .. } => "Backend",
        }
    }

    /// True for [`Error::NotFound`] and [`Error::NamespaceNotFound`].
    ///
    /// ```
    /// let err = confo::Error::NotFound { backend: "mem://".into(), path: "a/b".into() };
    /// assert!(err.is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::NotFound { .. } | Error::NamespaceNotFound { .. }
        )
    }

    /// True for [`Error::VersionConflict`].
    ///
    /// ```
    /// let err = confo::Error::NoNamespace;
    /// assert!(!err.is_conflict());
    /// ```
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::VersionConflict { .. })
    }

    /// True for [`Error::OutcomeUnknown`]: a write that may or may not have
    /// been applied.
    ///
    /// ```
    /// let err = confo::Error::Connection { backend: "zk://h:1".into(), message: "lost".into() };
    /// assert!(!err.is_outcome_unknown());
    /// ```
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }
}

/// The services named in `violations`, each once, in order of appearance.
fn distinct_services(violations: &[crate::checks::ServiceViolation]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for v in violations {
        if !out.contains(&v.service.as_str()) {
            out.push(&v.service);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_the_variant_name_then_the_message() {
        let errors = [
            (
                "NotFound",
                Error::NotFound {
                    backend: "zk://alice:***@h:2181".into(),
                    path: "systemA/database".into(),
                },
            ),
            ("NoActiveBackend", Error::NoActiveBackend),
            (
                "InvalidUrl",
                Error::InvalidUrl {
                    url: "zk://alice:***@h:2181".into(),
                    reason: "bad port".into(),
                },
            ),
            (
                "Io",
                Error::Io {
                    backend: "file://./confo".into(),
                    op: "read",
                    path: "a/b.json".into(),
                    source: std::io::Error::other("disk gone"),
                },
            ),
        ];
        for (name, err) in errors {
            assert_eq!(format!("{err:?}"), format!("{name}: {err}"));
        }
    }

    #[test]
    fn debug_of_a_not_found_says_what_to_do_and_no_struct_dump() {
        let err = Error::NotFound {
            backend: "zk://127.0.0.1:2181".into(),
            path: "systemA/database".into(),
        };
        let debug = format!("{err:?}");
        assert!(debug.starts_with("NotFound: configuration systemA/database not found"));
        assert!(debug.contains("confo put systemA/database"), "{debug}");
        assert!(!debug.contains("backend:"), "{debug}");
    }

    #[test]
    fn debug_never_shows_a_password_from_a_url() {
        let url = crate::backend::redact("zk://alice:hunter2@h:2181");
        let err = Error::Connection {
            backend: url,
            message: "refused".into(),
        };
        let debug = format!("{err:?}");
        assert!(debug.contains("alice"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
