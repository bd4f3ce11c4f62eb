//! History: every write confo makes is recorded with the value it
//! replaced, in the same atomic step as the write, so any recorded version
//! can be shown, compared and rolled back to.
//!
//! The record of a configuration is a ring of entries beside it, one
//! metadata document per slot ([`Meta::HistorySlot`]), and a small head
//! ([`Meta::History`]: the next entry's number, the slots filled): on
//! ZooKeeper `/confo-meta/<ns>/<name>/history` and `history-<slot>`, with
//! the configuration's ACL (it holds its secrets); on the file backend
//! `.confo-meta/...`. A write carries its entry and the head in its own
//! multi-request (the file backend: under the tree's lock), so recording
//! costs one entry's bytes, however long the history. The Python package
//! never sees it and no watch wakes for it. Each entry holds the time, the
//! author (the ZooKeeper digest user, else the OS user), an optional
//! message, a unique write id, the keys that changed and the previous value
//! with its version. The last [`DEFAULT_KEEP`] entries are kept
//! ([`crate::Store::with_history_keep`], at most [`MAX_KEEP`]): entry `n`
//! goes to slot `(n - 1) % keep`, replacing the oldest; the newest is never
//! replaced.
//!
//! A write made by another client (Python confo, zkCli) is not recorded:
//! [`HistoryEntry::gap_before`] and [`History::gap_after`] say where one
//! happened.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use confo::{backend::{Backend, Expect}, Store};
//! let store = Store::new(std::sync::Arc::new(confo::backend::MemoryBackend::new()));
//! let path = "systemA/database".parse()?;
//! let v1 = store.backend().write(&path, br#"{"port":5432}"#, Expect::Absent).await?;
//! store.clone().with_message("move to 5433").backend().write(&path, br#"{"port":5433}"#, Expect::Version(v1)).await?;
//!
//! let history = store.history(&path).await?;
//! let last = history.entries.last().unwrap();
//! assert_eq!(last.message.as_deref(), Some("move to 5433"));
//! assert_eq!(last.changed, ["port"]);
//! assert_eq!(history.value_at(v1)?, br#"{"port":5432}"#);
//! # Ok::<(), confo::Error>(()) }).unwrap();
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::backend::{Backend, Expect, Meta, Versioned};

use crate::error::{Error, Result};
use crate::name::{ConfigPath, Version};

pub(crate) mod doc;
mod keys;
mod record;
mod secrets;

pub use keys::changed_keys;
pub(crate) use record::plan;
pub use record::MAX_KEEP;
pub use secrets::{redact_keys, secret_keys};

/// How many entries a configuration's history keeps unless told otherwise.
pub const DEFAULT_KEEP: usize = 100;

/// The recorded writes of one configuration, oldest first, and what is
/// stored now: what [`crate::Store::history`] returns.
#[derive(Clone)]
pub struct History {
    /// The configuration.
    pub path: ConfigPath,
    /// Where it is stored, for messages.
    pub backend: String,
    /// The recorded writes, oldest first.
    pub entries: Vec<HistoryEntry>,
    /// What is stored now; `None` when the configuration does not exist.
    pub current: Option<Versioned>,
    /// Whether the value stored now was not written by the last recorded
    /// write (another client wrote since, or deleted it).
    pub gap_after: bool,
    /// Entries that could not be read (skipped, with why).
    pub unreadable: Vec<String>,
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History")
            .field("path", &self.path.to_string())
            .field("entries", &self.entries)
            .field("current", &self.current)
            .field("gap_after", &self.gap_after)
            .finish_non_exhaustive()
    }
}

/// One recorded write.
#[derive(Clone)]
pub struct HistoryEntry {
    /// Its number in this configuration's history: 1, 2, 3, ... (never reused).
    pub seq: u64,
    /// The write's unique id.
    pub id: String,
    /// When it was written.
    pub time: SystemTime,
    /// Who wrote it: the ZooKeeper digest user, else the OS user.
    pub author: String,
    /// Why, if the writer said (`confo set -m`, [`crate::Store::with_message`]).
    pub message: Option<String>,
    /// The keys it changed, dotted (`pool.size`); empty for the whole value
    /// when either side is not a JSON object.
    pub changed: Vec<String>,
    /// The value it replaced; `None` when it created the configuration.
    pub previous: Option<Previous>,
    /// The version it wrote, when known: the version the next recorded write
    /// replaced, or the one stored now.
    pub version: Option<Version>,
    /// Whether another client wrote between the recorded write before this
    /// one and this one.
    pub gap_before: bool,
    pub(crate) digest: u64,
}

impl fmt::Debug for HistoryEntry {
    // The previous value may hold secrets: never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryEntry")
            .field("seq", &self.seq)
            .field("id", &self.id)
            .field("time", &format_args!("{}", doc::rfc3339(self.time)))
            .field("author", &self.author)
            .field("message", &self.message)
            .field("changed", &self.changed)
            .field("previous", &self.previous)
            .field("version", &self.version)
            .field("gap_before", &self.gap_before)
            .finish()
    }
}

