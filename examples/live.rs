//! A service that follows `systemA/database` live: it starts from the
//! stored value, reacts to every valid change, reports bad updates,
//! deletions and outages, and keeps working on the last good value.
//!
//! ```text
//! cargo example live                                        # examples/config (files)
//! CONFO_URL=zk://127.0.0.1:2181 cargo example live          # ZooKeeper
//! cargo example live -- --changes 3 --timeout 5m            # stop after 3 changes or 5 minutes
//! ```
//!
//! Then, in another terminal, change the configuration with the `confo`
//! command (or any other client, the Python package included):
//!
//! ```text
//! confo --url file://examples/config set systemA/database port 5433
//! confo --url file://examples/config set systemA/database port '"high"'   # rejected: not a port
//! ```
//!
//! It stops by itself after `--changes N` changes (default 10) or
//! `--timeout D` (default 60s; `500ms`, `30s`, `5m`), also read from
//! `LIVE_CHANGES` and `LIVE_TIMEOUT`, so it can run unattended in a test.
//! The password is a [`Secret`]: it never reaches the terminal.

use std::sync::Arc;
use std::time::Duration;

use confo::{Confo, Freshness, Live, Secret};
use serde::{Deserialize, Serialize};

/// The configuration this service follows.
#[derive(Confo, Deserialize, Serialize, Debug, Clone, PartialEq)]
#[confo(namespace = "systemA", name = "database")]
pub struct Database {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret<String>,
    pub vendor: String,
}

/// When the loop stops by itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// After this many changes taken.
    pub changes: u64,
    /// After this long.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            changes: 10,
            timeout: Duration::from_secs(60),
        }
    }
}

impl Limits {
    /// `--changes N` and `--timeout D` from `args`, else `LIVE_CHANGES` and
    /// `LIVE_TIMEOUT` from `env`, else the defaults.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Limits, String> {
        let mut limits = Limits::default();
        if let Some(n) = env("LIVE_CHANGES") {
            limits.changes = parse_count(&n)?;
        }
        if let Some(d) = env("LIVE_TIMEOUT") {
            limits.timeout = parse_duration(&d)?;
        }
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--changes" => limits.changes = parse_count(&value()?)?,
                "--timeout" => limits.timeout = parse_duration(&value()?)?,
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; use --changes N and --timeout D"
                    ))
                }
            }
        }
        Ok(limits)
    }
}

fn parse_count(s: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a count of changes (a whole number)"))
}

/// `500ms`, `30s`, `5m`, or a number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not a duration like 500ms, 30s or 5m");
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(bad()),
    }
}

/// The service loop: reacts to each new value of `live` until `limits`
/// stop it, and returns the values it took, in order.
///
/// A real service would reconnect its pool on each change; this one prints
/// where it would connect. Rejected updates, deletions and outages are
/// reported and change nothing: `live.get()` keeps the last good value.
pub async fn serve(live: &Live<Database>, limits: Limits) -> Vec<Arc<Database>> {
    let mut updates = live.subscribe();
    let mut problems = live.problems();
    let mut status = live.status_stream();
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let mut taken = Vec::new();
    let mut problems_open = true;
    while (taken.len() as u64) < limits.changes {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {
                println!("timeout after {:?}; stopping", limits.timeout);
                break;
            }
            update = updates.next() => {
                let Some(update) = update else { break };
                let db = &update.value;
                println!(
                    "database changed (version {}): would reconnect to {}:{} as {} (password {})",
                    update.version, db.host, db.port, db.user, db.password
                );
                taken.push(Arc::clone(db));
            }
            problem = problems.recv(), if problems_open => match problem {
                Ok(problem) => eprintln!("warning: {problem}"),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    eprintln!("warning: {n} problems not shown")
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => problems_open = false,
            },
            changed = status.changed() => {
                if changed.is_err() { break }
                let now = status.borrow_and_update().clone();
                match now.freshness {
                    Freshness::Fresh => println!("status: fresh"),
                    other => println!(
                        "status: {other:?} ({}); still serving port {}",
                        now.last_problem.as_deref().unwrap_or("no detail"),
                        live.get().port
                    ),
                }
            }
        }
    }
    taken
}

/// `CONFO_URL` when set; else the example tree shipped in this repository.
async fn open() -> confo::Result<Confo> {
    if std::env::var_os(confo::backend::URL_ENV).is_some() {
        Confo::from_env().await
    } else {
        Confo::from_url("file://examples/config").await
    }
}

#[tokio::main]
async fn main() {
    let limits = match Limits::parse(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(limits) => limits,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Err(err) = run(limits).await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

async fn run(limits: Limits) -> confo::Result<()> {
    let confo = open().await?;
    let live = confo.watch::<Database>().await?;
    let db = live.get();
    println!(
        "serving with {}:{} (version {}); waiting for {} changes or {:?}",
        db.host,
        db.port,
        live.version(),
        limits.changes,
        limits.timeout
    );
    println!(
        "try, in another terminal: confo --url {} set systemA/database port 5433",
        live_url()
    );
    let taken = serve(&live, limits).await;
    println!(
        "took {} changes; now on port {}",
        taken.len(),
        live.get().port
    );
    Ok(())
}

/// The URL to show in the hint (never with a password).
fn live_url() -> String {
    match std::env::var(confo::backend::URL_ENV) {
        Ok(url) => confo::backend::redact(&url),
        Err(_) => "file://examples/config".into(),
    }
}
