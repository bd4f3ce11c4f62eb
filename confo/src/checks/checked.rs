//! [`Checked`]: a backend whose writes are validated against the
//! published schemas before they are written.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::violations;
use crate::backend::{
    Backend, BatchWrite, Expect, Guard, Listing, Meta, MetaWrite, Versioned, Watch, WatchScope,
};
use crate::error::{Error, Result};
use crate::history::{self, Recording};
use crate::name::{ConfigName, ConfigPath, Namespace, Version};
use crate::store::Retrying;

/// How many times a write is checked again after the schemas changed
/// between its check and its write.
const CHECK_ATTEMPTS: u32 = 50;

/// How many schema documents read beside a value are kept for the write
/// that follows the read.
const SEEN_KEPT: usize = 32;

/// How reads of published schemas for a write are made concurrent.
const META_READS_AT_ONCE: usize = 32;

/// Whether writes are checked against the published schemas.
///
/// ```
/// assert_eq!(confo::WriteChecks::default(), confo::WriteChecks::Enforce);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WriteChecks {
    /// A value that breaks a published schema is refused
    /// ([`Error::SchemaRefused`]) and nothing is written.
    #[default]
    Enforce,
    /// The value is checked and written anyway; what it breaks is logged
    /// as a warning (`confo put --force`).
    Force,
}

/// A backend (a [`Retrying`] one) whose writes are checked against the
/// schemas the services reading each configuration published: a value
/// that breaks one is refused with [`Error::SchemaRefused`], listing every
/// rule it breaks and which service published it, and nothing is written.
/// The write and a check that the schemas are still the ones the value was
/// checked against go in one atomic step ([`Backend::write_guarded`]); if
/// a service published meanwhile, the value is checked again.
///
/// A read through it reads the configuration and its schemas together (on
/// ZooKeeper one multi-read, as fast as a plain read), so the write that
/// follows a read (`set`, `save_field`, `update`) needs no extra round trip
/// for the schemas; a blind write reads them first (one round trip more).
/// [`crate::Store::backend`] hands one out; everything else is forwarded.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use confo::backend::{Backend, Expect, MemoryBackend};
/// use confo::{Checked, Retrying, RetryPolicy, Schema, WriteChecks};
/// use serde_json::json;
///
/// let memory = Arc::new(MemoryBackend::new());
/// let path = "systemA/database".parse()?;
/// let schema = Schema::from_json(json!({"type": "object", "required": ["port"]}))?;
/// confo::publish_schema(&*memory, &path, "billing", &schema).await?;
///
/// let checked = Checked::new(Retrying::new(memory.clone(), RetryPolicy::none()), WriteChecks::Enforce);
/// let err = checked.write(&path, br#"{"host":"db"}"#, Expect::Any).await.unwrap_err();
/// assert_eq!(err.kind(), "SchemaRefused");
/// assert!(err.to_string().contains("port: missing; this field is required (billing)"), "{err}");
/// checked.write(&path, br#"{"port":5432}"#, Expect::Any).await?;
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Checked {
    inner: Retrying,
    checks: WriteChecks,
    recording: Recording,
    /// What a read saw beside a value, for the write that follows.
    seen: Stash,
    /// The entry numbers planned for writes under a given id (id, path,
    /// lowest number): what tells [`Backend::find_write`] whether the
    /// history still covers a write that found no entry.
    planned: Arc<Mutex<Vec<(String, ConfigPath, u64)>>>,
}

/// What a write needs to know of a configuration before it writes: its
/// value, its published schemas, its history.
#[derive(Debug, Clone, Default)]
struct Seen {
    value: Option<Versioned>,
    schemas: Option<Versioned>,
    history: Option<Versioned>,
}

/// What reads saw beside a value, kept for the write that follows.
type Stash = Arc<Mutex<Vec<(ConfigPath, Seen)>>>;

/// The metadata read with a value for a write.
const SEEN_METAS: [Meta; 2] = [Meta::Schemas, Meta::History];

impl Checked {
    /// `inner` with its writes checked as `checks` says, and recorded in
    /// each configuration's history ([`Recording::default`]).
    pub fn new(inner: Retrying, checks: WriteChecks) -> Self {
        Checked {
            inner,
            checks,
            recording: Recording::default(),
            seen: Arc::default(),
            planned: Arc::default(),
        }
    }

