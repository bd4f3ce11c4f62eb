//! The command line, as clap derive types.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use confo::backend::{DEFAULT_URL, URL_ENV};
use confo::Version;
use confo::{ConfigPath, Namespace};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  error (unreachable store, invalid input or tree, I/O, refused)
  2  usage: bad arguments, including a bad name, path, version or URL
  3  not found: configuration, namespace or field, or a version the history
     does not hold (show, diff, rollback)
  4  version conflict: the configuration changed (--if-version, import)
  5  not authorized: the store refused the credentials
  6  refused: the value breaks a schema published by a service that reads
     the configuration (put, set, import, check); nothing was written;
     --force writes anyway
  7  partial: some entries could not be read or represented, or this
     identity may not read them (ls, export, diff warn about each one;
     the rest was done)

Data goes to stdout, messages to stderr. The password of a zk:// URL is
never printed. On a shared machine give the URL in CONFO_URL rather than
--url: other users see every process's arguments (ps), not its environment.";

/// confo: read, write, watch, import and export configurations.
#[derive(Debug, Parser)]
#[command(
    name = "confo",
    version,
    about = "Read, write, watch, import and export confo configurations",
    long_about = "Read, write, watch, import and export confo configurations.\n\n\
        A store holds namespaces, each holding configurations, each one JSON object:\n\
        ZooKeeper (zk://user:password@host:port), a directory of JSON files\n\
        (file://DIR, laid out as DIR/<namespace>/<name>.json) or memory (mem://).",
    after_help = EXIT_CODES
)]
pub(crate) struct Cli {
    /// The store: file://DIR, zk://[user:password@]host:port[,...][/chroot] or mem://
    #[arg(
        long,
        global = true,
        env = URL_ENV,
        default_value = DEFAULT_URL,
        hide_env_values = true,
        value_name = "URL"
    )]
    pub url: String,

    /// Print data as JSON (listings, reports, results), compact, on one line
    #[arg(long, global = true)]
    pub json: bool,

    /// Log what confo does on stderr: -v warnings, -vv debug, -vvv all
    /// (RUST_LOG, a tracing filter, wins). Passwords are never logged
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// One subcommand.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the namespaces, one per line
    Namespaces,

    /// List the configurations of a namespace, or the whole tree as ns/name
    Ls {
        /// Only this namespace (its names, one per line)
        namespace: Option<Namespace>,
    },

    /// Print a configuration (pretty JSON), or one top-level field's value
    ///
    /// Pretty JSON on a terminal and in a pipe alike (--compact for one
    /// line). Stored values are printed as they are, secrets included.
    Get(GetArgs),

    /// Write a configuration from a file or stdin; it must be a JSON object
    ///
    /// Input that is not one JSON object within the size limit is refused
    /// with its line and column, and nothing is written. The bytes are
    /// stored as given.
    Put(PutArgs),

    /// Set one top-level field (compare-and-set, retried on conflict)
    ///
    /// Reads, changes one field, writes back if nobody wrote meanwhile, else
    /// applies the change to the new value; gives up (exit 4) after 10 tries.
    Set(SetArgs),

    /// Delete a configuration, or a namespace with -r
    Rm(RmArgs),

    /// Write the whole tree into a directory: DIR/<namespace>/<name>.json
    ///
    /// Bytes exactly as stored, empty namespaces as empty directories: the
    /// layout of the file store, so file://DIR opens the copy.
    Export(ExportArgs),

    /// Write a directory tree into the store; checks every file first
    ///
    /// Every file must be DIR/<namespace>/<name>.json holding one JSON object
    /// within the size limit; if any is not, all problems are listed and
    /// nothing is written. Then prints what changes (`+ path` created,
    /// `~ path (fields)` replaced) and writes it, compare-and-set, in batches.
    /// Unchanged configurations are not written; what is only in the store
    /// is left alone.
    Import(ImportArgs),

    /// Show what differs between a directory tree and the store, or between two versions
    ///
    /// `confo diff DIR`: one line each, `+ path` only in the directory,
    /// `- path` only in the store, `~ path (fields)` different JSON
    /// (formatting and key order do not count). Prints nothing when they
    /// are the same; exits 0 either way.
    ///
    /// `confo diff PATH@V1 PATH@V2`: the keys that differ between two
    /// recorded versions (PATH alone: the current value), `~ key: old ->
    /// new`, `+ key: new`, `- key: old`; a secret field (one a published
    /// schema marks secret) only as `~ key: (secret changed)`.
    Diff(DiffArgs),

    /// Print each new version of a configuration as one JSON line
    ///
    /// {"path", "version", "value"}: first the current value, then one line
    /// per change, version and value null when deleted; until interrupted,
    /// --max-events or --timeout. Uses the store's own watches (ZooKeeper
    /// watches, file-system events); reads every --interval a store that
    /// cannot watch, or cannot be reached, until it can.
    Watch(WatchArgs),

    /// Show, publish or retire the schemas services publish for a configuration
    ///
    /// A service that reads a configuration publishes the JSON Schema of its
    /// type (`confo.publish_schema::<T>()`); every write through confo must
    /// satisfy all of them, or it is refused (exit 6).
    #[command(subcommand)]
    Schema(SchemaCommand),

    /// List the recorded writes of a configuration, newest first
    ///
    /// One line each: the version it wrote, when, who (the ZooKeeper digest
    /// user, else the OS user), which keys it changed and its message
    /// (`-m`). A write made by another client (Python confo, zkCli) is not
    /// recorded and shows as `~ written outside confo`. Values are not
    /// printed; `confo show PATH@V` prints one.
    History(HistoryArgs),

    /// Print a configuration as it was at a version: PATH@V
    ///
    /// V is a version `confo history` lists, or -N for the value N recorded
    /// writes back (PATH@-1: before the last write). Fields a published
    /// schema marks secret (Secret<T>) print as "***".
    Show(ShowArgs),

    /// Write back a recorded version: checked, compare-and-set, recorded
    ///
    /// The value the configuration had at --to V is written if nobody wrote
    /// since the history was read (else exit 4), checked against the
    /// published schemas (exit 6; --force writes anyway), and recorded in
    /// the history with the message "rollback to version V" unless -m.
    Rollback(RollbackArgs),

    /// Show which running instances follow a configuration, and on which version
    ///
    /// Every service that follows it with a service name (`Confo::with_service`,
    /// then `watch`) registers each instance: ZooKeeper drops the registration
    /// when the process's session ends; the file store keeps it while its
    /// lease (60 s, renewed every 20 s) holds. One line per version held, one
    /// per version rejected with the field errors and who rejected it.
    Status(StatusArgs),

    /// Check a directory tree against the published schemas; write nothing
    ///
    /// For a CI step before a change is merged: every DIR/<namespace>/<name>.json
    /// is checked against the schemas published for it in the store. Prints
    /// each rule a file breaks (`path: field: rule (service)`); exit 6 if
    /// any does, 0 if all pass.
    Check(CheckArgs),
}

