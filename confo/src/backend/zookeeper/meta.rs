//! ZooKeeper's metadata: `/confo-meta/<namespace>/<name>/<meta>`, beside
//! `/confo` (which the Python package lists and confo watches), created with
//! the same ACL as the configurations.
//!
//! A guard goes into the multi-request of the write it covers: a version
//! becomes a `check`; "there is none" becomes a `create` and a `delete` of
//! the node (the create fails if someone published meanwhile, and the
//! delete undoes it in the same transaction).

use zookeeper_client::{Client, CreateMode, Error as ZkError, MultiReadResult, MultiWriter};

use super::backend::{version_of, zk_version, MAX_ATTEMPTS};
use super::ZooKeeper;
use crate::backend::{Expect, Guard, Meta, MetaWrite, Version, Versioned, META_ROOT};
use crate::error::{Error, Result};
use crate::name::{ConfigPath, Namespace};

/// The node of one metadata document.
pub(super) fn meta_znode(path: &ConfigPath, meta: Meta) -> String {
    format!("{}/{}", config_meta_znode(path), meta.name())
}

/// The node holding every metadata document of `path`.
fn config_meta_znode(path: &ConfigPath) -> String {
    format!("{META_ROOT}/{}/{}", path.namespace(), path.name())
}

/// The node holding the registered instances of `path`.
fn instances_znode(path: &ConfigPath) -> String {
    format!("{}/instances", config_meta_znode(path))
}

fn namespace_meta_znode(namespace: &Namespace) -> String {
    format!("{META_ROOT}/{namespace}")
}

/// What a guard's ops in a multi-request look like when they fail.
pub(super) enum GuardFailed {
    /// The document changed (or appeared): the guard no longer holds.
    Changed,
    /// The nodes above the document are missing: create them and retry.
    NoParent,
}

impl ZooKeeper {
    /// Creates `/confo-meta/<ns>/<name>` and the nodes above it, as needed.
    pub(super) async fn ensure_meta_parents(
        &self,
        client: &Client,
        path: &ConfigPath,
    ) -> Result<()> {
        self.ensure_node(client, META_ROOT).await?;
        self.ensure_node(client, &namespace_meta_znode(path.namespace()))
            .await?;
        self.ensure_node(client, &config_meta_znode(path)).await
    }

    /// Creates the nodes above the documents of every "there is none"
    /// guard of `guards` that lacks them, in a few round trips whatever
    /// their number: one multi-read finds the missing ones, one
    /// multi-request creates them (a batch import's first checked write
    /// would otherwise pay a round trip per configuration).
    pub(super) async fn ensure_meta_parents_of(
        &self,
        client: &Client,
        guards: &[&Guard],
    ) -> Result<()> {
        let absent: Vec<&Guard> = guards
            .iter()
            .copied()
            .filter(|g| g.expect == Expect::Absent)
            .collect();
        if absent.is_empty() {
            return Ok(());
        }
        self.ensure_node(client, META_ROOT).await?;
        let mut namespaces: Vec<&Namespace> = absent.iter().map(|g| g.path.namespace()).collect();
        namespaces.sort();
        namespaces.dedup();
        for ns in namespaces {
            self.ensure_node(client, &namespace_meta_znode(ns)).await?;
        }
        let mut znodes: Vec<String> = absent.iter().map(|g| config_meta_znode(&g.path)).collect();
        znodes.sort();
        znodes.dedup();
        let mut reader = client.new_multi_reader();
        for znode in &znodes {
            reader
                .add_get_data(znode)
                .map_err(|e| self.error("check", znode, e))?;
        }
        let results = self
            .within(reader.commit())
            .await
            .map_err(|e| self.error("check", &znodes[0], e))?;
        let missing: Vec<&String> = znodes
            .iter()
            .zip(results)
            .filter(|(_, r)| {
                matches!(
                    r,
                    MultiReadResult::Error {
                        err: ZkError::NoNode
                    }
                )
            })
            .map(|(z, _)| z)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let create = CreateMode::Persistent.with_acls(self.acls());
        let mut writer = client.new_multi_writer();
        for znode in &missing {
            writer
                .add_create(znode, b"", &create)
                .map_err(|e| self.error("create", znode, e))?;
        }
        let created = tokio::time::timeout(self.op_timeout(), writer.commit()).await;
        match created {
            Ok(Ok(_)) => Ok(()),
            // Someone created one meanwhile (or the request failed): one
            // at a time, then, each with its own error.
            Ok(Err(_)) | Err(_) => {
                for znode in missing {
                    self.ensure_node(client, znode).await?;
                }
                Ok(())
            }
        }
    }

