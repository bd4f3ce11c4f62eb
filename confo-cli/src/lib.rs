//! The `confo` command (package `confo-cli`, binary `confo`): a thin layer over the
//! library that parses arguments, calls [`confo::backend`] and
//! [`confo::tree`], and prints.
//!
//! ```text
//! confo [--url URL] [--json] <command>
//!   namespaces                      list namespaces
//!   ls [<ns>]                       list a namespace, or the whole tree
//!   get <ns>/<name> [<field>]       print a configuration or one field
//!   put <ns>/<name> <file|->        write a JSON object (--if-version V)
//!   set <ns>/<name> <field> <json>  set one field (compare-and-set, retried)
//!   rm <ns>/<name> | rm -r <ns>     delete (--yes for a non-empty namespace)
//!   export <dir> / import <dir> / diff <dir>
//!   watch <ns>/<name>               one JSON line per new version
//! ```
//!
//! The store is `--url`, else `CONFO_URL`, else `file://./confo`. Data goes
//! to stdout, messages to stderr; [`Exit`] lists the exit codes. See
//! `docs/cli.md` for every command and an example session.

mod args;
mod commands;
mod exit;
mod logging;
mod output;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use confo::backend::redact;

pub use exit::Exit;

use args::Cli;
use exit::Failure;
use output::Output;

/// Runs the command with the process's arguments; what `confo`'s `main` calls.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     confo_cli::main()
/// }
/// ```
pub fn main() -> ExitCode {
    run(std::env::args_os()).into()
}

/// Runs the command with `args` (the first is the program name) and returns
/// its exit status. Prints to this process's stdout and stderr.
///
/// ```
/// use confo_cli::{run, Exit};
///
/// assert_eq!(run(["confo", "--url", "mem://", "namespaces"]), Exit::Ok);
/// assert_eq!(run(["confo", "get", "not-a-path"]), Exit::Usage);
/// ```
pub fn run<I, T>(args: I) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // Every message may echo what was typed (a URL misplaced as a path, a
    // usage error): hide the credentials of every URL among the arguments
    // and in CONFO_URL, whatever they hold, in every message.
    let mut typed: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    typed.extend(std::env::var(confo::backend::URL_ENV).ok());
    output::hide_credentials_of(typed);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version are "errors" that print to stdout.
            let _ = e.print();
            return Exit::Ok;
        }
        Err(e) => {
            // clap quotes what it did not understand, which may be a URL
            // given without --url: `note` hides its password.
            let text = e.render().to_string();
            Output { json: false }.note(text.trim_end());
            return Exit::Usage;
        }
    };
    logging::init(cli.verbose, &cli.url);
    let out = Output { json: cli.json };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out.note(&format!("error: cannot start the async runtime: {e}"));
            return Exit::Error;
        }
    };
    let result = runtime.block_on(commands::run(cli, out));
    // Do not wait for tasks a backend left running (reconnect loops).
    runtime.shutdown_background();
    match result {
        Ok(()) | Err(Failure::BrokenPipe) => Exit::Ok,
        Err(Failure::Partial) => Exit::Partial,
        Err(Failure::Confo(err)) => {
            out.note(&format!("error: {err}"));
            Exit::of(&err)
        }
        Err(Failure::Message(exit, message)) => {
            out.note(&format!("error: {message}"));
            exit
        }
    }
}

/// `text` with the password of every `user:password@` in it replaced by `***`.
pub(crate) fn redact_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for ch in text.chars() {
        if ch.is_whitespace() {
            out.push_str(&redact_word(&word));
            word.clear();
            out.push(ch);
        } else {
            word.push(ch);
        }
    }
    out.push_str(&redact_word(&word));
    out
}

fn redact_word(word: &str) -> String {
    if word.contains('@') {
        redact(word)
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_clap_messages_are_hidden() {
        let text = "error: unrecognized subcommand 'zk://admin:hunter2@h:1/x'\n  tip: a@b";
        let shown = redact_words(text);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("'zk://admin:***@h:1/x'"), "{shown}");
        assert!(shown.ends_with("tip: a@b"), "{shown}");
    }
}
