//! Exit codes, and how each failure maps to one.

use std::io;
use std::process::ExitCode;

use confo::Error;

/// The exit status of the `confo` command.
///
/// | code | meaning |
/// | ---- | ------- |
/// | 0 | success |
/// | 1 | error: unreachable store, invalid input or tree, I/O, refused, a watch that stopped |
/// | 2 | usage: bad arguments, including a bad name, path, version or URL |
/// | 3 | not found: configuration, namespace or field |
/// | 4 | version conflict |
/// | 5 | not authorized |
/// | 6 | refused by the published schemas: the value breaks one (or one is broken) |
/// | 7 | partial: some entries could not be read or represented |
///
/// ```
/// use confo_cli::Exit;
///
/// let err = confo::Error::NotFound { backend: "mem://".into(), path: "a/b".into() };
/// assert_eq!(Exit::of(&err), Exit::NotFound);
/// assert_eq!(Exit::NotFound.code(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Exit {
    /// 0: the command did what it was asked.
    Ok = 0,
    /// 1: any failure without a code of its own.
    Error = 1,
    /// 2: the command line was wrong (clap's code), including a bad name,
    /// configuration path, version or URL.
    Usage = 2,
    /// 3: a configuration, namespace or field does not exist.
    NotFound = 3,
    /// 4: a compare-and-set write found another version.
    Conflict = 4,
    /// 5: the store refused access.
    NotAuthorized = 5,
    /// 6: the value breaks a schema that a service reading the
    /// configuration published (or a published schema is broken); nothing
    /// was written. `--force` writes anyway; `confo check` finds it first.
    SchemaRefused = 6,
    /// 7: partial: some entries could not be read or represented (names
    /// confo refuses); the command warned about each and did the rest.
    Partial = 7,
}

impl Exit {
    /// The number the process exits with.
    ///
    /// ```
    /// assert_eq!(confo_cli::Exit::Conflict.code(), 4);
    /// ```
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit status for a library error.
    ///
    /// ```
    /// use confo_cli::Exit;
    /// let err = confo::Namespace::new("a/b").unwrap_err();
    /// assert_eq!(Exit::of(&err), Exit::Usage);
    /// ```
    pub fn of(err: &Error) -> Exit {
        match err {
            Error::NotFound { .. }
            | Error::NamespaceNotFound { .. }
            | Error::FieldNotFound { .. }
            | Error::VersionNotRecorded { .. } => Exit::NotFound,
            Error::VersionConflict { .. } | Error::MetaChanged { .. } => Exit::Conflict,
            Error::SchemaRefused { .. } | Error::InvalidSchema { .. } => Exit::SchemaRefused,
            Error::NotAuthorized { .. } => Exit::NotAuthorized,
            Error::InvalidName { .. }
            | Error::InvalidPath { .. }
            | Error::InvalidVersion { .. }
            | Error::InvalidUrl { .. } => Exit::Usage,
            // `confo watch` ends with an error when the store stops sending
            // events: watching again is the fix, not a different input.
            Error::WatchStopped { .. } => Exit::Error,
            _ => Exit::Error,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// Why a command stopped early.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A library error: its message, its code.
    Confo(Error),
    /// A failure the command itself found, with what to do about it.
    Message(Exit, String),
    /// Stdout was closed (`| head`): stop quietly, successfully.
    BrokenPipe,
    /// The command did what it could and warned about what it left out.
    Partial,
}

impl Failure {
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Failure::Message(Exit::Error, message.into())
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure::Message(Exit::Usage, message.into())
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure::Confo(err)
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::error(format!("cannot write the output: {err}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confo::Version;

    fn b() -> String {
        "zk://h:1".into()
    }

    #[test]
    fn every_error_kind_has_its_documented_code() {
        let cases = [
            (
                Error::NotFound {
                    backend: b(),
                    path: "a/b".into(),
                },
                3,
            ),
            (
                Error::NamespaceNotFound {
                    backend: b(),
                    namespace: "a".into(),
                    known: String::new(),
                },
                3,
            ),
            (
                Error::FieldNotFound {
                    backend: b(),
                    path: "a/b".into(),
                    field: "f".into(),
                },
                3,
            ),
            (
                Error::VersionConflict {
                    backend: b(),
                    path: "a/b".into(),
                    expected: "version 1".into(),
                    current: Some(Version::from_raw(2)),
                },
                4,
            ),
            (
                Error::NotAuthorized {
                    backend: b(),
                    op: "read",
                    path: "a/b".into(),
                },
                5,
            ),
            (
                Error::InvalidUrl {
                    url: "x".into(),
                    reason: "y".into(),
                },
                2,
            ),
            (confo::Namespace::new("..").unwrap_err(), 2),
            (
                Error::Connection {
                    backend: b(),
                    message: "refused".into(),
                },
                1,
            ),
            (Error::NoNamespace, 1),
            (
                Error::SchemaRefused {
                    backend: b(),
                    path: "a/b".into(),
                    violations: vec![confo::ServiceViolation {
                        service: "billing".into(),
                        path: "port".into(),
                        rule: "expected u16, found a string".into(),
                    }],
                },
                6,
            ),
            (
                Error::InvalidSchema {
                    schema: "the schema billing published for a/b".into(),
                    message: "not JSON".into(),
                },
                6,
            ),
            (
                Error::WatchStopped {
                    backend: b(),
                    path: "a".into(),
                },
                1,
            ),
        ];
        for (err, code) in cases {
            assert_eq!(Exit::of(&err).code(), code, "{err}");
        }
    }

    #[test]
    fn a_closed_stdout_is_not_an_error() {
        let failure = Failure::from(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(matches!(failure, Failure::BrokenPipe));
    }
}