    /// Adds the ops that check `guard` to `writer`; returns how many it added.
    pub(super) fn add_guard(&self, writer: &mut MultiWriter<'_>, guard: &Guard) -> Result<usize> {
        let znode = meta_znode(&guard.path, guard.meta);
        let err = |e| self.error("check", &znode, e);
        match guard.expect {
            Expect::Any => Ok(0),
            Expect::Version(v) => match zk_version(v) {
                Some(raw) => writer
                    .add_check_version(&znode, raw)
                    .map(|_| 1)
                    .map_err(err),
                // No node has this version: the guard cannot hold; a check of
                // version -2 fails in the same way, inside the request.
                None => writer.add_check_version(&znode, -2).map(|_| 1).map_err(err),
            },
            Expect::Absent => {
                let create = CreateMode::Persistent.with_acls(self.acls());
                writer.add_create(&znode, b"", &create).map_err(err)?;
                writer.add_delete(&znode, None).map_err(err)?;
                Ok(2)
            }
        }
    }

    /// Adds the op of one metadata write to `writer`: a create for
    /// [`Expect::Absent`], else a `set_data` (of that version, or of any).
    pub(super) fn add_meta_write(&self, writer: &mut MultiWriter<'_>, m: &MetaWrite) -> Result<()> {
        let znode = meta_znode(&m.path, m.meta);
        let err = |e| self.error("write", &znode, e);
        match m.expect {
            Expect::Absent => {
                let create = CreateMode::Persistent.with_acls(self.acls());
                writer.add_create(&znode, &m.bytes, &create).map_err(err)
            }
            // No node has this version: a set of version -2 fails in the request.
            Expect::Version(v) => writer
                .add_set_data(&znode, &m.bytes, Some(zk_version(v).unwrap_or(-2)))
                .map_err(err),
            Expect::Any => writer.add_set_data(&znode, &m.bytes, None).map_err(err),
        }
    }

    /// What the failure of a guard's op `error` means.
    pub(super) fn guard_failed(guard: &Guard, error: &ZkError) -> GuardFailed {
        match (guard.expect, error) {
            (Expect::Absent, ZkError::NoNode) => GuardFailed::NoParent,
            _ => GuardFailed::Changed,
        }
    }

    pub(super) fn meta_changed(&self, guard: &Guard) -> Error {
        Error::MetaChanged {
            backend: self.inner.describe.clone(),
            path: guard.path.to_string(),
            meta: guard.meta.name().into_owned(),
        }
    }

    pub(super) async fn read_meta_node(
        &self,
        path: &ConfigPath,
        meta: Meta,
    ) -> Result<Option<Versioned>> {
        let client = self.client().await?;
        let znode = meta_znode(path, meta);
        match self.within(client.get_data(&znode)).await {
            Ok((data, stat)) => Ok(Some(Versioned {
                bytes: data.into(),
                version: version_of(&stat),
            })),
            Err(ZkError::NoNode) => Ok(None),
            Err(e) => Err(self.error("read", &znode, e)),
        }
    }

