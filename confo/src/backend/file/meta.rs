//! The file backend's metadata: `<root>/.confo-meta/<namespace>/<name>/<meta>.json`,
//! written like configurations (temporary file, fsync, rename) under the
//! tree's lock, read and written beneath the root only.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{version_of, Inner, EXT};
use crate::backend::regular_file::{self, Refused};
use crate::backend::{Expect, Meta, Version, Versioned, MAX_VALUE_BYTES, META_DIR};
use crate::error::{Error, Result};
use crate::name::{ConfigPath, Namespace};

/// The directory of a configuration's metadata that holds its registered instances.
const INSTANCES: &str = "instances";

impl Inner {
    /// The directory of `cfg`'s metadata, relative to the root.
    fn meta_dir_rel(cfg: &ConfigPath) -> PathBuf {
        Path::new(META_DIR)
            .join(cfg.namespace().as_str())
            .join(cfg.name().as_str())
    }

    fn meta_file_name(meta: Meta) -> String {
        format!("{}{EXT}", meta.name())
    }

    fn refused(&self, op: &'static str, rel: &Path, refused: Refused) -> Error {
        let shown = self.root.join(rel);
        match refused {
            Refused::Io(e) => self.io(op, &shown, e),
            other => Error::Backend {
                backend: self.describe.clone(),
                op,
                path: shown.display().to_string(),
                message: other.reason(),
            },
        }
    }

    /// Reads one metadata document, `None` if there is none.
    pub(super) fn read_meta(&self, cfg: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        let rel = Self::meta_dir_rel(cfg).join(Self::meta_file_name(meta));
        match regular_file::read_beneath(&self.root, &rel, MAX_VALUE_BYTES) {
            Ok(found) => Ok(Some(Versioned {
                version: version_of(&found.bytes, &found.meta),
                bytes: Arc::from(found.bytes),
            })),
            Err(Refused::Missing) => Ok(None),
            Err(refused) => Err(self.refused("read", &rel, refused)),
        }
    }

    /// Writes one metadata document if `expect` holds.
    pub(super) fn write_meta(
        &self,
        cfg: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        let _lock = self.lock()?;
        let current = self.read_meta(cfg, meta)?.map(|m| m.version);
        expect.check(&self.describe, cfg, current)?;
        self.put_meta(cfg, meta, bytes)
    }

    /// Writes one metadata document, whatever is stored. The caller holds
    /// the lock and has checked what it expects.
    pub(super) fn put_meta(&self, cfg: &ConfigPath, meta: Meta, bytes: &[u8]) -> Result<Version> {
        let rel = Self::meta_dir_rel(cfg);
        let dir = regular_file::dir_beneath(&self.root, &rel, true)
            .map_err(|r| self.refused("write", &rel, r))?;
        self.replace_in(
            &dir,
            &self.root.join(&rel),
            &Self::meta_file_name(meta),
            bytes,
        )
    }

    /// Deletes one metadata document if `expect` holds; `false` if there was none.
    pub(super) fn delete_meta(&self, cfg: &ConfigPath, meta: Meta, expect: Expect) -> Result<bool> {
        let _lock = self.lock()?;
        let Some(current) = self.read_meta(cfg, meta)? else {
            return Ok(false);
        };
        expect.check(&self.describe, cfg, Some(current.version))?;
        let rel = Self::meta_dir_rel(cfg);
        let dir = regular_file::dir_beneath(&self.root, &rel, false)
            .map_err(|r| self.refused("delete", &rel, r))?;
        let name = Self::meta_file_name(meta);
        dir.remove_file(&name)
            .map_err(|e| self.io("delete", &self.root.join(&rel).join(&name), e))?;
        Ok(true)
    }

    /// The directory of `cfg`'s registered instances, relative to the root.
    fn instances_rel(cfg: &ConfigPath) -> PathBuf {
        Self::meta_dir_rel(cfg).join(INSTANCES)
    }

    /// Writes the registration `id` of `cfg` (temporary file and rename,
    /// under the lock, so `rm` never races it).
    pub(super) fn put_instance(&self, cfg: &ConfigPath, id: &str, bytes: &[u8]) -> Result<()> {
        let _lock = self.lock()?;
        let rel = Self::instances_rel(cfg);
        let dir = regular_file::dir_beneath(&self.root, &rel, true)
            .map_err(|r| self.refused("write", &rel, r))?;
        self.replace_in(&dir, &self.root.join(&rel), &format!("{id}{EXT}"), bytes)
            .map(|_| ())
    }

    /// Removes the registration `id` of `cfg`, if there is one.
    pub(super) fn remove_instance(&self, cfg: &ConfigPath, id: &str) -> Result<()> {
        let _lock = self.lock()?;
        let rel = Self::instances_rel(cfg);
        let dir = match regular_file::dir_beneath(&self.root, &rel, false) {
            Ok(dir) => dir,
            Err(Refused::Missing) => return Ok(()),
            Err(r) => return Err(self.refused("delete", &rel, r)),
        };
        match dir.remove_file(format!("{id}{EXT}")) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io("delete", &self.root.join(&rel), e)),
        }
    }

    /// The registrations of `cfg`, sorted by id; a file that cannot be read
    /// is skipped with a warning.
    pub(super) fn list_instances(&self, cfg: &ConfigPath) -> Result<Vec<(String, Arc<[u8]>)>> {
        let rel = Self::instances_rel(cfg);
        let dir = match regular_file::dir_beneath(&self.root, &rel, false) {
            Ok(dir) => dir,
            Err(Refused::Missing) => return Ok(Vec::new()),
            Err(r) => return Err(self.refused("list", &rel, r)),
        };
        let entries = dir
            .entries()
            .map_err(|e| self.io("list", &self.root.join(&rel), e))?;
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(EXT) else {
                continue;
            };
            match regular_file::read_beneath(&self.root, &rel.join(&name), MAX_VALUE_BYTES) {
                Ok(found) => out.push((id.to_owned(), Arc::from(found.bytes))),
                Err(Refused::Missing) => {} // removed meanwhile
                Err(r) => {
                    tracing::warn!(backend = %self.describe, file = %self.root.join(&rel).join(&name).display(),
                        reason = %r.reason(), "skipping an instance registration confo cannot read");
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Removes every metadata document of `cfg` (after the configuration
    /// was deleted). The caller holds the lock.
    pub(super) fn delete_all_meta(&self, cfg: &ConfigPath) -> Result<()> {
        let parent = Path::new(META_DIR).join(cfg.namespace().as_str());
        self.remove_beneath(&parent, cfg.name().as_str())
    }

    /// Removes the metadata of every configuration of `ns` (after the
    /// namespace was deleted). The caller holds the lock.
    pub(super) fn delete_namespace_meta(&self, ns: &Namespace) -> Result<()> {
        self.remove_beneath(Path::new(META_DIR), ns.as_str())
    }

    /// Removes the directory `name` of `parent` (relative to the root) and
    /// all it holds; nothing to do when either is missing.
    fn remove_beneath(&self, parent: &Path, name: &str) -> Result<()> {
        let dir = match regular_file::dir_beneath(&self.root, parent, false) {
            Ok(dir) => dir,
            Err(Refused::Missing) => return Ok(()),
            Err(r) => return Err(self.refused("delete", parent, r)),
        };
        match dir.remove_dir_all(name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io("delete", &self.root.join(parent).join(name), e)),
        }
    }
}
