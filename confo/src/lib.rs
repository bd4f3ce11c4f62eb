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
//! share one tree. [`Confo`] is the manager: it holds backends (ZooKeeper,
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
//! Whole trees move between a store and a directory with [`tree`]
//! (export, import with a dry run, diff). The `confo` command (feature
//! `cli`, on by default; `cargo install --path confo`) does all of this
//! from the shell: see [`cli`] and `docs/cli.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod error;
pub mod json;
mod manager;
mod name;
pub mod tree;

#[cfg(feature = "cli")]
pub mod cli;

pub use error::{Error, FieldError, NameKind, Result, TreeProblem};
pub use manager::{Backends, Confo, IntoBackend, Namespaces};
pub use name::{ConfigName, ConfigPath, NameRule, Namespace, MAX_NAME_BYTES, ROOT};
