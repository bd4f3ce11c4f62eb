//! A listing that also tells what it left out: entries of a store (files,
//! znodes) whose names confo refuses or cannot represent. `confo ls`,
//! `export` and `diff` report them, so a partial result never looks whole.

use std::fmt;

/// Names listed, and the entries skipped with why.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, FileBackend};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir_all(dir.path().join("ns")).unwrap();
/// std::fs::write(dir.path().join("ns/ok.json"), "{}").unwrap();
/// std::fs::write(dir.path().join("ns/notes.txt"), "").unwrap();
/// let listing = FileBackend::new(dir.path()).config_listing(&"ns".parse()?).await?;
/// assert_eq!(listing.names.len(), 1);
/// assert_eq!(listing.skipped[0].entry, "ns/notes.txt");
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    /// The names confo can use, sorted.
    pub names: Vec<T>,
    /// The entries left out.
    pub skipped: Vec<Skipped>,
}

impl<T> Listing<T> {
    /// A listing that skipped nothing.
    ///
    /// ```
    /// let l = confo::backend::Listing::whole(vec![1, 2]);
    /// assert!(l.skipped.is_empty());
    /// ```
    pub fn whole(names: Vec<T>) -> Self {
        Listing {
            names,
            skipped: Vec::new(),
        }
    }
}

/// One entry of a store that a listing left out.
///
/// ```
/// let s = confo::backend::Skipped { entry: "ns/zookeeper".into(), reason: "reserved".into() };
/// assert_eq!(s.to_string(), "ns/zookeeper: reserved");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry, relative to the store's root (`ns/name.json`, `ns/znode`).
    pub entry: String,
    /// Why confo cannot use it.
    pub reason: String,
}

/// Why an entry this identity may not read was left out.
const NOT_AUTHORIZED: &str = "not authorized: this identity may not read it";

impl Skipped {
    /// `entry` (`ns/` for a namespace, `ns/name` for a configuration) left
    /// out because this identity may not read it: a tree shared by several
    /// identities.
    ///
    /// ```
    /// let s = confo::backend::Skipped::not_authorized("systemD/");
    /// assert!(s.is_not_authorized());
    /// assert_eq!(s.to_string(), "systemD/: not authorized: this identity may not read it");
    /// ```
    pub fn not_authorized(entry: impl Into<String>) -> Self {
        Skipped {
            entry: entry.into(),
            reason: NOT_AUTHORIZED.into(),
        }
    }

    /// Whether it was left out because this identity may not read it
    /// ([`Skipped::not_authorized`]), rather than for a name confo refuses.
    ///
    /// ```
    /// let s = confo::backend::Skipped { entry: "ns/zookeeper".into(), reason: "reserved".into() };
    /// assert!(!s.is_not_authorized());
    /// ```
    pub fn is_not_authorized(&self) -> bool {
        self.reason == NOT_AUTHORIZED
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.entry, self.reason)
    }
}
