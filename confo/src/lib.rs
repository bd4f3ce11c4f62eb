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
//! use confo::{Config, Confo, Secret};
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
//! # confo.backend()?.write(&"systemA/database".parse()?,
//! #     br#"{"host":"db","port":"5432","password":"hunter2"}"#, confo::backend::Expect::Any).await?;
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
//! - A decoding error lists every failing field at once, with its path
//!   (`database.port`), what was expected and what kind of JSON was found,
//!   never the value ([`Error::Decode`]).
//! - [`Loaded`] keeps the version with the value for explicit compare-and-set.
//! - [`Confo::with_env_overrides`] lets one machine override single fields
//!   (`APP__SYSTEMA__DATABASE__PORT=5433`); see [`overrides`].
//! - [`blocking`] has the same loaders for synchronous programs.
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
//! [`Confo::keep_snapshots`] set how outages are ridden out. See
//! the README ("Live configuration") and `examples/live.rs`.
//!
//! Whole trees move between a store and a directory with [`tree`]
//! (export, import with a dry run, diff). The `confo` command (feature
//! `cli`, on by default; `cargo install --path confo`) does all of this
//! from the shell: see [`cli`] and `docs/cli.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod blocking;
#[cfg(feature = "cli")]
pub mod cli;
pub mod error;
mod field;
pub mod json;
pub mod live;
mod manager;
mod name;
pub mod overrides;
pub mod retry;
mod secret;
pub mod snapshot;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tree;
mod typed;
pub mod update;

/// `#[derive(Confo)]`: see [`Config`]. (A derive macro and the [`Confo`](struct@Confo)
/// struct live in different namespaces, so `use confo::Confo` brings both.)
pub use confo_derive::Confo;
pub use error::{Error, FieldError, NameKind, Result, TreeProblem};
pub use field::Field;
pub use live::{Freshness, Live, NamespaceChange, NamespaceWatch, Problem, Snapshot, Status};
pub use manager::{Backends, Confo, IntoBackend, Namespaces};
pub use name::{ConfigName, ConfigPath, NameRule, Namespace, MAX_NAME_BYTES, ROOT};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use typed::{decode, AsBackend, Config, ConfigPathConst, Loaded, SAVE_FIELD_ATTEMPTS};
pub use update::UpdatePolicy;
