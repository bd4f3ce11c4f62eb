//! `confo namespaces`, `confo ls`, `confo get`.

use serde_json::{json, Map, Value};

use super::{version_json, warn_skipped, Ctx};
use crate::args::GetArgs;
use crate::exit::Failure;
use confo::Error;
use confo::Namespace;

pub(crate) async fn namespaces(ctx: &Ctx) -> Result<(), Failure> {
    let listing = ctx.backend.namespace_listing().await?;
    let all = listing.names;
    if ctx.out.json {
        ctx.out.json(&json!(all))?;
        return warn_skipped(ctx, &listing.skipped);
    }
    if all.is_empty() {
        ctx.out.note(&format!("no namespaces in {}", ctx.store));
    }
    for ns in all {
        ctx.out.text(ns.as_str())?;
    }
    warn_skipped(ctx, &listing.skipped)
}

pub(crate) async fn ls(ctx: &Ctx, namespace: Option<Namespace>) -> Result<(), Failure> {
    if let Some(ns) = namespace {
        let listing = ctx.backend.config_listing(&ns).await?;
        if ctx.out.json {
            ctx.out.json(&json!(listing.names))?;
        } else {
            for name in &listing.names {
                ctx.out.text(name.as_str())?;
            }
        }
        return warn_skipped(ctx, &listing.skipped);
    }
    let mut tree = Map::new();
    let listing = ctx.backend.namespace_listing().await?;
    let mut skipped = listing.skipped;
    for ns in listing.names {
        let configs = match ctx.backend.config_listing(&ns).await {
            Ok(configs) => configs,
            Err(Error::NamespaceNotFound { .. }) => continue, // deleted meanwhile
            // A tree shared by several identities: list the rest.
            Err(Error::NotAuthorized { .. }) => {
                if !ctx.out.json {
                    ctx.out.text(&format!("{ns}/ (not authorized)"))?;
                }
                skipped.push(confo::backend::Skipped::not_authorized(format!("{ns}/")));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        skipped.extend(configs.skipped);
        let names = configs.names;
        if !ctx.out.json {
            if names.is_empty() {
                ctx.out.text(&format!("{ns}/"))?;
            }
            for name in &names {
                ctx.out.text(&format!("{ns}/{name}"))?;
            }
        }
        tree.insert(ns.to_string(), json!(names));
    }
    if ctx.out.json {
        ctx.out.json(&Value::Object(tree))?;
    } else if tree.is_empty() {
        ctx.out.note(&format!("no namespaces in {}", ctx.store));
    }
    warn_skipped(ctx, &skipped)
}

pub(crate) async fn get(ctx: &Ctx, args: GetArgs) -> Result<(), Failure> {
    let read = match ctx.backend.read(&args.path).await {
        Ok(read) => read,
        Err(e @ Error::NotFound { .. }) => return Err(not_found(ctx, &args.path, e).await),
        Err(e) => return Err(e.into()),
    };
    let shown_path = args.path.to_string();
    if args.show_version {
        ctx.out.note(&format!("version {}", read.version));
    }
    // The whole configuration, byte for byte.
    if args.raw && args.field.is_none() && !ctx.out.json {
        return ctx.out.bytes(&read.bytes);
    }
    // A stored value that is not a JSON object is a broken configuration:
    // say so (exit 1) rather than print it as if it were one (`--raw`
    // shows the bytes whatever they are).
    let map = confo::parse_json_object(ctx.backend.describe(), &shown_path, &read.bytes)?;
    let value = match &args.field {
        None => Value::Object(map),
        Some(field) => map
            .get(field)
            .cloned()
            .ok_or_else(|| Error::FieldNotFound {
                backend: ctx.backend.describe().to_owned(),
                path: shown_path.clone(),
                field: field.clone(),
            })?,
    };
    if ctx.out.json {
        // `--json` is one line on every command, whatever `--compact` says.
        let mut envelope = json!({
            "path": shown_path,
            "version": version_json(read.version),
        });
        if let Some(field) = args.field {
            envelope["field"] = json!(field);
        }
        envelope["value"] = value;
        return ctx.out.json(&envelope);
    }
    match (&value, args.raw) {
        (Value::String(s), true) => ctx.out.line(s),
        _ => ctx.out.value(&value, !args.compact),
    }
}

/// A missing configuration; when its namespace is missing too, the error
/// says so and lists the namespaces there are (as `confo ls` would).
async fn not_found(ctx: &Ctx, path: &confo::ConfigPath, err: Error) -> Failure {
    let Ok(namespaces) = ctx.backend.list_namespaces().await else {
        return err.into();
    };
    let ns = path.namespace();
    if namespaces.contains(ns) {
        return err.into();
    }
    let known: Vec<&str> = namespaces.iter().map(|n| n.as_str()).collect();
    let known = if known.is_empty() {
        "it holds none".to_owned()
    } else {
        format!("known: {}", known.join(", "))
    };
    Failure::Message(
        crate::Exit::NotFound,
        format!(
            "{err}; there is no namespace {ns} in {} ({known})",
            ctx.store
        ),
    )
}
