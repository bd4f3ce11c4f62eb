//! One file per group of commands; each takes a [`Ctx`] and its arguments.

mod history;
mod read;
mod schema;
mod tree;
mod watch;
mod write;

use std::sync::Arc;

use serde_json::Value;

use super::args::{Cli, Command};
use super::exit::Failure;
use super::output::Output;
use confo::backend::{self, Backend};
use confo::{Error, RetryPolicy, Store, WriteChecks};

/// What every command needs: the store and how to print.
pub(crate) struct Ctx {
    /// The store's backend ([`confo::Store::backend`]): every read of a
    /// command goes through the store. A command reports an unreachable
    /// store at once ([`RetryPolicy::none`]) rather than wait for it.
    pub backend: Arc<dyn Backend>,
    /// The store for messages, password hidden.
    pub store: String,
    /// The same store as [`Ctx::backend`], for what needs a [`Store`]
    /// (history, rollback).
    pub checked: Store,
    pub out: Output,
}

pub(crate) async fn run(cli: Cli, out: Output) -> Result<(), Failure> {
    let (force, message) = match &cli.command {
        Command::Put(a) => (a.force, a.message.clone()),
        Command::Set(a) => (a.force, a.message.clone()),
        Command::Import(a) => (a.force, a.message.clone()),
        Command::Rollback(a) => (a.force, a.message.clone()),
        _ => (false, None),
    };
    let checks = if force {
        WriteChecks::Force
    } else {
        WriteChecks::Enforce
    };
    let store = reads_through(
        backend::open_url(&cli.url).await?,
        RetryPolicy::none(),
        checks,
        message,
    );
    let ctx = Ctx {
        store: backend::redact(&cli.url),
        backend: Arc::new(store.backend().clone()),
        checked: store,
        out,
    };
    if matches!(
        cli.command,
        Command::Namespaces | Command::Ls { .. } | Command::Export(_)
    ) {
        missing_directory(&cli.url)?;
    }
    match cli.command {
        Command::Namespaces => read::namespaces(&ctx).await,
        Command::Ls { namespace } => read::ls(&ctx, namespace).await,
        Command::Get(args) => read::get(&ctx, args).await,
        Command::Put(args) => write::put(&ctx, args).await,
        Command::Set(args) => write::set(&ctx, args).await,
        Command::Rm(args) => write::rm(&ctx, args).await,
        Command::Export(args) => tree::export(&ctx, args).await,
        Command::Import(args) => tree::import(&ctx, args).await,
        Command::Diff(args) if args.targets.len() == 2 => history::diff(&ctx, &args.targets).await,
        Command::Diff(args) => tree::diff(&ctx, &args.targets[0]).await,
        Command::Watch(args) => watch::watch(&ctx, args).await,
        Command::Schema(command) => schema::schema(&ctx, command).await,
        Command::Check(args) => schema::check(&ctx, args).await,
        Command::History(args) => history::history(&ctx, args).await,
        Command::Show(args) => history::show(&ctx, args).await,
        Command::Rollback(args) => history::rollback(&ctx, args).await,
        Command::Status(args) => history::status(&ctx, args).await,
    }
}

/// A listing or export of a file store whose directory does not exist is
/// an error (exit 3) naming the directory, and saying when the URL was the
/// default because `CONFO_URL` was unset: an empty listing would hide a
/// mistyped path. Writing creates the directory.
fn missing_directory(url: &str) -> Result<(), Failure> {
    let Some(dir) = url.strip_prefix("file://") else {
        return Ok(());
    };
    if dir.is_empty() {
        return Ok(());
    }
    let store = confo::backend::FileBackend::new(dir);
    if store.root().exists() {
        return Ok(());
    }
    let default = if store.is_unset_default() {
        format!(
            " ({} is unset, so confo used its default {})",
            confo::backend::URL_ENV,
            confo::backend::DEFAULT_URL
        )
    } else {
        String::new()
    };
    Err(Failure::Message(
        crate::Exit::NotFound,
        format!(
            "the store {url}{default} is the directory {}, which does not exist; check the URL, or create the store by writing to it (`confo put <namespace>/<name> <file>`)",
            store.root().display()
        ),
    ))
}

