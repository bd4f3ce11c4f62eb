//! `confo put`, `confo set`, `confo rm`.

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::json;

use super::{json_problem, version_json, Ctx};
use crate::args::{PutArgs, RmArgs, SetArgs};
use crate::exit::Failure;
use confo::backend::{check_size, Expect};
use confo::bounded::read_at_most;
use confo::{ConfigPath, Namespace};

/// How many times `set` tries its compare-and-set before giving up.
const SET_ATTEMPTS: u32 = 10;

pub(crate) async fn put(ctx: &Ctx, args: PutArgs) -> Result<(), Failure> {
    // Never read past the store's limit: `/dev/zero` or a huge file stops there.
    let limit = ctx.backend.max_value_bytes();
    let too_large = |source: &str, e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            Failure::error(format!(
                "{source} is over the limit of {limit} bytes, the largest value {} accepts; confo stopped reading there; nothing was written",
                ctx.store
            ))
        } else {
            Failure::error(format!("cannot read {source}: {e}"))
        }
    };
    let (source, bytes) = if args.input == "-" {
        if std::io::stdin().is_terminal() {
            ctx.out
                .note("reading a JSON object from stdin; end it with Ctrl-D");
        }
        let bytes =
            read_at_most(std::io::stdin().lock(), limit).map_err(|e| too_large("stdin", e))?;
        ("stdin".to_owned(), bytes)
    } else {
        let bytes = std::fs::File::open(&args.input)
            .and_then(|f| read_at_most(f, limit))
            .map_err(|e| too_large(&args.input, e))?;
        (args.input.clone(), bytes)
    };
    if let Err(e) = confo::parse_json_object("input", &source, &bytes) {
        return Err(Failure::error(format!(
            "{}; nothing was written",
            json_problem(&source, &e)
        )));
    }
    check_size(&*ctx.backend, &args.path, &bytes)?;
    let expect = match (args.if_version, args.if_absent) {
        (Some(v), _) => Expect::Version(v),
        (None, true) => Expect::Absent,
        (None, false) => Expect::Any,
    };
    super::warn_lookalike(ctx, &args.path).await;
    if args.force {
        let found = confo::check_published(&*ctx.backend, &args.path, &bytes).await?;
        super::schema::forced_warning(ctx, &args.path, &found);
    }
    let version = ctx.backend.write(&args.path, &bytes, expect).await?;
    if ctx.out.json {
        return ctx
            .out
            .json(&json!({"path": args.path.to_string(), "version": version_json(version)}));
    }
    ctx.out
        .note(&format!("wrote {} (version {version})", args.path));
    Ok(())
}

pub(crate) async fn set(ctx: &Ctx, args: SetArgs) -> Result<(), Failure> {
    let shown = args.path.to_string();
    let mut attempt = 1;
    let version = loop {
        let read = ctx.backend.read(&args.path).await?;
        let mut object = confo::parse_json_object(ctx.backend.describe(), &shown, &read.bytes)?;
        object.insert(args.field.clone(), args.value.clone());
        let bytes = confo::to_json_bytes(&object);
        check_size(&*ctx.backend, &args.path, &bytes)?;
        if args.force && attempt == 1 {
            let found = confo::check_published(&*ctx.backend, &args.path, &bytes).await?;
            super::schema::forced_warning(ctx, &args.path, &found);
        }
        match ctx
            .backend
            .write(&args.path, &bytes, Expect::Version(read.version))
            .await
        {
            Ok(version) => break version,
            Err(e) if e.is_conflict() && attempt < SET_ATTEMPTS => {
                // Someone wrote in between: back off a little and apply the
                // change to what they wrote.
                tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(e) if e.is_conflict() => {
                return Err(Failure::Message(
                    crate::Exit::Conflict,
                    format!(
                        "{e} (gave up after {SET_ATTEMPTS} attempts: {shown} changes too often)"
                    ),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    };
    if ctx.out.json {
        return ctx.out.json(&json!({
            "path": shown,
            "field": args.field,
            "version": version_json(version),
        }));
    }
    ctx.out
        .note(&format!("set {shown} {} (version {version})", args.field));
    Ok(())
}

pub(crate) async fn rm(ctx: &Ctx, args: RmArgs) -> Result<(), Failure> {
    if args.recursive {
        return rm_namespace(ctx, &args).await;
    }
    if !args.target.contains('/') {
        return Err(Failure::usage(format!(
            "{:?} is a namespace; delete a namespace with `confo rm -r {}`",
            args.target, args.target
        )));
    }
    let path: ConfigPath = args.target.parse()?;
    let expect = args.if_version.map_or(Expect::Any, Expect::Version);
    ctx.backend.delete(&path, expect).await?;
    if ctx.out.json {
        return ctx.out.json(&json!({"deleted": path.to_string()}));
    }
    ctx.out.note(&format!("deleted {path}"));
    Ok(())
}

async fn rm_namespace(ctx: &Ctx, args: &RmArgs) -> Result<(), Failure> {
    if args.target.contains('/') {
        return Err(Failure::usage(format!(
            "-r deletes a namespace, and {:?} is a configuration path; drop -r to delete one configuration",
            args.target
        )));
    }
    let ns = Namespace::new(&args.target)?;
    let listing = ctx.backend.config_listing(&ns).await?;
    let (names, others) = (&listing.names, &listing.skipped);
    let others_shown = || {
        if others.is_empty() {
            String::new()
        } else {
            let entries: Vec<&str> = others.iter().map(|s| s.entry.as_str()).collect();
            format!(
                " and {} other entr{} confo cannot represent ({})",
                others.len(),
                if others.len() == 1 { "y" } else { "ies" },
                entries.join(", ")
            )
        }
    };
    if (!names.is_empty() || !others.is_empty()) && !args.yes {
        let mut shown: Vec<String> = names.iter().take(5).map(|n| n.to_string()).collect();
        if names.len() > 5 {
            shown.push("...".into());
        }
        return Err(Failure::error(format!(
            "namespace {ns} in {} holds {} configuration{} ({}){}; add --yes to delete them all",
            ctx.store,
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            shown.join(", "),
            others_shown()
        )));
    }
    ctx.backend.delete_namespace(&ns, true).await?;
    if ctx.out.json {
        return ctx.out.json(&json!({
            "deleted_namespace": ns.to_string(),
            "configs": names.len(),
            "other_entries": others.iter().map(|s| s.entry.clone()).collect::<Vec<_>>(),
        }));
    }
    ctx.out.note(&format!(
        "deleted namespace {ns} ({} configuration{}{})",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        others_shown()
    ));
    Ok(())
}
