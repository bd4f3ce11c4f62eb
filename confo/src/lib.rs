//! # confo: typed, distributed configuration for Rust services
//!
//! A service keeps each of its configurations as one JSON object in a tree
//! shared with every other service:
//!
//! ```text
//! /confo/<namespace>/<name>        ZooKeeper znode (production)
//! <root>/<namespace>/<name>.json   file backend (laptop, tests)
//! ```
//!
//! the layout of the Python `confo` package, so Python and Rust services can
//! share one tree. [`Confo`](struct@Confo) is the manager: it holds backends (ZooKeeper,
//! files, memory, all behind the [`backend::Backend`] trait), the active one,
//! and the namespace in use.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use confo::Confo;
//! use serde_json::json;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let confo = Confo::from_url(&format!("file://{}", dir.path().display())).await?;
//! confo.create_namespace("systemA").await?;
//! confo.use_namespace("systemA").await?;
//! confo.set("database", json!({"host": "db.local", "port": 5432}))?;
//! confo.persist().await?;
//! assert!(dir.path().join("systemA/database.json").exists());
//! # Ok::<(), confo::Error>(()) }).unwrap();
//! ```
//!
//! Names are validated ([`Namespace`], [`ConfigName`], [`ConfigPath`]);
//! every failure is a [`Error`] that says what, where and what to do.
//!
//! ## Typed configurations
//!
//! Declare a configuration as a struct; `#[derive(Confo)]` ties it to one
//! stored configuration (names checked at compile time) and implements
//! [`Config`]:
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use confo::{Confo, Secret};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Confo, Deserialize, Serialize, Debug)]
//! #[confo(namespace = "systemA", name = "database")]
//! struct Database {
//!     host: String,
//!     port: u16,
//!     password: Secret<String>,
//! }
//!
//! let confo = Confo::from_url("mem://").await?;
//! // A fresh memory store is empty: store what the Python package would.
//! let stored = br#"{"host":"db","port":"5432","password":"hunter2"}"#;
//! confo.backend()?.write(&"systemA/database".parse()?, stored, confo::backend::Expect::Any).await?;
//! let mut db: Database = confo.load().await?;     // or Database::load(&confo)
//! assert_eq!(db.port, 5432);                      // "5432" stored by Python decodes
//! println!("{db:?}");                             // password: ***
//!
//! db.port = 5433;
//! db.save(&confo).await?;                         // compare-and-set against the load
//!
//! // One field, typed: a typo or a wrong type does not compile.
//! confo.save_field(Database::fields().port, 5434).await?;
//! let port: u16 = confo.load_field(Database::fields().port).await?;
//! assert_eq!(port, 5434);
//! # Ok::<(), confo::Error>(()) }).unwrap();
//! ```
//!
//! `use confo::Confo;` is all a service imports: the derive makes the
//! consts and the loaders items of the type itself (the traits
//! [`Config`] and [`ConfigPathConst`] are for generic code). Every call the
//! README shows, with nothing else imported:
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use confo::Confo;
//!
//! #[derive(Confo, serde::Deserialize, serde::Serialize, Debug)]
//! #[confo(namespace = "systemA", name = "database")]
//! struct Database { host: String, port: u16 }
//!
//! assert_eq!(Database::PATH, "/confo/systemA/database");
//! assert_eq!(Database::NAMESPACE, Some("systemA"));
//! assert_eq!(Database::NAME, "database");
//!
//! let confo = Confo::from_url("mem://").await?;
//! Database { host: "db".into(), port: 5432 }.save(&confo).await?;
//! let mut db = Database::load(&confo).await?;
//! db.port += 1;
//! db.save(&confo).await?;
//! let live = Database::watch(&confo).await?;
//! assert_eq!(live.get().port, 5433);
//! assert_eq!(confo.load_field(Database::fields().port).await?, 5433);
//! let db: Database = confo.load().await?;
//! let after = confo.update::<Database>(|db| db.port += 1).await?;
//! assert_eq!((db.port, after.port), (5433, 5434));
//! # Ok::<(), confo::Error>(()) }).unwrap();
//! ```
//!
//! - A decoding error lists every failing field at once, with its path
//!   (`database.port`), what was expected and what kind of JSON was found,
//!   never the value ([`Error::Decode`]).
//! - [`Loaded`] keeps the version with the value for explicit compare-and-set.
//! - [`Confo::with_env_overrides`] lets one machine override single fields
//!   (`APP__SYSTEMA__DATABASE__PORT=5433`); see [`overrides`].
//! - [`Confo::namespace`] scopes the typed methods to a namespace given at
//!   run time: `confo.namespace("systemB").load::<Email>()`.
//! - [`blocking`] has the same loaders for synchronous programs.
//! - [`Confo::load_all`] loads several configurations, from any namespaces,
//!   in one request (one ZooKeeper multi-read): `let (db, email) =
//!   confo.load_all::<(Database, Email)>().await?;`. [`Confo::watch_all`]
//!   starts their [`Live`] values the same way.
//!
//! ## Live values
//!
//! [`Confo::watch`] returns a [`Live`] value that follows the store (ZooKeeper
//! persistent watches, file-system events): [`Live::get`] is a pointer load,
//! an update that does not decode is reported and never replaces the last
//! good value, and connection loss, server restarts and session expiry are
//! survived, with [`Live::status`] saying whether the value is fresh or
//! stale. [`Confo::update`] is a compare-and-set read-modify-write that
//! loses nothing to concurrent writers; [`Confo::with_retry_policy`] and
//! [`Confo::keep_local_copies`] set how outages are ridden out. See
//! the README ("Live configuration") and `examples/live.rs`.
//!
//! ## Safe changes: schemas, history, running instances
//!
//! - A service names itself ([`Confo::with_service`]) and publishes the
//!   schema of each type it reads ([`Confo::publish_schema`]); every write
//!   through confo is checked against every published schema ([`Checked`]).
//! - Every write through confo is recorded, in the same atomic step, with
//!   the value it replaced, the author and a message
//!   ([`Confo::with_message`]): [`Confo::history`] reads it (see
//!   [`History`]) and [`Confo::rollback`] writes a recorded version back.
//! - A [`Live`] of a named service registers its instance: which version
//!   it holds and which it rejected, read with [`Confo::instances`] (see
//!   [`Instances`]); `confo status` prints it.
//!
//! ## The layers
//!
//! Every read goes through one [`Store`]: the active backend with the
//! retry policy and the local copies ([`Confo::store`]). The layers, each
//! using only those below it: the command (`confo-cli`) -> the facade
//! ([`Confo`]) -> the typed layer ([`Config`], [`Loaded`], [`Field`]) and the
//! live layer ([`Live`], [`NamespaceWatch`]) -> the store ([`Store`],
//! [`update_object`]) -> the backends ([`backend`]) -> the names
//! ([`ConfigPath`], [`Version`]).
//!
//! Modules are private and this root re-exports a flat API, one path per
//! item; the public modules are the ones whose items are a family of their
//! own: [`backend`] (the trait and its implementations), [`tree`] (whole
//! trees), [`blocking`] (a synchronous `Confo`), [`overrides`] (the rules,
//! documented there), the command's text tools ([`bounded`] reads,
//! [`terminal_safe`] output, [`lookalike`] names) and `testing` (feature
//! `testing`).
//!
//! Whole trees move between a store and a directory with [`tree`]
//! (export, import with a dry run, diff). The `confo` command (package
//! `confo-cli`; `cargo install --path confo-cli`) does all of this from the
//! shell: see `docs/cli.md`.
//!
//! ## Features
//!
//! - `zookeeper` (default): the ZooKeeper backend, `zk://` URLs. Files
//!   (`file://`) and memory (`mem://`) are always there.
//! - `tls`: TLS to ZooKeeper, `zks://` URLs (rustls through
//!   zookeeper-client, which builds the aws-lc C library, so it is off by
//!   default).
//! - `testing`: `confo::testing`, a throwaway ZooKeeper server for tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod blocking;
pub mod bounded;
mod checks;
mod error;
mod facade;
mod history;
mod json;
mod live;
pub mod lookalike;
mod name;
mod retry;
mod store;
pub mod terminal_safe;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tree;
mod typed;

