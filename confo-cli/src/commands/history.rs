//! `confo history`, `confo show PATH@V`, `confo diff PATH@V1 PATH@V2` and
//! `confo rollback`: the writes confo recorded, and the way back; `confo
//! status`: which running instances hold which version.

use serde_json::{json, Value};

use super::{version_json, Ctx};
use crate::args::{HistoryArgs, RollbackArgs, ShowArgs, StatusArgs};
use crate::exit::Failure;
use confo::{ConfigPath, Error, History, HistoryEntry, Version};

/// A version as given on the command line: a stored version, or N
/// recorded writes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rev {
    At(Version),
    Back(usize),
}

fn parse_rev(text: &str) -> Result<Rev, Failure> {
    if let Some(n) = text.strip_prefix('-') {
        return match n.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Rev::Back(n)),
            _ => Err(Failure::usage(format!(
                "{text:?} is not a version: give a version `confo history` lists, or -N for N \
                 recorded writes back (-1: before the last write)"
            ))),
        };
    }
    text.parse::<Version>().map(Rev::At).map_err(|_| {
        Failure::usage(format!(
            "{text:?} is not a version: give a version `confo history` lists, or -N for N \
             recorded writes back (-1: before the last write)"
        ))
    })
}

/// `ns/name@V` (`None`: the current value) from the command line.
fn parse_target(text: &str) -> Result<(ConfigPath, Option<Rev>), Failure> {
    match text.rsplit_once('@') {
        Some((path, rev)) => Ok((path.parse()?, Some(parse_rev(rev)?))),
        None => Ok((text.parse()?, None)),
    }
}

/// The stored version `rev` names in `history`.
fn resolve(history: &History, rev: Option<Rev>) -> Result<Version, Failure> {
    let versions = history.versions();
    match rev {
        Some(Rev::At(v)) => Ok(v),
        None => versions.first().copied().ok_or_else(|| {
            Failure::from(Error::NotFound {
                backend: history.backend.clone(),
                path: history.path.to_string(),
            })
        }),
        Some(Rev::Back(n)) => versions.get(n).copied().ok_or_else(|| {
            Failure::Message(
                crate::Exit::NotFound,
                format!(
                    "{}@-{n} asks for {n} recorded writes back, and the history of {} in {} \
                     holds {} version{} before the current one (`confo history {}` lists them)",
                    history.path,
                    history.path,
                    history.backend,
                    versions.len().saturating_sub(1),
                    if versions.len() == 2 { "" } else { "s" },
                    history.path
                ),
            )
        }),
    }
}

async fn read(ctx: &Ctx, path: &ConfigPath) -> Result<History, Failure> {
    let history = ctx.checked.history(path).await?;
    for why in &history.unreadable {
        ctx.out.note(&format!(
            "warning: the history of {path} in {} has an entry confo cannot read ({why}); it is left out",
            ctx.store
        ));
    }
    Ok(history)
}

fn time(entry: &HistoryEntry) -> String {
    humantime::format_rfc3339_seconds(entry.time).to_string()
}

fn changed(entry: &HistoryEntry) -> String {
    match &entry.changed[..] {
        [] => "(no change)".to_owned(),
        [whole] if whole.is_empty() => "(whole value)".to_owned(),
        keys => keys.join(","),
    }
}