/// The value a recorded write replaced.
#[derive(Clone)]
pub struct Previous {
    /// Its version.
    pub version: Version,
    /// Its bytes; `None` when too large to keep beside the new value.
    pub bytes: Option<Arc<[u8]>>,
    pub(crate) digest: u64,
}

impl fmt::Debug for Previous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Previous")
            .field("version", &self.version)
            .field(
                "bytes",
                &match &self.bytes {
                    Some(b) => format!("<{} bytes>", b.len()),
                    None => "<not kept>".to_owned(),
                },
            )
            .finish()
    }
}

impl History {
    /// The versions this history can show, newest first: the one stored
    /// now, then each one a recorded write replaced.
    pub fn versions(&self) -> Vec<Version> {
        let mut out: Vec<Version> = self.current.iter().map(|c| c.version).collect();
        for e in self.entries.iter().rev() {
            if let Some(p) = &e.previous {
                if !out.contains(&p.version) {
                    out.push(p.version);
                }
            }
        }
        out
    }

    /// The value the configuration had at `version`: the one stored now, or
    /// the one a recorded write replaced.
    ///
    /// # Errors
    ///
    /// [`Error::VersionNotRecorded`] when the history does not hold it
    /// (pruned, written by another client, or never a version of this
    /// configuration), or held it without its bytes (too large to keep).
    pub fn value_at(&self, version: Version) -> Result<&[u8]> {
        if let Some(current) = self.current.as_ref().filter(|c| c.version == version) {
            return Ok(&current.bytes);
        }
        let found = self
            .entries
            .iter()
            .rev()
            .filter_map(|e| e.previous.as_ref())
            .find(|p| p.version == version);
        match found {
            Some(Previous {
                bytes: Some(bytes), ..
            }) => Ok(bytes),
            Some(_) => {
                Err(self.not_recorded(version, "its value was too large to keep in the history"))
            }
            None => Err(self.not_recorded(
                version,
                "it was pruned (a history keeps the newest writes), written by another client, or \
                 never a version of this configuration",
            )),
        }
    }

    fn not_recorded(&self, version: Version, why: &str) -> Error {
        let known: Vec<String> = self.versions().iter().map(|v| v.to_string()).collect();
        Error::VersionNotRecorded {
            backend: self.backend.clone(),
            path: self.path.to_string(),
            version,
            reason: format!(
                "{why}; the versions it holds are {} (`confo history {}` lists them)",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
                self.path
            ),
        }
    }

    /// The recorded write with this id, if the history holds it.
    pub fn entry_by_id(&self, id: &str) -> Option<&HistoryEntry> {
        self.entries.iter().find(|e| e.id == id)
    }
}

/// Reads the history of `path` with its current value: the head with the
/// value, then every slot with the value again (two round trips on
/// ZooKeeper, each one multi-read). A configuration with no recorded write
/// has an empty history.
///
/// # Errors
///
/// A head that is not one (entries that cannot be read are skipped and
/// listed in [`History::unreadable`]); the store's errors.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// let store = MemoryBackend::new();
/// let path = "systemA/database".parse()?;
/// store.write(&path, b"{}", Expect::Absent).await?; // not through a Store: not recorded
/// let history = confo::read_history(&store, &path).await?;
/// assert!(history.entries.is_empty());
/// assert!(history.current.is_some());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn read_history(backend: &dyn Backend, path: &ConfigPath) -> Result<History> {
    let ring = read_ring(backend, path).await?;
    let mut entries = Vec::with_capacity(ring.slots.len());
    let mut unreadable = Vec::new();
    for (slot, d) in &ring.slots {
        match doc::parse_entry(&d.bytes) {
            Some(e) => entries.push(e),
            None => unreadable.push(format!("{slot} is not a history entry")),
        }
    }
    Ok(assemble(
        backend.describe(),
        path,
        entries,
        unreadable,
        ring.current,
    ))
}

/// The stored documents of a history, and the value stored now.
struct Ring {
    current: Option<Versioned>,
    /// The head; `None` when there is no history.
    head: Option<Versioned>,
    /// The slots the head says are filled, those there.
    slots: Vec<(Meta, Versioned)>,
}

/// Reads the value with the head, then (when there is a head) the value
/// again with the slots it names: one multi-read each on ZooKeeper.
async fn read_ring(backend: &dyn Backend, path: &ConfigPath) -> Result<Ring> {
    let (current, mut docs) = backend.read_with_metas(path, &[Meta::History]).await?;
    let Some(head) = docs.pop().flatten() else {
        return Ok(Ring {
            current,
            head: None,
            slots: Vec::new(),
        });
    };
    let parsed = doc::parse_head(backend.describe(), path, &head.bytes)?;
    let metas: Vec<Meta> = (0..parsed.filled).map(Meta::HistorySlot).collect();
    let (current, docs) = backend.read_with_metas(path, &metas).await?;
    let slots = metas
        .into_iter()
        .zip(docs)
        .filter_map(|(m, d)| d.map(|d| (m, d)))
        .collect();
    Ok(Ring {
        current,
        head: Some(head),
        slots,
    })
}