    /// The same backend checking as `checks` says.
    pub fn with_checks(mut self, checks: WriteChecks) -> Self {
        self.checks = checks;
        self
    }

    /// The same backend recording its writes as `recording` says.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use confo::backend::{Backend, Expect, MemoryBackend};
    /// use confo::{Checked, Recording, Retrying, RetryPolicy, WriteChecks};
    /// let memory = Arc::new(MemoryBackend::new());
    /// let recording = Recording { message: Some("first".into()), ..Recording::default() };
    /// let checked = Checked::new(Retrying::new(memory.clone(), RetryPolicy::none()), WriteChecks::Enforce)
    ///     .with_recording(recording);
    /// let path = "systemA/database".parse()?;
    /// checked.write(&path, b"{}", Expect::Absent).await?;
    /// let history = confo::read_history(&*memory, &path).await?;
    /// assert_eq!(history.entries[0].message.as_deref(), Some("first"));
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub fn with_recording(mut self, recording: Recording) -> Self {
        self.recording = recording;
        self
    }

    /// Whether writes are checked.
    pub fn checks(&self) -> WriteChecks {
        self.checks
    }

    /// How writes are recorded.
    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    /// The backend underneath, with its retry policy and no checks.
    pub fn retrying(&self) -> &Retrying {
        &self.inner
    }

    fn remember(&self, path: &ConfigPath, seen: Seen) {
        let mut stash = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        stash.retain(|(p, _)| p != path);
        if stash.len() >= SEEN_KEPT {
            stash.remove(0);
        }
        stash.push((path.clone(), seen));
    }

    /// What a read saw of `write`'s path, if it still holds for the write:
    /// a compare-and-set of another version was not read from it.
    fn take_seen(&self, write: &BatchWrite) -> Option<Seen> {
        let mut stash = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let at = stash.iter().position(|(p, _)| p == &write.path)?;
        let seen = stash.remove(at).1;
        let read = seen.value.as_ref().map(|v| v.version);
        match write.expect {
            Expect::Version(v) if read != Some(v) => None,
            Expect::Absent if read.is_some() => None,
            _ => Some(seen),
        }
    }

    /// Reads the value and the metadata of `path` a write needs, in one
    /// round trip where the store allows.
    async fn read_seen(inner: &Retrying, path: &ConfigPath) -> Result<Seen> {
        let (value, mut docs) = inner.read_with_metas(path, &SEEN_METAS).await?;
        let history = docs.pop().flatten();
        let schemas = docs.pop().flatten();
        Ok(Seen {
            value,
            schemas,
            history,
        })
    }

