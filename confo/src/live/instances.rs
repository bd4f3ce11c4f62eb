//! Which running instances follow a configuration, which version each
//! holds, and which rejected a newer one: what `confo status` shows.
//!
//! A [`crate::Live`] started by a manager with a service name
//! ([`crate::Confo::with_service`]) registers its instance beside the
//! configuration ([`Backend::put_instance`]): on ZooKeeper an ephemeral
//! node, gone when the process's session ends; on the file backend a file
//! whose record carries a lease, renewed while the process runs. A
//! background task writes the registration when the value changes (at most
//! once a second) and renews it every [`HEARTBEAT`]; [`crate::Live::get`]
//! never waits for it. A registration whose lease ran out (a process that
//! died without removing it) is listed apart, in [`Instances::expired`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::name::{ConfigPath, Version};
use crate::store::Store;

/// How often a registration is renewed while nothing changes.
pub const HEARTBEAT: Duration = Duration::from_secs(20);

/// How long a registration holds without being renewed.
pub const LEASE: Duration = Duration::from_secs(60);

/// The least time between two writes of one registration.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// One running instance following a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Its registration id (service, host, process id and a random part).
    pub id: String,
    /// The service name it runs under ([`crate::Confo::with_service`]).
    pub service: String,
    /// Its host name.
    pub host: String,
    /// Its process id.
    pub pid: u32,
    /// The version of the configuration it holds (its last good value).
    pub version: Version,
    /// The newest version it rejected since it took `version`, if any.
    pub rejected: Option<Rejected>,
    /// When its registration was last written.
    pub updated: SystemTime,
    /// Until when the registration holds unless renewed.
    pub lease_until: SystemTime,
}

/// A version an instance did not take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The version.
    pub version: Version,
    /// The field errors (`database.port: expected u16, found a string`).
    pub errors: Vec<String>,
}

/// The registered instances of one configuration: what
/// [`crate::Confo::instances`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instances {
    /// The configuration.
    pub path: ConfigPath,
    /// Its version stored now; `None` when it does not exist.
    pub current: Option<Version>,
    /// The instances whose registration holds, sorted by id.
    pub running: Vec<Instance>,
    /// Registrations whose lease ran out: processes that stopped without
    /// removing theirs (ignored by [`Instances::summary`]).
    pub expired: Vec<Instance>,
    /// Registrations that could not be read, with why.
    pub unreadable: Vec<String>,
}

impl Instances {
    /// One line per version held, then one per version rejected:
    ///
    /// ```text
    /// 12 instances on version 7, the latest (billing ×9, search ×3)
    /// 1 rejected version 8: database.port: expected u16, found a string (billing on host-3, pid 4711)
    /// ```
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut by_version: BTreeMap<u64, BTreeMap<&str, usize>> = BTreeMap::new();
        for i in &self.running {
            *by_version
                .entry(i.version.raw())
                .or_default()
                .entry(&i.service)
                .or_default() += 1;
        }
        // The latest first, then newest first where the store numbers its
        // versions in order (ZooKeeper).
        let mut by_version: Vec<(Version, BTreeMap<&str, usize>)> = by_version
            .into_iter()
            .rev()
            .map(|(raw, services)| (Version::from_raw(raw), services))
            .collect();
        by_version.sort_by_key(|(v, _)| Some(*v) != self.current);
        for (version, services) in &by_version {
            let count: usize = services.values().sum();
            let services: Vec<String> = services.iter().map(|(s, n)| format!("{s} ×{n}")).collect();
            let latest = if Some(*version) == self.current {
                ", the latest"
            } else {
                ""
            };
            lines.push(format!(
                "{count} instance{} on version {version}{latest} ({})",
                if count == 1 { "" } else { "s" },
                services.join(", ")
            ));
        }
        let mut rejected: BTreeMap<(u64, Vec<String>), Vec<&Instance>> = BTreeMap::new();
        for i in &self.running {
            if let Some(r) = &i.rejected {
                rejected
                    .entry((r.version.raw(), r.errors.clone()))
                    .or_default()
                    .push(i);
            }
        }
        for ((raw, errors), who) in rejected.iter().rev() {
            let version = Version::from_raw(*raw);
            let who: Vec<String> = who
                .iter()
                .map(|i| format!("{} on {}, pid {}", i.service, i.host, i.pid))
                .collect();
            lines.push(format!(
                "{} rejected version {version}: {} ({})",
                who.len(),
                errors.join("; "),
                who.join("; ")
            ));
        }
        lines
    }
}

