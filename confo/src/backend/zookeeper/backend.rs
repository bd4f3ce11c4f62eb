//! [`Backend`] for [`ZooKeeper`]: reads (one multi-read for many), writes
//! with compare-and-set on the znode's version, batches as atomic
//! multi-requests, namespaces as znodes.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use zookeeper_client::{
    Client, CreateMode, Error as ZkError, MultiReadResult, MultiWriteError, MultiWriteResult, Stat,
};

use super::listings::{Children, Listed};
use super::meta::GuardFailed;
use super::{watch, ZooKeeper};
use crate::backend::{
    check_size, check_sizes, Backend, BatchWrite, Expect, Guard, Listing, Meta, MetaWrite, Skipped,
    Version, Versioned, Watch, WatchScope,
};
use crate::error::{Error, Result};
use crate::name::{ConfigName, ConfigPath, Namespace, ROOT};

/// How many times a write retries when others create or delete the same
/// nodes between its steps (each retry is caused by another client's
/// success, so this bounds a livelock, not ordinary contention).
pub(super) const MAX_ATTEMPTS: usize = 16;

/// Bytes of values one multi-request carries at most: ZooKeeper refuses
/// requests over 1 MiB (`jute.maxbuffer`), less room for paths and headers.
const MULTI_BYTES: usize = 1024 * 1024 - 64 * 1024;

/// Room each write of a multi-request takes besides its value (path, header).
const MULTI_OVERHEAD: usize = 600;

/// Children deleted per multi-request when deleting a namespace: a request
/// must stay under ZooKeeper's 1 MiB packet limit (names are <= 250 bytes).
const DELETE_BATCH: usize = 1000;

impl ZooKeeper {
    /// Creates an empty node unless it exists; its parent must exist.
    pub(super) async fn ensure_node(&self, client: &Client, znode: &str) -> Result<()> {
        match self.within(client.check_stat(znode)).await {
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {}
            Err(e) => return Err(self.error("check", znode, e)),
        }
        let create = CreateMode::Persistent.with_acls(self.acls());
        match self.within(client.create(znode, b"", &create)).await {
            Ok(_) | Err(ZkError::NodeExists) => Ok(()),
            Err(e) => Err(self.error("create", znode, e)),
        }
    }

    /// Creates a namespace node (and `/confo` if someone removed it);
    /// `Ok(false)` when it existed.
    pub(super) async fn make_namespace(
        &self,
        client: &Client,
        namespace: &Namespace,
    ) -> Result<bool> {
        let znode = namespace_znode(namespace);
        let create = CreateMode::Persistent.with_acls(self.acls());
        for _ in 0..MAX_ATTEMPTS {
            match self.within(client.create(&znode, b"", &create)).await {
                Ok(_) => return Ok(true),
                Err(ZkError::NodeExists) => return Ok(false),
                Err(ZkError::NoNode) => self.ensure_node(client, ROOT).await?,
                Err(e) => return Err(self.error("create", &znode, e)),
            }
        }
        Err(self.gave_up("create", &znode))
    }

    /// Creates the namespaces of `writes` that do not exist.
    async fn make_namespaces(&self, client: &Client, writes: &[BatchWrite]) -> Result<()> {
        let mut namespaces: Vec<&Namespace> = writes.iter().map(|w| w.path.namespace()).collect();
        namespaces.sort();
        namespaces.dedup();
        for ns in namespaces {
            self.make_namespace(client, ns).await?;
        }
        Ok(())
    }

    /// The version stored now, `None` when the node does not exist.
    pub(super) async fn current_version(
        &self,
        client: &Client,
        znode: &str,
    ) -> Result<Option<Version>> {
        self.within(client.check_stat(znode))
            .await
            .map(|stat| stat.map(|s| version_of(&s)))
            .map_err(|e| self.error("check", znode, e))
    }

    /// Builds the conflict error for `expect` with the version stored now.
    pub(super) async fn conflict_now(
        &self,
        client: &Client,
        path: &ConfigPath,
        expect: Expect,
    ) -> Result<Error> {
        let current = self.current_version(client, &path.znode()).await?;
        Ok(self.conflict(path, expect, current))
    }

