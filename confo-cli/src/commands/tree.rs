//! `confo export`, `confo import`, `confo diff`: thin over [`confo::tree`].

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use super::{warn_skipped, Ctx};
use crate::args::{ExportArgs, ImportArgs};
use crate::exit::Failure;
use confo::backend::Durability;
use confo::tree::{self, Difference, IMPORT_BATCH};
use confo::Error;

pub(crate) async fn export(ctx: &Ctx, args: ExportArgs) -> Result<(), Failure> {
    let dir = &args.dir;
    if !args.force && !is_empty_or_missing(dir)? {
        return Err(Failure::error(format!(
            "{} is not empty; export into a new or empty directory, or add --force to write into it (files of the same name are replaced, others kept)",
            dir.display()
        )));
    }
    let durability = if args.sync_each_file {
        Durability::EachFile
    } else {
        Durability::Batch
    };
    let report = tree::export_tree_with(&*ctx.backend, dir, durability).await?;
    let copy = Carry {
        schemas: args.with_schemas,
        history: args.with_history,
    };
    let (schemas, histories) = if copy.any() {
        copy.run(
            &*ctx.backend,
            &confo::backend::FileBackend::new(dir),
            &exported_paths(dir).await?,
        )
        .await?
    } else {
        (0, 0)
    };
    for path in &report.not_objects {
        ctx.out.note(&format!(
            "warning: {path} is not a JSON object in {}; exported as it is, but import will refuse it until it is fixed",
            ctx.store
        ));
    }
    if ctx.out.json {
        ctx.out.json(&json!({
            "dir": dir.display().to_string(),
            "namespaces": report.namespaces,
            "configs": report.configs,
            "not_objects": report.not_objects.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            "skipped": skipped_json(&report.skipped),
            "schemas": schemas,
            "histories": histories,
        }))?;
        return warn_skipped(ctx, &report.skipped);
    }
    ctx.out.note(&format!(
        "exported {} in {} from {} to {}{}{}",
        plural(report.configs, "configuration"),
        plural(report.namespaces, "namespace"),
        ctx.store,
        dir.display(),
        if args.with_schemas {
            format!(", with {}", plural(schemas, "schema document"))
        } else {
            String::new()
        },
        if args.with_history {
            format!(", with {}", plural(histories, "history document"))
        } else {
            String::new()
        }
    ));
    warn_skipped(ctx, &report.skipped)
}

fn is_empty_or_missing(dir: &Path) -> Result<bool, Failure> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Failure::error(format!(
            "cannot use {} as the export directory: {e}",
            dir.display()
        ))),
    }
}

