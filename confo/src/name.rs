//! Validated names: [`Namespace`], [`ConfigName`] and [`ConfigPath`], and
//! the [`Version`] a stored configuration has.
//!
//! A value of these types can only hold a name that passes the rules of
//! [`confo_names::check`], so a backend can build a znode path or a file path
//! from it without checking again, and no name can climb out of the tree.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::{Error, NameKind};

pub use confo_names::{NameRule, MAX_NAME_BYTES, ROOT};

/// An opaque version of one stored configuration.
///
/// Versions are compared for equality only; any write changes it. Its text
/// form (`Display`/`FromStr`) is what `confo put --if-version` takes.
///
/// ```
/// let v: confo::Version = "42".parse()?;
/// assert!(matches!("v1".parse::<confo::Version>(), Err(confo::Error::InvalidVersion { .. })));
/// assert_eq!(v.to_string(), "42");
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version(u64);

impl Version {
    /// Wraps a backend's own version number. For backends only.
    pub fn from_raw(raw: u64) -> Self {
        Version(raw)
    }

    /// The backend's own version number. For backends only.
    pub fn raw(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", self.0)
    }
}

impl FromStr for Version {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        s.trim()
            .parse::<u64>()
            .map(Version)
            .map_err(|_| Error::InvalidVersion {
                found: s.to_owned(),
            })
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(Arc<str>);

        impl $ty {
            /// Validates `name` and wraps it.
            ///
            /// The error quotes the name and says which rule it broke.
            pub fn new(name: impl AsRef<str>) -> Result<Self, Error> {
                let name = name.as_ref();
                confo_names::check(name).map_err(|rule| Error::InvalidName {
                    kind: $kind,
                    name: name.to_owned(),
                    rule,
                })?;
                Ok(Self(Arc::from(name)))
            }

            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $ty {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_type!(
    /// A validated namespace: the first level under `/confo`, grouping the
    /// configurations of one system.
    ///
    /// ```
    /// use confo::Namespace;
    ///
    /// let ns = Namespace::new("systemA")?;
    /// assert_eq!(ns.as_str(), "systemA");
    /// assert!(Namespace::new("../etc").is_err());
    /// # Ok::<(), confo::Error>(())
    /// ```
    Namespace,
    NameKind::Namespace
);

name_type!(
    /// A validated configuration name: the second level, one JSON object.
    ///
    /// ```
    /// use confo::ConfigName;
    ///
    /// let name = ConfigName::new("database")?;
    /// assert_eq!(name.to_string(), "database");
    /// let err = ConfigName::new("").unwrap_err();
    /// assert!(err.to_string().contains("must not be empty"));
    /// # Ok::<(), confo::Error>(())
    /// ```
    ConfigName,
    NameKind::Config
);

/// The full address of one configuration: a namespace and a name.
///
/// Written `namespace/name` (its `Display` and [`FromStr`] form) and stored
/// at the znode `/confo/namespace/name` or the file `namespace/name.json`.
///
/// ```
/// use confo::ConfigPath;
///
/// let path: ConfigPath = "systemA/database".parse()?;
/// assert_eq!(path.namespace().as_str(), "systemA");
/// assert_eq!(path.name().as_str(), "database");
/// assert_eq!(path.znode(), "/confo/systemA/database");
/// assert!("systemA/a/b".parse::<ConfigPath>().is_err());
/// # Ok::<(), confo::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigPath {
    namespace: Namespace,
    name: ConfigName,
}

impl ConfigPath {
    /// Joins a namespace and a configuration name.
    pub fn new(namespace: Namespace, name: ConfigName) -> Self {
        Self { namespace, name }
    }

    /// Validates both parts and joins them.
    ///
    /// ```
    /// let path = confo::ConfigPath::parse_parts("systemB", "email")?;
    /// assert_eq!(path.to_string(), "systemB/email");
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn parse_parts(namespace: &str, name: &str) -> Result<Self, Error> {
        Ok(Self::new(
            Namespace::new(namespace)?,
            ConfigName::new(name)?,
        ))
    }

    /// The namespace part.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The configuration name part.
    pub fn name(&self) -> &ConfigName {
        &self.name
    }

    /// The znode path: `/confo/<namespace>/<name>`.
    pub fn znode(&self) -> String {
        format!("{ROOT}/{}/{}", self.namespace, self.name)
    }
}

impl fmt::Display for ConfigPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl fmt::Debug for ConfigPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConfigPath({self})")
    }
}

impl FromStr for ConfigPath {
    type Err = Error;

    /// Parses `namespace/name`; a leading `/confo/` is accepted too.
    fn from_str(s: &str) -> Result<Self, Error> {
        let rest = s
            .strip_prefix(ROOT)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(s);
        match rest.split_once('/') {
            Some((ns, name)) => Self::parse_parts(ns, name),
            None => Err(Error::InvalidPath {
                path: s.to_owned(),
                reason: "expected '<namespace>/<name>', e.g. 'systemA/database'".into(),
            }),
        }
    }
}

impl TryFrom<&str> for ConfigPath {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_quotes_name_and_rule() {
        let err = Namespace::new("a/b").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"a/b\""), "{msg}");
        assert!(msg.contains("namespace"), "{msg}");
        assert!(msg.contains("'/'"), "{msg}");
    }

    #[test]
    fn path_parses_with_and_without_root() {
        let a: ConfigPath = "ns/cfg".parse().unwrap();
        let b: ConfigPath = "/confo/ns/cfg".parse().unwrap();
        assert_eq!(a, b);
        assert!("ns".parse::<ConfigPath>().is_err());
        assert!("ns/".parse::<ConfigPath>().is_err());
        assert!("/ns/cfg".parse::<ConfigPath>().is_err());
    }

    #[test]
    fn names_deserialize_only_when_valid() {
        let ok: Namespace = serde_json::from_str("\"sys\"").unwrap();
        assert_eq!(ok, "sys");
        assert!(serde_json::from_str::<Namespace>("\"..\"").is_err());
    }
}
