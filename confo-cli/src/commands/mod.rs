//! One file per group of commands; each takes a [`Ctx`] and its arguments.

mod read;
mod tree;
mod watch;
mod write;

use std::sync::Arc;

use serde_json::Value;

use super::args::{Cli, Command};
use super::exit::Failure;
use super::output::Output;
use confo::backend::{self, Backend};
use confo::{Error, RetryPolicy, Store};

/// What every command needs: the store and how to print.
pub(crate) struct Ctx {
    /// The store's backend ([`confo::Store::backend`]): every read of a
    /// command goes through the store. A command reports an unreachable
    /// store at once ([`RetryPolicy::none`]) rather than wait for it.
    pub backend: Arc<dyn Backend>,
    /// The store for messages, password hidden.
    pub store: String,
    pub out: Output,
}

pub(crate) async fn run(cli: Cli, out: Output) -> Result<(), Failure> {
    let store =
        Store::new(backend::open_url(&cli.url).await?).with_retry_policy(RetryPolicy::none());
    let backend: Arc<dyn Backend> = Arc::new(store.backend().clone());
    let ctx = Ctx {
        store: backend::redact(&cli.url),
        backend,
        out,
    };
    match cli.command {
        Command::Namespaces => read::namespaces(&ctx).await,
        Command::Ls { namespace } => read::ls(&ctx, namespace).await,
        Command::Get(args) => read::get(&ctx, args).await,
        Command::Put(args) => write::put(&ctx, args).await,
        Command::Set(args) => write::set(&ctx, args).await,
        Command::Rm(args) => write::rm(&ctx, args).await,
        Command::Export(args) => tree::export(&ctx, args).await,
        Command::Import(args) => tree::import(&ctx, args).await,
        Command::Diff(args) => tree::diff(&ctx, args).await,
        Command::Watch(args) => watch::watch(&ctx, args).await,
    }
}

/// A JSON parse error in words, for input named `source` (no backend in it).
pub(crate) fn json_problem(source: &str, err: &Error) -> String {
    match err {
        Error::InvalidJson {
            line,
            column,
            message,
            ..
        } => format!("{source} is not valid JSON: {message} at line {line}, column {column}"),
        Error::NotAnObject { found, .. } => format!(
            "{source} holds a JSON {found}, but a configuration must be a JSON object ({{...}})"
        ),
        other => other.to_string(),
    }
}

/// A version as JSON: a string, since file versions exceed what JSON
/// numbers hold exactly in many languages.
pub(crate) fn version_json(version: confo::Version) -> Value {
    Value::String(version.to_string())
}

/// Warns about each entry a listing left out; [`Failure::Partial`] (exit 7)
/// when there is any, so a partial result never passes for a whole one.
pub(crate) fn warn_skipped(ctx: &Ctx, skipped: &[confo::backend::Skipped]) -> Result<(), Failure> {
    for s in skipped {
        ctx.out.note(&format!(
            "warning: left out {} in {}: {}",
            s.entry, ctx.store, s.reason
        ));
    }
    if skipped.is_empty() {
        Ok(())
    } else {
        ctx.out.note(&format!(
            "warning: {} entr{} of {} could not be represented; the result is partial (exit 7)",
            skipped.len(),
            if skipped.len() == 1 { "y" } else { "ies" },
            ctx.store
        ));
        Err(Failure::Partial)
    }
}

/// Warns when `path` is new and its namespace or name only looks like an
/// existing one (Unicode normalization, invisible or look-alike characters:
/// [`confo::lookalike`]). Best effort: a listing that fails warns nothing.
pub(crate) async fn warn_lookalike(ctx: &Ctx, path: &confo::ConfigPath) {
    let Ok(namespaces) = ctx.backend.list_namespaces().await else {
        return;
    };
    let ns = path.namespace();
    if !namespaces.contains(ns) {
        if let Some(other) =
            confo::lookalike::looks_like(ns.as_str(), namespaces.iter().map(|n| n.as_str()))
        {
            ctx.out.note(&lookalike_warning(
                &format!("namespace {ns}"),
                &format!("namespace {other}"),
            ));
        }
        return;
    }
    let Ok(names) = ctx.backend.list_configs(ns).await else {
        return;
    };
    if names.contains(path.name()) {
        return;
    }
    if let Some(other) =
        confo::lookalike::looks_like(path.name().as_str(), names.iter().map(|n| n.as_str()))
    {
        ctx.out.note(&lookalike_warning(
            &path.to_string(),
            &format!("{ns}/{other}"),
        ));
    }
}

/// The warning for a new name that looks like an existing one.
pub(crate) fn lookalike_warning(new: &str, existing: &str) -> String {
    format!(
        "warning: the new {new} looks like the existing {existing} (they differ only by Unicode normalization, invisible or look-alike characters); confo keeps them as two different entries"
    )
}