    /// Creates the configuration node; `Ok(None)` when it already exists.
    pub(super) async fn create_config(
        &self,
        client: &Client,
        path: &ConfigPath,
        bytes: &[u8],
    ) -> Result<Option<Version>> {
        let znode = path.znode();
        let create = CreateMode::Persistent.with_acls(self.acls());
        for _ in 0..MAX_ATTEMPTS {
            match self.within(client.create(&znode, bytes, &create)).await {
                Ok((stat, _)) => return Ok(Some(version_of(&stat))),
                Err(ZkError::NodeExists) => return Ok(None),
                Err(ZkError::NoNode) => {
                    // The namespace is missing: create it (racing creators
                    // are fine) and try again.
                    self.make_namespace(client, path.namespace()).await?;
                }
                Err(e) => return Err(self.error("write", &znode, e)),
            }
        }
        Err(self.gave_up("create", &znode))
    }

    /// One atomic multi-request, in one round trip when the namespaces
    /// exist and every `Expect::Any` node does (the usual case): an
    /// `Expect::Any` write goes as a `set_data` of any version. When one
    /// turns out missing, every `Expect::Any` becomes the version read just
    /// before (or a create), so a racing writer makes the request fail and
    /// it is tried again; a create whose namespace is missing creates the
    /// namespaces first. At most [`MAX_ATTEMPTS`] requests.
    ///
    /// The ops of `guards`, then the metadata writes of `metas`, follow the
    /// writes in the same request.
    pub(super) async fn write_multi(
        &self,
        client: &Client,
        writes: &[BatchWrite],
        guards: &[&Guard],
        metas: &[&MetaWrite],
    ) -> Result<Vec<Version>> {
        // A metadata write fails as its guard would.
        let meta_guards: Vec<Guard> = metas.iter().map(|m| m.guard()).collect();
        let every_guard: Vec<&Guard> = guards.iter().copied().chain(&meta_guards).collect();
        let create = CreateMode::Persistent.with_acls(self.acls());
        // Whether `Expect::Any` is resolved to the version read (after a
        // missing node), rather than sent as "any version".
        let mut resolve_any = false;
        let mut namespaces_made = false;
        for _ in 0..MAX_ATTEMPTS {
            let mut expects = Vec::with_capacity(writes.len());
            for w in writes {
                expects.push(match w.expect {
                    Expect::Any if resolve_any => {
                        Expect::from_read(self.current_version(client, &w.path.znode()).await?)
                    }
                    other => other,
                });
            }
            let mut writer = client.new_multi_writer();
            for (w, expect) in writes.iter().zip(&expects) {
                let znode = w.path.znode();
                let added = match expect {
                    Expect::Absent => writer.add_create(&znode, &w.bytes, &create),
                    Expect::Version(v) => match zk_version(*v) {
                        Some(raw) => writer.add_set_data(&znode, &w.bytes, Some(raw)),
                        None => return Err(self.conflict_now(client, &w.path, w.expect).await?),
                    },
                    Expect::Any => writer.add_set_data(&znode, &w.bytes, None),
                };
                added.map_err(|e| self.error("write", &znode, e))?;
            }
            // Which guard each op after the writes belongs to.
            let mut guard_of_op: Vec<&Guard> = Vec::new();
            for guard in guards {
                for _ in 0..self.add_guard(&mut writer, guard)? {
                    guard_of_op.push(guard);
                }
            }
            for (m, guard) in metas.iter().zip(&meta_guards) {
                self.add_meta_write(&mut writer, m)?;
                guard_of_op.push(guard);
            }
            let result = tokio::time::timeout(self.op_timeout(), writer.commit())
                .await
                .unwrap_or(Err(MultiWriteError::RequestFailed {
                    source: ZkError::Timeout,
                }));
            match result {
                Ok(results) => {
                    return Ok(results
                        .iter()
                        .take(writes.len())
                        .map(|r| match r {
                            MultiWriteResult::SetData { stat } => version_of(stat),
                            // A created node is at version 0 (its stat may be
                            // invalid, ZOOKEEPER-4026).
                            _ => Version::from_raw(0),
                        })
                        .collect());
                }
                Err(MultiWriteError::OperationFailed { index, source })
                    if index >= writes.len() =>
                {
                    let Some(guard) = guard_of_op.get(index - writes.len()) else {
                        return Err(self.error("write", &writes[0].path.znode(), source));
                    };
                    match Self::guard_failed(guard, &source) {
                        GuardFailed::Changed => return Err(self.meta_changed(guard)),
                        GuardFailed::NoParent => {
                            self.ensure_meta_parents_of(client, &every_guard).await?
                        }
                    }
                }
                // A create under a namespace that does not exist yet: a
                // multi-request cannot create a parent on demand.
                Err(MultiWriteError::OperationFailed {
                    index,
                    source: ZkError::NoNode,
                }) if expects.get(index) == Some(&Expect::Absent) && !namespaces_made => {
                    self.make_namespaces(client, writes).await?;
                    namespaces_made = true;
                }
                Err(MultiWriteError::OperationFailed {
                    index,
                    source: ZkError::BadVersion | ZkError::NodeExists | ZkError::NoNode,
                }) => {
                    let failed = &writes[index.min(writes.len() - 1)];
                    if failed.expect != Expect::Any {
                        return Err(self
                            .conflict_now(client, &failed.path, failed.expect)
                            .await?);
                    }
                    // A last-writer-wins write found no node, or raced:
                    // read the versions and retry.
                    resolve_any = true;
                }
                Err(e) => {
                    let znode = writes[0].path.znode();
                    return Err(self.error("write", &znode, e.into()));
                }
            }
        }
        Err(self.gave_up("write", &writes[0].path.znode()))
    }

