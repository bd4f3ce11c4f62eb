//! The `zk://` URL form of [`ZooKeeperOptions`]:
//! `zk://[user:password@]host[:port][,host[:port]...][/chroot][?options]`.

use std::time::Duration;

use super::builder::ZooKeeperOptions;
use super::tls::{Pem, TlsSettings};
use crate::backend::url::redact;
use crate::error::{Error, Result};

impl ZooKeeperOptions {
    /// Parses a `zk://` URL (see the type's documentation).
    /// Errors never contain the password.
    ///
    /// ```
    /// use confo::backend::ZooKeeperOptions;
    ///
    /// let options = ZooKeeperOptions::from_url("zk://10.0.0.1,10.0.0.2:2182")?;
    /// assert_eq!(options.describe(), "zk://10.0.0.1:2181,10.0.0.2:2182");
    /// let err = ZooKeeperOptions::from_url("zk://u:hunter2@h:notaport").unwrap_err();
    /// assert!(err.to_string().contains("port"));
    /// assert!(!err.to_string().contains("hunter2"));
    /// # Ok::<(), confo::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidUrl {
            url: redact(url),
            reason,
        };
        let (rest, tls) = match url.split_once("://") {
            Some(("zk" | "zookeeper", rest)) => (rest, false),
            Some(("zks", rest)) => (rest, true),
            _ => {
                return Err(invalid(
                    "a ZooKeeper URL starts with zk:// (or zks:// for TLS)".into(),
                ))
            }
        };
        // Credentials end at the last '@' of the URL, wherever it is: a
        // password may hold '/', '?' or '@' unencoded and must never be
        // taken for a host, chroot or option (and shown in an error).
        // `redact` hides exactly this part.
        let (userinfo, rest) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (hosts, chroot) = rest.split_at(authority_end);
        let mut options = ZooKeeperOptions::new(hosts);
        options.chroot = (!chroot.is_empty() && chroot != "/").then(|| chroot.to_owned());
        if tls {
            options.tls = Some(TlsSettings::default());
        }
        if let Some(userinfo) = userinfo {
            let Some((user, password)) = userinfo.split_once(':') else {
                return Err(invalid(
                    "credentials must be user:password (digest authentication)".into(),
                ));
            };
            let user = percent_decode(user).map_err(&invalid)?;
            let password = percent_decode(password).map_err(&invalid)?;
            options = options.with_credentials(user, password);
        }
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "connect_timeout" => {
                    options.connect_timeout = parse_duration(value).map_err(&invalid)?
                }
                "session_timeout" => {
                    options.session_timeout = parse_duration(value).map_err(&invalid)?
                }
                "world_readable" => {
                    options.world_readable = match value {
                        "" | "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => {
                            return Err(invalid(format!(
                                "world_readable takes true or false, not {value:?}"
                            )))
                        }
                    }
                }
                "tls" => match value {
                    "" | "true" | "1" | "yes" => {
                        options.tls.get_or_insert_with(TlsSettings::default);
                    }
                    "false" | "0" | "no" if !tls => options.tls = None,
                    _ => {
                        return Err(invalid(format!(
                            "tls takes true or false (and zks:// is always TLS), not {value:?}"
                        )))
                    }
                },
                "ca_file" | "cert_file" | "key_file" => {
                    if value.is_empty() {
                        return Err(invalid(format!("{key} needs a file name")));
                    }
                    let file = Some(Pem::File(percent_decode(value).map_err(&invalid)?.into()));
                    let settings = options.tls.get_or_insert_with(TlsSettings::default);
                    match key {
                        "ca_file" => settings.ca = file,
                        "cert_file" => settings.cert = file,
                        _ => settings.key = file,
                    }
                }
                _ => {
                    return Err(invalid(format!(
                        "unknown option {key:?}; known: connect_timeout, session_timeout, \
                         world_readable, tls, ca_file, cert_file, key_file"
                    )))
                }
            }
        }
        options.validate().map_err(invalid)?;
        Ok(options)
    }
}