    /// The configuration and metadata documents, in one multi-read.
    pub(super) async fn read_config_and_metas(
        &self,
        path: &ConfigPath,
        metas: &[Meta],
    ) -> Result<(Option<Versioned>, Vec<Option<Versioned>>)> {
        let client = self.client().await?;
        let znodes: Vec<String> = std::iter::once(path.znode())
            .chain(metas.iter().map(|m| meta_znode(path, *m)))
            .collect();
        let mut reader = client.new_multi_reader();
        for znode in &znodes {
            reader
                .add_get_data(znode)
                .map_err(|e| self.error("read", znode, e))?;
        }
        let results = self
            .within(reader.commit())
            .await
            .map_err(|e| self.error("read", &znodes[0], e))?;
        let mut out = results
            .into_iter()
            .zip(&znodes)
            .map(|(result, znode)| match result {
                MultiReadResult::Data { data, stat } => Ok(Some((data, version_of(&stat)))),
                MultiReadResult::Error {
                    err: ZkError::NoNode,
                } => Ok(None),
                MultiReadResult::Error { err } => Err(self.error("read", znode, err)),
                other => Err(Error::Backend {
                    backend: self.inner.describe.clone(),
                    op: "read",
                    path: znode.clone(),
                    message: format!("unexpected multi-read answer {other:?}"),
                }),
            });
        let mut next = || {
            out.next()
                .unwrap_or_else(|| Err(self.short_answer(&znodes[0])))
        };
        let value = next()?.map(|(data, version)| Versioned {
            bytes: super::backend::normalize(data),
            version,
        });
        let mut docs = Vec::with_capacity(metas.len());
        for _ in metas {
            docs.push(next()?.map(|(data, version)| Versioned {
                bytes: data.into(),
                version,
            }));
        }
        Ok((value, docs))
    }

    fn short_answer(&self, znode: &str) -> Error {
        Error::Backend {
            backend: self.inner.describe.clone(),
            op: "read",
            path: znode.to_owned(),
            message: "ZooKeeper answered fewer results than reads".into(),
        }
    }

    pub(super) async fn write_meta_node(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        let client = self.client().await?;
        let znode = meta_znode(path, meta);
        let create = CreateMode::Persistent.with_acls(self.acls());
        let conflict = |current| Error::VersionConflict {
            backend: self.inner.describe.clone(),
            path: format!("{path} ({meta})"),
            expected: expect.to_string(),
            current,
        };
        for _ in 0..MAX_ATTEMPTS {
            let attempt = match expect {
                Expect::Version(v) => {
                    let Some(raw) = zk_version(v) else {
                        return Err(conflict(self.current_version(&client, &znode).await?));
                    };
                    self.within(client.set_data(&znode, bytes, Some(raw))).await
                }
                Expect::Any => self.within(client.set_data(&znode, bytes, None)).await,
                Expect::Absent => Err(ZkError::NoNode),
            };
            match attempt {
                Ok(stat) => return Ok(version_of(&stat)),
                Err(ZkError::BadVersion) => {
                    return Err(conflict(self.current_version(&client, &znode).await?))
                }
                Err(ZkError::NoNode) if matches!(expect, Expect::Version(_)) => {
                    return Err(conflict(None))
                }
                Err(ZkError::NoNode) => {}
                Err(e) => return Err(self.error("write", &znode, e)),
            }
            // Create it (Absent, or Any on a missing node).
            match self.within(client.create(&znode, bytes, &create)).await {
                Ok(_) => return Ok(Version::from_raw(0)),
                Err(ZkError::NodeExists) if expect == Expect::Absent => {
                    return Err(conflict(self.current_version(&client, &znode).await?))
                }
                Err(ZkError::NodeExists) => {} // created meanwhile: set it
                Err(ZkError::NoNode) => self.ensure_meta_parents(&client, path).await?,
                Err(e) => return Err(self.error("write", &znode, e)),
            }
        }
        Err(self.gave_up("write", &znode))
    }

    pub(super) async fn delete_meta_node(
        &self,
        path: &ConfigPath,
        meta: Meta,
        expect: Expect,
    ) -> Result<bool> {
        let client = self.client().await?;
        let znode = meta_znode(path, meta);
        let version = match expect {
            Expect::Any => None,
            Expect::Version(v) => zk_version(v).or(Some(-2)),
            Expect::Absent => {
                return match self.current_version(&client, &znode).await? {
                    None => Ok(false),
                    current => Err(Error::VersionConflict {
                        backend: self.inner.describe.clone(),
                        path: format!("{path} ({meta})"),
                        expected: expect.to_string(),
                        current,
                    }),
                }
            }
        };
        match self.within(client.delete(&znode, version)).await {
            Ok(()) => Ok(true),
            Err(ZkError::NoNode) => Ok(false),
            Err(ZkError::BadVersion) => Err(Error::VersionConflict {
                backend: self.inner.describe.clone(),
                path: format!("{path} ({meta})"),
                expected: expect.to_string(),
                current: self.current_version(&client, &znode).await?,
            }),
            Err(e) => Err(self.error("delete", &znode, e)),
        }
    }