/// What a command reads and writes through ([`Ctx::checked`], and its
/// backend [`Ctx::backend`]): `backend` behind a [`Store`] with `policy`,
/// so every read follows the store's policy and every write is checked
/// against the published schemas as `checks` says, and recorded in the
/// history with `message`. [`run`] passes [`RetryPolicy::none`]: an
/// unreachable store is reported at once.
pub(crate) fn reads_through(
    backend: Arc<dyn Backend>,
    policy: RetryPolicy,
    checks: WriteChecks,
    message: Option<String>,
) -> Store {
    let store = Store::new(backend)
        .with_retry_policy(policy)
        .with_write_checks(checks);
    match message {
        Some(m) => store.with_message(m),
        None => store,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use async_trait::async_trait;
    use confo::backend::{Expect, MemoryBackend, Versioned, Watch, WatchScope};
    use confo::{ConfigName, ConfigPath, Namespace, Version};

    /// A memory store whose first `fail_first` reads and listings fail with
    /// a lost connection; counts every attempt.
    #[derive(Debug, Default)]
    struct Flaky {
        store: MemoryBackend,
        fail_first: AtomicU32,
        attempts: AtomicU32,
    }

    impl Flaky {
        fn fail(&self) -> confo::Result<()> {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            let left = self.fail_first.load(Ordering::SeqCst);
            if left > 0 {
                self.fail_first.store(left - 1, Ordering::SeqCst);
                return Err(Error::Connection {
                    backend: "flaky://".into(),
                    message: "connection lost".into(),
                });
            }
            Ok(())
        }
    }

    #[async_trait]
    impl Backend for Flaky {
        fn describe(&self) -> &str {
            "flaky://"
        }
        async fn list_namespaces(&self) -> confo::Result<Vec<Namespace>> {
            self.fail()?;
            self.store.list_namespaces().await
        }
        async fn list_configs(&self, namespace: &Namespace) -> confo::Result<Vec<ConfigName>> {
            self.fail()?;
            self.store.list_configs(namespace).await
        }
        async fn read(&self, path: &ConfigPath) -> confo::Result<Versioned> {
            self.fail()?;
            self.store.read(path).await
        }
        async fn write(
            &self,
            path: &ConfigPath,
            bytes: &[u8],
            expect: Expect,
        ) -> confo::Result<Version> {
            self.store.write(path, bytes, expect).await
        }
        async fn create_namespace(&self, namespace: &Namespace) -> confo::Result<bool> {
            self.store.create_namespace(namespace).await
        }
        async fn delete(&self, path: &ConfigPath, expect: Expect) -> confo::Result<()> {
            self.store.delete(path, expect).await
        }
        async fn delete_namespace(
            &self,
            namespace: &Namespace,
            recursive: bool,
        ) -> confo::Result<()> {
            self.store.delete_namespace(namespace, recursive).await
        }
        async fn watch(&self, scope: &WatchScope) -> confo::Result<Watch> {
            self.store.watch(scope).await
        }
    }

    async fn flaky(fail_first: u32) -> Arc<Flaky> {
        let flaky = Arc::new(Flaky::default());
        let path: ConfigPath = "systemA/database".parse().unwrap();
        flaky
            .write(&path, br#"{"port":1}"#, Expect::Any)
            .await
            .unwrap();
        flaky.fail_first.store(fail_first, Ordering::SeqCst);
        flaky
    }

    #[tokio::test]
    async fn the_commands_report_an_unreachable_store_at_once_with_no_retry() {
        let flaky = flaky(2).await;
        let store = reads_through(
            flaky.clone(),
            RetryPolicy::none(),
            WriteChecks::Enforce,
            None,
        );
        let backend = store.backend();
        let err = backend
            .read(&"systemA/database".parse().unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Connection { .. }), "{err}");
        assert_eq!(flaky.attempts.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_commands_reads_and_listings_follow_the_stores_retry_policy() {
        let quick = RetryPolicy {
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            ..RetryPolicy::default()
        };
        let flaky = flaky(2).await;
        let store = reads_through(flaky.clone(), quick, WriteChecks::Enforce, None);
        let backend = store.backend();
        let read = backend
            .read(&"systemA/database".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(&*read.bytes, br#"{"port":1}"#);
        assert_eq!(flaky.attempts.load(Ordering::SeqCst), 3);

        flaky.fail_first.store(2, Ordering::SeqCst);
        let listing = backend.namespace_listing().await.unwrap();
        assert_eq!(listing.names.len(), 1);
        assert_eq!(flaky.attempts.load(Ordering::SeqCst), 6);
    }
}
