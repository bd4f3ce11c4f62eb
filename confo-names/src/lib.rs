//! The naming rules of confo, in one place.
//!
//! A namespace or configuration name is one path segment of a ZooKeeper
//! znode (`/confo/<namespace>/<name>`) and of a file path
//! (`<root>/<namespace>/<name>.json`). The runtime crate `confo` wraps these
//! rules in validated types and the derive macro `confo-derive` applies them
//! at compile time; both call [`check`], so the two can never disagree.
//!
//! ```
//! use confo_names::{check, NameRule};
//!
//! assert!(check("database").is_ok());
//! assert_eq!(check("a/b"), Err(NameRule::Slash { index: 1 }));
//! assert_eq!(check(".."), Err(NameRule::DotDot));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;

/// Longest name accepted, in bytes of UTF-8.
///
/// 250, not 255: the file backend stores `<name>.json`, and most file
/// systems cap a file name at 255 bytes, so a longer name could live in
/// ZooKeeper but not be exported to files.
pub const MAX_NAME_BYTES: usize = 250;

/// The root of every confo tree in ZooKeeper: configurations are
/// `/confo/<namespace>/<name>`, the layout of the Python `confo` package.
///
/// ```
/// assert_eq!(confo_names::ROOT, "/confo");
/// ```
pub const ROOT: &str = "/confo";

/// The name ZooKeeper reserves for itself at every level.
pub const RESERVED: &str = "zookeeper";

/// The rule a name broke.
///
/// Its `Display` says what is wrong in words a user can act on:
///
/// ```
/// use confo_names::check;
///
/// let rule = check("").unwrap_err();
/// assert_eq!(rule.to_string(), "a name must not be empty");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameRule {
    /// The name is the empty string.
    Empty,
    /// The name is longer than [`MAX_NAME_BYTES`].
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The name contains `/`, which would add a path level.
    Slash {
        /// Byte offset of the first `/`.
        index: usize,
    },
    /// The name contains NUL or another control character.
    Control {
        /// The offending character.
        ch: char,
        /// Its byte offset.
        index: usize,
    },
    /// The name contains a character ZooKeeper refuses in a path: one
    /// outside the Basic Multilingual Plane (emoji and the like, which Java
    /// stores as surrogate pairs), a private-use character (U+E000 to
    /// U+F8FF) or one of U+FFF0 to U+FFFF.
    Unsupported {
        /// The offending character.
        ch: char,
        /// Its byte offset.
        index: usize,
    },
    /// The name is `.`.
    Dot,
    /// The name is `..`.
    DotDot,
    /// The name is `zookeeper`, reserved by ZooKeeper.
    Reserved,
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameRule::Empty => f.write_str("a name must not be empty"),
            NameRule::TooLong { len } => write!(
                f,
                "a name must be at most {MAX_NAME_BYTES} bytes long, this one is {len}"
            ),
            NameRule::Slash { index } => write!(
                f,
                "a name must not contain '/' (found at byte {index}); use one name per level"
            ),
            NameRule::Control { ch, index } => write!(
                f,
                "a name must not contain control characters (found {:?} at byte {index})",
                ch
            ),
            NameRule::Unsupported { ch, index } => write!(
                f,
                "a name must not contain {ch:?} (U+{:04X}, at byte {index}): ZooKeeper refuses \
                 characters above U+FFFF (such as emoji), private-use characters and U+FFF0 to U+FFFF",
                u32::from(*ch)
            ),
            NameRule::Dot => f.write_str("a name must not be '.'"),
            NameRule::DotDot => f.write_str("a name must not be '..'"),
            NameRule::Reserved => {
                write!(
                    f,
                    "'{RESERVED}' is reserved by ZooKeeper and cannot be a name"
                )
            }
        }
    }
}

impl std::error::Error for NameRule {}

/// Checks one name (a namespace or a configuration name) against every rule.
///
/// Returns the first rule broken, scanning the rules in a fixed order:
/// empty, too long, `.`/`..`, reserved, then characters from left to right.
///
/// ```
/// use confo_names::{check, NameRule};
///
/// assert!(check("systemA").is_ok());
/// assert!(check("données").is_ok());
/// assert_eq!(check("zookeeper"), Err(NameRule::Reserved));
/// assert!(matches!(check("a\0b"), Err(NameRule::Control { ch: '\0', index: 1 })));
/// ```
pub fn check(name: &str) -> Result<(), NameRule> {
    if name.is_empty() {
        return Err(NameRule::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameRule::TooLong { len: name.len() });
    }
    match name {
        "." => return Err(NameRule::Dot),
        ".." => return Err(NameRule::DotDot),
        RESERVED => return Err(NameRule::Reserved),
        _ => {}
    }
    for (index, ch) in name.char_indices() {
        if ch == '/' {
            return Err(NameRule::Slash { index });
        }
        if ch.is_control() {
            return Err(NameRule::Control { ch, index });
        }
        if zookeeper_refuses(ch) {
            return Err(NameRule::Unsupported { ch, index });
        }
    }
    Ok(())
}

/// The characters ZooKeeper's server refuses in a path besides control
/// characters (`PathUtils.validatePath`, which looks at UTF-16 code units:
/// anything above U+FFFF becomes a surrogate pair and is refused too).
fn zookeeper_refuses(ch: char) -> bool {
    matches!(u32::from(ch), 0xE000..=0xF8FF | 0xFFF0..=0xFFFF | 0x10000..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "a",
            "systemA",
            "database",
            "my-config_v2",
            "x.y",
            "...",
            "日本",
        ] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn rejects_each_rule() {
        assert_eq!(check(""), Err(NameRule::Empty));
        assert_eq!(check("."), Err(NameRule::Dot));
        assert_eq!(check(".."), Err(NameRule::DotDot));
        assert_eq!(check("zookeeper"), Err(NameRule::Reserved));
        assert_eq!(check("a/b"), Err(NameRule::Slash { index: 1 }));
        assert_eq!(check("ab\n"), Err(NameRule::Control { ch: '\n', index: 2 }));
        assert_eq!(
            check("\u{7f}"),
            Err(NameRule::Control {
                ch: '\u{7f}',
                index: 0
            })
        );
        assert_eq!(
            check("emoji\u{1F600}"),
            Err(NameRule::Unsupported {
                ch: '\u{1F600}',
                index: 5
            })
        );
        assert!(matches!(
            check("\u{E000}"),
            Err(NameRule::Unsupported { .. })
        ));
        assert!(matches!(
            check("a\u{FFFF}"),
            Err(NameRule::Unsupported { .. })
        ));
        assert_eq!(check("snow\u{2603}\u{FFEF}"), Ok(()));
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert_eq!(check(&long), Err(NameRule::TooLong { len: 251 }));
        assert_eq!(check(&"x".repeat(MAX_NAME_BYTES)), Ok(()));
    }

    #[test]
    fn length_counts_bytes_not_chars() {
        // 'é' is two bytes: 126 of them are 252 bytes.
        assert_eq!(check(&"é".repeat(126)), Err(NameRule::TooLong { len: 252 }));
        assert_eq!(check(&"é".repeat(125)), Ok(()));
    }

    #[test]
    fn messages_say_what_to_do() {
        assert!(NameRule::Slash { index: 3 }
            .to_string()
            .contains("one name per level"));
        assert!(NameRule::Reserved.to_string().contains("reserved"));
    }
}
