//! Metadata confo keeps beside a configuration (its published schemas), and
//! the conditions on it that a write checks atomically.
//!
//! Metadata lives where the Python package never looks and where no watch of
//! the configuration or its namespace fires: ZooKeeper keeps it under
//! [`META_ROOT`] (`/confo-meta/<namespace>/<name>/...`), created with the
//! same ACL as the configurations; the file backend under
//! [`META_DIR`] (`<root>/.confo-meta/<namespace>/<name>/...`); the memory
//! backend in a map of its own. Deleting a configuration (or a namespace)
//! deletes its metadata.

use std::fmt;

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
}

impl Meta {
    /// Its node or file name beside the configuration's other metadata.
    pub fn name(self) -> &'static str {
        match self {
            Meta::Schemas => "schemas",
        }
    }
}

impl fmt::Display for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