/// Reads the registered instances of `path` and the version stored now.
///
/// # Errors
///
/// The store's errors; a registration that cannot be read is listed in
/// [`Instances::unreadable`], never an error.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::MemoryBackend;
/// let store = MemoryBackend::new();
/// let found = confo::read_instances(&store, &"systemA/database".parse()?).await?;
/// assert!(found.running.is_empty() && found.current.is_none());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn read_instances(backend: &dyn Backend, path: &ConfigPath) -> Result<Instances> {
    let listed = backend.list_instances(path).await?;
    let current = match backend.read(path).await {
        Ok(v) => Some(v.version),
        Err(Error::NotFound { .. } | Error::NamespaceNotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let now = SystemTime::now();
    let mut out = Instances {
        path: path.clone(),
        current,
        running: Vec::new(),
        expired: Vec::new(),
        unreadable: Vec::new(),
    };
    for (id, bytes) in listed {
        match parse(&id, &bytes) {
            Some(i) if i.lease_until < now => out.expired.push(i),
            Some(i) => out.running.push(i),
            None => out
                .unreadable
                .push(format!("the registration {id} is not one confo wrote")),
        }
    }
    Ok(out)
}

fn parse(id: &str, bytes: &[u8]) -> Option<Instance> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let text = |k: &str| v.get(k).and_then(Value::as_str);
    let version = |v: &Value| v.as_str()?.parse::<Version>().ok();
    let time = |k: &str| humantime::parse_rfc3339(text(k)?).ok();
    let rejected = match v.get("rejected") {
        None | Some(Value::Null) => None,
        Some(r) => Some(Rejected {
            version: version(r.get("version")?)?,
            errors: r
                .get("errors")?
                .as_array()?
                .iter()
                .map(|e| e.as_str().map(str::to_owned))
                .collect::<Option<_>>()?,
        }),
    };
    Some(Instance {
        id: id.to_owned(),
        service: text("service")?.to_owned(),
        host: text("host")?.to_owned(),
        pid: u32::try_from(v.get("pid")?.as_u64()?).ok()?,
        version: version(v.get("version")?)?,
        rejected,
        updated: time("updated")?,
        lease_until: time("lease_until")?,
    })
}

/// What a registered instance holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    version: Version,
    rejected: Option<Rejected>,
}

/// The field errors of `error`, for a rejection.
pub(crate) fn field_errors(error: &Error) -> Vec<String> {
    match error {
        Error::Decode { errors, .. } => errors.iter().map(ToString::to_string).collect(),
        other => vec![other.to_string()],
    }
}

/// This host's name: `$HOSTNAME`, else the kernel's, else "unknown".
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A registration id: a configuration name (no `/`, no control characters).
fn instance_id(service: &str, host: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let raw = format!(
        "{service}-{host}-{}-{:08x}",
        std::process::id(),
        crate::history::random_bits() as u32
    );
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{clean}-{n}")
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {}, pid {}: version {}",
            self.service, self.host, self.pid, self.version
        )?;
        if let Some(r) = &self.rejected {
            write!(
                f,
                "; rejected version {}: {}",
                r.version,
                r.errors.join("; ")
            )?;
        }
        Ok(())
    }
}

