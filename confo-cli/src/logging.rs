//! The command's log: `tracing` events (confo's and the ZooKeeper
//! client's) on stderr, behind `RUST_LOG` (a `tracing_subscriber`
//! `EnvFilter`, e.g. `RUST_LOG=confo=debug`) or `-v` (warnings and confo's
//! info), `-vv` (debug), `-vvv` (everything). Off otherwise: the command's
//! own messages already say what went wrong.
//!
//! Every line is redacted like the rest of the output: the credentials of
//! the store's URL (and of any `user:password@` in the text) are hidden
//! whatever they hold, and control characters are escaped.

use std::io::{self, Write};
use std::sync::Arc;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Installs the log for this process; `url` is the store's URL as given.
pub(crate) fn init(verbose: u8, url: &str) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(match verbose {
            0 => "off",
            1 => "warn,confo=info",
            2 => "info,confo=debug",
            _ => "trace",
        }),
    };
    let writer = Redacting {
        secrets: Arc::new(vec![url.to_owned()]),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(true)
        .with_writer(writer)
        .try_init();
}

/// Makes one [`Line`] per event.
#[derive(Clone)]
struct Redacting {
    secrets: Arc<Vec<String>>,
}

impl<'a> MakeWriter<'a> for Redacting {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            secrets: Arc::clone(&self.secrets),
            buf: Vec::new(),
        }
    }
}

/// One event's text, redacted and written to stderr when dropped.
struct Line {
    secrets: Arc<Vec<String>>,
    buf: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let text = crate::redact_words(&confo::backend::redact_args(&text, &self.secrets));
        let text = confo::terminal_safe::escape_lines(&text);
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }
}
