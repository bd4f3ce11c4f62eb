//! End-to-end tests of the `confo` command: the built binary, run as an
//! operator would, against a real store.
//!
//! Each case is a function of a [`Store`] (a URL plus a scratch directory);
//! [`cli_suite!`] runs every case against one kind of store. The file store
//! runs here; another store (ZooKeeper) plugs in with one more module:
//!
//! ```ignore
//! mod zookeeper { cli_suite!(Store::new(zk_url_for_a_fresh_chroot(), server_guard)); }
//! ```
//!
//! These tests live in the `confo-cli` package, not the workspace root, because
//! cargo builds a package's binaries before its integration tests and hands
//! them the path in `CARGO_BIN_EXE_confo`: no guessing at `target/` layouts,
//! no second build of the binary from a test.

use std::any::Any;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{json, Value};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_confo");

/// A store the command runs against, and a scratch directory for files.
pub struct Store {
    url: String,
    work: tempfile::TempDir,
    _guard: Box<dyn Any>,
}

impl Store {
    /// A store at `url`, kept alive by `guard` (a server, a temp dir).
    pub fn new(url: String, guard: impl Any) -> Store {
        Store {
            url,
            work: tempfile::tempdir().expect("scratch dir"),
            _guard: Box::new(guard),
        }
    }

    /// A fresh, empty file store (its directory made, as a fresh
    /// ZooKeeper chroot is: listing a missing directory is an error).
    pub fn file() -> Store {
        let dir = tempfile::tempdir().expect("store dir");
        std::fs::create_dir(dir.path().join("store")).expect("store dir");
        let url = format!("file://{}", dir.path().join("store").display());
        Store::new(url, dir)
    }

    /// `confo` with this store in `CONFO_URL`, run in the scratch directory.
    pub fn confo(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("CONFO_URL", &self.url)
            .current_dir(self.work.path())
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// A path in the scratch directory.
    pub fn scratch(&self, rel: &str) -> PathBuf {
        self.work.path().join(rel)
    }

    /// Writes a file in the scratch directory (creating parents).
    pub fn file_with(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.scratch(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    }

    /// Writes a configuration through `confo put -`.
    pub fn put(&self, path: &str, value: Value) {
        self.confo()
            .args(["put", path, "-"])
            .write_stdin(value.to_string())
            .assert()
            .success();
    }

    /// Reads a configuration through `confo get --compact`.
    pub fn get(&self, path: &str) -> Value {
        let out = self
            .confo()
            .args(["get", path, "--compact"])
            .assert()
            .success();
        parse(&out.get_output().stdout)
    }

    /// `confo schema show --json`: the schemas published for `path`.
    pub fn schemas(&self, path: &str) -> Value {
        let out = self
            .confo()
            .args(["schema", "show", path, "--json"])
            .assert()
            .success();
        parse(&out.get_output().stdout)
    }

    /// `confo ls --json`: the whole tree.
    pub fn tree(&self) -> Value {
        let out = self.confo().args(["ls", "--json"]).assert().success();
        parse(&out.get_output().stdout)
    }
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {:?}",
            String::from_utf8_lossy(bytes).into_owned()
        )
    })
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

/// Runs every case against the store `$store` builds, one `#[test]` each.
macro_rules! cli_suite {
    ($store:expr) => {
        cli_suite!(@cases $store;
            namespaces_and_ls_list_the_tree,
            ls_of_a_missing_namespace_is_not_found,
            get_prints_pretty_json_and_a_field_alone,
            get_compact_raw_and_json_forms,
            json_is_one_line_on_every_command,
            get_of_a_missing_config_or_field_is_not_found,
            put_reads_a_file_or_stdin,
            put_refuses_input_that_is_not_a_json_object_and_writes_nothing,
            put_if_version_is_compare_and_set,
            put_if_absent_only_creates,
            set_changes_one_field_and_keeps_the_others,
            set_needs_an_existing_config_and_a_json_value,
            concurrent_sets_lose_nothing,
            rm_deletes_one_configuration,
            rm_r_needs_yes_for_a_non_empty_namespace,
            rm_if_version_is_compare_and_set,
            bad_names_are_usage_errors,
            export_writes_the_file_layout,
            export_refuses_a_non_empty_directory_without_force,
            export_import_diff_round_trip_shows_nothing,
            export_keeps_no_file_open_so_any_tree_fits_the_descriptor_limit,
            import_with_one_bad_file_changes_nothing,
            import_dry_run_prints_changes_and_writes_nothing,
            import_adds_and_updates_but_never_deletes,
            import_of_many_configurations_writes_them_all,
            diff_marks_each_kind_of_difference,
            watch_prints_each_new_version_as_a_json_line,
            watch_stops_at_its_timeout,
            a_write_a_published_schema_refuses_exits_6_and_writes_nothing,
            force_writes_anyway_and_says_what_it_breaks,
            import_of_a_refused_value_writes_nothing,
            schema_show_publish_and_rm,
            check_validates_a_directory_against_the_published_schemas,
            schemas_stay_out_of_export_and_diff_and_go_with_rm,
            get_in_a_missing_namespace_lists_the_known_ones,
            export_and_import_carry_schemas_when_asked,
            history_show_diff_and_rollback,
            history_stays_out_of_trees_unless_asked_and_goes_with_rm,
        );
    };
    (@cases $store:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let store: $crate::Store = $store;
                $crate::$case(&store);
            }
        )*
    };
}

mod file {
    cli_suite!(crate::Store::file());
}

/// The same cases on a real ZooKeeper (one server for this test binary,
/// a fresh chroot per test). Its export/import/diff round trip goes from
/// ZooKeeper into a file store and back to a diff that shows nothing.
mod zookeeper {
    use confo::testing::ZooKeeperServer;

    pub fn fresh_url() -> String {
        ZooKeeperServer::shared()
            .unwrap_or_else(|e| panic!("{e}"))
            .fresh_url("cli")
    }

    cli_suite!(crate::Store::new(fresh_url(), ()));
}

#[test]
fn an_unreachable_zookeeper_is_an_error_naming_the_hosts_within_the_timeout() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let started = std::time::Instant::now();
    Command::new(BIN)
        .args([
            "--url",
            &format!("zk://admin:hunter2@127.0.0.1:{port}?connect_timeout=2s"),
            "namespaces",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "zk://admin:***@127.0.0.1:{port}"
        )))
        .stderr(predicate::str::contains(format!(
            "127.0.0.1:{port}: connection refused"
        )))
        .stderr(predicate::str::contains("hunter2").not());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "gave up after {:?}",
        started.elapsed()
    );
}