pub(crate) async fn import(ctx: &Ctx, args: ImportArgs) -> Result<(), Failure> {
    let plan = match tree::plan_import(&*ctx.backend, &args.dir).await {
        Ok(plan) => plan,
        Err(e @ Error::InvalidTree { .. }) => {
            return Err(Failure::error(format!("{e}\nnothing was imported")))
        }
        Err(e) => return Err(e.into()),
    };
    let creates = plan
        .changes()
        .iter()
        .filter(|d| matches!(d, Difference::OnlyInDir(_)))
        .count();
    let updates = plan.writes() - creates;
    let summary = format!(
        "{} ({creates} new, {updates} changed), {} unchanged, {} only in the store left alone",
        plural(plan.writes(), "configuration"),
        plan.unchanged().len(),
        plan.left_alone()
            .iter()
            .filter(|d| matches!(d, Difference::OnlyInStore(_)))
            .count()
    );
    warn_lookalikes(ctx, &plan);
    if args.force {
        for (path, found) in super::schema::check_values(ctx, plan.values()).await? {
            super::schema::forced_warning(ctx, &path, &found);
        }
    }
    if !ctx.out.json {
        for change in plan.changes() {
            ctx.out.text(&difference_line(change))?;
        }
    }
    if args.dry_run {
        if ctx.out.json {
            return ctx.out.json(&import_json(&plan, true, 0));
        }
        ctx.out.note(&format!("dry run: would write {summary}"));
        return Ok(());
    }

    let histories = if args.with_history {
        let source = confo::backend::FileBackend::new(&args.dir);
        let carry = Carry {
            schemas: false,
            history: true,
        };
        carry
            .run(&source, &*ctx.backend, &exported_paths(&args.dir).await?)
            .await?
            .1
    } else {
        0
    };
    let bar = if ctx.out.stderr_is_terminal() && plan.steps() > IMPORT_BATCH {
        let bar = ProgressBar::new(plan.steps() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        bar.set_message("importing");
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut done = 0;
    let result = plan
        .apply(&*ctx.backend, |d, _total| {
            done = d;
            bar.set_position(d as u64);
        })
        .await;
    bar.finish_and_clear();
    let written = match result {
        Ok(n) => n,
        Err(e) => {
            // Each batch is all or nothing, so `done` counts exactly what
            // was written, unless a backend could not undo a failed batch
            // (its error names what stays written).
            let note = if matches!(e, Error::Backend { op: "undo", .. }) {
                format!(
                    "{done} of {} steps were done before that batch, and the configurations named above stay written; run the import again to finish",
                    plan.steps()
                )
            } else if done == 0 {
                "nothing was written".to_owned()
            } else {
                format!(
                    "{done} of {} steps were done; run the import again to finish",
                    plan.steps()
                )
            };
            return Err(match e {
                Error::VersionConflict { .. } => {
                    Failure::Message(crate::Exit::Conflict, format!("{e}\n{note}"))
                }
                other => Failure::Message(crate::Exit::of(&other), format!("{other}\n{note}")),
            });
        }
    };
    let schemas = if args.with_schemas {
        let source = confo::backend::FileBackend::new(&args.dir);
        let carry = Carry {
            schemas: true,
            history: false,
        };
        carry
            .run(&source, &*ctx.backend, &exported_paths(&args.dir).await?)
            .await?
            .0
    } else {
        0
    };
    if ctx.out.json {
        let mut report = import_json(&plan, false, written);
        report["schemas"] = json!(schemas);
        report["histories"] = json!(histories);
        return ctx.out.json(&report);
    }
    ctx.out.note(&format!("imported {summary}"));
    if args.with_history {
        ctx.out.note(&format!(
            "carried {} from {}",
            plural(histories, "history document"),
            args.dir.display()
        ));
    }
    if args.with_schemas {
        ctx.out.note(&format!(
            "published {} from {}",
            plural(schemas, "schema document"),
            args.dir.display()
        ));
    }
    Ok(())
}

/// The configurations of a directory in the file layout, as the file
/// store lists them (a value that is not an object is listed too).
async fn exported_paths(dir: &Path) -> Result<Vec<confo::ConfigPath>, Failure> {
    use confo::backend::Backend;
    let store = confo::backend::FileBackend::new(dir);
    let mut paths = Vec::new();
    for ns in store.list_namespaces().await? {
        for name in store.list_configs(&ns).await? {
            paths.push(confo::ConfigPath::new(ns.clone(), name));
        }
    }
    Ok(paths)
}

/// Which metadata `export` and `import` carry beside the values.
struct Carry {
    schemas: bool,
    history: bool,
}

impl Carry {
    fn any(&self) -> bool {
        self.schemas || self.history
    }

    /// Copies the published schemas and histories of `paths` from `from`
    /// to `to` ([`confo::copy_schemas`], [`confo::copy_history`]), as
    /// asked; returns how many of each it copied.
    async fn run(
        &self,
        from: &dyn confo::backend::Backend,
        to: &dyn confo::backend::Backend,
        paths: &[confo::ConfigPath],
    ) -> Result<(usize, usize), Failure> {
        let (mut schemas, mut histories) = (0, 0);
        for path in paths {
            if self.schemas && confo::copy_schemas(from, to, path).await? {
                schemas += 1;
            }
            if self.history && confo::copy_history(from, to, path).await? {
                histories += 1;
            }
        }
        Ok((schemas, histories))
    }
}

/// Warns about each new namespace or configuration of an import that looks
/// like another one (in the store or the tree). Each name's skeleton is
/// computed once: an import of 10,000 new configurations compares each
/// with the others by hash, not one by one.
fn warn_lookalikes(ctx: &Ctx, plan: &tree::ImportPlan) {
    let all: Vec<String> = plan
        .changes()
        .iter()
        .chain(plan.left_alone())
        .map(|d| d.target())
        .chain(plan.unchanged().iter().map(|p| p.to_string()))
        .collect();
    // Like with like: namespaces (`ns/`) with namespaces, paths with paths.
    let mut by_shape: std::collections::HashMap<(bool, String), Vec<&str>> =
        std::collections::HashMap::new();
    for name in &all {
        by_shape
            .entry((name.ends_with('/'), confo::lookalike::skeleton(name)))
            .or_default()
            .push(name);
    }
    for change in plan.changes() {
        if !matches!(
            change,
            Difference::OnlyInDir(_) | Difference::NamespaceOnlyInDir(_)
        ) {
            continue;
        }
        let new = change.target();
        let key = (new.ends_with('/'), confo::lookalike::skeleton(&new));
        let other = by_shape
            .get(&key)
            .and_then(|names| names.iter().find(|o| **o != new));
        if let Some(other) = other {
            ctx.out.note(&super::lookalike_warning(&new, other));
        }
    }
}

fn import_json(plan: &tree::ImportPlan, dry_run: bool, written: usize) -> Value {
    json!({
        "dry_run": dry_run,
        "changes": plan.changes().iter().map(difference_json).collect::<Vec<_>>(),
        "unchanged": plan.unchanged().len(),
        "left_alone": plan.left_alone().iter().map(difference_json).collect::<Vec<_>>(),
        "written": written,
    })
}

pub(crate) async fn diff(ctx: &Ctx, dir: &str) -> Result<(), Failure> {
    let dir = std::path::Path::new(dir);
    let diff = tree::diff_tree(&*ctx.backend, dir).await?;
    if ctx.out.json {
        ctx.out.json(&json!({
            "same": diff.is_empty(),
            "differences": diff.differences.iter().map(difference_json).collect::<Vec<_>>(),
            "unchanged": diff.unchanged.len(),
            "skipped": skipped_json(&diff.skipped),
        }))?;
        return warn_skipped(ctx, &diff.skipped);
    }
    for d in &diff.differences {
        ctx.out.text(&difference_line(d))?;
    }
    if diff.is_empty() {
        ctx.out.note(&format!(
            "no differences between {} and {}",
            dir.display(),
            ctx.store
        ));
    }
    warn_skipped(ctx, &diff.skipped)
}

/// `+ a/b` (only in the directory), `- a/b` (only in the store),
/// `~ a/b (field, field)` (different).
fn difference_line(d: &Difference) -> String {
    match d {
        Difference::NamespaceOnlyInDir(_) | Difference::OnlyInDir(_) => {
            format!("+ {}", d.target())
        }
        Difference::NamespaceOnlyInStore(_) | Difference::OnlyInStore(_) => {
            format!("- {}", d.target())
        }
        Difference::Changed { path, fields } if fields.is_empty() => format!("~ {path}"),
        Difference::Changed { path, fields } => format!("~ {path} ({})", fields.join(", ")),
    }
}

fn difference_json(d: &Difference) -> Value {
    let mut v = json!({ "change": d.kind(), "path": d.target() });
    if let Difference::Changed { fields, .. } = d {
        v["fields"] = json!(fields);
    }
    v
}

fn skipped_json(skipped: &[confo::backend::Skipped]) -> Value {
    json!(skipped
        .iter()
        .map(|s| json!({"entry": s.entry, "reason": s.reason}))
        .collect::<Vec<_>>())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
