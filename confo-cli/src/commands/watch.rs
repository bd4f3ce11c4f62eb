//! `confo watch`: one JSON line per new version.
//!
//! Arms the store's own watch ([`confo::backend::Backend::watch`]: ZooKeeper
//! watches, file-system events), then reads; every event reads again and
//! prints when the value changed. A store that cannot watch is read every
//! `--interval` instead, and so is one that cannot be reached, until it can.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::time::{sleep_until, Instant};

use super::{version_json, Ctx};
use crate::args::WatchArgs;
use crate::exit::Failure;
use confo::backend::{Versioned, Watch, WatchEvent, WatchScope};
use confo::{Error, Registration, Version};

/// What woke the loop.
enum Wake {
    /// Read the store (an event, or the interval passed).
    Read,
    /// The store is away; a `Resync` will come.
    Away,
    /// The watch ended: arm it again.
    Ended,
    /// `--timeout` passed.
    Deadline,
}

pub(crate) async fn watch(ctx: &Ctx, args: WatchArgs) -> Result<(), Failure> {
    // With --service, registered as an instance holding what it printed
    // last, and removed before the command returns (see `confo status`).
    let mut registration = None;
    let result = follow(ctx, args, &mut registration).await;
    if let Some(registration) = registration {
        registration.stop().await;
    }
    result
}

async fn follow(
    ctx: &Ctx,
    args: WatchArgs,
    registration: &mut Option<Registration>,
) -> Result<(), Failure> {
    let deadline = args.timeout.map(|t| Instant::now() + t);
    let shown = args.path.to_string();
    let scope = WatchScope::Config(args.path.clone());
    // Arm first, then read: no change falls between the two.
    let mut events = arm(ctx, &scope, args.interval).await;
    // The first read must succeed: a typo should not wait forever.
    let first = ctx.backend.read(&args.path).await?;
    if let Some(service) = &args.service {
        *registration = Some(Registration::start(
            &ctx.checked,
            &args.path,
            service,
            first.version,
        )?);
    }
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
        // Poll when there is no watch, and while the store is away (a store
        // that cannot say when it is back is read until it answers).
        let poll = events.is_none() || offline;
        let tick = poll.then(|| Instant::now() + args.interval);
        match next_wake(events.as_mut(), tick, deadline).await {
            Wake::Deadline => return Ok(()),
            Wake::Ended => {
                events = arm(ctx, &scope, args.interval).await;
                // Changes while it was down had no event: read.
            }
            Wake::Away => {
                if !offline {
                    ctx.out.note(&format!(
                        "warning: lost the connection to {}; still watching",
                        ctx.store
                    ));
                    offline = true;
                }
                continue;
            }
            Wake::Read => {}
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
        if let (Some(registration), Some(read)) = (registration.as_ref(), &read) {
            registration.took(read.version);
        }
        last = current;
        ctx.out
            .line(&event(ctx, &shown, read.as_ref()).to_string())?;
        printed += 1;
    }
}

/// The store's watch, or `None` (with a note) when it cannot watch: then
/// the command reads every `interval`.
async fn arm(ctx: &Ctx, scope: &WatchScope, interval: std::time::Duration) -> Option<Watch> {
    match ctx.backend.watch(scope).await {
        Ok(watch) => Some(watch),
        Err(e) => {
            ctx.out.note(&format!(
                "note: cannot watch {} ({e}); reading it every {interval:?} instead",
                ctx.store
            ));
            None
        }
    }
}

/// Waits for an event, the poll `tick`, or the `deadline`, whichever first.
async fn next_wake(
    events: Option<&mut Watch>,
    tick: Option<Instant>,
    deadline: Option<Instant>,
) -> Wake {
    let far = Instant::now() + std::time::Duration::from_secs(365 * 24 * 3600);
    let event = async {
        match events {
            Some(watch) => match watch.next_batch().await {
                None => Wake::Ended,
                Some(batch) if batch == [WatchEvent::Disconnected] => Wake::Away,
                Some(_) => Wake::Read,
            },
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        // A deadline that falls with an event wins: stop on time.
        biased;
        _ = sleep_until(deadline.unwrap_or(far)) => Wake::Deadline,
        wake = event => wake,
        _ = sleep_until(tick.unwrap_or(far)) => Wake::Read,
    }
}

/// `{"path", "version", "value"}`; a deleted configuration has `null` for
/// both, a stored value that is not JSON has `"error"` instead of `"value"`.
fn event(ctx: &Ctx, path: &str, read: Option<&Versioned>) -> Value {
    let Some(read) = read else {
        return json!({"path": path, "version": null, "value": null});
    };
    match confo::parse_json(ctx.backend.describe(), path, &read.bytes) {
        Ok(value) => json!({"path": path, "version": version_json(read.version), "value": value}),
        Err(e) => {
            json!({"path": path, "version": version_json(read.version), "error": e.to_string()})
        }
    }
}
