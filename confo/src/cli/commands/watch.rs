//! `confo watch`: one JSON line per new version.
//!
//! Polls [`crate::backend::Backend::read`] every `--interval` and prints
//! when the version changes. It will switch to the store's own watch
//! (ZooKeeper watches, `notify` on files) once the backend trait has one;
//! the output stays the same.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::time::{sleep_until, Instant};

use super::{version_json, Ctx};
use crate::backend::{Version, Versioned};
use crate::cli::args::WatchArgs;
use crate::cli::exit::Failure;
use crate::error::Error;
use crate::json;

pub(crate) async fn watch(ctx: &Ctx, args: WatchArgs) -> Result<(), Failure> {
    let deadline = args.timeout.map(|t| Instant::now() + t);
    let shown = args.path.to_string();
    // The first read must succeed: a typo should not wait forever.
    let first = ctx.backend.read(&args.path).await?;
    // Version and bytes: a ZooKeeper node deleted and created again restarts
    // its version, so the version alone could hide a change.
    let mut last: Option<(Version, Arc<[u8]>)> = Some((first.version, first.bytes.clone()));
    let mut printed = 0u64;
    let mut offline = false;
    ctx.out
        .line(&event(ctx, &shown, Some(&first)).to_string())?;
    printed += 1;
    loop {
        if args.max_events.is_some_and(|max| printed >= max) {
            return Ok(());
        }
        let next = Instant::now() + args.interval;
        match deadline {
            Some(d) if d <= next => {
                sleep_until(d).await;
                return Ok(());
            }
            _ => sleep_until(next).await,
        }
        let read = match ctx.backend.read(&args.path).await {
            Ok(read) => Some(read),
            Err(Error::NotFound { .. } | Error::NamespaceNotFound { .. }) => None,
            Err(e @ Error::Connection { .. }) => {
                // Keep watching through an outage; say so once.
                if !offline {
                    ctx.out.note(&format!("warning: {e}; still watching"));
                    offline = true;
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if offline {
            ctx.out.note(&format!("reconnected to {}", ctx.store));
            offline = false;
        }
        let current = read.as_ref().map(|r| (r.version, r.bytes.clone()));
        if current == last {
            continue;
        }
        last = current;
        ctx.out
            .line(&event(ctx, &shown, read.as_ref()).to_string())?;
        printed += 1;
    }
}

/// `{"path", "version", "value"}`; a deleted configuration has `null` for
/// both, a stored value that is not JSON has `"error"` instead of `"value"`.
fn event(ctx: &Ctx, path: &str, read: Option<&Versioned>) -> Value {
    let Some(read) = read else {
        return json!({"path": path, "version": null, "value": null});
    };
    match json::parse_value(ctx.backend.describe(), path, &read.bytes) {
        Ok(value) => json!({"path": path, "version": version_json(read.version), "value": value}),
        Err(e) => {
            json!({"path": path, "version": version_json(read.version), "error": e.to_string()})
        }
    }
}