    /// The children of `namespace` and its node's stat; a namespace that
    /// does not exist forgets its kept listing and says so.
    async fn list_namespace(
        &self,
        client: &Client,
        namespace: &Namespace,
    ) -> Result<(Vec<String>, Stat)> {
        let ns_znode = namespace_znode(namespace);
        match self.within(client.get_children(&ns_znode)).await {
            Ok(listing) => Ok(listing),
            Err(ZkError::NoNode) => {
                self.inner.listings.forget(namespace);
                Err(self.namespace_missing(client, namespace).await)
            }
            Err(e) => Err(self.error("list", &ns_znode, e)),
        }
    }

    /// A namespace read from a listing of it (`children`, taken when its
    /// node's stat was `stat`): the configurations `known` already holds a
    /// read of come from there, the others from one multi-read. Keeps the
    /// listing for the next read.
    async fn read_listed(
        &self,
        client: &Client,
        namespace: &Namespace,
        children: Vec<String>,
        stat: &Stat,
        mut known: HashMap<ConfigName, Option<NodeRead>>,
    ) -> Result<Vec<(ConfigName, Versioned)>> {
        let prefix = format!("{namespace}/");
        let names = valid_names(children, &self.inner.describe, &prefix, |c| {
            ConfigName::new(c)
        })
        .names;
        let ns_znode = namespace_znode(namespace);
        let new: Vec<String> = names
            .iter()
            .filter(|name| !known.contains_key(*name))
            .map(|name| format!("{ns_znode}/{name}"))
            .collect();
        let mut new_reads = if new.is_empty() {
            Vec::new()
        } else {
            self.get_many(client, &new).await?
        }
        .into_iter();
        let reads: Vec<(ConfigName, Option<NodeRead>)> = names
            .iter()
            .map(|name| {
                let read = match known.remove(name) {
                    Some(read) => read,
                    None => new_reads.next().flatten(),
                };
                (name.clone(), read)
            })
            .collect();
        self.inner.listings.keep(
            namespace,
            Listed {
                children: Children::of(stat),
                names,
            },
        );
        Ok(present(reads.into_iter()))
    }

    /// One answer of a multi-read's `get_data` of `znode`: `None` when the
    /// node does not exist.
    fn data_of(&self, result: MultiReadResult, znode: &str) -> Result<Option<NodeRead>> {
        match result {
            MultiReadResult::Data { data, stat } => Ok(Some((data, stat))),
            MultiReadResult::Error {
                err: ZkError::NoNode,
            } => Ok(None),
            MultiReadResult::Error { err } => Err(self.error("read", znode, err)),
            other => Err(self.unexpected(znode, &format!("{other:?}"))),
        }
    }

    /// A multi-read answer that does not fit what was asked.
    fn unexpected(&self, znode: &str, answer: &str) -> Error {
        Error::Backend {
            backend: self.inner.describe.clone(),
            op: "read",
            path: znode.to_owned(),
            message: format!("unexpected multi-read answer: {answer}"),
        }
    }