/// Copies the history of `path` from `from` to `to`, replacing `to`'s;
/// `Ok(false)` when `from` has none. The head is checked before anything
/// is written: a corrupt one is not carried over. What `confo export
/// --with-history` and `import --with-history` do.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// let a = confo::Store::new(std::sync::Arc::new(MemoryBackend::new()));
/// let b = MemoryBackend::new();
/// let path = "systemA/database".parse()?;
/// a.backend().write(&path, b"{}", Expect::Absent).await?;
/// assert!(confo::copy_history(a.backend(), &b, &path).await?);
/// assert_eq!(confo::read_history(&b, &path).await?.entries.len(), 1);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn copy_history(from: &dyn Backend, to: &dyn Backend, path: &ConfigPath) -> Result<bool> {
    let Ring {
        head: Some(head),
        slots,
        ..
    } = read_ring(from, path).await?
    else {
        return Ok(false);
    };
    clear_history(to, path).await?;
    // The slots first, the head last: a head never names a slot not there.
    for (meta, d) in &slots {
        to.write_meta(path, *meta, &d.bytes, Expect::Any).await?;
    }
    to.write_meta(path, Meta::History, &head.bytes, Expect::Any)
        .await?;
    Ok(true)
}

/// Removes the history of `path` (the configuration stays); `Ok(false)`
/// when it had none. What `confo history --clear` does.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// let store = confo::Store::new(std::sync::Arc::new(MemoryBackend::new()));
/// let path = "systemA/database".parse()?;
/// store.backend().write(&path, b"{}", Expect::Absent).await?;
/// assert!(confo::clear_history(store.backend(), &path).await?);
/// assert!(store.history(&path).await?.entries.is_empty());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn clear_history(backend: &dyn Backend, path: &ConfigPath) -> Result<bool> {
    let Some(head) = backend.read_meta(path, Meta::History).await? else {
        return Ok(false);
    };
    // The head first: a history without one is empty, whatever slots remain.
    backend
        .delete_meta(path, Meta::History, Expect::Any)
        .await?;
    let filled = doc::parse_head(backend.describe(), path, &head.bytes)
        .map(|h| h.filled)
        .unwrap_or(record::MAX_KEEP as u16);
    for slot in 0..filled {
        backend
            .delete_meta(path, Meta::HistorySlot(slot), Expect::Any)
            .await?;
    }
    Ok(true)
}

/// Fills in each entry's version and the gaps, from the digests.
pub(crate) fn assemble(
    describe: &str,
    path: &ConfigPath,
    entries: Vec<HistoryEntry>,
    unreadable: Vec<String>,
    current: Option<Versioned>,
) -> History {
    let mut entries = entries;
    entries.sort_by_key(|e| e.seq);
    for i in 1..entries.len() {
        let (before, after) = entries.split_at_mut(i);
        let (last, next) = (&mut before[i - 1], &mut after[0]);
        match &next.previous {
            Some(p) if p.digest == last.digest => last.version = Some(p.version),
            _ => next.gap_before = true,
        }
    }
    let gap_after = match (entries.last_mut(), &current) {
        (Some(last), Some(c)) if doc::digest(&c.bytes) == last.digest => {
            last.version = Some(c.version);
            false
        }
        (Some(_), _) => true,
        (None, _) => false,
    };
    History {
        path: path.clone(),
        backend: describe.to_owned(),
        entries,
        current,
        gap_after,
        unreadable,
    }
}

/// Who, why and how much to keep: what a store's writes record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The author recorded; `None`: the backend's identity, else the OS user.
    pub author: Option<String>,
    /// The message recorded with each write.
    pub message: Option<String>,
    /// How many entries each history keeps; 0 records nothing.
    pub keep: usize,
}

impl Default for Recording {
    fn default() -> Self {
        Recording {
            author: None,
            message: None,
            keep: DEFAULT_KEEP,
        }
    }
}

/// The OS user running this process: `$USER` (`$LOGNAME`, `$USERNAME`),
/// else the name `/etc/passwd` gives the process's user id, else `uid N`.
pub(crate) fn os_user() -> String {
    if let Some(name) = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    {
        return name;
    }
    #[cfg(unix)]
    {
        let uid = rustix::process::getuid().as_raw();
        let from_passwd = std::fs::read_to_string("/etc/passwd")
            .ok()
            .and_then(|text| {
                text.lines().find_map(|line| {
                    let mut fields = line.split(':');
                    let name = fields.next()?;
                    let id: u32 = fields.nth(1)?.parse().ok()?;
                    (id == uid && !name.is_empty()).then(|| name.to_owned())
                })
            });
        from_passwd.unwrap_or_else(|| format!("uid {uid}"))
    }
    #[cfg(not(unix))]
    {
        "unknown".to_owned()
    }
}

/// 64 random bits (std's per-process random hash keys, fresh each call).
pub(crate) fn random_bits() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// A write id unique across hosts, processes and time: random bits, the
/// process, the time and a counter.
pub(crate) fn write_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let random = random_bits();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{random:016x}-{:x}-{nanos:x}-{n:x}", std::process::id())
}
