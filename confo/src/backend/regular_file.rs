//! Reading one regular file beneath a root directory, the way every path
//! that reads a tree does it (the file backend, `confo import`/`diff`).
//!
//! - The path is resolved beneath the root by `cap-std` (`openat2` with
//!   `RESOLVE_BENEATH` where the kernel has it, else one component at a
//!   time): a symlink, `..` or absolute link that leads out of the root
//!   fails the open itself, so there is no check-then-open race to win.
//! - The file is opened with `O_NONBLOCK`, so a FIFO never blocks the open,
//!   and the type is checked on the opened handle (`fstat`): FIFOs, devices,
//!   sockets and directories are refused before a byte is read.
//! - The read stops at the limit ([`crate::bounded`]).
//!
//! An absolute symlink that points inside the root is followed by resolving
//! it first and opening the result beneath the root again, so even a link
//! flipped between the two steps cannot lead out.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};

/// Why a file beneath a root was not read.
#[derive(Debug)]
pub(crate) enum Refused {
    /// Nothing at that path.
    Missing,
    /// A link on the path leads out of the root.
    Outside(Option<PathBuf>),
    /// Not a regular file: what it is ("a FIFO", ...).
    NotRegular(&'static str),
    /// Over the limit (in bytes).
    TooLarge(usize),
    /// Any other I/O error.
    Io(io::Error),
}

impl Refused {
    /// The reason, for a message that names the entry before it.
    pub(crate) fn reason(&self) -> String {
        match self {
            Refused::Missing => "it does not exist".into(),
            Refused::Outside(Some(real)) => format!(
                "it is a symlink to {}, outside the root; confo never reads outside its root",
                real.display()
            ),
            Refused::Outside(None) => {
                "a symlink on its path leads outside the root; confo never reads outside its root"
                    .into()
            }
            Refused::NotRegular(what) => format!(
                "it is {what}, not a regular file; confo reads only regular files (remove or rename it)"
            ),
            Refused::TooLarge(limit) => format!(
                "it is over the limit of {limit} bytes (ZooKeeper's 1 MiB znode limit); confo stopped reading there: split the configuration"
            ),
            Refused::Io(e) => format!("cannot read it: {e}"),
        }
    }
}

/// A file read beneath a root: its bytes and the metadata of the handle read.
pub(crate) struct Found {
    pub(crate) bytes: Vec<u8>,
    pub(crate) meta: fs::Metadata,
}

/// Reads the regular file at `rel` beneath `root`, at most `limit` bytes.
pub(crate) fn read_beneath(root: &Path, rel: &Path, limit: usize) -> Result<Found, Refused> {
    let dir = match Dir::open_ambient_dir(root, ambient_authority()) {
        Ok(d) => d,
        Err(e) if is_missing(&e) => return Err(Refused::Missing),
        Err(e) => return Err(Refused::Io(e)),
    };
    match open_read(&dir, rel, limit) {
        Err(Refused::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied => {
            // cap-std refuses every absolute symlink and every escape with
            // PermissionDenied. Resolve the path; if it stays inside, open
            // the resolved path, again beneath the root.
            let real_root = fs::canonicalize(root).map_err(Refused::Io)?;
            let real = fs::canonicalize(root.join(rel)).map_err(|_| Refused::Outside(None))?;
            match real.strip_prefix(&real_root) {
                Ok(inner) if !inner.as_os_str().is_empty() => {
                    // Denied again means not an escape at resolve time: a
                    // real permission problem (or a link flipped since).
                    open_read(&dir, inner, limit)
                }
                _ => Err(Refused::Outside(Some(real))),
            }
        }
        other => other,
    }
}

/// Opens the directory `rel` beneath `root` (creating it and the root when
/// `create`), so that writes through the handle stay beneath the root even
/// if a link on the path flips later: a link that leads out is refused.
pub(crate) fn dir_beneath(root: &Path, rel: &Path, create: bool) -> Result<Dir, Refused> {
    if create {
        fs::create_dir_all(root).map_err(Refused::Io)?;
    }
    let dir = match Dir::open_ambient_dir(root, ambient_authority()) {
        Ok(d) => d,
        Err(e) if is_missing(&e) => return Err(Refused::Missing),
        Err(e) => return Err(Refused::Io(e)),
    };
    let open = |rel: &Path| {
        if create {
            dir.create_dir_all(rel)?;
        }
        dir.open_dir(rel)
    };
    match open(rel) {
        Ok(d) => Ok(d),
        Err(e) if is_missing(&e) => Err(Refused::Missing),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            // As for reads: an absolute link that stays inside is followed
            // by opening its resolved path, again beneath the root.
            let real_root = fs::canonicalize(root).map_err(Refused::Io)?;
            let real = fs::canonicalize(root.join(rel)).map_err(|_| Refused::Outside(None))?;
            match real.strip_prefix(&real_root) {
                Ok(inner) if !inner.as_os_str().is_empty() => open(inner).map_err(Refused::Io),
                _ => Err(Refused::Outside(Some(real))),
            }
        }
        Err(e) => Err(Refused::Io(e)),
    }
}

fn open_read(dir: &Dir, rel: &Path, limit: usize) -> Result<Found, Refused> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt;
        // Never block on a FIFO's open; the type check below refuses it.
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = match dir.open_with(rel, &options) {
        Ok(f) => f.into_std(),
        Err(e) if is_missing(&e) => return Err(Refused::Missing),
        Err(e) => return Err(Refused::Io(e)),
    };
    let meta = file.metadata().map_err(Refused::Io)?;
    if let Some(what) = not_regular(&meta.file_type()) {
        return Err(Refused::NotRegular(what));
    }
    match crate::bounded::read_at_most_hinted(&file, limit, meta.len()) {
        Ok(bytes) => Ok(Found { bytes, meta }),
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => Err(Refused::TooLarge(limit)),
        Err(e) => Err(Refused::Io(e)),
    }
}

fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// What a file type is when it is not a regular file.
pub(crate) fn not_regular(kind: &fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_regular_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.json"), "{}").unwrap();
        let found = read_beneath(dir.path(), Path::new("a.json"), 10).unwrap();
        assert_eq!(found.bytes, b"{}");
    }

    #[test]
    fn links_inside_are_followed_absolute_or_relative() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("ns")).unwrap();
        fs::write(dir.path().join("ns/real.json"), "{}").unwrap();
        symlink("real.json", dir.path().join("ns/rel.json")).unwrap();
        symlink(
            dir.path().join("ns/real.json"),
            dir.path().join("ns/abs.json"),
        )
        .unwrap();
        for name in ["ns/rel.json", "ns/abs.json"] {
            let found = read_beneath(dir.path(), Path::new(name), 10).unwrap();
            assert_eq!(found.bytes, b"{}", "{name}");
        }
    }

    #[test]
    fn links_outside_are_refused_absolute_or_relative() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.json"), "{}").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let rel = Path::new("..")
            .join(outside.path().file_name().unwrap())
            .join("secret.json");
        symlink(&rel, dir.path().join("rel.json")).unwrap();
        symlink(
            outside.path().join("secret.json"),
            dir.path().join("abs.json"),
        )
        .unwrap();
        for name in ["rel.json", "abs.json"] {
            let err = read_beneath(dir.path(), Path::new(name), 10).err().unwrap();
            assert!(matches!(err, Refused::Outside(_)), "{name}: {err:?}");
            assert!(err.reason().contains("outside the root"), "{name}");
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = read_beneath(dir.path(), Path::new("x.json"), 10)
            .err()
            .unwrap();
        assert!(err.reason().contains("FIFO"), "{err:?}");
    }

    #[test]
    fn a_file_over_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.json"), [b' '; 11]).unwrap();
        let err = read_beneath(dir.path(), Path::new("a.json"), 10)
            .err()
            .unwrap();
        assert!(matches!(err, Refused::TooLarge(10)), "{err:?}");
    }
}
