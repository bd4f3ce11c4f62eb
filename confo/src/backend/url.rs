//! Backend URLs: `file://DIR`, `mem://`, `zk://...`.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Backend, FileBackend, MemoryBackend};
use crate::error::{Error, Result};

/// The URL used when none is given: a `confo` directory under the current one.
pub const DEFAULT_URL: &str = "file://./confo";

/// The environment variable [`crate::Confo::from_env`] reads.
pub const URL_ENV: &str = "CONFO_URL";

/// Opens the backend a URL names.
///
/// - `file://DIR`: a [`FileBackend`] over `DIR` (relative to the current
///   directory unless it starts with `/`: `file://./confo`, `file:///etc/confo`);
/// - `mem://`: a new, empty [`MemoryBackend`];
/// - `zk://[user:password@]host:port[,host:port...][/chroot][?options]`: a
///   [`ZooKeeper`](super::ZooKeeper) backend (feature `zookeeper`, on by
///   default); see [`ZooKeeperOptions`](super::ZooKeeperOptions) for the
///   details. It connects before returning, within the connect timeout;
/// - `zks://...?ca_file=CA.pem`: the same over TLS (feature `tls`, off by
///   default).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = confo::backend::open_url("mem://").await?;
/// assert_eq!(store.describe(), "mem://");
/// let err = confo::backend::open_url("ftp://x").await.unwrap_err();
/// assert!(err.to_string().contains("file://"));
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn open_url(url: &str) -> Result<Arc<dyn Backend>> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: redact(url),
        reason: reason.to_owned(),
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid(
            "expected scheme://..., one of file://DIR, mem://, zk://host:port",
        ));
    };
    // Schemes are case-insensitive (RFC 3986): `ZK://` is `zk://`.
    let scheme = scheme.to_ascii_lowercase();
    #[cfg(feature = "zookeeper")]
    let url = &format!("{scheme}://{rest}");
    match scheme.as_str() {
        "file" => {
            if rest.is_empty() {
                return Err(invalid("file:// needs a directory, e.g. file://./confo"));
            }
            Ok(Arc::new(FileBackend::new(PathBuf::from(rest))))
        }
        "mem" | "memory" => {
            if !rest.is_empty() {
                return Err(invalid("mem:// takes nothing after the scheme"));
            }
            Ok(Arc::new(MemoryBackend::new()))
        }
        #[cfg(feature = "zookeeper")]
        "zk" | "zookeeper" | "zks" => Ok(Arc::new(super::ZooKeeper::connect(url).await?)),
        #[cfg(not(feature = "zookeeper"))]
        "zk" | "zookeeper" | "zks" => Err(invalid(
            "the ZooKeeper backend is not compiled into this build of confo (enable the `zookeeper` feature)",
        )),
        _ => Err(invalid(
            "unknown scheme; use file://DIR, mem://, zk://host:port or zks://host:port",
        )),
    }
}

/// `url` with the password of any `user:password@` replaced by `***`.
///
/// The credentials of a URL end at its last `@` (as
/// [`ZooKeeperOptions::from_url`](super::ZooKeeperOptions::from_url) reads
/// them), so a password holding `/`, `?` or `@` is hidden whole; in a URL
/// without a `:` there the whole user part is hidden (it may be a password
/// given alone). In `file://` and `mem://` URLs only the part before the
/// first `/` is searched (a file path may hold an `@`).
///
/// ```
/// assert_eq!(
///     confo::backend::redact("zk://admin:hunter2@10.0.0.1:2181/app"),
///     "zk://admin:***@10.0.0.1:2181/app"
/// );
/// assert_eq!(confo::backend::redact("zk://admin:pa/ss@h:1"), "zk://admin:***@h:1");
/// assert_eq!(confo::backend::redact("file://./confo"), "file://./confo");
/// ```
pub fn redact(url: &str) -> String {
    // Without a scheme (a mistyped URL), the whole text may hold credentials.
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    // A file path may hold an '@': there only an authority (before the
    // first '/') can hold credentials, though none belong there.
    let end = match url.split_once("://") {
        Some(("file" | "mem" | "memory", _)) => rest.find('/').unwrap_or(rest.len()),
        _ => rest.len(),
    };
    match rest[..end].rfind('@') {
        Some(at) => {
            let shown = match rest[..at].split_once(':') {
                Some((user, _)) => format!("{user}:***"),
                // Text without a scheme and a ':' is no URL: `a@b` stays.
                None if scheme.is_empty() => return url.to_owned(),
                None => "***".to_owned(),
            };
            format!("{scheme}{shown}{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_password_only() {
        assert_eq!(redact("zk://u:p@h:1,h:2/x"), "zk://u:***@h:1,h:2/x");
        assert_eq!(redact("zk://u:p:q@h:1"), "zk://u:***@h:1");
        // The last '@' ends the credentials, as the parser reads them.
        assert_eq!(redact("zk://h:1/a@b"), "zk://h:***@b");
        assert_eq!(redact("zk://u:p?q@h"), "zk://u:***@h");
        assert_eq!(redact("zk://pw@h"), "zk://***@h");
        assert_eq!(redact("file:///a@b"), "file:///a@b");
        assert_eq!(redact("mem://u:p@x"), "mem://u:***@x");
        assert_eq!(redact("no-scheme"), "no-scheme");
        assert_eq!(redact("u:p@h:1"), "u:***@h:1");
        assert_eq!(redact("a@b"), "a@b");
    }

    #[tokio::test]
    async fn bad_urls_are_refused_without_the_password() {
        let err = open_url("zz://user:secret@h").await.unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains("secret"), "{msg}");
        assert!(msg.contains("unknown scheme"), "{msg}");
        assert!(open_url("file://").await.is_err());
        assert!(open_url("mem://x").await.is_err());
        assert!(open_url("nothing").await.is_err());
        assert_eq!(open_url("MEM://").await.unwrap().describe(), "mem://");
        assert!(open_url("File://./x")
            .await
            .unwrap()
            .describe()
            .starts_with("file://"));
    }
}
