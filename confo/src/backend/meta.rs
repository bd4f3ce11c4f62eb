//! Metadata confo keeps beside a configuration (its published schemas, its
//! history), the conditions on it that a write checks atomically, and the
//! metadata a write carries in the same atomic step.
//!
//! Metadata lives where the Python package never looks and where no watch of
//! the configuration or its namespace fires: ZooKeeper keeps it under
//! [`META_ROOT`] (`/confo-meta/<namespace>/<name>/...`), created with the
//! same ACL as the configurations; the file backend under
//! [`META_DIR`] (`<root>/.confo-meta/<namespace>/<name>/...`); the memory
//! backend in a map of its own. Deleting a configuration (or a namespace)
//! deletes its metadata.

use std::fmt;
use std::sync::Arc;

use super::Expect;
use crate::name::ConfigPath;

/// The ZooKeeper node that holds every configuration's metadata, beside
/// [`ROOT`](crate::name::ROOT): never listed, read or watched by the Python
/// package.
pub const META_ROOT: &str = "/confo-meta";

/// The directory of a file backend's root that holds every configuration's
/// metadata. The file backend never lists it as a namespace.
pub const META_DIR: &str = ".confo-meta";

/// One metadata document of a configuration.
///
/// ```
/// use confo::backend::Meta;
/// assert_eq!(Meta::Schemas.name(), "schemas");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Meta {
    /// The JSON Schemas the services reading the configuration published,
    /// one per service: `{"services": {"billing": {"schema": {...}}, ...}}`.
    Schemas,
    /// The head of the configuration's history (see [`crate::History`]):
    /// the next entry's number and how many slots hold entries; written in
    /// the same atomic step as the write it records.
    History,
    /// One slot of the history's ring: one recorded write with the value
    /// it replaced. Entry `n` lives in slot `(n - 1) % keep`, so a write
    /// replaces the oldest entry once the ring is full.
    HistorySlot(u16),
}

impl Meta {
    /// Its node or file name beside the configuration's other metadata.
    ///
    /// ```
    /// use confo::backend::Meta;
    /// assert_eq!(Meta::HistorySlot(7).name(), "history-7");
    /// ```
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            Meta::Schemas => "schemas".into(),
            Meta::History => "history".into(),
            Meta::HistorySlot(slot) => format!("history-{slot}").into(),
        }
    }
}

impl fmt::Display for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A condition on a metadata document, checked in the same atomic step as a
/// write ([`Backend::write_guarded`](super::Backend::write_guarded)): the
/// write happens only if the document is still as it was read.
///
/// ```
/// use confo::backend::{Expect, Guard, Meta};
/// let guard = Guard { path: "systemA/database".parse()?, meta: Meta::Schemas, expect: Expect::Absent };
/// assert_eq!(guard.to_string(), "systemA/database has no schemas yet");
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// The configuration whose metadata is checked.
    pub path: ConfigPath,
    /// Which document.
    pub meta: Meta,
    /// What it must still be: [`Expect::Absent`] (there is none),
    /// [`Expect::Version`] (unchanged since read) or [`Expect::Any`] (no condition).
    pub expect: Expect,
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expect {
            Expect::Absent => write!(f, "{} has no {} yet", self.path, self.meta),
            Expect::Version(v) => write!(
                f,
                "the {} of {} are still at version {v}",
                self.meta, self.path
            ),
            Expect::Any => write!(
                f,
                "the {} of {} are whatever is stored",
                self.meta, self.path
            ),
        }
    }
}

/// A metadata document written in the same atomic step as a batch of
/// writes ([`Backend::write_with_meta`](super::Backend::write_with_meta)):
/// its `expect` is checked like a [`Guard`]'s, and if it no longer holds
/// nothing at all is written.
///
/// ```
/// use std::sync::Arc;
/// use confo::backend::{Expect, Meta, MetaWrite};
/// let record = MetaWrite {
///     path: "systemA/database".parse()?,
///     meta: Meta::History,
///     bytes: Arc::from(&b"{}"[..]),
///     expect: Expect::Absent,
/// };
/// assert_eq!(format!("{record:?}"), r#"MetaWrite { path: "systemA/database", meta: History, bytes: <2 bytes>, expect: Absent }"#);
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct MetaWrite {
    /// The configuration whose metadata is written.
    pub path: ConfigPath,
    /// Which document.
    pub meta: Meta,
    /// Its new content.
    pub bytes: Arc<[u8]>,
    /// What it must still be: [`Expect::Absent`] (create it) or
    /// [`Expect::Version`] (unchanged since read); [`Expect::Any`] replaces
    /// whatever is stored.
    pub expect: Expect,
}

impl MetaWrite {
    /// The condition this write checks, as a [`Guard`].
    pub fn guard(&self) -> Guard {
        Guard {
            path: self.path.clone(),
            meta: self.meta,
            expect: self.expect,
        }
    }
}

impl fmt::Debug for MetaWrite {
    // History holds previous values, secrets included: never the bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaWrite")
            .field("path", &self.path.to_string())
            .field("meta", &self.meta)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("expect", &self.expect)
            .finish()
    }
}