fn parse_duration(value: &str) -> std::result::Result<Duration, String> {
    let parsed = if let Some(ms) = value.strip_suffix("ms") {
        ms.parse::<u64>().ok().map(Duration::from_millis)
    } else if let Some(s) = value.strip_suffix('s') {
        s.parse::<u64>().ok().map(Duration::from_secs)
    } else {
        None
    };
    match parsed {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(format!(
            "invalid duration {value:?}; write it like 500ms or 10s"
        )),
    }
}

fn percent_decode(s: &str) -> std::result::Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    "a '%' in the credentials must start an escape like %40".to_owned()
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the credentials are not UTF-8 once decoded".to_owned())
}

pub(super) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let o = ZooKeeperOptions::from_url("zk://a:1,b/x/y?session_timeout=500ms&world_readable")
            .unwrap();
        assert_eq!(o.describe(), "zk://a:1,b:2181/x/y");
        assert_eq!(o.session_timeout(), Duration::from_millis(500));
        assert!(o.is_world_readable());
        assert_eq!(o.user(), None);

        let o = ZooKeeperOptions::from_url("zk://us%3Aer:p%40ss:w@h:2/").unwrap();
        assert_eq!(o.describe(), "zk://us%3Aer:***@h:2");
        assert_eq!(o.digest().unwrap(), b"us:er:p@ss:w");

        // Unencoded '/', '?' and '@' in a password stay in the password.
        let o = ZooKeeperOptions::from_url("zk://u:p/a?s@s@h:2/c?session_timeout=1s").unwrap();
        assert_eq!(o.describe(), "zk://u:***@h:2/c");
        assert_eq!(o.digest().unwrap(), b"u:p/a?s@s");
        assert_eq!(o.session_timeout(), Duration::from_secs(1));

        let o = ZooKeeperOptions::from_url("zk://[::1]:2181,[::2]").unwrap();
        assert_eq!(o.describe(), "zk://[::1]:2181,[::2]:2181");
    }

    #[test]
    fn described_urls_keep_the_user_and_never_the_password() {
        for (url, shown) in [
            ("zk://alice:hunter2@h:2181", "zk://alice:***@h:2181"),
            (
                "zk://alice:hunter2@a:1,b:2/app",
                "zk://alice:***@a:1,b:2/app",
            ),
            ("zk://h:2181", "zk://h:2181"),
        ] {
            let described = ZooKeeperOptions::from_url(url).unwrap().describe();
            assert_eq!(described, shown, "{url}");
            assert!(!described.contains("hunter2"), "{described}");
        }
        let o = ZooKeeperOptions::new("h:1").with_credentials("alice", "hunter2");
        assert_eq!(o.describe(), "zk://alice:***@h:1");
        // Refused with a wrong port: the error shows the user, not the password.
        let err = ZooKeeperOptions::from_url("zk://alice:hunter2@h:x").unwrap_err();
        assert!(err.to_string().contains("alice:***@"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn bad_urls_say_why_without_the_password() {
        for (url, why) in [
            ("zk://", "no host"),
            ("zk://h:0", "invalid port"),
            ("zk://h:99999", "invalid port"),
            ("zk://a,,b", "empty host"),
            ("zk://u:secret@h/x/", "end with '/'"),
            ("zk://u:secret@h//x", "empty segment"),
            ("zk://u:secret@h/../x", "'..'"),
            ("zk://user-only@h", "user:password"),
            ("zk://u:secret@h?nope=1", "unknown option"),
            ("zk://u:secret@h?connect_timeout=5", "500ms or 10s"),
            ("zk://u:sec%zzret@h", "escape"),
            ("zk://u:sec/ret@h:x", "invalid port"),
            ("zk://u:sec?ret@h?nope", "unknown option"),
            ("zk://secret@h", "user:password"),
            ("zk://::1", "IPv6 address in brackets"),
            ("zk://[::1", "IPv6 address in brackets"),
            ("zk://a b:1", "not a host name"),
            ("zk://:1]:21\u{18}1", "not a host name"),
        ] {
            let err = ZooKeeperOptions::from_url(url).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(why), "{url}: {msg}");
            assert!(!msg.contains("secret"), "{url}: {msg}");
        }
    }
}