    /// What each write needs to know: the ones read beside a value, the
    /// others read now (concurrently).
    async fn seen(&self, writes: &[BatchWrite]) -> Result<Vec<Seen>> {
        let mut out: Vec<Option<Seen>> = writes.iter().map(|w| self.take_seen(w)).collect();
        let missing: Vec<usize> = (0..writes.len()).filter(|i| out[*i].is_none()).collect();
        if missing.len() == 1 {
            let i = missing[0];
            out[i] = Some(Self::read_seen(&self.inner, &writes[i].path).await?);
        } else {
            for batch in missing.chunks(META_READS_AT_ONCE) {
                let mut reads = tokio::task::JoinSet::new();
                for &i in batch {
                    let (inner, path) = (self.inner.clone(), writes[i].path.clone());
                    reads.spawn(async move { (i, Self::read_seen(&inner, &path).await) });
                }
                while let Some(done) = reads.join_next().await {
                    let (i, read) = done.map_err(|e| Error::Backend {
                        backend: self.describe().to_owned(),
                        op: "read",
                        path: format!("{} (schemas)", writes[0].path),
                        message: format!("the read of published schemas stopped: {e}"),
                    })?;
                    out[i] = Some(read?);
                }
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// Checks `bytes` for `path` against `doc`: `Err` when refused; with
    /// [`WriteChecks::Force`], what it breaks is logged instead.
    fn check(&self, path: &ConfigPath, bytes: &[u8], doc: Option<&Versioned>) -> Result<()> {
        let found = match violations(self.describe(), path, bytes, doc) {
            Ok(found) if found.is_empty() => return Ok(()),
            Ok(found) => Error::SchemaRefused {
                backend: self.describe().to_owned(),
                path: path.to_string(),
                violations: found,
            },
            Err(e) => e,
        };
        match self.checks {
            WriteChecks::Enforce => Err(found),
            WriteChecks::Force => {
                tracing::warn!(path = %path, backend = self.describe(), refusal = %found,
                    "writing anyway (forced): the checks against the published schemas were overridden");
                Ok(())
            }
        }
    }

    /// The author recorded: the one set, else the store's user, else the OS user.
    fn author(&self) -> String {
        self.recording
            .author
            .clone()
            .or_else(|| self.inner.user().map(str::to_owned))
            .unwrap_or_else(history::os_user)
    }

    /// Checks `writes`, records each in its history and writes them, all
    /// guarded in one atomic step; again from fresh reads when the schemas
    /// or the history changed in between. `ids` names the recorded writes
    /// (one per write), or fresh ids are made.
    async fn checked_write(
        &self,
        writes: &[BatchWrite],
        ids: Option<&[String]>,
    ) -> Result<Vec<Version>> {
        let recording = Recording {
            author: Some(self.author()),
            ..self.recording.clone()
        };
        let mut attempt = 0;
        // History slots found not as their head said: (path, slot).
        let mut flipped: Vec<(ConfigPath, u16)> = Vec::new();
        loop {
            attempt += 1;
            let seen = self.seen(writes).await?;
            if attempt > 1 {
                // A compare-and-set whose version is gone cannot go
                // through: say so (the caller reads again), rather than
                // check against metadata that keeps changing.
                for (w, s) in writes.iter().zip(&seen) {
                    if w.expect != Expect::Any {
                        w.expect.check(
                            self.describe(),
                            &w.path,
                            s.value.as_ref().map(|v| v.version),
                        )?;
                    }
                }
            }
            for (w, s) in writes.iter().zip(&seen) {
                self.check(&w.path, &w.bytes, s.schemas.as_ref())?;
            }
            let guards: Vec<Guard> = if self.checks == WriteChecks::Force {
                Vec::new()
            } else {
                writes
                    .iter()
                    .zip(&seen)
                    .map(|(w, s)| Guard {
                        path: w.path.clone(),
                        meta: Meta::Schemas,
                        expect: s
                            .schemas
                            .as_ref()
                            .map_or(Expect::Absent, |d| Expect::Version(d.version)),
                    })
                    .collect()
            };
            let (records, seqs) = self.records(writes, &seen, ids, &recording, &flipped);
            self.remember_planned(seqs);
            let written = if guards.is_empty() && records.is_empty() {
                self.inner.write_many(writes).await
            } else {
                self.inner.write_with_meta(writes, &guards, &records).await
            };
            match written {
                Err(Error::MetaChanged { path, meta, .. }) if attempt < CHECK_ATTEMPTS => {
                    if let Some(slot) = meta
                        .strip_prefix("history-")
                        .and_then(|n| n.parse::<u16>().ok())
                    {
                        if let Some(w) = writes.iter().find(|w| w.path.to_string() == path) {
                            let key = (w.path.clone(), slot);
                            match flipped.iter().position(|k| *k == key) {
                                Some(at) => {
                                    flipped.remove(at);
                                }
                                None => flipped.push(key),
                            }
                        }
                    }
                    tracing::debug!(path = %writes[0].path, attempt, "schemas or history changed while checking a write; checking again");
                    // Spread writers that keep meeting a little.
                    let jitter = u64::from(attempt) * 50 + u64::from(std::process::id() % 50);
                    tokio::time::sleep(std::time::Duration::from_micros(jitter)).await;
                }
                other => return other,
            }
        }
    }

    /// Keeps the lowest entry number planned for each named write (the
    /// last [`SEEN_KEPT`] ids).
    fn remember_planned(&self, seqs: Vec<(String, ConfigPath, u64)>) {
        let mut planned = self.planned.lock().unwrap_or_else(|e| e.into_inner());
        for (id, path, seq) in seqs {
            match planned.iter_mut().find(|(i, p, _)| *i == id && *p == path) {
                Some(known) => known.2 = known.2.min(seq),
                None => {
                    if planned.len() >= SEEN_KEPT {
                        planned.remove(0);
                    }
                    planned.push((id, path, seq));
                }
            }
        }
    }

    /// The lowest entry number planned for the write `id` of `path`.
    fn planned_seq(&self, path: &ConfigPath, id: &str) -> Option<u64> {
        let planned = self.planned.lock().unwrap_or_else(|e| e.into_inner());
        planned
            .iter()
            .find(|(i, p, _)| i == id && p == path)
            .map(|(_, _, seq)| *seq)
    }

    /// One checked, recorded write (under the write id `id`, or a fresh one).
    async fn write_one(
        &self,
        path: &ConfigPath,
        bytes: &[u8],
        expect: Expect,
        id: Option<&str>,
    ) -> Result<Version> {
        let write = BatchWrite {
            path: path.clone(),
            bytes: Arc::from(bytes),
            expect,
        };
        let ids = id.map(|id| [id.to_owned()]);
        let versions = self
            .checked_write(std::slice::from_ref(&write), ids.as_ref().map(|i| &i[..]))
            .await?;
        versions.first().copied().ok_or_else(|| Error::Backend {
            backend: self.describe().to_owned(),
            op: "write",
            path: path.to_string(),
            message: "the store answered no version for the write".into(),
        })
    }

    /// The history writes recording `writes`: one per configuration (the
    /// last write of a path in the batch is the one recorded over what was
    /// read, earlier ones of the same path are folded into it).
    ///
    /// Also returns the entry number planned for each named write.
    fn records(
        &self,
        writes: &[BatchWrite],
        seen: &[Seen],
        ids: Option<&[String]>,
        recording: &Recording,
        flipped: &[(ConfigPath, u16)],
    ) -> (Vec<MetaWrite>, Vec<(String, ConfigPath, u64)>) {
        let mut out: Vec<MetaWrite> = Vec::new();
        let mut seqs = Vec::new();
        if !self.inner.keeps_metadata() {
            return (out, seqs);
        }
        for (i, (w, s)) in writes.iter().zip(seen).enumerate().rev() {
            if out.iter().any(|m| m.path == w.path) {
                continue;
            }
            let (planned, seq) = history::plan(
                self.describe(),
                &w.path,
                s.value.as_ref(),
                s.history.as_ref(),
                &w.bytes,
                recording,
                ids.and_then(|ids| ids.get(i)).map(String::as_str),
                &flipped
                    .iter()
                    .filter(|(p, _)| p == &w.path)
                    .map(|(_, slot)| *slot)
                    .collect::<Vec<_>>(),
            );
            if let (Some(id), false) = (ids.and_then(|ids| ids.get(i)), planned.is_empty()) {
                seqs.push((id.clone(), w.path.clone(), seq));
            }
            out.extend(planned);
        }
        out.reverse();
        (out, seqs)
    }
}

#[async_trait]
impl Backend for Checked {
    fn describe(&self) -> &str {
        self.inner.describe()
    }

    fn max_value_bytes(&self) -> usize {
        self.inner.max_value_bytes()
    }

    fn user(&self) -> Option<&str> {
        self.inner.user()
    }

    fn keeps_metadata(&self) -> bool {
        self.inner.keeps_metadata()
    }

    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        self.inner.list_namespaces().await
    }

    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        self.inner.list_configs(namespace).await
    }

    async fn namespace_listing(&self) -> Result<Listing<Namespace>> {
        self.inner.namespace_listing().await
    }

    async fn config_listing(&self, namespace: &Namespace) -> Result<Listing<ConfigName>> {
        self.inner.config_listing(namespace).await
    }

    /// The value and, in the same round trip where the store allows, its
    /// published schemas, kept for the write that follows.
    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        let seen = Self::read_seen(&self.inner, path).await?;
        match seen.value.clone() {
            Some(value) => {
                self.remember(path, seen);
                Ok(value)
            }
            // Not there: the plain read says exactly why (no such
            // configuration, or no such namespace).
            None => self.inner.read(path).await,
        }
    }