fn version_text(v: Option<Version>) -> String {
    v.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

pub(crate) async fn history(ctx: &Ctx, args: HistoryArgs) -> Result<(), Failure> {
    let path = &args.path;
    if args.clear {
        let removed = confo::clear_history(&*ctx.backend, path).await?;
        if ctx.out.json {
            return ctx
                .out
                .json(&json!({"path": path.to_string(), "cleared": removed}));
        }
        ctx.out.note(&if removed {
            format!("cleared the history of {path}; the configuration is unchanged")
        } else {
            format!("{path} had no history")
        });
        return Ok(());
    }
    let history = read(ctx, path).await?;
    if history.entries.is_empty() && history.current.is_none() {
        return Err(Error::NotFound {
            backend: ctx.store.clone(),
            path: path.to_string(),
        }
        .into());
    }
    let shown: Vec<&HistoryEntry> = history
        .entries
        .iter()
        .rev()
        .take(args.limit.unwrap_or(usize::MAX))
        .collect();
    if ctx.out.json {
        let entries: Vec<Value> = shown
            .iter()
            .map(|e| {
                json!({
                    "seq": e.seq,
                    "id": e.id,
                    "version": e.version.map(version_json),
                    "time": time(e),
                    "author": e.author,
                    "message": e.message,
                    "changed": e.changed,
                    "previous_version": e.previous.as_ref().map(|p| version_json(p.version)),
                    "gap_before": e.gap_before,
                })
            })
            .collect();
        return ctx.out.json(&json!({
            "path": path.to_string(),
            "current_version": history.current.as_ref().map(|c| version_json(c.version)),
            "gap_after": history.gap_after,
            "entries": entries,
        }));
    }
    if history.entries.is_empty() {
        ctx.out.note(&format!(
            "no write of {path} is recorded yet: confo records the writes it makes from now on"
        ));
        return Ok(());
    }
    if history.gap_after {
        let now = version_text(history.current.as_ref().map(|c| c.version));
        ctx.out
            .text(&format!("{now}  ~ written outside confo (not recorded)"))?;
    }
    for e in shown {
        let mut line = format!(
            "{}  {}  {}  {}",
            version_text(e.version),
            time(e),
            e.author,
            changed(e)
        );
        if let Some(m) = &e.message {
            line.push_str("  ");
            line.push_str(m);
        }
        ctx.out.text(&line)?;
        if e.gap_before {
            ctx.out.text("?  ~ written outside confo (not recorded)")?;
        }
    }
    Ok(())
}

/// The value of `path` at `version` as JSON, with its secrets hidden;
/// `Err` with the raw text when it is not JSON.
async fn value_at(
    ctx: &Ctx,
    history: &History,
    version: Version,
) -> Result<Result<(Value, Vec<String>), String>, Failure> {
    let bytes = history.value_at(version)?;
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(Err(String::from_utf8_lossy(bytes).into_owned()));
    };
    let published = confo::published_schemas(&*ctx.backend, &history.path).await?;
    let secrets = confo::secret_keys(published.iter().map(|p| &p.schema), &value);
    Ok(Ok((value, secrets)))
}

pub(crate) async fn show(ctx: &Ctx, args: ShowArgs) -> Result<(), Failure> {
    let (path, rev) = parse_target(&args.target)?;
    let history = read(ctx, &path).await?;
    let version = resolve(&history, rev)?;
    match value_at(ctx, &history, version).await? {
        Ok((mut value, secrets)) => {
            confo::redact_keys(&mut value, &secrets);
            if ctx.out.json {
                return ctx.out.json(&json!({
                    "path": path.to_string(),
                    "version": version_json(version),
                    "value": value,
                }));
            }
            ctx.out.value(&value, !args.compact)
        }
        Err(raw) => {
            ctx.out.note(&format!(
                "warning: version {version} of {path} is not JSON; printed as stored"
            ));
            ctx.out.line(&raw)
        }
    }
}

/// The member at the dotted `key` of `value`.
fn member<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    if key.is_empty() {
        return Some(value);
    }
    key.split('.').try_fold(value, |v, k| v.get(k))
}

