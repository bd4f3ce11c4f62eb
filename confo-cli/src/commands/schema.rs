//! `confo schema show|publish|rm` and `confo check`: the schemas services
//! publish for the configurations they read, and checks against them.

use std::path::Path;

use serde_json::{json, Value};

use super::Ctx;
use crate::args::{CheckArgs, SchemaCommand};
use crate::exit::{Exit, Failure};
use confo::bounded::read_at_most;
use confo::tree::DirTree;
use confo::{ConfigPath, Error, Schema, ServiceViolation};

pub(crate) async fn schema(ctx: &Ctx, command: SchemaCommand) -> Result<(), Failure> {
    match command {
        SchemaCommand::Show { path } => show(ctx, &path).await,
        SchemaCommand::Publish {
            path,
            input,
            service,
        } => publish(ctx, &path, &input, &service).await,
        SchemaCommand::Rm { path, service, all } => rm(ctx, &path, service.as_deref(), all).await,
    }
}

async fn show(ctx: &Ctx, path: &ConfigPath) -> Result<(), Failure> {
    let published = confo::published_schemas(&*ctx.backend, path).await?;
    if ctx.out.json {
        let all: Vec<Value> = published
            .iter()
            .map(|p| json!({"service": p.service, "published": p.published, "schema": p.schema}))
            .collect();
        return ctx.out.json(&Value::Array(all));
    }
    if published.is_empty() {
        ctx.out.note(&format!(
            "no schema is published for {path} in {}; writes to it are not checked",
            ctx.store
        ));
        return Ok(());
    }
    for p in &published {
        let when = p
            .published
            .as_deref()
            .map(|t| format!(" (published {t})"))
            .unwrap_or_default();
        ctx.out.text(&format!("# {}{when}", p.service))?;
        ctx.out.value(&p.schema, true)?;
    }
    Ok(())
}

async fn publish(ctx: &Ctx, path: &ConfigPath, input: &str, service: &str) -> Result<(), Failure> {
    let limit = ctx.backend.max_value_bytes();
    let (source, bytes) = if input == "-" {
        let bytes = read_at_most(std::io::stdin().lock(), limit)
            .map_err(|e| Failure::error(format!("cannot read stdin: {e}")))?;
        ("stdin".to_owned(), bytes)
    } else {
        let bytes = std::fs::File::open(input)
            .and_then(|f| read_at_most(f, limit))
            .map_err(|e| Failure::error(format!("cannot read {input}: {e}")))?;
        (input.to_owned(), bytes)
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::Message(
            Exit::SchemaRefused,
            format!("{source} is not valid JSON ({e}); a schema is a JSON object; nothing was published"),
        )
    })?;
    let schema = Schema::from_json(value)?;
    let version = confo::publish_schema(&*ctx.backend, path, service, &schema).await?;
    if ctx.out.json {
        return ctx.out.json(&json!({
            "path": path.to_string(),
            "service": service,
            "version": super::version_json(version),
        }));
    }
    ctx.out.note(&format!(
        "published the schema of {service} for {path}; writes to {path} must satisfy it"
    ));
    Ok(())
}

async fn rm(ctx: &Ctx, path: &ConfigPath, service: Option<&str>, all: bool) -> Result<(), Failure> {
    let retired = match service {
        Some(service) if !all => {
            if !confo::retire_schema(&*ctx.backend, path, service).await? {
                let others = confo::published_schemas(&*ctx.backend, path).await?;
                let others: Vec<&str> = others.iter().map(|p| p.service.as_str()).collect();
                let known = if others.is_empty() {
                    "none is".to_owned()
                } else {
                    format!("these are: {}", others.join(", "))
                };
                return Err(Failure::Message(
                    Exit::NotFound,
                    format!(
                        "{service} has no schema published for {path} in {}; {known} (see `confo schema show {path}`)",
                        ctx.store
                    ),
                ));
            }
            vec![service.to_owned()]
        }
        _ => {
            let before = confo::published_schemas(&*ctx.backend, path)
                .await
                .map(|all| all.into_iter().map(|p| p.service).collect())
                // A corrupt document is removed too, naming no service.
                .unwrap_or_else(|_| Vec::new());
            confo::retire_all_schemas(&*ctx.backend, path).await?;
            before
        }
    };
    if ctx.out.json {
        return ctx
            .out
            .json(&json!({"path": path.to_string(), "retired": retired}));
    }
    if retired.is_empty() {
        ctx.out.note(&format!(
            "no schema was published for {path}; nothing to retire"
        ));
    } else {
        ctx.out.note(&format!(
            "retired the schema{} of {} for {path}",
            if retired.len() == 1 { "" } else { "s" },
            retired.join(", ")
        ));
    }
    Ok(())
}