    /// One multi-read of the data of `znodes`: `None` for each that does
    /// not exist; any other error of one of them fails the read.
    async fn get_many(&self, client: &Client, znodes: &[String]) -> Result<Vec<Option<NodeRead>>> {
        let mut reader = client.new_multi_reader();
        for znode in znodes {
            reader
                .add_get_data(znode)
                .map_err(|e| self.error("read", znode, e))?;
        }
        let results = self
            .within(reader.commit())
            .await
            .map_err(|e| self.error("read", &format!("{ROOT} ({} nodes)", znodes.len()), e))?;
        if results.len() != znodes.len() {
            let count = format!("{ROOT} ({} nodes)", znodes.len());
            let answer = format!("{} results for {} reads", results.len(), znodes.len());
            return Err(self.unexpected(&count, &answer));
        }
        results
            .into_iter()
            .zip(znodes)
            .map(|(result, znode)| self.data_of(result, znode))
            .collect()
    }

    pub(super) async fn list_children_of(
        &self,
        client: &Client,
        znode: &str,
    ) -> Result<Option<Vec<String>>, Error> {
        match self.within(client.list_children(znode)).await {
            Ok(children) => Ok(Some(children)),
            Err(ZkError::NoNode) => Ok(None),
            Err(e) => Err(self.error("list", znode, e)),
        }
    }
}

/// One node's data and stat, as a read answers them.
type NodeRead = (Vec<u8>, Stat);

/// A configuration node's data and stat as confo reads them.
fn versioned((data, stat): NodeRead) -> Versioned {
    Versioned {
        bytes: normalize(data),
        version: version_of(&stat),
    }
}

/// The configurations of a namespace read that exist, with their names.
fn present(
    reads: impl Iterator<Item = (ConfigName, Option<NodeRead>)>,
) -> Vec<(ConfigName, Versioned)> {
    reads
        .filter_map(|(name, read)| read.map(|read| (name, versioned(read))))
        .collect()
}

fn namespace_znode(namespace: &Namespace) -> String {
    format!("{ROOT}/{namespace}")
}

/// `stat.version` (never negative) as an opaque [`Version`].
pub(super) fn version_of(stat: &Stat) -> Version {
    Version::from_raw(u64::from(stat.version as u32))
}

/// The `stat.version` a [`Version`] stands for; `None` for one no znode can have.
pub(super) fn zk_version(version: Version) -> Option<i32> {
    i32::try_from(version.raw()).ok()
}

/// Bytes as confo reads them: an empty or all-whitespace node is `{}`.
pub(super) fn normalize(data: Vec<u8>) -> Arc<[u8]> {
    if data.iter().all(u8::is_ascii_whitespace) {
        Arc::from(&b"{}"[..])
    } else {
        Arc::from(data)
    }
}

/// The children confo can use as names, and the others as skipped entries
/// (named `prefix` + child).
fn valid_names<T>(
    children: Vec<String>,
    backend: &str,
    prefix: &str,
    parse: impl Fn(&str) -> Result<T>,
) -> Listing<T>
where
    T: Ord,
{
    let mut out = Listing::whole(Vec::new());
    for child in &children {
        match parse(child) {
            Ok(name) => out.names.push(name),
            Err(e) => {
                tracing::warn!(backend, error = %e, "skipping a znode whose name confo cannot use");
                out.skipped.push(Skipped {
                    entry: format!("{prefix}{child}"),
                    reason: e.to_string(),
                });
            }
        }
    }
    out.names.sort();
    out.skipped.sort_by(|a, b| a.entry.cmp(&b.entry));
    out
}

#[async_trait]
impl Backend for ZooKeeper {
    fn keeps_metadata(&self) -> bool {
        true
    }

    fn describe(&self) -> &str {
        &self.inner.describe
    }