/// The registration of one running instance that follows a configuration,
/// for a program that follows it without a [`crate::Live`] (a `Live` of a
/// manager with a service name registers itself). Written at once, then
/// whenever [`Registration::took`] or [`Registration::rejected`] changes it
/// (at most once a second) and every [`HEARTBEAT`]; removed by
/// [`Registration::stop`], or when dropped (best effort: its lease runs out
/// otherwise).
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// let store = confo::Store::new(std::sync::Arc::new(MemoryBackend::new()));
/// let path: confo::ConfigPath = "systemA/database".parse()?;
/// let v = store.backend().write(&path, b"{}", Expect::Absent).await?;
/// let registration = confo::Registration::start(&store, &path, "deploy-check", v)?;
/// # let mut found = confo::read_instances(store.backend(), &path).await?;
/// # for _ in 0..100 { if !found.running.is_empty() { break; } tokio::time::sleep(std::time::Duration::from_millis(10)).await; found = confo::read_instances(store.backend(), &path).await?; }
/// assert_eq!(found.running[0].service, "deploy-check");
/// registration.stop().await;
/// assert!(confo::read_instances(store.backend(), &path).await?.running.is_empty());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct Registration {
    held: watch::Sender<Held>,
    task: tokio::task::JoinHandle<()>,
}

impl Registration {
    /// Registers an instance of `service` holding `version` of `path`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] when `service` breaks the naming rules.
    pub fn start(
        store: &Store,
        path: &ConfigPath,
        service: &str,
        version: Version,
    ) -> Result<Self> {
        crate::checks::service_name(service)?;
        Ok(register(store, path.clone(), service.to_owned(), version))
    }

    /// This instance now holds `version` (and rejects nothing newer).
    pub fn took(&self, version: Version) {
        self.held.send_if_modified(|h| {
            let new = Held {
                version,
                rejected: None,
            };
            let changed = *h != new;
            *h = new;
            changed
        });
    }

    /// This instance did not take `version`, for these field errors.
    pub fn rejected(&self, version: Version, errors: Vec<String>) {
        self.held.send_if_modified(|h| {
            let new = Some(Rejected { version, errors });
            let changed = h.rejected != new;
            h.rejected = new;
            changed
        });
    }

    /// Removes the registration and waits until it is removed.
    pub async fn stop(self) {
        let Registration { held, task } = self;
        drop(held);
        let _ = task.await;
    }
}

/// Starts registering an instance of `service` following `path`, holding
/// `first` (the name is not checked: a [`crate::Live`] registers under the
/// manager's name as given). The registration is removed when the
/// [`Registration`] is dropped or stopped.
pub(crate) fn register(
    store: &Store,
    path: ConfigPath,
    service: String,
    first: Version,
) -> Registration {
    let (tx, mut rx) = watch::channel(Held {
        version: first,
        rejected: None,
    });
    let backend = std::sync::Arc::clone(store.read_once_backend());
    let host = host_name();
    let id = instance_id(&service, &host);
    let task = tokio::spawn(async move {
        let mut last: Option<Instant> = None;
        let mut warned = false;
        loop {
            if let Some(at) = last {
                tokio::time::sleep_until(at + MIN_INTERVAL).await;
            }
            let held = rx.borrow_and_update().clone();
            let now = SystemTime::now();
            let record = json!({
                "service": service,
                "host": host,
                "pid": std::process::id(),
                "version": held.version.to_string(),
                "rejected": held.rejected.as_ref().map(|r| json!({
                    "version": r.version.to_string(),
                    "errors": r.errors,
                })),
                "updated": humantime::format_rfc3339_millis(now).to_string(),
                "lease_until": humantime::format_rfc3339_millis(now + LEASE).to_string(),
            });
            let bytes = serde_json::to_vec(&record).unwrap_or_default();
            match backend.put_instance(&path, &id, &bytes).await {
                Ok(()) => warned = false,
                Err(e) if !warned => {
                    warned = true;
                    tracing::warn!(path = %path, error = %e, "cannot register this instance; `confo status` will not list it until it can");
                }
                Err(_) => {}
            }
            last = Some(Instant::now());
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep(HEARTBEAT) => {}
            }
        }
        if let Err(e) = backend.remove_instance(&path, &id).await {
            tracing::debug!(path = %path, error = %e, "could not remove this instance's registration; its lease runs out");
        }
    });
    Registration { held: tx, task }
}
