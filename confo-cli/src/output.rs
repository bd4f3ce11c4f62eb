//! Where output goes: data on stdout (human text or JSON), messages on stderr.

use std::io::{self, IsTerminal, Write};

use serde_json::Value;

use super::exit::Failure;

/// The arguments (and `CONFO_URL`) whose URL credentials no message shows.
static TYPED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Sets what [`Output::note`] hides: the command's arguments and `CONFO_URL`.
pub(crate) fn hide_credentials_of(typed: Vec<String>) {
    let _ = TYPED.set(typed);
}

fn credentials() -> &'static [String] {
    TYPED.get().map_or(&[], Vec::as_slice)
}

/// How the command prints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    /// `--json`: data as JSON instead of text.
    pub json: bool,
}

impl Output {
    /// One line of data on stdout. A closed stdout ends the command quietly.
    pub fn line(&self, text: &str) -> Result<(), Failure> {
        let mut out = io::stdout().lock();
        writeln!(out, "{text}")?;
        out.flush()?;
        Ok(())
    }

    /// One line of data for people (names, differences) on stdout, with
    /// control and invisible characters escaped ([`crate::terminal_safe`]).
    pub fn text(&self, text: &str) -> Result<(), Failure> {
        self.line(&confo::terminal_safe::escape(text))
    }

    /// Raw bytes of data on stdout, with a newline if they lack one.
    pub fn bytes(&self, bytes: &[u8]) -> Result<(), Failure> {
        let mut out = io::stdout().lock();
        out.write_all(bytes)?;
        if !bytes.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(())
    }

    /// A JSON value on stdout: pretty over several lines, or compact on one.
    pub fn value(&self, value: &Value, pretty: bool) -> Result<(), Failure> {
        let text = if pretty {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .unwrap_or_else(|_| "null".into());
        self.line(&text)
    }

    /// `--json` data, compact on one line.
    pub fn json(&self, value: &Value) -> Result<(), Failure> {
        self.value(value, false)
    }

    /// A message for the person on stderr (never data). Errors writing it are ignored.
    pub fn note(&self, text: &str) {
        // Messages may echo arguments (URLs with passwords) and quote names
        // and keys from the store: hide the one, keep the terminal safe.
        let text = crate::redact_words(&confo::backend::redact_args(text, credentials()));
        let text = confo::terminal_safe::escape_lines(&text);
        let _ = writeln!(io::stderr().lock(), "{text}");
    }

    /// True when stderr is a terminal someone watches (progress bars).
    pub fn stderr_is_terminal(&self) -> bool {
        io::stderr().is_terminal()
    }
}