#[test]
fn a_wrong_password_is_not_authorized_with_exit_code_5() {
    let url = zookeeper::fresh_url();
    let base = url.trim_start_matches("zk://");
    let owner = format!("zk://owner:right@{base}");
    let intruder = format!("zk://owner:wrong@{base}");
    Command::new(BIN)
        .args(["--url", &owner, "put", "systemA/database", "-"])
        .write_stdin(r#"{"password":"hunter2-secret"}"#)
        .assert()
        .success();
    Command::new(BIN)
        .args(["--url", &intruder, "get", "systemA/database"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("not authorized"))
        // The message says which identity was refused, never its password.
        .stderr(predicate::str::contains(format!("zk://owner:***@{base}")))
        .stderr(predicate::str::contains("systemA/database"))
        .stderr(predicate::str::contains("hunter2").not())
        .stderr(predicate::str::contains("wrong").not());
}

/// A tree shared by several identities: what this one may not read is
/// listed as such and skipped with a warning (exit 7, partial), and the
/// rest is listed, exported and compared.
#[test]
fn a_shared_tree_lists_exports_and_diffs_what_this_identity_may_read() {
    let url = zookeeper::fresh_url();
    let base = url.trim_start_matches("zk://");
    let as_user = |user: &str| format!("zk://{user}:pw-{user}@{base}");
    let put = |url: &str, path: &str, value: &str| {
        Command::new(BIN)
            .args(["--url", url, "put", path, "-"])
            .write_stdin(value.to_owned())
            .assert()
            .success();
    };
    // An open tree (no credentials: open ACLs), then each identity's parts.
    put(&url, "shared/open", r#"{"a":1}"#);
    put(
        &as_user("alice"),
        "systemA/database",
        r#"{"password":"alice-only"}"#,
    );
    put(
        &as_user("alice"),
        "shared/secret",
        r#"{"token":"alice-only"}"#,
    );
    put(&as_user("bob"), "systemB/email", r#"{"tls":true}"#);
    let bob = as_user("bob");
    let confo = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.arg("--url").arg(&bob).args(args);
        cmd
    };

    let listed = confo(&["ls"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("warning: left out systemA/"))
        .stderr(predicate::str::contains("the result is partial (exit 7)"));
    let stdout = stdout_of(&listed);
    assert_eq!(
        stdout,
        "shared/open\nshared/secret\nsystemA/ (not authorized)\nsystemB/email\n"
    );

    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("bob");
    confo(&["export"])
        .arg(&out)
        .assert()
        .code(7)
        .stderr(predicate::str::contains("left out systemA/"))
        .stderr(predicate::str::contains("left out shared/secret"))
        .stderr(predicate::str::contains("exported 2 configurations"));
    assert!(out.join("shared/open.json").is_file());
    assert!(out.join("systemB/email.json").is_file());
    assert!(!out.join("shared/secret.json").exists());
    assert!(!out.join("systemA").exists());
    let all = format!(
        "{}{}",
        std::fs::read_to_string(out.join("shared/open.json")).unwrap(),
        std::fs::read_to_string(out.join("systemB/email.json")).unwrap()
    );
    assert!(!all.contains("alice-only"), "{all}");

    // The copy differs from what bob may read in nothing; the rest is
    // reported as left out, not as "only in the store" or "only in the dir".
    confo(&["diff"])
        .arg(&out)
        .assert()
        .code(7)
        .stdout("")
        .stderr(predicate::str::contains("left out systemA/"));
    std::fs::create_dir_all(out.join("systemA")).unwrap();
    std::fs::write(out.join("systemA/database.json"), "{}").unwrap();
    confo(&["diff"]).arg(&out).assert().code(7).stdout("");
}

/// `watch` on ZooKeeper follows the store's own watch, not polling: the
/// interval is an hour, so only an event can print the next line in time.
#[test]
fn watch_follows_zookeeper_events_without_polling() {
    let s = Store::new(zookeeper::fresh_url(), ());
    s.put("systemA/database", json!({"port": 1}));
    let mut child = std::process::Command::new(BIN)
        .env("CONFO_URL", &s.url)
        .args([
            "watch",
            "systemA/database",
            "--interval",
            "1h",
            "--max-events",
            "3",
            "--timeout",
            "60s",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn confo watch");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = || parse(lines.next().expect("a line").expect("read").as_bytes());
    assert_eq!(next()["value"], json!({"port": 1}));
    s.confo()
        .args(["set", "systemA/database", "port", "2"])
        .assert()
        .success();
    assert_eq!(next()["value"], json!({"port": 2}));
    // Deleted: null for version and value.
    s.confo()
        .args(["rm", "systemA/database"])
        .assert()
        .success();
    assert_eq!(next()["value"], Value::Null);
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}");
}

// ---------------------------------------------------------------- listing

pub fn namespaces_and_ls_list_the_tree(s: &Store) {
    for cmd in ["namespaces", "ls"] {
        s.confo()
            .arg(cmd)
            .assert()
            .success()
            .stdout("")
            .stderr(predicate::str::starts_with("no namespaces in "));
    }
    s.put("systemB/email", json!({"smtp": "mail"}));
    s.put("systemA/database", json!({"port": 1}));
    s.put("systemA/cache", json!({"ttl": 2}));

    s.confo()
        .arg("namespaces")
        .assert()
        .success()
        .stdout("systemA\nsystemB\n");
    let out = s.confo().args(["namespaces", "--json"]).assert().success();
    assert_eq!(
        parse(&out.get_output().stdout),
        json!(["systemA", "systemB"])
    );

    s.confo()
        .arg("ls")
        .assert()
        .success()
        .stdout("systemA/cache\nsystemA/database\nsystemB/email\n");
    s.confo()
        .args(["ls", "systemA"])
        .assert()
        .success()
        .stdout("cache\ndatabase\n");
    let out = s
        .confo()
        .args(["ls", "systemA", "--json"])
        .assert()
        .success();
    assert_eq!(
        parse(&out.get_output().stdout),
        json!(["cache", "database"])
    );
    assert_eq!(
        s.tree(),
        json!({"systemA": ["cache", "database"], "systemB": ["email"]})
    );
}

pub fn ls_of_a_missing_namespace_is_not_found(s: &Store) {
    s.put("systemA/database", json!({}));
    s.confo()
        .args(["ls", "nope"])
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("namespace \"nope\" not found"));
}

// ---------------------------------------------------------------- get

pub fn get_prints_pretty_json_and_a_field_alone(s: &Store) {
    s.put(
        "systemA/database",
        json!({"host": "db.local", "port": 5432}),
    );
    s.confo()
        .args(["get", "systemA/database"])
        .assert()
        .success()
        .stdout("{\n  \"host\": \"db.local\",\n  \"port\": 5432\n}\n");
    s.confo()
        .args(["get", "systemA/database", "port"])
        .assert()
        .success()
        .stdout("5432\n");
    s.confo()
        .args(["get", "systemA/database", "host"])
        .assert()
        .success()
        .stdout("\"db.local\"\n");
}

pub fn get_compact_raw_and_json_forms(s: &Store) {
    s.put(
        "systemA/database",
        json!({"host": "db.local", "port": 5432}),
    );
    s.confo()
        .args(["get", "systemA/database", "--compact"])
        .assert()
        .success()
        .stdout("{\"host\":\"db.local\",\"port\":5432}\n");
    s.confo()
        .args(["get", "systemA/database", "host", "--raw"])
        .assert()
        .success()
        .stdout("db.local\n");

    let out = s
        .confo()
        .args(["get", "systemA/database", "--json", "--show-version"])
        .assert()
        .success();
    let envelope = parse(&out.get_output().stdout);
    assert_eq!(envelope["path"], "systemA/database");
    assert_eq!(envelope["value"]["port"], 5432);
    let version = envelope["version"].as_str().expect("version is a string");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert_eq!(stderr.trim(), format!("version {version}"));

    let out = s
        .confo()
        .args(["get", "systemA/database", "port", "--json"])
        .assert()
        .success();
    let envelope = parse(&out.get_output().stdout);
    assert_eq!(envelope["field"], "port");
    assert_eq!(envelope["value"], 5432);
}

pub fn get_of_a_missing_config_or_field_is_not_found(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    s.confo()
        .args(["get", "systemA/nothing"])
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("systemA/nothing not found"));
    s.confo()
        .args(["get", "systemA/database", "nofield"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("field \"nofield\" not found"));
}

// ---------------------------------------------------------------- put

pub fn put_reads_a_file_or_stdin(s: &Store) {
    let file = s.file_with("db.json", "{\n  \"port\": 5432\n}\n");
    s.confo()
        .args(["put", "systemA/database"])
        .arg(&file)
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::starts_with(
            "wrote systemA/database (version ",
        ));
    assert_eq!(s.get("systemA/database"), json!({"port": 5432}));

    let out = s
        .confo()
        .args(["put", "systemA/database", "-", "--json"])
        .write_stdin(r#"{"port": 5433}"#)
        .assert()
        .success();
    let result = parse(&out.get_output().stdout);
    assert_eq!(result["path"], "systemA/database");
    assert!(result["version"].is_string());
    assert_eq!(s.get("systemA/database"), json!({"port": 5433}));
}

pub fn put_refuses_input_that_is_not_a_json_object_and_writes_nothing(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    for (input, says) in [
        (
            "{\"port\": }",
            "stdin is not valid JSON: expected value at line 1",
        ),
        ("[1, 2]", "stdin holds a JSON array"),
        ("", "stdin is not valid JSON"),
    ] {
        s.confo()
            .args(["put", "systemA/database", "-"])
            .write_stdin(input)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains("nothing was written"));
    }
    let big = format!(r#"{{"blob": "{}"}}"#, "x".repeat(1024 * 1024));
    s.confo()
        .args(["put", "systemA/database", "-"])
        .write_stdin(big)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("over the limit"));
    s.confo()
        .args(["put", "systemA/database", "no-such-file.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read no-such-file.json"));
    assert_eq!(s.get("systemA/database"), json!({"port": 1}));
}

pub fn put_if_version_is_compare_and_set(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    let out = s
        .confo()
        .args(["get", "systemA/database", "--json"])
        .assert()
        .success();
    let version = parse(&out.get_output().stdout)["version"]
        .as_str()
        .expect("version")
        .to_owned();

    // The first writer with the version read wins...
    s.confo()
        .args(["put", "systemA/database", "-", "--if-version", &version])
        .write_stdin(r#"{"port": 2}"#)
        .assert()
        .success();
    // ...a second with the same, now stale, version loses and changes nothing.
    s.confo()
        .args(["put", "systemA/database", "-", "--if-version", &version])
        .write_stdin(r#"{"port": 3}"#)
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "version conflict on systemA/database",
        ));
    assert_eq!(s.get("systemA/database"), json!({"port": 2}));

    s.confo()
        .args([
            "put",
            "systemA/database",
            "-",
            "--if-version",
            "not-a-number",
        ])
        .write_stdin("{}")
        .assert()
        .code(2);
}

pub fn put_if_absent_only_creates(s: &Store) {
    s.confo()
        .args(["put", "systemA/database", "-", "--if-absent"])
        .write_stdin(r#"{"port": 1}"#)
        .assert()
        .success();
    s.confo()
        .args(["put", "systemA/database", "-", "--if-absent"])
        .write_stdin(r#"{"port": 2}"#)
        .assert()
        .code(4);
    assert_eq!(s.get("systemA/database"), json!({"port": 1}));
}

// ---------------------------------------------------------------- set

pub fn set_changes_one_field_and_keeps_the_others(s: &Store) {
    s.put("systemA/database", json!({"host": "db", "port": 1}));
    s.confo()
        .args(["set", "systemA/database", "port", "5433"])
        .assert()
        .success()
        .stderr(predicate::str::starts_with(
            "set systemA/database port (version ",
        ));
    s.confo()
        .args([
            "set",
            "systemA/database",
            "tags",
            r#"["a", {"b": null}]"#,
            "--json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"field\":\"tags\""));
    assert_eq!(
        s.get("systemA/database"),
        json!({"host": "db", "port": 5433, "tags": ["a", {"b": null}]})
    );
}

pub fn concurrent_sets_lose_nothing(s: &Store) {
    s.put("systemA/database", json!({"host": "db"}));
    let children: Vec<_> = (0..6)
        .map(|i| {
            std::process::Command::new(BIN)
                .env("CONFO_URL", &s.url)
                .args(["set", "systemA/database", &format!("f{i}"), &i.to_string()])
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn confo set")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        s.get("systemA/database"),
        json!({"host": "db", "f0": 0, "f1": 1, "f2": 2, "f3": 3, "f4": 4, "f5": 5})
    );
}

pub fn set_needs_an_existing_config_and_a_json_value(s: &Store) {
    s.put("systemA/database", json!({"host": "db"}));
    s.confo()
        .args(["set", "systemA/nothing", "port", "1"])
        .assert()
        .code(3);
    s.confo()
        .args(["set", "systemA/database", "host", "db.local"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'\"db.local\"'"));
    assert_eq!(s.get("systemA/database"), json!({"host": "db"}));
}

// ---------------------------------------------------------------- rm

pub fn rm_deletes_one_configuration(s: &Store) {
    s.put("systemA/database", json!({}));
    s.put("systemA/cache", json!({}));
    s.confo()
        .args(["rm", "systemA/database"])
        .assert()
        .success()
        .stderr("deleted systemA/database\n");
    assert_eq!(s.tree(), json!({"systemA": ["cache"]}));
    s.confo().args(["rm", "systemA/database"]).assert().code(3);
    s.confo()
        .args(["rm", "systemA"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("confo rm -r systemA"));
}

pub fn rm_r_needs_yes_for_a_non_empty_namespace(s: &Store) {
    s.put("systemA/database", json!({}));
    s.put("systemA/cache", json!({}));
    s.confo()
        .args(["rm", "-r", "systemA"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "holds 2 configurations (cache, database); add --yes",
        ));
    assert_eq!(s.tree(), json!({"systemA": ["cache", "database"]}));
    s.confo()
        .args(["rm", "-r", "systemA", "--yes"])
        .assert()
        .success()
        .stderr("deleted namespace systemA (2 configurations)\n");
    assert_eq!(s.tree(), json!({}));
    s.confo().args(["rm", "-r", "systemA"]).assert().code(3);

    // An empty namespace needs no --yes.
    s.put("systemB/email", json!({}));
    s.confo().args(["rm", "systemB/email"]).assert().success();
    assert_eq!(s.tree(), json!({"systemB": []}));
    s.confo()
        .args(["rm", "-r", "systemB"])
        .assert()
        .success()
        .stderr("deleted namespace systemB (0 configurations)\n");
    assert_eq!(s.tree(), json!({}));
}

pub fn rm_if_version_is_compare_and_set(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    let out = s
        .confo()
        .args(["get", "systemA/database", "--json"])
        .assert()
        .success();
    let version = parse(&out.get_output().stdout)["version"]
        .as_str()
        .expect("version")
        .to_owned();
    s.confo()
        .args(["set", "systemA/database", "port", "2"])
        .assert()
        .success();
    s.confo()
        .args(["rm", "systemA/database", "--if-version", &version])
        .assert()
        .code(4);
    assert_eq!(s.get("systemA/database"), json!({"port": 2}));
}

// ---------------------------------------------------------------- bad input

pub fn bad_names_are_usage_errors(s: &Store) {
    for args in [
        &["get", "systemA"][..],
        &["get", "systemA/.."],
        &["get", "zookeeper/x"],
        &["ls", "a\u{1}b"],
        &["put", "/a", "-"],
        &["rm", "-r", ".."],
        &["watch", "nope"],
    ] {
        s.confo()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("error:"));
    }
    assert_eq!(s.tree(), json!({}));
}

/// `--json` prints exactly one line of JSON, whatever the command (and
/// whatever `--compact` or `--raw` say), as `--help` and docs/cli.md promise.
pub fn json_is_one_line_on_every_command(s: &Store) {
    seed(s);
    s.confo().args(["export", "snap"]).assert().success();
    let input = s.file_with("in.json", "{\n  \"ttl\": 90\n}\n");
    let input = input.to_str().expect("utf-8 path");
    let commands: &[&[&str]] = &[
        &["namespaces"],
        &["ls"],
        &["ls", "systemA"],
        &["get", "systemB/email"],
        &["get", "systemA/database", "--show-version"],
        &["get", "systemA/database", "port"],
        &["get", "systemA/database", "--compact"],
        &["get", "systemA/database", "--raw"],
        &["get", "systemA/database", "host", "--raw"],
        &["put", "systemA/cache", input],
        &["set", "systemA/cache", "ttl", "120"],
        &["diff", "snap"],
        &["import", "snap", "--dry-run"],
        &["import", "snap"],
        &["export", "snap2"],
        &["watch", "systemA/cache", "--max-events", "1"],
        &["rm", "systemA/cache"],
    ];
    for args in commands {
        let out = s.confo().args(*args).arg("--json").assert().success();
        let stdout = stdout_of(&out);
        let body = stdout
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("{args:?} --json: no newline at the end: {stdout:?}"));
        assert!(
            !body.is_empty() && !body.contains('\n'),
            "{args:?} --json: not one line: {stdout:?}"
        );
        assert!(
            serde_json::from_str::<Value>(body).is_ok(),
            "{args:?} --json: not JSON: {stdout:?}"
        );
    }
}

pub fn get_in_a_missing_namespace_lists_the_known_ones(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    s.put("systemB/email", json!({"tls": true}));
    s.confo()
        .args(["get", "sytemA/database"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("there is no namespace sytemA in "))
        .stderr(predicate::str::contains("(known: systemA, systemB)"));
    // In a namespace that exists, the plain "not found".
    s.confo()
        .args(["get", "systemA/nope"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "configuration systemA/nope not found",
        ))
        .stderr(predicate::str::contains("there is no namespace").not());
}

// ---------------------------------------------------------------- checked writes

/// billing reads `port` as an integer; search needs a non-empty `host`.
fn publish_schemas(s: &Store) {
    let billing = s.file_with(
        "billing.schema.json",
        r#"{"type": "object", "properties": {"port": {"type": "integer"}}, "required": ["port"]}"#,
    );
    let search = s.file_with(
        "search.schema.json",
        r#"{"type": "object", "properties": {"host": {"type": "string", "minLength": 1}}}"#,
    );
    for (service, file) in [("billing", &billing), ("search", &search)] {
        s.confo()
            .args(["schema", "publish", "systemA/database"])
            .arg(file)
            .args(["--service", service])
            .assert()
            .success()
            .stderr(predicate::str::contains(format!(
                "published the schema of {service} for systemA/database"
            )));
    }
}

pub fn a_write_a_published_schema_refuses_exits_6_and_writes_nothing(s: &Store) {
    seed(s);
    publish_schemas(s);
    s.confo()
        .args(["set", "systemA/database", "port", r#""x""#])
        .assert()
        .code(6)
        .stderr(predicate::str::contains(
            "refused to write systemA/database",
        ))
        .stderr(predicate::str::contains(
            "port: expected an integer, found a string (billing)",
        ));
    // Every rule of every service that disagrees, in one refusal.
    let bad = s.file_with("bad.json", r#"{"host": ""}"#);
    s.confo()
        .args(["put", "systemA/database"])
        .arg(&bad)
        .assert()
        .code(6)
        .stderr(predicate::str::contains("published by billing, search"))
        .stderr(predicate::str::contains(
            "port: missing; this field is required (billing)",
        ))
        .stderr(predicate::str::contains("(search)"));
    assert_eq!(s.get("systemA/database")["port"], 5432);
    assert_eq!(s.get("systemA/database")["host"], "db");
    // A good change passes; an unchecked configuration is written as before.
    s.confo()
        .args(["set", "systemA/database", "port", "5433"])
        .assert()
        .success();
    assert_eq!(s.get("systemA/database")["port"], 5433);
    s.confo()
        .args(["set", "systemA/cache", "ttl", r#""long""#])
        .assert()
        .success();
}

pub fn force_writes_anyway_and_says_what_it_breaks(s: &Store) {
    seed(s);
    publish_schemas(s);
    s.confo()
        .args(["set", "systemA/database", "port", r#""x""#, "--force"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: --force: systemA/database breaks",
        ))
        .stderr(predicate::str::contains(
            "port: expected an integer, found a string (billing)",
        ));
    assert_eq!(s.get("systemA/database")["port"], "x");
    let bad = s.file_with("bad.json", r#"{"host": "db"}"#);
    s.confo()
        .args(["put", "systemA/database", "--force"])
        .arg(&bad)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "port: missing; this field is required (billing)",
        ));
    assert_eq!(s.get("systemA/database"), json!({"host": "db"}));
}

pub fn import_of_a_refused_value_writes_nothing(s: &Store) {
    seed(s);
    publish_schemas(s);
    s.confo().args(["export", "tree"]).assert().success();
    s.file_with(
        "tree/systemA/database.json",
        r#"{"host": "db", "port": "x"}"#,
    );
    s.file_with("tree/systemA/cache.json", r#"{"ttl": 120}"#);
    s.confo()
        .args(["import", "tree"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains(
            "port: expected an integer, found a string (billing)",
        ))
        .stderr(predicate::str::contains("nothing was written"));
    assert_eq!(s.get("systemA/database")["port"], 5432);
    assert_eq!(s.get("systemA/cache")["ttl"], 60);
    s.confo()
        .args(["import", "tree", "--force"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: --force: systemA/database breaks",
        ))
        .stderr(predicate::str::contains("systemA/cache breaks").not());
    assert_eq!(s.get("systemA/database")["port"], "x");
    assert_eq!(s.get("systemA/cache")["ttl"], 120);
}

pub fn schema_show_publish_and_rm(s: &Store) {
    seed(s);
    s.confo()
        .args(["schema", "show", "systemA/database"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "no schema is published for systemA/database",
        ));
    publish_schemas(s);
    let shown = |s: &Store| s.schemas("systemA/database");
    let all = shown(s);
    assert_eq!(all[0]["service"], "billing");
    assert_eq!(all[0]["schema"]["required"], json!(["port"]));
    assert_eq!(all[1]["service"], "search");
    let text = s
        .confo()
        .args(["schema", "show", "systemA/database"])
        .assert()
        .success();
    let text = stdout_of(&text);
    assert!(text.starts_with("# billing (published "), "{text}");
    assert!(text.contains("# search (published "), "{text}");

    // Publishing again replaces that service's schema alone.
    let billing = s.file_with(
        "billing2.json",
        r#"{"type": "object", "required": ["host"]}"#,
    );
    s.confo()
        .args([
            "schema",
            "publish",
            "systemA/database",
            "--service",
            "billing",
        ])
        .arg(&billing)
        .assert()
        .success();
    let all = shown(s);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    assert_eq!(all[0]["schema"]["required"], json!(["host"]));

    s.confo()
        .args(["schema", "rm", "systemA/database", "--service", "billing"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "retired the schema of billing for systemA/database",
        ));
    assert_eq!(shown(s)[0]["service"], "search");
    s.confo()
        .args(["schema", "rm", "systemA/database", "--service", "billing"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("these are: search"));
    s.confo()
        .args(["schema", "rm", "systemA/database"])
        .assert()
        .code(2);
    s.confo()
        .args(["schema", "rm", "systemA/database", "--all"])
        .assert()
        .success();
    assert_eq!(shown(s), json!([]));

    // A schema that is not JSON, or that no configuration satisfies, is refused.
    let not_json = s.file_with("broken.json", "{not json");
    let never = s.file_with("never.json", r#"{"type": "array"}"#);
    for file in [&not_json, &never] {
        s.confo()
            .args([
                "schema",
                "publish",
                "systemA/database",
                "--service",
                "billing",
            ])
            .arg(file)
            .assert()
            .code(6)
            .stderr(predicate::str::starts_with("error: "));
    }
    s.confo()
        .args([
            "schema",
            "publish",
            "systemA/database",
            "--service",
            "bad/name",
        ])
        .arg(&billing)
        .assert()
        .code(2);
    assert_eq!(shown(s), json!([]));
}

pub fn check_validates_a_directory_against_the_published_schemas(s: &Store) {
    seed(s);
    publish_schemas(s);
    s.confo().args(["export", "tree"]).assert().success();
    s.confo()
        .args(["check", "tree"])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains(
            "checked 3 configurations in tree against the schemas published in ",
        ))
        .stderr(predicate::str::contains("all pass"));
    s.file_with("tree/systemA/database.json", r#"{"host": "", "port": "x"}"#);
    s.confo()
        .args(["check", "tree"])
        .assert()
        .code(6)
        .stdout(predicate::str::contains(
            "systemA/database: port: expected an integer, found a string (billing)\n",
        ))
        .stdout(
            predicate::str::contains("systemA/database: host: ")
                .and(predicate::str::contains("(search)")),
        )
        .stderr(predicate::str::contains(
            "1 of 3 configurations in tree break",
        ));
    let out = s.confo().args(["check", "tree", "--json"]).assert().code(6);
    let report = parse(&out.get_output().stdout);
    assert_eq!(report["checked"], 3);
    assert_eq!(report["refused"], 1);
    assert_eq!(report["violations"][0]["path"], "systemA/database");
    // Nothing was written.
    assert_eq!(s.get("systemA/database")["port"], 5432);
    // A tree with a file that is not a configuration checks nothing.
    s.file_with("tree/systemA/broken.json", "[1]");
    s.confo()
        .args(["check", "tree"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing was checked"));
}

pub fn schemas_stay_out_of_export_and_diff_and_go_with_rm(s: &Store) {
    seed(s);
    publish_schemas(s);
    s.confo().args(["export", "tree"]).assert().success();
    let top: Vec<String> = std::fs::read_dir(s.scratch("tree"))
        .expect("exported")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(top.len(), 2, "only the namespaces: {top:?}");
    s.confo()
        .args(["diff", "tree"])
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        s.tree(),
        json!({"systemA": ["cache", "database"], "systemB": ["email"]})
    );
    s.confo()
        .args(["rm", "systemA/database"])
        .assert()
        .success();
    assert_eq!(s.schemas("systemA/database"), json!([]));
    // A new configuration of the same name starts unchecked.
    s.put("systemA/database", json!({"port": "any"}));
}

/// `--with-schemas`: export writes the published schemas in the file
/// store's layout, import publishes them to the other store, whose writes
/// they then check; without it, neither touches them.
pub fn export_and_import_carry_schemas_when_asked(s: &Store) {
    seed(s);
    publish_schemas(s);
    s.confo().args(["export", "plain"]).assert().success();
    assert!(!s.scratch("plain/.confo-meta").exists());
    s.confo()
        .args(["export", "with", "--with-schemas"])
        .assert()
        .success()
        .stderr(predicate::str::contains(", with 1 schema document"));
    let doc = s.scratch("with/.confo-meta/systemA/database/schemas.json");
    assert!(doc.is_file(), "{}", doc.display());

    let other = Store::file();
    other
        .confo()
        .arg("import")
        .arg(s.scratch("plain"))
        .assert()
        .success();
    assert_eq!(other.schemas("systemA/database"), json!([]));
    other
        .confo()
        .arg("import")
        .arg(s.scratch("with"))
        .arg("--with-schemas")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "published 1 schema document from ",
        ));
    let services: Vec<Value> = other
        .schemas("systemA/database")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| p["service"].clone())
        .collect();
    assert_eq!(services, [json!("billing"), json!("search")]);
    other
        .confo()
        .args(["set", "systemA/database", "port", r#""x""#])
        .assert()
        .code(6);
}

/// The file store's own directory imports and diffs as its configurations
/// alone: its `.confo-meta` is not a namespace.
#[test]
fn a_file_stores_directory_with_schemas_reads_as_a_tree() {
    let s = Store::file();
    seed(&s);
    publish_schemas(&s);
    let root = s.url.trim_start_matches("file://").to_owned();
    assert!(Path::new(&root).join(".confo-meta").is_dir());
    s.confo()
        .args(["diff", &root])
        .assert()
        .success()
        .stdout("");
    s.confo().args(["check", &root]).assert().success();
    let other = Store::file();
    other.confo().args(["import", &root]).assert().success();
    assert_eq!(other.tree(), s.tree());
}

// ---------------------------------------------------------------- export / import / diff

fn seed(s: &Store) {
    s.put(
        "systemA/database",
        json!({"host": "db", "port": 5432, "password": "hunter2"}),
    );
    s.put("systemA/cache", json!({"ttl": 60}));
    s.put("systemB/email", json!({"smtp": "mail.local", "tls": true}));
}

pub fn export_writes_the_file_layout(s: &Store) {
    seed(s);
    s.confo()
        .args(["export", "snap"])
        .assert()
        .success()
        .stderr(predicate::str::starts_with(
            "exported 3 configurations in 2 namespaces from ",
        ));
    let file = std::fs::read(s.scratch("snap/systemA/database.json")).expect("exported file");
    assert_eq!(parse(&file)["port"], 5432);
    assert!(s.scratch("snap/systemB/email.json").is_file());

    let out = s
        .confo()
        .args(["export", "snap2", "--json"])
        .assert()
        .success();
    let report = parse(&out.get_output().stdout);
    assert_eq!(report["configs"], 3);
    assert_eq!(report["namespaces"], 2);

    // The same tree, each file synced on its own.
    s.confo()
        .args(["export", "snap3", "--sync-each-file"])
        .assert()
        .success();
    let file = std::fs::read(s.scratch("snap3/systemA/database.json")).expect("exported file");
    assert_eq!(parse(&file)["port"], 5432);
    assert_eq!(
        std::fs::read_dir(s.scratch("snap3/systemA"))
            .unwrap()
            .count(),
        2
    );
}

pub fn export_refuses_a_non_empty_directory_without_force(s: &Store) {
    seed(s);
    s.file_with("snap/keep.txt", "mine");
    s.confo()
        .args(["export", "snap"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not empty"));
    assert!(!s.scratch("snap/systemA").exists());
    s.confo()
        .args(["export", "snap", "--force"])
        .assert()
        .success();
    assert!(s.scratch("snap/systemA/cache.json").is_file());
    assert!(s.scratch("snap/keep.txt").is_file());
}

/// An export holds no file open while it writes the next, and at most one
/// namespace directory: 400 files in 100 namespaces under a limit of 64
/// open descriptors, all written, all complete.
pub fn export_keeps_no_file_open_so_any_tree_fits_the_descriptor_limit(s: &Store) {
    for i in 0..400 {
        s.file_with(
            &format!("tree/ns{:02}/c{i:03}.json", i % 100),
            &format!(r#"{{"i": {i}}}"#),
        );
    }
    s.confo()
        .arg("import")
        .arg(s.scratch("tree"))
        .assert()
        .success();
    for each in [false, true] {
        let out = if each { "big-each" } else { "big" };
        let mut args = vec!["export", out];
        if each {
            args.push("--sync-each-file");
        }
        let limited = std::process::Command::new("sh")
            .args(["-c", r#"ulimit -n 64 && exec "$0" "$@""#, BIN])
            .args(&args)
            .env("CONFO_URL", &s.url)
            .current_dir(s.work.path())
            .output()
            .expect("run sh");
        assert!(
            limited.status.success(),
            "{args:?} under 64 descriptors failed: {}",
            String::from_utf8_lossy(&limited.stderr)
        );
        for i in [0, 199, 399] {
            let file = std::fs::read(s.scratch(&format!("{out}/ns{:02}/c{i:03}.json", i % 100)))
                .expect("exported file");
            assert_eq!(parse(&file)["i"], i);
        }
        let namespaces = std::fs::read_dir(s.scratch(out)).unwrap().count();
        assert_eq!(namespaces, 100);
        let written = std::fs::read_dir(s.scratch(&format!("{out}/ns99")))
            .unwrap()
            .count();
        assert_eq!(written, 4, "every file, and no temporary one left");
    }
}

pub fn export_import_diff_round_trip_shows_nothing(s: &Store) {
    seed(s);
    s.confo().args(["rm", "systemA/cache"]).assert().success(); // leaves systemA with one configuration
    s.confo().args(["export", "snap"]).assert().success();
    let snap = s.scratch("snap");

    // Into a fresh file store: import, then the diff is empty on both sides.
    let other = Store::file();
    other
        .confo()
        .arg("import")
        .arg(&snap)
        .assert()
        .success()
        .stderr(predicate::str::starts_with(
            "imported 2 configurations (2 new, 0 changed)",
        ));
    for store in [s, &other] {
        store
            .confo()
            .arg("diff")
            .arg(&snap)
            .assert()
            .success()
            .stdout("")
            .stderr(predicate::str::starts_with("no differences between "));
        let out = store
            .confo()
            .args(["diff", "--json"])
            .arg(&snap)
            .assert()
            .success();
        let diff = parse(&out.get_output().stdout);
        assert_eq!(diff["same"], true);
        assert_eq!(diff["differences"], json!([]));
    }
    assert_eq!(other.tree(), s.tree());
    assert_eq!(other.get("systemA/database"), s.get("systemA/database"));

    // A second import changes nothing.
    other
        .confo()
        .arg("import")
        .arg(&snap)
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::starts_with("imported 0 configurations"));
}

pub fn import_with_one_bad_file_changes_nothing(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    s.file_with("tree/systemA/database.json", r#"{"port": 2}"#);
    s.file_with("tree/systemA/cache.json", r#"{"ttl": 60}"#);
    s.file_with("tree/systemC/new.json", r#"{"new": true}"#);
    s.file_with("tree/systemC/broken.json", "{\n  \"a\": 1,\n}\n");
    s.file_with("tree/systemC/list.json", "[1]");
    s.file_with("tree/systemC/notes.txt", "hello");
    for dry_run in [true, false] {
        let mut cmd = s.confo();
        cmd.arg("import").arg(s.scratch("tree"));
        if dry_run {
            cmd.arg("--dry-run");
        }
        cmd.assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::contains("(3 problems)"))
            .stderr(predicate::str::contains(
                "systemC/broken.json: not valid JSON: trailing comma at line 3, column 1",
            ))
            .stderr(predicate::str::contains(
                "systemC/list.json: holds a JSON array",
            ))
            .stderr(predicate::str::contains(
                "systemC/notes.txt: not a .json file",
            ))
            .stderr(predicate::str::contains("nothing was imported"));
    }
    assert_eq!(s.tree(), json!({"systemA": ["database"]}));
    assert_eq!(s.get("systemA/database"), json!({"port": 1}));
    // An invalid name in the tree is a problem too (alone here, so counted alone).
    std::fs::remove_dir_all(s.scratch("tree/systemC")).expect("rm");
    std::fs::create_dir_all(s.scratch("tree/zookeeper")).expect("mkdir");
    s.confo()
        .arg("import")
        .arg(s.scratch("tree"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "zookeeper/: not a valid namespace",
        ));
    assert_eq!(s.get("systemA/database"), json!({"port": 1}));
}

pub fn import_dry_run_prints_changes_and_writes_nothing(s: &Store) {
    s.put("systemA/database", json!({"host": "db", "port": 1}));
    s.put("systemA/same", json!({"a": 1}));
    s.file_with(
        "tree/systemA/database.json",
        r#"{"host": "db", "port": 2, "user": "u"}"#,
    );
    s.file_with("tree/systemA/same.json", "{ \"a\" : 1 }");
    s.file_with("tree/systemB/email.json", r#"{"smtp": "mail"}"#);
    std::fs::create_dir_all(s.scratch("tree/empty")).expect("mkdir");
    let tree = s.scratch("tree");
    s.confo()
        .args(["import", "--dry-run"])
        .arg(&tree)
        .assert()
        .success()
        .stdout("+ empty/\n~ systemA/database (port, user)\n+ systemB/\n+ systemB/email\n")
        .stderr("dry run: would write 2 configurations (1 new, 1 changed), 1 unchanged, 0 only in the store left alone\n");
    let out = s
        .confo()
        .args(["import", "--dry-run", "--json"])
        .arg(&tree)
        .assert()
        .success();
    let plan = parse(&out.get_output().stdout);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["written"], 0);
    assert_eq!(plan["unchanged"], 1);
    assert_eq!(
        plan["changes"][1],
        json!({"change": "changed", "path": "systemA/database", "fields": ["port", "user"]})
    );
    assert_eq!(s.tree(), json!({"systemA": ["database", "same"]}));
    assert_eq!(s.get("systemA/database")["port"], 1);
}

pub fn import_adds_and_updates_but_never_deletes(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    s.put("systemA/only_here", json!({"keep": true}));
    s.file_with("tree/systemA/database.json", r#"{"port": 2}"#);
    s.file_with("tree/systemB/email.json", r#"{"smtp": "mail"}"#);
    let out = s
        .confo()
        .args(["import", "--json"])
        .arg(s.scratch("tree"))
        .assert()
        .success();
    let report = parse(&out.get_output().stdout);
    assert_eq!(report["written"], 2);
    assert_eq!(
        report["left_alone"],
        json!([{"change": "only-in-store", "path": "systemA/only_here"}])
    );
    assert_eq!(
        s.tree(),
        json!({"systemA": ["database", "only_here"], "systemB": ["email"]})
    );
    assert_eq!(s.get("systemA/database"), json!({"port": 2}));
}

pub fn import_of_many_configurations_writes_them_all(s: &Store) {
    // More than one batch (IMPORT_BATCH = 64), across several namespaces.
    for i in 0..150 {
        s.file_with(
            &format!("tree/ns{}/c{i:03}.json", i % 3),
            &format!(r#"{{"i": {i}}}"#),
        );
    }
    s.confo()
        .arg("import")
        .arg(s.scratch("tree"))
        .assert()
        .success()
        .stderr(predicate::str::starts_with(
            "imported 150 configurations (150 new, 0 changed)",
        ));
    let tree = s.tree();
    assert_eq!(tree["ns0"].as_array().map(Vec::len), Some(50));
    assert_eq!(s.get("ns2/c149"), json!({"i": 149}));
    s.confo()
        .arg("diff")
        .arg(s.scratch("tree"))
        .assert()
        .success()
        .stdout("");
}

pub fn diff_marks_each_kind_of_difference(s: &Store) {
    s.put("systemA/database", json!({"host": "db", "port": 1}));
    s.put("systemA/store_only", json!({}));
    s.put("systemS/x", json!({}));
    s.file_with(
        "tree/systemA/database.json",
        r#"{"port": 1, "host": "db2"}"#,
    );
    s.file_with("tree/systemA/dir_only.json", "{}");
    s.file_with("tree/systemD/y.json", "{}");
    let tree = s.scratch("tree");
    let out = s.confo().arg("diff").arg(&tree).assert().success();
    assert_eq!(
        stdout_of(&out),
        "~ systemA/database (host)\n+ systemA/dir_only\n- systemA/store_only\n\
         + systemD/\n+ systemD/y\n- systemS/\n- systemS/x\n"
    );
    let out = s
        .confo()
        .args(["diff", "--json"])
        .arg(&tree)
        .assert()
        .success();
    let diff = parse(&out.get_output().stdout);
    assert_eq!(diff["same"], false);
    assert_eq!(diff["differences"].as_array().map(Vec::len), Some(7));
    assert_eq!(
        diff["differences"][1],
        json!({"change": "only-in-dir", "path": "systemA/dir_only"})
    );
}

// ---------------------------------------------------------------- watch

pub fn watch_prints_each_new_version_as_a_json_line(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    let mut child = std::process::Command::new(BIN)
        .env("CONFO_URL", &s.url)
        .current_dir(s.work.path())
        .args([
            "watch",
            "systemA/database",
            "--interval",
            "20ms",
            "--max-events",
            "3",
            "--timeout",
            "30s",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn confo watch");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = || parse(lines.next().expect("a line").expect("read").as_bytes());

    let first = next();
    assert_eq!(first["path"], "systemA/database");
    assert_eq!(first["value"], json!({"port": 1}));
    s.confo()
        .args(["set", "systemA/database", "port", "2"])
        .assert()
        .success();
    let second = next();
    assert_eq!(second["value"], json!({"port": 2}));
    assert_ne!(second["version"], first["version"]);
    s.confo()
        .args(["rm", "systemA/database"])
        .assert()
        .success();
    let third = next();
    assert_eq!(
        third,
        json!({"path": "systemA/database", "version": null, "value": null})
    );
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}");
}

pub fn watch_stops_at_its_timeout(s: &Store) {
    s.put("systemA/database", json!({"port": 1}));
    let out = s
        .confo()
        .args([
            "watch",
            "systemA/database",
            "--interval",
            "20ms",
            "--timeout",
            "200ms",
        ])
        .assert()
        .success();
    let stdout = stdout_of(&out);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    s.confo()
        .args(["watch", "systemA/nothing", "--timeout", "1s"])
        .assert()
        .code(3);
    s.confo()
        .args(["watch", "systemA/database", "--max-events", "0"])
        .assert()
        .code(2);
}

// ---------------------------------------------------------------- store-independent

#[test]
fn help_documents_the_exit_codes() {
    let out = Command::new(BIN).arg("--help").assert().success();
    let help = stdout_of(&out);
    for line in [
        "0  success",
        "2  usage",
        "3  not found",
        "4  version conflict",
        "5  not authorized",
    ] {
        assert!(help.contains(line), "{line:?} missing from:\n{help}");
    }
    Command::new(BIN).assert().code(2);
    Command::new(BIN).arg("frobnicate").assert().code(2);
}

#[test]
fn a_bad_url_is_a_usage_error_that_never_shows_the_password() {
    for url in [
        "zz://admin:hunter2@host:2181",
        "nothing-here:hunter2@",
        "mem://admin:hunter2@x",
    ] {
        Command::new(BIN)
            .args(["--url", url, "namespaces"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("cannot use backend URL"))
            .stderr(predicate::str::contains("hunter2").not());
    }
    // Given where a command belongs (without --url), clap's message hides it too.
    Command::new(BIN)
        .args(["zk://admin:hunter2@127.0.0.1:1", "ls"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("admin:***@"))
        .stderr(predicate::str::contains("hunter2").not());
    // From the environment as well, and `--help` does not show its value.
    Command::new(BIN)
        .env("CONFO_URL", "zk://admin:hunter2@127.0.0.1:1")
        .arg("ls")
        .assert()
        .failure()
        .stderr(predicate::str::contains("hunter2").not());
    Command::new(BIN)
        .env("CONFO_URL", "zk://admin:hunter2@127.0.0.1:1")
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("hunter2").not());
}

#[test]
fn url_schemes_are_case_insensitive() {
    Command::new(BIN)
        .args(["--url", "MEM://", "namespaces", "--json"])
        .assert()
        .success()
        .stdout("[]\n");
}

#[test]
fn a_store_that_cannot_be_read_is_an_error() {
    let dir = tempfile::tempdir().expect("dir");
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "x").expect("write");
    Command::new(BIN)
        .args(["--url", &format!("file://{}", not_a_dir.display()), "ls"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: "));
}

#[test]
fn the_default_store_is_the_confo_directory_here() {
    let dir = tempfile::tempdir().expect("dir");
    Command::new(BIN)
        .env_remove("CONFO_URL")
        .current_dir(dir.path())
        .args(["put", "systemA/database", "-"])
        .write_stdin("{}")
        .assert()
        .success();
    assert!(dir.path().join("confo/systemA/database.json").is_file());
}

// ---------------------------------------------------------------- README.md

/// Runs the ```console blocks of the README as one shell session in an
/// empty directory with the default store, and compares the transcript with
/// the document: `$ ` lines are commands, the lines after them their output
/// (stdout and stderr), `[..]` in an expected line matches any text.
#[test]
fn the_documented_session_runs_as_written() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let doc = std::fs::read_to_string(&doc_path).expect("README.md");
    let mut expected = Vec::new();
    let mut in_block = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            in_block = line.trim() == "```console";
            continue;
        }
        if in_block {
            expected.push(line.to_owned());
        }
    }
    assert!(!expected.is_empty(), "no ```console block in README.md");

    let mut script = String::from("exec 2>&1\n");
    for line in &expected {
        if let Some(cmd) = line.strip_prefix("$ ") {
            script.push_str(&format!("printf '%s\\n' {}\n{cmd}\n", shell_quote(line)));
        }
    }
    let dir = tempfile::tempdir().expect("dir");
    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("PATH", path)
        .env_remove("CONFO_URL")
        .current_dir(dir.path())
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run sh");
    let actual = String::from_utf8_lossy(&out.stdout).into_owned();
    let actual: Vec<&str> = actual.lines().collect();
    let report = || {
        format!(
            "README.md session differs.\n--- expected\n{}\n--- actual\n{}",
            expected.join("\n"),
            actual.join("\n")
        )
    };
    assert_eq!(actual.len(), expected.len(), "{}", report());
    for (want, got) in expected.iter().zip(&actual) {
        assert!(matches_line(want, got), "{want:?} vs {got:?}\n{}", report());
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `want` with each `[..]` matching any text, else equal.
fn matches_line(want: &str, got: &str) -> bool {
    let parts: Vec<&str> = want.split("[..]").collect();
    if parts.len() == 1 {
        return want == got;
    }
    let Some(mut rest) = got.strip_prefix(parts[0]) else {
        return false;
    };
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate().skip(1) {
        if i == last {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A file store whose directory does not exist: listing it is an error
/// naming the directory (and, for the default, that CONFO_URL was unset);
/// the first write creates it.
#[test]
fn a_missing_store_directory_is_an_error_until_a_write_creates_it() {
    let dir = tempfile::tempdir().expect("dir");
    Command::new(BIN)
        .env_remove("CONFO_URL")
        .current_dir(dir.path())
        .arg("ls")
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "CONFO_URL is unset, so confo used its default file://./confo",
        ))
        .stderr(predicate::str::contains(format!(
            "{}, which does not exist",
            dir.path().join("confo").display()
        )));
    Command::new(BIN)
        .env_remove("CONFO_URL")
        .current_dir(dir.path())
        .args(["--url", "file://typo-dir", "namespaces"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("typo-dir, which does not exist"))
        .stderr(predicate::str::contains("CONFO_URL").not());
    Command::new(BIN)
        .env_remove("CONFO_URL")
        .current_dir(dir.path())
        .args(["get", "systemA/database"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "does not exist; CONFO_URL is unset",
        ));
    Command::new(BIN)
        .env_remove("CONFO_URL")
        .current_dir(dir.path())
        .args(["put", "systemA/database", "-"])
        .write_stdin("{}")
        .assert()
        .success();
    Command::new(BIN)
        .env_remove("CONFO_URL")
        .current_dir(dir.path())
        .arg("ls")
        .assert()
        .success()
        .stdout("systemA/database\n");
}

/// `confo history PATH --json`.
fn history_of(s: &Store, path: &str) -> Value {
    let out = s
        .confo()
        .args(["history", path, "--json"])
        .assert()
        .success();
    parse(&out.get_output().stdout)
}

/// Every write of the command is recorded with its author, message and
/// keys; `show PATH@V` prints a recorded version with its secrets hidden;
/// `diff PATH@V1 PATH@V2` names the keys, a secret's only as changed;
/// `rollback --to V` writes it back, recorded, checked, compare-and-set.
pub fn history_show_diff_and_rollback(s: &Store) {
    seed(s);
    s.confo()
        .env("USER", "alice")
        .args([
            "set",
            "systemA/database",
            "port",
            "5433",
            "-m",
            "move the port",
        ])
        .assert()
        .success();
    let secret = s.file_with(
        "secret.schema.json",
        r#"{"type": "object", "properties": {"password": {"type": "string", "writeOnly": true}, "port": {"type": "integer"}}}"#,
    );
    s.confo()
        .args(["schema", "publish", "systemA/database"])
        .arg(&secret)
        .args(["--service", "billing"])
        .assert()
        .success();
    s.confo()
        .args([
            "set",
            "systemA/database",
            "password",
            r#""s3cret""#,
            "-m",
            "rotate",
        ])
        .assert()
        .success();

    let history = history_of(s, "systemA/database");
    let entries = history["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3, "{history}");
    assert_eq!(entries[0]["message"], "rotate");
    assert_eq!(entries[0]["changed"], json!(["password"]));
    assert_eq!(entries[1]["message"], "move the port");
    assert_eq!(entries[1]["author"], "alice");
    assert_eq!(entries[1]["changed"], json!(["port"]));
    assert_eq!(entries[2]["changed"], json!(["host", "password", "port"]));
    assert_eq!(entries[0]["version"], history["current_version"]);
    let first = entries[2]["version"].as_str().expect("version").to_owned();

    // The text form: newest first, one line each, no value printed.
    let out = s
        .confo()
        .args(["history", "systemA/database"])
        .assert()
        .success();
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].ends_with("  password  rotate"), "{text}");
    assert!(lines[1].contains("  alice  port  move the port"), "{text}");
    assert!(
        !text.contains("hunter2") && !text.contains("s3cret"),
        "{text}"
    );

    // show: an old version, its secret hidden.
    let out = s
        .confo()
        .args(["show", &format!("systemA/database@{first}"), "--compact"])
        .assert()
        .success();
    assert_eq!(
        parse(&out.get_output().stdout),
        json!({"host": "db", "port": 5432, "password": "***"})
    );
    s.confo()
        .args(["show", "systemA/database@-1", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(r#""port":5433"#))
        .stdout(predicate::str::contains("hunter2").not());

    // diff: keys, old -> new, a secret only as changed.
    s.confo()
        .args([
            "diff",
            &format!("systemA/database@{first}"),
            "systemA/database",
        ])
        .assert()
        .success()
        .stdout("~ password: (secret changed)\n~ port: 5432 -> 5433\n");

    // rollback: the first version back, recorded with its message.
    s.confo()
        .args(["rollback", "systemA/database", "--to", &first])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "rolled back systemA/database to version {first}"
        )));
    assert_eq!(
        s.get("systemA/database"),
        json!({"host": "db", "port": 5432, "password": "hunter2"})
    );
    let history = history_of(s, "systemA/database");
    assert_eq!(history["entries"].as_array().unwrap().len(), 4);
    assert_eq!(
        history["entries"][0]["message"],
        format!("rollback to version {first}")
    );
    // -1 undoes the rollback, with the message given.
    s.confo()
        .args(["rollback", "systemA/database", "--to", "-1", "-m", "undo"])
        .assert()
        .success();
    assert_eq!(s.get("systemA/database")["password"], "s3cret");
    assert_eq!(
        history_of(s, "systemA/database")["entries"][0]["message"],
        "undo"
    );

    // A version the history does not hold: exit 3, nothing written.
    s.confo()
        .args(["rollback", "systemA/database", "--to", "77"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "version 77 of systemA/database in",
        ))
        .stderr(predicate::str::contains("is not in its history"));
    s.confo()
        .args(["show", "systemA/database@-99"])
        .assert()
        .code(3);
    s.confo()
        .args(["show", "systemA/database@soon"])
        .assert()
        .code(2);

    // A rollback a published schema refuses: exit 6, nothing written; --force writes.
    let strict = s.file_with(
        "strict.schema.json",
        r#"{"type": "object", "properties": {"port": {"type": "integer", "minimum": 5433}}}"#,
    );
    s.confo()
        .args(["schema", "publish", "systemA/database"])
        .arg(&strict)
        .args(["--service", "search"])
        .assert()
        .success();
    s.confo()
        .args(["rollback", "systemA/database", "--to", &first])
        .assert()
        .code(6);
    assert_eq!(s.get("systemA/database")["port"], 5433);
    s.confo()
        .args(["rollback", "systemA/database", "--to", &first, "--force"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: --force"));
    assert_eq!(s.get("systemA/database")["port"], 5432);

    // --clear removes the history, not the configuration.
    s.confo()
        .args(["history", "systemA/database", "--clear"])
        .assert()
        .success();
    assert_eq!(history_of(s, "systemA/database")["entries"], json!([]));
    assert_eq!(s.get("systemA/database")["port"], 5432);
}

/// History stays out of export, import and diff unless asked
/// (`--with-history`), and goes with `rm`.
pub fn history_stays_out_of_trees_unless_asked_and_goes_with_rm(s: &Store) {
    seed(s);
    s.confo()
        .args(["set", "systemA/database", "port", "5433", "-m", "move"])
        .assert()
        .success();
    s.confo().args(["export", "plain"]).assert().success();
    assert!(!s.scratch("plain/.confo-meta").exists());
    s.confo()
        .args(["diff", "plain"])
        .assert()
        .success()
        .stdout("");
    s.confo()
        .args(["export", "with", "--with-history"])
        .assert()
        .success()
        .stderr(predicate::str::contains(", with 3 history documents"));
    assert!(s
        .scratch("with/.confo-meta/systemA/database/history.json")
        .is_file());

    let other = Store::file();
    other
        .confo()
        .args(["import"])
        .arg(s.scratch("with"))
        .args(["--with-history", "-m", "restore"])
        .assert()
        .success();
    let history = history_of(&other, "systemA/database");
    let messages: Vec<&Value> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["message"])
        .collect();
    assert_eq!(messages[0], "restore", "{history}");
    assert_eq!(messages[1], "move", "{history}");

    s.confo()
        .args(["rm", "systemA/database"])
        .assert()
        .success();
    s.confo()
        .args(["history", "systemA/database"])
        .assert()
        .code(3);
    s.put("systemA/database", json!({"port": 1}));
    assert_eq!(
        history_of(s, "systemA/database")["entries"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "a new configuration of the same name starts a new history"
    );
}

/// `confo status` on a file store: one line per version held, one per
/// version rejected with its field errors and who rejected it; a
/// registration whose lease ran out (a process that died) and one that is
/// not a registration are left out with a warning.
#[test]
fn status_summarizes_instances_and_leaves_out_expired_ones() {
    let s = Store::file();
    s.put("systemA/database", json!({"port": 5432}));
    let out = s
        .confo()
        .args(["get", "systemA/database", "--show-version"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let version = stderr
        .trim()
        .strip_prefix("version ")
        .expect("version line")
        .to_owned();
    let root = PathBuf::from(s.url.strip_prefix("file://").unwrap());
    let dir = root.join(".confo-meta/systemA/database/instances");
    std::fs::create_dir_all(&dir).unwrap();
    let record = |service: &str, host: &str, pid: u32, rejected: Value, lease: &str| {
        json!({
            "service": service, "host": host, "pid": pid, "version": version,
            "rejected": rejected, "updated": "2026-01-01T00:00:00Z", "lease_until": lease,
        })
        .to_string()
    };
    let future = "2999-01-01T00:00:00Z";
    for (i, service) in ["billing", "billing", "search"].iter().enumerate() {
        std::fs::write(
            dir.join(format!("{service}-{i}.json")),
            record(service, "host-1", 100 + i as u32, Value::Null, future),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("billing-3.json"),
        record(
            "billing",
            "host-3",
            4711,
            json!({"version": "8", "errors": ["database.port: expected u16, found a string"]}),
            future,
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("crashed.json"),
        record("billing", "host-9", 9, Value::Null, "2001-01-01T00:00:00Z"),
    )
    .unwrap();
    std::fs::write(dir.join("garbage.json"), "not a registration").unwrap();
    s.confo()
        .args(["status", "systemA/database"])
        .assert()
        .success()
        .stdout(format!(
            "4 instances on version {version}, the latest (billing ×3, search ×1)\n\
             1 rejected version 8: database.port: expected u16, found a string (billing on host-3, pid 4711)\n"
        ))
        .stderr(predicate::str::contains(
            "left out the registration of billing on host-9, pid 9: its lease ran out",
        ))
        .stderr(predicate::str::contains(
            "the registration garbage is not one confo wrote",
        ));
    let out = s
        .confo()
        .args(["status", "systemA/database", "--json"])
        .assert()
        .success();
    let report = parse(&out.get_output().stdout);
    assert_eq!(report["instances"].as_array().unwrap().len(), 4);
    assert_eq!(report["expired"], 1);
    s.confo()
        .args(["status", "systemA/nothing"])
        .assert()
        .code(3);
    // `rm` removes the registrations with the configuration.
    s.confo()
        .args(["rm", "systemA/database"])
        .assert()
        .success();
    assert!(!dir.exists());
}
