//! Hiding URL credentials in text that echoes what the user typed (clap's
//! usage errors quote arguments): every credential of every URL among the
//! arguments is hidden as a whole, whatever characters it holds (spaces,
//! tabs, quotes, newlines), wherever it appears in the text.

use super::redact;

/// `text` with the credentials of every URL among `args` replaced by `***`.
///
/// Each argument that holds credentials (`scheme://user:password@…`, the
/// credentials ending at the last `@`) is replaced by its
/// [`redact`]ed form; then any remaining occurrence of a password (a
/// message may quote part of an argument) is replaced too.
///
/// ```
/// use confo::backend::redact_args;
///
/// let url = "zk://alice:s3cret x@127.0.0.1:2181/app";
/// let text = format!("error: unrecognized subcommand '{url}'");
/// let shown = redact_args(&text, &[url]);
/// assert_eq!(shown, "error: unrecognized subcommand 'zk://alice:***@127.0.0.1:2181/app'");
/// ```
pub fn redact_args<S: AsRef<str>>(text: &str, args: &[S]) -> String {
    let mut out = text.to_owned();
    let mut secrets: Vec<&str> = args.iter().filter_map(|a| secret_of(a.as_ref())).collect();
    // Longest first, so a password that contains another is hidden whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut whole: Vec<&str> = args
        .iter()
        .map(|a| a.as_ref())
        .filter(|a| secret_of(a).is_some())
        .collect();
    whole.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for arg in whole {
        out = out.replace(arg, &redact(arg));
    }
    for secret in secrets {
        // As typed, and as a message quotes it with `{:?}` (`\n`, `\t`, `\"`).
        for form in [
            secret.to_owned(),
            debug_form(secret),
            secret.escape_debug().to_string(),
        ] {
            out = out.replace(&form, "***");
        }
    }
    out
}

/// `text` as `{:?}` shows it, without the quotes.
fn debug_form(text: &str) -> String {
    let quoted = format!("{text:?}");
    quoted[1..quoted.len() - 1].to_owned()
}

/// The secret part of `arg` if it is a URL with credentials: the password
/// (after `user:`), or the whole user info when it has no `:`.
fn secret_of(arg: &str) -> Option<&str> {
    // An argument `--url=zk://…` holds the URL after the `=`.
    let start = arg.find("://")? + 3;
    let rest = &arg[start..];
    let end = match &arg[..start - 3] {
        s if s.ends_with("file") || s.ends_with("mem") || s.ends_with("memory") => {
            rest.find('/').unwrap_or(rest.len())
        }
        _ => rest.len(),
    };
    let at = rest[..end].rfind('@')?;
    let info = &rest[..at];
    let secret = match info.split_once(':') {
        Some((_, password)) => password,
        None => info,
    };
    (!secret.is_empty()).then_some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_with_whitespace_and_quotes_are_hidden_whole() {
        for password in [
            "s3cret x",
            "a\tb",
            "q'uo\"te",
            "line\nbreak",
            " lead",
            "@t@",
        ] {
            let url = format!("zk://alice:{password}@127.0.0.1:1/app");
            let text = format!("error: unrecognized subcommand '{url}'\n\ntip: '{url}'");
            let shown = redact_args(&text, &[url.as_str()]);
            assert!(!shown.contains(password), "{password:?}: {shown}");
            assert!(shown.contains("zk://alice:***@127.0.0.1:1/app"), "{shown}");
        }
    }

    #[test]
    fn part_of_a_password_quoted_alone_is_hidden() {
        let url = "--url=zk://u:pass word@h";
        let shown = redact_args("found 'pass word'", &[url]);
        assert_eq!(shown, "found '***'");
    }

    #[test]
    fn a_password_quoted_with_debug_escapes_is_hidden() {
        let url = "zk://u:a\nb\t\"c@h";
        let shown = redact_args(&format!("invalid name {:?}", &url[4..]), &[url]);
        assert!(!shown.contains("a\\nb"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    #[test]
    fn arguments_without_credentials_are_left_alone() {
        let args = ["file:///tmp/a@b", "ns/x", "a@b"];
        assert_eq!(
            redact_args("ns/x a@b file:///tmp/a@b", &args),
            "ns/x a@b file:///tmp/a@b"
        );
    }
}