/// What each of `values` breaks among the schemas published for its
/// configuration, in their order; only the ones that break any.
pub(crate) async fn check_values<'a>(
    ctx: &Ctx,
    values: impl IntoIterator<Item = (&'a ConfigPath, &'a [u8])>,
) -> Result<Vec<(ConfigPath, Vec<ServiceViolation>)>, Failure> {
    let mut out = Vec::new();
    for (path, bytes) in values {
        let found = confo::check_published(&*ctx.backend, path, bytes).await?;
        if !found.is_empty() {
            out.push((path.clone(), found));
        }
    }
    Ok(out)
}

/// Reads `dir` in the file layout, every problem listed.
async fn read_tree(ctx: &Ctx, dir: &Path, what: &str) -> Result<DirTree, Failure> {
    DirTree::read_async(dir, ctx.backend.max_value_bytes())
        .await
        .map_err(|e| match e {
            e @ Error::InvalidTree { .. } => Failure::error(format!("{e}\n{what}")),
            other => other.into(),
        })
}

/// `path: field: rule (service)`, one line per rule.
pub(crate) fn violation_lines(path: &ConfigPath, found: &[ServiceViolation]) -> Vec<String> {
    found.iter().map(|v| format!("{path}: {v}")).collect()
}

pub(crate) async fn check(ctx: &Ctx, args: CheckArgs) -> Result<(), Failure> {
    let tree = read_tree(ctx, &args.dir, "nothing was checked").await?;
    let paths: Vec<ConfigPath> = tree.paths().collect();
    let values = paths
        .iter()
        .filter_map(|path| tree.get(path).map(|bytes| (path, bytes)));
    let refused = check_values(ctx, values).await?;
    if ctx.out.json {
        let all: Vec<Value> = refused
            .iter()
            .flat_map(|(path, found)| {
                found.iter().map(move |v| {
                    json!({"path": path.to_string(), "field": v.path, "rule": v.rule, "service": v.service})
                })
            })
            .collect();
        ctx.out.json(&json!({
            "checked": tree.len(),
            "refused": refused.len(),
            "violations": all,
        }))?;
    } else {
        for (path, found) in &refused {
            for line in violation_lines(path, found) {
                ctx.out.text(&line)?;
            }
        }
    }
    let checked = match tree.len() {
        1 => "1 configuration".to_owned(),
        n => format!("{n} configurations"),
    };
    if refused.is_empty() {
        ctx.out.note(&format!(
            "checked {checked} in {} against the schemas published in {}: all pass",
            args.dir.display(),
            ctx.store
        ));
        return Ok(());
    }
    Err(Failure::Message(
        Exit::SchemaRefused,
        format!(
            "{} of {checked} in {} break{} the schemas published in {}; a write of {} would be refused",
            refused.len(),
            args.dir.display(),
            if refused.len() == 1 { "s" } else { "" },
            ctx.store,
            if refused.len() == 1 { "it" } else { "them" },
        ),
    ))
}

/// The warning `--force` prints for a value written although it breaks
/// published schemas.
pub(crate) fn forced_warning(ctx: &Ctx, path: &ConfigPath, found: &[ServiceViolation]) {
    if found.is_empty() {
        return;
    }
    ctx.out.note(&format!(
        "warning: --force: {path} breaks the schemas published for it; writing it anyway:"
    ));
    for v in found {
        ctx.out.note(&format!("  {v}"));
    }
}