    /// Creates or updates the ephemeral registration `id` of `path`
    /// (`/confo-meta/<ns>/<name>/instances/<id>`): gone when this session ends.
    pub(super) async fn put_instance_node(
        &self,
        path: &ConfigPath,
        id: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let client = self.client().await?;
        let parent = instances_znode(path);
        let znode = format!("{parent}/{id}");
        let ephemeral = CreateMode::Ephemeral.with_acls(self.acls());
        for _ in 0..MAX_ATTEMPTS {
            match self.within(client.set_data(&znode, bytes, None)).await {
                Ok(_) => return Ok(()),
                Err(ZkError::NoNode) => {}
                Err(e) => return Err(self.error("write", &znode, e)),
            }
            match self.within(client.create(&znode, bytes, &ephemeral)).await {
                Ok(_) => return Ok(()),
                Err(ZkError::NodeExists) => {} // made meanwhile: set it
                Err(ZkError::NoNode) => {
                    self.ensure_meta_parents(&client, path).await?;
                    self.ensure_node(&client, &parent).await?;
                }
                Err(e) => return Err(self.error("write", &znode, e)),
            }
        }
        Err(self.gave_up("write", &znode))
    }

    pub(super) async fn remove_instance_node(&self, path: &ConfigPath, id: &str) -> Result<()> {
        let client = self.client().await?;
        let znode = format!("{}/{id}", instances_znode(path));
        match self.within(client.delete(&znode, None)).await {
            Ok(()) | Err(ZkError::NoNode) => Ok(()),
            Err(e) => Err(self.error("delete", &znode, e)),
        }
    }

    /// Every registration of `path`: one listing and one multi-read.
    pub(super) async fn list_instance_nodes(
        &self,
        path: &ConfigPath,
    ) -> Result<Vec<(String, std::sync::Arc<[u8]>)>> {
        let client = self.client().await?;
        let parent = instances_znode(path);
        let Some(mut ids) = self.list_children_of(&client, &parent).await? else {
            return Ok(Vec::new());
        };
        ids.sort();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut reader = client.new_multi_reader();
        for id in &ids {
            let znode = format!("{parent}/{id}");
            reader
                .add_get_data(&znode)
                .map_err(|e| self.error("read", &znode, e))?;
        }
        let results = self
            .within(reader.commit())
            .await
            .map_err(|e| self.error("read", &parent, e))?;
        Ok(ids
            .into_iter()
            .zip(results)
            .filter_map(|(id, r)| match r {
                MultiReadResult::Data { data, .. } => Some((id, data.into())),
                // Gone meanwhile (its session ended), or unreadable: left out.
                _ => None,
            })
            .collect())
    }

    /// Deletes every metadata document of `path`, after the configuration.
    pub(super) async fn delete_config_meta(
        &self,
        client: &Client,
        path: &ConfigPath,
    ) -> Result<()> {
        // Documents, and the instances beneath `instances`.
        self.delete_subtree(client, &config_meta_znode(path), 2)
            .await
    }

    /// Deletes the metadata of every configuration of `namespace`.
    pub(super) async fn delete_namespace_meta(
        &self,
        client: &Client,
        namespace: &Namespace,
    ) -> Result<()> {
        self.delete_subtree(client, &namespace_meta_znode(namespace), 3)
            .await
    }

    /// Deletes `znode` and what is beneath it, at most `depth` levels
    /// (confo's metadata is never deeper); a missing node is nothing to do.
    async fn delete_subtree(&self, client: &Client, znode: &str, depth: usize) -> Result<()> {
        for _ in 0..MAX_ATTEMPTS {
            if depth > 0 {
                let Some(children) = self.list_children_of(client, znode).await? else {
                    return Ok(());
                };
                for child in children {
                    Box::pin(self.delete_subtree(client, &format!("{znode}/{child}"), depth - 1))
                        .await?;
                }
            }
            match self.within(client.delete(znode, None)).await {
                Ok(()) | Err(ZkError::NoNode) => return Ok(()),
                // A document was added meanwhile: list again.
                Err(ZkError::NotEmpty) => continue,
                Err(e) => return Err(self.error("delete", znode, e)),
            }
        }
        Err(self.gave_up("delete", znode))
    }
}