    async fn read_latest(&self, path: &ConfigPath) -> Result<Versioned> {
        self.inner.read_latest(path).await
    }

    async fn read_many(&self, paths: &[ConfigPath]) -> Result<Vec<Option<Versioned>>> {
        self.inner.read_many(paths).await
    }

    async fn read_namespace(&self, namespace: &Namespace) -> Result<Vec<(ConfigName, Versioned)>> {
        self.inner.read_namespace(namespace).await
    }

    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        self.write_one(path, bytes, expect, None).await
    }

    async fn write_many(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        self.checked_write(writes, None).await
    }

    async fn read_meta(&self, path: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        self.inner.read_meta(path, meta).await
    }

    async fn write_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        self.inner.write_meta(path, meta, bytes, expect).await
    }

    async fn delete_meta(&self, path: &ConfigPath, meta: Meta, expect: Expect) -> Result<bool> {
        self.inner.delete_meta(path, meta, expect).await
    }

    /// Unchecked: the caller guards its writes itself.
    async fn write_guarded(&self, writes: &[BatchWrite], guards: &[Guard]) -> Result<Vec<Version>> {
        self.inner.write_guarded(writes, guards).await
    }

    /// Unchecked and unrecorded: the caller guards its writes itself.
    async fn write_with_meta(
        &self,
        writes: &[BatchWrite],
        guards: &[Guard],
        metas: &[MetaWrite],
    ) -> Result<Vec<Version>> {
        self.inner.write_with_meta(writes, guards, metas).await
    }

    async fn read_with_metas(
        &self,
        path: &ConfigPath,
        metas: &[Meta],
    ) -> Result<(Option<Versioned>, Vec<Option<Versioned>>)> {
        self.inner.read_with_metas(path, metas).await
    }

    /// Checked, and recorded under the write id `id`.
    async fn write_as(
        &self,
        path: &ConfigPath,
        bytes: &[u8],
        expect: Expect,
        id: &str,
    ) -> Result<Version> {
        self.write_one(path, bytes, expect, Some(id)).await
    }

    /// Looks the write up in the history this backend records.
    async fn find_write(&self, path: &ConfigPath, id: &str) -> Result<Option<bool>> {
        if self.recording.keep == 0 || !self.inner.keeps_metadata() {
            return Ok(None);
        }
        let found = history::read_history(&self.inner, path).await?;
        if found.entry_by_id(id).is_some() {
            return Ok(Some(true));
        }
        // Not there. That proves it did not land only if the history still
        // holds every entry from the number the write would have had: a
        // ring full of later writes may have replaced it.
        let Some(seq) = self.planned_seq(path, id) else {
            return Ok(None);
        };
        // The unbroken run of numbers down from the newest (slots left over
        // from a longer ring hold older, unconnected entries).
        let mut numbers: Vec<u64> = found.entries.iter().map(|e| e.seq).collect();
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        let newest = numbers.first().copied().unwrap_or(0);
        let mut oldest = numbers.first().copied();
        for pair in numbers.windows(2) {
            if pair[1] + 1 != pair[0] {
                break;
            }
            oldest = Some(pair[1]);
        }
        let covered =
            found.unreadable.is_empty() && oldest.is_none_or(|o| o <= seq) && newest + 1 >= seq;
        Ok(covered.then_some(false))
    }

    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        self.inner.create_namespace(namespace).await
    }

    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        self.inner.delete(path, expect).await
    }

    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        self.inner.delete_namespace(namespace, recursive).await
    }

    async fn put_instance(&self, path: &ConfigPath, id: &str, bytes: &[u8]) -> Result<()> {
        self.inner.put_instance(path, id, bytes).await
    }

    async fn remove_instance(&self, path: &ConfigPath, id: &str) -> Result<()> {
        self.inner.remove_instance(path, id).await
    }

    async fn list_instances(&self, path: &ConfigPath) -> Result<Vec<(String, Arc<[u8]>)>> {
        self.inner.list_instances(path).await
    }

    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        self.inner.watch(scope).await
    }
}