/// `confo schema ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SchemaCommand {
    /// Print the schemas published for a configuration, one per service
    Show {
        /// The configuration: <namespace>/<name>
        path: ConfigPath,
    },

    /// Publish a JSON Schema for a configuration under a service name
    ///
    /// What a service does with `confo.publish_schema::<T>()`, for a schema
    /// in a file (or - for stdin); replaces that service's previous one.
    Publish {
        /// The configuration: <namespace>/<name>
        path: ConfigPath,

        /// A file holding the JSON Schema, or - for stdin
        #[arg(value_name = "FILE|-")]
        input: String,

        /// The service publishing it
        #[arg(long, value_name = "SERVICE")]
        service: String,
    },

    /// Retire the schema a service published (it no longer reads the configuration)
    Rm {
        /// The configuration: <namespace>/<name>
        path: ConfigPath,

        /// The service whose schema to retire
        #[arg(
            long,
            value_name = "SERVICE",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        service: Option<String>,

        /// Retire every schema published for the configuration
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// A directory laid out as DIR/<namespace>/<name>.json
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// The configuration: <namespace>/<name>
    pub path: ConfigPath,

    /// A top-level field: print its value alone
    pub field: Option<String>,

    /// One line of JSON instead of pretty
    #[arg(long)]
    pub compact: bool,

    /// Print as stored: a string field without quotes, a whole
    /// configuration byte for byte (even if it is not valid JSON)
    #[arg(long)]
    pub raw: bool,

    /// Also print the stored version on stderr ("version N"), the value
    /// `put --if-version` and `rm --if-version` take
    #[arg(long)]
    pub show_version: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PutArgs {
    /// The configuration: <namespace>/<name> (the namespace is created if missing)
    pub path: ConfigPath,

    /// A file holding one JSON object, or - for stdin
    #[arg(value_name = "FILE|-")]
    pub input: String,

    /// Write only if the stored version is V (compare-and-set); see `get --show-version`
    #[arg(long, value_name = "V", conflicts_with = "if_absent", value_parser = parse_version)]
    pub if_version: Option<Version>,

    /// Write only if the configuration does not exist yet
    #[arg(long)]
    pub if_absent: bool,

    /// Write even if the value breaks a schema a service published; the
    /// command says what it breaks (see `confo schema show`)
    #[arg(long)]
    pub force: bool,

    /// Why, recorded with the write in the configuration's history (`confo history`)
    #[arg(short = 'm', long, value_name = "MESSAGE")]
    pub message: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    /// The configuration: <namespace>/<name>; it must exist
    pub path: ConfigPath,

    /// The top-level field to set
    pub field: String,

    /// Its new value, as JSON: 5433, true, '"a string"', '{"a": 1}'
    #[arg(value_parser = parse_json_value, value_name = "JSON")]
    pub value: Value,

    /// Write even if the value breaks a schema a service published; the
    /// command says what it breaks (see `confo schema show`)
    #[arg(long)]
    pub force: bool,

    /// Why, recorded with the write in the configuration's history (`confo history`)
    #[arg(short = 'm', long, value_name = "MESSAGE")]
    pub message: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RmArgs {
    /// <namespace>/<name>, or <namespace> with -r
    #[arg(value_name = "PATH|NAMESPACE")]
    pub target: String,

    /// Delete a namespace and every configuration in it
    #[arg(short = 'r', long)]
    pub recursive: bool,

    /// Confirm deleting a namespace that still holds configurations
    #[arg(long, requires = "recursive")]
    pub yes: bool,

    /// Delete only if the stored version is V (compare-and-set)
    #[arg(long, value_name = "V", conflicts_with = "recursive", value_parser = parse_version)]
    pub if_version: Option<Version>,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The directory to write (created if missing; must be empty unless --force)
    pub dir: PathBuf,

    /// Write into a non-empty directory: replace files of the same name, keep others
    #[arg(long)]
    pub force: bool,

    /// Also write the schemas services published, as the file store keeps
    /// them (DIR/.confo-meta/<namespace>/<name>/schemas.json)
    #[arg(long)]
    pub with_schemas: bool,

    /// Also write each configuration's history of recorded writes, as the
    /// file store keeps it (DIR/.confo-meta/<namespace>/<name>/history.json);
    /// it holds old values, secrets included
    #[arg(long)]
    pub with_history: bool,

    /// Sync each file and its directory before writing the next (two
    /// fsyncs per file, as export did before it batched) instead of one sync of the
    /// file system for the whole tree: slower, for a file system shared
    /// with heavy writers, whose pending data a whole-file-system sync
    /// also waits for
    #[arg(long)]
    pub sync_each_file: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// A directory laid out as DIR/<namespace>/<name>.json
    pub dir: PathBuf,

    /// Check and print what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Also publish the schemas the directory holds (from `export
    /// --with-schemas`), replacing the store's for those configurations,
    /// after the values are written
    #[arg(long)]
    pub with_schemas: bool,

    /// Also carry the histories the directory holds (from `export
    /// --with-history`), replacing the store's for those configurations,
    /// before the values are written (whose writes are then recorded on top)
    #[arg(long)]
    pub with_history: bool,

    /// Write even if the value breaks a schema a service published; the
    /// command says what it breaks (see `confo schema show`)
    #[arg(long)]
    pub force: bool,

    /// Why, recorded with the write in the configuration's history (`confo history`)
    #[arg(short = 'm', long, value_name = "MESSAGE")]
    pub message: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// A directory laid out as DIR/<namespace>/<name>.json; or two
    /// versions, PATH@V1 PATH@V2
    #[arg(value_name = "DIR | PATH@V1 PATH@V2", num_args = 1..=2, required = true)]
    pub targets: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The configuration: <namespace>/<name>
    pub path: ConfigPath,

    /// Show at most the N newest writes
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<usize>,

    /// Remove the history of the configuration (the configuration stays)
    #[arg(long, conflicts_with = "limit")]
    pub clear: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The configuration: <namespace>/<name>
    pub path: ConfigPath,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The configuration and version: <namespace>/<name>@V (V from `confo
    /// history`, or -N for N recorded writes back)
    #[arg(value_name = "PATH@V")]
    pub target: String,

    /// One line of JSON instead of pretty
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// The configuration: <namespace>/<name>
    pub path: ConfigPath,

    /// The version to write back (from `confo history`), or -N for N
    /// recorded writes back (-1: undo the last write)
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub to: String,

    /// Why, recorded in the history (default "rollback to version V")
    #[arg(short = 'm', long, value_name = "MESSAGE")]
    pub message: Option<String>,

    /// Write even if the value breaks a schema a service published
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// The configuration: <namespace>/<name>
    pub path: ConfigPath,

    /// How often to read a store that cannot watch (or while it cannot be
    /// reached): 500ms, 2s, 1m (10ms to 1h)
    #[arg(long, default_value = "500ms", value_parser = parse_interval, value_name = "DURATION")]
    pub interval: Duration,

    /// Stop after printing N events (the first is the current value)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_events: Option<u64>,

    /// Stop after this long: 30s, 5m, 2h
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// Register this command as a running instance of SERVICE while it
    /// watches, holding the version it printed last (see `confo status`)
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
}

/// A JSON value given on the command line.
fn parse_json_value(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| {
        format!("not valid JSON ({e}); a string needs JSON quotes inside the shell's: '\"{s}\"'")
    })
}

/// A version as `get --show-version` prints it.
fn parse_version(s: &str) -> Result<Version, String> {
    s.parse().map_err(|_| {
        "a version is the unsigned number printed by `confo get --show-version` or `confo get --json`"
            .to_owned()
    })
}

/// `500ms`, `2s`, `1m`, `1h`.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let usage =
        || format!("expected a number and a unit (ms, s, m or h), e.g. 500ms or 2s; got {s:?}");
    let n: u64 = digits.parse().map_err(|_| usage())?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(usage()),
    };
    ms.map(Duration::from_millis)
        .ok_or_else(|| format!("{s} is too long"))
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_millis(10) || d > Duration::from_secs(3600) {
        return Err(format!("{s} is out of range: from 10ms to 1h"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_parse_with_units_only() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
        assert!(parse_interval("1ms").is_err());
    }
}