/// `#[derive(Confo)]`: see [`Config`]. (A derive macro and the [`Confo`](struct@Confo)
/// struct live in different namespaces, so `use confo::Confo` brings both.)
pub use checks::{
    check_published, copy_schemas, publish_schema, published_schemas, retire_all_schemas,
    retire_schema, Checked, PublishedSchema, ServiceViolation, WriteChecks,
};
pub use confo_derive::Confo;
pub use error::{Error, FieldError, NameKind, Result, TreeProblem};
pub use facade::{Backends, Confo, IntoBackend, LoadAll, Namespaces, Scoped, Started, WatchAll};
pub use history::{
    changed_keys, clear_history, copy_history, read_history, redact_keys, secret_keys, History,
    HistoryEntry, Previous, Recording, DEFAULT_KEEP, MAX_KEEP,
};
/// The JSON rules of a stored configuration (one object, no duplicate
/// keys, bounded depth; written compact), for programs that handle the raw
/// bytes (the command, tests, fuzzing).
pub use json::{
    parse_object as parse_json_object, parse_value as parse_json, to_bytes as to_json_bytes,
};
pub use live::{
    read_instances, Decoder, Instance, Instances, Live, NamespaceChange, NamespaceWatch, Problem,
    Registration, Rejected, Snapshot, Status, Updates,
};
pub use name::{ConfigName, ConfigPath, NameRule, Namespace, Version, MAX_NAME_BYTES, ROOT};
pub use retry::{is_transient, RetryPolicy};
pub use store::{update_object, Fetched, Freshness, LocalCopies, Retrying, Store, UpdatePolicy};
pub use typed::overrides;
pub use typed::{
    decode, AsBackend, Config, ConfigPathConst, Field, InNamespace, Loaded, Schema, Secret,
    Violation, SAVE_FIELD_ATTEMPTS,
};

/// The schemars crate (1.x), which [`Schema::of`] reads a type's schema
/// from: derive `JsonSchema` through it without a dependency of your own.
///
/// ```
/// use confo::schemars::JsonSchema;
///
/// #[derive(serde::Deserialize, JsonSchema)]
/// #[schemars(crate = "confo::schemars")]
/// struct Email { server: String, port: u16 }
///
/// let schema = confo::Schema::of::<Email>();
/// assert!(schema.check(&serde_json::json!({"server": "mx", "port": 25})).is_empty());
/// ```
pub use schemars;

/// What `#[derive(Confo)]` expands to refers to; not an API.
#[doc(hidden)]
pub mod __private {
    pub use serde::de::DeserializeOwned;
    pub use serde::Serialize;

    /// Implemented by every type that derives `Deserialize`; the derive
    /// asks for it so that forgetting `Deserialize` is one error that says so.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` derives `Confo` but not `Deserialize`",
        label = "confo decodes this configuration with serde",
        note = "add `serde::Deserialize` to the derive: `#[derive(Confo, serde::Deserialize)]` (and `serde::Serialize` to save it)"
    )]
    pub trait DerivesDeserialize {}

    // Not recommended: rustc then reports this trait's own message rather
    // than listing unrelated types that implement `Deserialize`.
    #[diagnostic::do_not_recommend]
    impl<T: DeserializeOwned> DerivesDeserialize for T {}
}