pub(crate) async fn diff(ctx: &Ctx, targets: &[String]) -> Result<(), Failure> {
    let mut sides = Vec::with_capacity(2);
    for target in targets {
        let (path, rev) = parse_target(target)?;
        let history = read(ctx, &path).await?;
        let version = resolve(&history, rev)?;
        let (value, secrets) = match value_at(ctx, &history, version).await? {
            Ok(found) => found,
            Err(_) => {
                return Err(Failure::error(format!(
                    "version {version} of {path} is not JSON, so it has no keys to compare; print it with `confo show {path}@{version}`"
                )))
            }
        };
        sides.push((path, version, value, secrets));
    }
    let [(p1, v1, old, s1), (p2, v2, new, s2)] = &sides[..] else {
        return Err(Failure::usage("diff takes two versions: PATH@V1 PATH@V2"));
    };
    let old_bytes = serde_json::to_vec(old).unwrap_or_default();
    let new_bytes = serde_json::to_vec(new).unwrap_or_default();
    let keys = confo::changed_keys(Some(&old_bytes), &new_bytes);
    let secret = |key: &str| {
        s1.iter().chain(s2).any(|s| {
            key == s || key.starts_with(&format!("{s}.")) || s.starts_with(&format!("{key}."))
        })
    };
    let compact = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let mut changes = Vec::new();
    for key in &keys {
        let (a, b) = (member(old, key), member(new, key));
        let kind = match (a, b) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "changed",
        };
        let hidden = secret(key);
        if ctx.out.json {
            let mut c = json!({"key": key, "change": kind, "secret": hidden});
            if !hidden {
                c["old"] = a.cloned().unwrap_or(Value::Null);
                c["new"] = b.cloned().unwrap_or(Value::Null);
            }
            changes.push(c);
            continue;
        }
        let shown = if key.is_empty() { "(whole value)" } else { key };
        let line = match (kind, hidden) {
            ("added", true) => format!("+ {shown}: (secret)"),
            ("removed", true) => format!("- {shown}: (secret)"),
            (_, true) => format!("~ {shown}: (secret changed)"),
            ("added", false) => format!("+ {shown}: {}", compact(b.unwrap_or(&Value::Null))),
            ("removed", false) => format!("- {shown}: {}", compact(a.unwrap_or(&Value::Null))),
            _ => format!(
                "~ {shown}: {} -> {}",
                compact(a.unwrap_or(&Value::Null)),
                compact(b.unwrap_or(&Value::Null))
            ),
        };
        ctx.out.text(&line)?;
    }
    if ctx.out.json {
        return ctx.out.json(&json!({
            "from": {"path": p1.to_string(), "version": version_json(*v1)},
            "to": {"path": p2.to_string(), "version": version_json(*v2)},
            "same": keys.is_empty(),
            "changes": changes,
        }));
    }
    if keys.is_empty() {
        ctx.out
            .note(&format!("no differences between {p1}@{v1} and {p2}@{v2}"));
    }
    Ok(())
}

pub(crate) async fn rollback(ctx: &Ctx, args: RollbackArgs) -> Result<(), Failure> {
    let path = &args.path;
    let history = read(ctx, path).await?;
    let version = resolve(&history, Some(parse_rev(&args.to)?))?;
    let bytes = history.value_at(version)?;
    if args.force {
        let found = confo::check_published(&*ctx.backend, path, bytes).await?;
        super::schema::forced_warning(ctx, path, &found);
    }
    let written = ctx.checked.rollback_in(&history, version).await?;
    if ctx.out.json {
        return ctx.out.json(&json!({
            "path": path.to_string(),
            "to": version_json(version),
            "version": version_json(written),
        }));
    }
    ctx.out.note(&format!(
        "rolled back {path} to version {version} (now version {written})"
    ));
    Ok(())
}

pub(crate) async fn status(ctx: &Ctx, args: StatusArgs) -> Result<(), Failure> {
    let path = &args.path;
    let found = confo::read_instances(&*ctx.backend, path).await?;
    for why in &found.unreadable {
        ctx.out.note(&format!("warning: {why}; it is left out"));
    }
    for i in &found.expired {
        ctx.out.note(&format!(
            "warning: left out the registration of {} on {}, pid {}: its lease ran out at {} (the process stopped without removing it)",
            i.service,
            i.host,
            i.pid,
            humantime::format_rfc3339_seconds(i.lease_until)
        ));
    }
    if ctx.out.json {
        let instance = |i: &confo::Instance| {
            json!({
                "id": i.id,
                "service": i.service,
                "host": i.host,
                "pid": i.pid,
                "version": version_json(i.version),
                "latest": Some(i.version) == found.current,
                "rejected": i.rejected.as_ref().map(|r| json!({
                    "version": version_json(r.version),
                    "errors": r.errors,
                })),
                "updated": humantime::format_rfc3339_seconds(i.updated).to_string(),
            })
        };
        return ctx.out.json(&json!({
            "path": path.to_string(),
            "current_version": found.current.map(version_json),
            "instances": found.running.iter().map(instance).collect::<Vec<_>>(),
            "expired": found.expired.len(),
        }));
    }
    if found.current.is_none() && found.running.is_empty() {
        return Err(Error::NotFound {
            backend: ctx.store.clone(),
            path: path.to_string(),
        }
        .into());
    }
    if found.running.is_empty() {
        ctx.out.note(&format!(
            "no running instance of {path} is registered in {}: services register when they follow it with a service name (Confo::with_service, then watch)",
            ctx.store
        ));
        return Ok(());
    }
    for line in found.summary() {
        ctx.out.text(&line)?;
    }
    Ok(())
}