    fn user(&self) -> Option<&str> {
        self.inner.options.user()
    }

    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        Ok(self.namespace_listing().await?.names)
    }

    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        Ok(self.config_listing(namespace).await?.names)
    }

    async fn namespace_listing(&self) -> Result<Listing<Namespace>> {
        let client = self.client().await?;
        let children = self
            .list_children_of(&client, ROOT)
            .await?
            .unwrap_or_default();
        Ok(valid_names(children, &self.inner.describe, "", |c| {
            Namespace::new(c)
        }))
    }

    async fn config_listing(&self, namespace: &Namespace) -> Result<Listing<ConfigName>> {
        let client = self.client().await?;
        let znode = namespace_znode(namespace);
        let prefix = format!("{namespace}/");
        match self.list_children_of(&client, &znode).await? {
            Some(children) => Ok(valid_names(children, &self.inner.describe, &prefix, |c| {
                ConfigName::new(c)
            })),
            None => Err(self.namespace_missing(&client, namespace).await),
        }
    }

    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        let client = self.client().await?;
        let znode = path.znode();
        match self.within(client.get_data(&znode)).await {
            Ok((data, stat)) => Ok(Versioned {
                bytes: normalize(data),
                version: version_of(&stat),
            }),
            Err(ZkError::NoNode) => Err(self.not_found(path)),
            Err(e) => Err(self.error("read", &znode, e)),
        }
    }

    /// `sync` on the znode, then a read, on the server the session is on
    /// now: the read sees every write the leader committed before the sync.
    async fn read_latest(&self, path: &ConfigPath) -> Result<Versioned> {
        let client = self.client().await?;
        let znode = path.znode();
        self.within(client.sync(&znode))
            .await
            .map_err(|e| self.error("sync", &znode, e))?;
        self.read(path).await
    }

    /// One multi-read request for all `paths`.
    async fn read_many(&self, paths: &[ConfigPath]) -> Result<Vec<Option<Versioned>>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let znodes: Vec<String> = paths.iter().map(ConfigPath::znode).collect();
        Ok(self
            .get_many(&client, &znodes)
            .await?
            .into_iter()
            .map(|read| read.map(versioned))
            .collect())
    }

    /// With the namespace's last listing kept (`listings.rs`): one
    /// multi-read of the namespace node's stat and the configurations
    /// listed. When the node's children are as they were when listed, that
    /// is the answer; otherwise the namespace is listed again and the
    /// configurations the multi-read holds no value for take one more
    /// multi-read (all of them, if the children changed again in between).
    /// The first read of a namespace lists, then reads.
    async fn read_namespace(&self, namespace: &Namespace) -> Result<Vec<(ConfigName, Versioned)>> {
        let client = self.client().await?;
        let ns_znode = namespace_znode(namespace);
        let Some(listed) = self.inner.listings.get(namespace) else {
            let (children, stat) = self.list_namespace(&client, namespace).await?;
            return self
                .read_listed(&client, namespace, children, &stat, HashMap::new())
                .await;
        };
        let mut reader = client.new_multi_reader();
        let znodes: Vec<String> = listed
            .names
            .iter()
            .map(|name| format!("{ns_znode}/{name}"))
            .collect();
        // The node's stat, then the values listed: when the stat's counters
        // are the kept ones, no child was added or removed since the listing.
        reader
            .add_get_data(&ns_znode)
            .map_err(|e| self.error("read", &ns_znode, e))?;
        for znode in &znodes {
            reader
                .add_get_data(znode)
                .map_err(|e| self.error("read", znode, e))?;
        }
        let count = format!("{ns_znode} ({} nodes)", znodes.len() + 1);
        let mut results = self
            .within(reader.commit())
            .await
            .map_err(|e| self.error("read", &count, e))?
            .into_iter();
        let stat = match results.next() {
            Some(MultiReadResult::Data { stat, .. }) => stat,
            Some(MultiReadResult::Error {
                err: ZkError::NoNode,
            }) => {
                self.inner.listings.forget(namespace);
                return Err(self.namespace_missing(&client, namespace).await);
            }
            Some(MultiReadResult::Error { err }) => {
                return Err(self.error("read", &ns_znode, err));
            }
            other => return Err(self.unexpected(&ns_znode, &format!("{other:?}"))),
        };
        let reads = results
            .zip(&znodes)
            .map(|(result, znode)| self.data_of(result, znode))
            .collect::<Result<Vec<_>>>()?;
        if reads.len() != znodes.len() {
            return Err(self.unexpected(&count, "fewer results than reads"));
        }
        if Children::of(&stat) == listed.children {
            return Ok(present(listed.names.iter().cloned().zip(reads)));
        }
        // Children added or removed: list again; the values just read stand
        // for the names still listed, the new ones take one more read. They
        // stand only if no child came or went between them and the listing
        // (a namespace made again in between has other nodes): then every
        // name listed was present when they were read.
        let (children, listing_stat) = self.list_namespace(&client, namespace).await?;
        let known = if Children::of(&listing_stat) == Children::of(&stat) {
            listed.names.iter().cloned().zip(reads).collect()
        } else {
            HashMap::new()
        };
        self.read_listed(&client, namespace, children, &listing_stat, known)
            .await
    }

    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        check_size(self, path, bytes)?;
        let client = self.client().await?;
        let znode = path.znode();
        for _ in 0..MAX_ATTEMPTS {
            match expect {
                Expect::Absent => match self.create_config(&client, path, bytes).await? {
                    Some(version) => return Ok(version),
                    None => {
                        let current = self.current_version(&client, &znode).await?;
                        if current.is_some() {
                            return Err(self.conflict(path, expect, current));
                        }
                        // Deleted again meanwhile: try to create once more.
                    }
                },
                Expect::Any => match self.within(client.set_data(&znode, bytes, None)).await {
                    Ok(stat) => return Ok(version_of(&stat)),
                    Err(ZkError::NoNode) => {
                        if let Some(version) = self.create_config(&client, path, bytes).await? {
                            return Ok(version);
                        }
                        // Created by someone else meanwhile: overwrite it.
                    }
                    Err(e) => return Err(self.error("write", &znode, e)),
                },
                Expect::Version(expected) => {
                    let Some(raw) = zk_version(expected) else {
                        return Err(self.conflict_now(&client, path, expect).await?);
                    };
                    return match self.within(client.set_data(&znode, bytes, Some(raw))).await {
                        Ok(stat) => Ok(version_of(&stat)),
                        Err(ZkError::BadVersion) => {
                            Err(self.conflict_now(&client, path, expect).await?)
                        }
                        Err(ZkError::NoNode) => Err(self.conflict(path, expect, None)),
                        Err(e) => Err(self.error("write", &znode, e)),
                    };
                }
            }
        }
        Err(self.gave_up("write", &znode))
    }

    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        let client = self.client().await?;
        self.make_namespace(&client, namespace).await
    }

    /// Each run of writes that fits one request is one atomic multi-request.
    async fn write_many(&self, writes: &[BatchWrite]) -> Result<Vec<Version>> {
        self.write_guarded(writes, &[]).await
    }

    /// As `write_many`, each guard in the request of the write of its path
    /// (a guard of a path not written goes with the first request).
    async fn write_guarded(&self, writes: &[BatchWrite], guards: &[Guard]) -> Result<Vec<Version>> {
        self.write_with_meta(writes, guards, &[]).await
    }

    /// As `write_guarded`, each metadata write in the request of the write
    /// of its path (one of a path not written goes with the first request).
    async fn write_with_meta(
        &self,
        writes: &[BatchWrite],
        guards: &[Guard],
        metas: &[MetaWrite],
    ) -> Result<Vec<Version>> {
        check_sizes(self, writes, metas)?;
        let meta_bytes = |path: &ConfigPath| -> usize {
            metas
                .iter()
                .filter(|m| &m.path == path)
                .map(|m| m.bytes.len() + MULTI_OVERHEAD)
                .sum()
        };
        let client = self.client().await?;
        let mut versions = Vec::with_capacity(writes.len());
        let mut start = 0;
        while start < writes.len() {
            // As many writes as fit one request, at least one.
            let mut end = start;
            let mut size = 0;
            while end < writes.len() {
                let cost = writes[end].bytes.len() + MULTI_OVERHEAD + meta_bytes(&writes[end].path);
                if end > start && size + cost > MULTI_BYTES {
                    break;
                }
                size += cost;
                end += 1;
            }
            let chunk = &writes[start..end];
            let chunk_guards: Vec<&Guard> = guards
                .iter()
                .filter(|g| {
                    chunk.iter().any(|w| w.path == g.path)
                        || (start == 0 && !writes.iter().any(|w| w.path == g.path))
                })
                .collect();
            // A metadata write goes with the last write of its path.
            let chunk_metas: Vec<&MetaWrite> = metas
                .iter()
                .filter(|m| match writes.iter().rposition(|w| w.path == m.path) {
                    Some(last) => (start..end).contains(&last),
                    None => start == 0,
                })
                .collect();
            versions.extend(
                self.write_multi(&client, chunk, &chunk_guards, &chunk_metas)
                    .await?,
            );
            start = end;
        }
        Ok(versions)
    }

    async fn read_meta(&self, path: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        self.read_meta_node(path, meta).await
    }

    /// One multi-read of every node.
    async fn read_with_metas(
        &self,
        path: &ConfigPath,
        metas: &[Meta],
    ) -> Result<(Option<Versioned>, Vec<Option<Versioned>>)> {
        self.read_config_and_metas(path, metas).await
    }

    async fn write_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        check_size(self, path, bytes)?;
        self.write_meta_node(path, meta, bytes, expect).await
    }

    async fn delete_meta(&self, path: &ConfigPath, meta: Meta, expect: Expect) -> Result<bool> {
        self.delete_meta_node(path, meta, expect).await
    }

    async fn put_instance(&self, path: &ConfigPath, id: &str, bytes: &[u8]) -> Result<()> {
        check_size(self, path, bytes)?;
        self.put_instance_node(path, id, bytes).await
    }

    async fn remove_instance(&self, path: &ConfigPath, id: &str) -> Result<()> {
        self.remove_instance_node(path, id).await
    }

    async fn list_instances(&self, path: &ConfigPath) -> Result<Vec<(String, Arc<[u8]>)>> {
        self.list_instance_nodes(path).await
    }

    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        let client = self.client().await?;
        let znode = path.znode();
        let version = match expect {
            Expect::Any => None,
            Expect::Version(v) => match zk_version(v) {
                Some(raw) => Some(raw),
                None => {
                    return match self.current_version(&client, &znode).await? {
                        None => Err(self.not_found(path)),
                        current => Err(self.conflict(path, expect, current)),
                    }
                }
            },
            Expect::Absent => {
                return match self.current_version(&client, &znode).await? {
                    None => Err(self.not_found(path)),
                    current => Err(self.conflict(path, expect, current)),
                }
            }
        };
        match self.within(client.delete(&znode, version)).await {
            Ok(()) => self.delete_config_meta(&client, path).await,
            Err(ZkError::NoNode) => Err(self.not_found(path)),
            Err(ZkError::BadVersion) => Err(self.conflict_now(&client, path, expect).await?),
            Err(e) => Err(self.error("delete", &znode, e)),
        }
    }

    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        let client = self.client().await?;
        let znode = namespace_znode(namespace);
        for _ in 0..MAX_ATTEMPTS {
            let Some(children) = self.list_children_of(&client, &znode).await? else {
                return Err(self.namespace_missing(&client, namespace).await);
            };
            if !recursive && !children.is_empty() {
                return Err(Error::NamespaceNotEmpty {
                    backend: self.inner.describe.clone(),
                    namespace: namespace.to_string(),
                    count: children.len(),
                });
            }
            // Children in batches, the last batch with the namespace itself,
            // each batch one atomic multi-request.
            let child_znodes: Vec<String> =
                children.iter().map(|c| format!("{znode}/{c}")).collect();
            let mut batches: Vec<&[String]> = child_znodes.chunks(DELETE_BATCH).collect();
            if batches.is_empty() {
                batches.push(&[]);
            }
            let last = batches.len() - 1;
            let mut raced = false;
            for (i, batch) in batches.into_iter().enumerate() {
                let mut writer = client.new_multi_writer();
                for child in batch {
                    writer
                        .add_delete(child, None)
                        .map_err(|e| self.error("delete", child, e))?;
                }
                if i == last {
                    writer
                        .add_delete(&znode, None)
                        .map_err(|e| self.error("delete", &znode, e))?;
                }
                let result = tokio::time::timeout(self.op_timeout(), writer.commit())
                    .await
                    .unwrap_or(Err(MultiWriteError::RequestFailed {
                        source: ZkError::Timeout,
                    }));
                match result {
                    Ok(_) => {}
                    // A configuration was added or removed meanwhile: list again.
                    Err(MultiWriteError::OperationFailed {
                        source: ZkError::NoNode | ZkError::NotEmpty,
                        ..
                    }) => {
                        raced = true;
                        break;
                    }
                    Err(e) => return Err(self.error("delete", &znode, e.into())),
                }
            }
            if !raced {
                return self.delete_namespace_meta(&client, namespace).await;
            }
        }
        Err(self.gave_up("delete", &znode))
    }

    /// A persistent watch on the configuration's znode, or a recursive one
    /// on the namespace's; one per znode, shared (see `watch.rs`).
    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        watch::watch(self, &self.inner.hubs, scope).await
    }
}
