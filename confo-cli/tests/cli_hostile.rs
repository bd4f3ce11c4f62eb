//! The hostile corpus through the `confo` command: `get` of a stored
//! configuration and `import` of a tree, one hostile file at a time. No
//! crash: exit 0 for what is a JSON object (the command does not decode
//! types), else exit 1 with a message naming the file, and never the
//! stored secret on stderr.

#[path = "../../tests/hostile/corpus.rs"]
mod hostile;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

const BIN: &str = env!("CARGO_BIN_EXE_confo");
const SECRET: &str = "hunter2-secret";

fn confo(url: &str, cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("CONFO_URL", url)
        .env_remove("RUST_LOG")
        .current_dir(cwd)
        .timeout(Duration::from_secs(30));
    cmd
}

/// Whether confo reads `bytes` as a configuration: a JSON object, or an
/// empty or blank value (read as `{}` on every backend).
fn is_object(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.is_object())
}

/// Exit code, stdout and stderr of a finished run; a signal (a crash) fails.
fn run(mut cmd: Command, label: &str) -> (i32, String, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{label}: {e}"));
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("{label}: killed by a signal: {:?}", out.status));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{label}: {stderr}");
    assert!(
        !stderr.contains(SECRET),
        "{label}: leaks the secret: {stderr}"
    );
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

#[test]
fn get_of_each_hostile_file_prints_it_or_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let url = format!("file://{}", store.display());
    let corpus = hostile::corpus();
    for (i, case) in corpus.iter().enumerate() {
        let ns = format!("n{i}");
        std::fs::create_dir_all(store.join(&ns)).unwrap();
        std::fs::write(store.join(&ns).join("database.json"), &case.bytes).unwrap();
    }
    for (i, case) in corpus.iter().enumerate() {
        let path = format!("n{i}/database");
        let mut cmd = confo(&url, dir.path());
        cmd.args(["get", &path]);
        let (code, stdout, stderr) = run(cmd, &case.label);
        if is_object(&case.bytes) {
            assert_eq!(code, 0, "{}: {stderr}", case.label);
            assert!(
                serde_json::from_str::<serde_json::Value>(&stdout).is_ok(),
                "{}",
                case.label
            );
        } else {
            assert_eq!(code, 1, "{}: exit {code}: {stderr}", case.label);
            assert!(
                stderr.contains(&path),
                "{}: does not name {path}: {stderr}",
                case.label
            );
            assert!(stdout.is_empty(), "{}: {stdout}", case.label);
        }
    }
}

#[test]
fn import_of_a_tree_with_each_hostile_file_refuses_it_by_name_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let url = format!("file://{}", store.display());
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("good")).unwrap();
    std::fs::create_dir_all(tree.join("hostile")).unwrap();
    std::fs::write(tree.join("good/ok.json"), r#"{"ok":true}"#).unwrap();
    for case in hostile::corpus() {
        std::fs::write(tree.join("hostile/database.json"), &case.bytes).unwrap();
        let mut cmd = confo(&url, dir.path());
        cmd.arg("import").arg(&tree);
        let (code, _, stderr) = run(cmd, &case.label);
        if is_object(&case.bytes) {
            assert_eq!(code, 0, "{}: {stderr}", case.label);
            let _ = std::fs::remove_dir_all(&store);
        } else {
            assert_eq!(code, 1, "{}: exit {code}: {stderr}", case.label);
            assert!(
                stderr.contains("hostile/database.json"),
                "{}: does not name the file: {stderr}",
                case.label
            );
            assert!(
                !store.join("good").exists(),
                "{}: imported the good file despite a bad one",
                case.label
            );
        }
    }
}

#[test]
fn passwords_in_urls_never_reach_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let pw = "Cli7pw-not-shown";
    let closed = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for (url, exit) in [
        (format!("zk://admin:{pw}@h:notaport"), 2),
        (format!("zk://admin:{pw}/x@h:notaport"), 2),
        (format!("zk://admin:{pw}?x@h:1?bad=1"), 2),
        (format!("zk://{pw}@h:1"), 2),
        (format!("zks://admin:{pw}@h:1"), 2),
        (
            format!("zk://admin:{pw}@127.0.0.1:{closed}?connect_timeout=1s"),
            1,
        ),
    ] {
        for args in [&["ls"][..], &["get", "a/b"], &["--json", "namespaces"]] {
            let mut cmd = confo(&url, dir.path());
            cmd.args(args);
            let (code, stdout, stderr) = run(cmd, &url);
            assert_eq!(code, exit, "{url} {args:?}: {stderr}");
            assert!(
                !stdout.contains(pw) && !stderr.contains(pw),
                "{url}: {stdout} {stderr}"
            );
        }
        // Given as an argument instead of the environment, misplaced too.
        let mut cmd = confo("mem://", dir.path());
        cmd.args(["--url", &url, "ls"]);
        let (_, stdout, stderr) = run(cmd, &url);
        assert!(
            !stdout.contains(pw) && !stderr.contains(pw),
            "{url}: {stdout} {stderr}"
        );
        let mut cmd = confo("mem://", dir.path());
        cmd.args([url.as_str(), "ls"]);
        let (_, stdout, stderr) = run(cmd, &url);
        assert!(
            !stdout.contains(pw) && !stderr.contains(pw),
            "{url}: {stdout} {stderr}"
        );
    }
}

#[test]
fn import_refuses_a_symlink_leading_out_of_the_tree() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.json"),
        format!(r#"{{"password":"{SECRET}"}}"#),
    )
    .unwrap();
    let store = dir.path().join("store");
    let url = format!("file://{}", store.display());
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("ns")).unwrap();
    std::fs::write(tree.join("ns/ok.json"), r#"{"ok":true}"#).unwrap();
    symlink(
        outside.path().join("secret.json"),
        tree.join("ns/leak.json"),
    )
    .unwrap();
    for args in [&["import"][..], &["diff"]] {
        let mut cmd = confo(&url, dir.path());
        cmd.args(args).arg(&tree);
        let (code, stdout, stderr) = run(cmd, "symlink");
        assert_eq!(code, 1, "{args:?}: {stdout} {stderr}");
        assert!(stderr.contains("ns/leak.json"), "{stderr}");
        assert!(stderr.contains("outside the tree"), "{stderr}");
        assert!(!stdout.contains(SECRET), "{stdout}");
    }
    assert!(!store.join("ns").exists(), "nothing may be imported");
}

/// Marks around a generated password: neither may ever be printed.
const PW_HEAD: &str = "Qx7Vb";
const PW_TAIL: &str = "Jw3Ky";

/// Every message of a run that got `url` (with a password) somewhere.
fn messages_with(url: &str, env_url: &str, args: &[&str]) -> String {
    let dir = std::env::temp_dir();
    let mut cmd = confo(env_url, &dir);
    cmd.args(args);
    let out = cmd.output().unwrap();
    assert!(out.status.code().is_some(), "{url:?}: killed by a signal");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_hidden(password: &str, url: &str, shown: &str) {
    for part in [password, PW_HEAD, PW_TAIL] {
        assert!(
            !shown.contains(part),
            "url {url:?} leaks {part:?} in: {shown}"
        );
    }
}

/// Each way a URL reaches the command: misplaced as a subcommand, with a
/// wrong subcommand after `--url`, with an unknown scheme, in `CONFO_URL`.
fn check_every_message(password: &str) {
    let zk = format!("zk://alice:{password}@127.0.0.1:1/app");
    let zz = format!("zz://alice:{password}@127.0.0.1:1/app");
    let at_url = format!("--url={zk}");
    let runs: [(&str, &str, Vec<&str>); 9] = [
        (&zk, "mem://", vec![&zk, "ls"]),
        // A URL misplaced as a path or namespace: errors after parsing.
        (&zk, "mem://", vec!["rm", &zk]),
        (&zk, "mem://", vec!["rm", "-r", &zk]),
        (&zk, "mem://", vec!["get", &zk]),
        (&zk, "mem://", vec!["--url", &zk, "nope"]),
        (&zk, "mem://", vec![&at_url, "ls", "--bogus"]),
        (&zz, "mem://", vec!["--url", &zz, "ls"]),
        (&zz, &zz, vec!["ls"]),
        (&zk, &zk, vec!["ls", "--bogus"]),
    ];
    for (url, env_url, args) in runs {
        assert_hidden(password, url, &messages_with(url, env_url, &args));
    }
}

#[test]
fn passwords_with_spaces_tabs_quotes_and_newlines_are_never_printed() {
    for middle in [" ", "\t", "'", "\"", "\n", " x\ty\n", "@", "a b@c", "\r"] {
        check_every_message(&format!("{PW_HEAD}{middle}{PW_TAIL}"));
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Passwords over every printable ASCII character and whitespace.
    #[test]
    fn no_generated_password_is_ever_printed(middle in "[ -~\t\n\r]{0,16}") {
        check_every_message(&format!("{PW_HEAD}{middle}{PW_TAIL}"));
    }
}

#[test]
fn put_stops_reading_an_endless_input_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().join("store").display());
    let mut cmd = confo(&url, dir.path());
    cmd.args(["put", "keep/db", "/dev/zero"]);
    let (code, _, stderr) = run(cmd, "put /dev/zero");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("1047552 bytes"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    // From stdin: 2 MiB piped in, refused at the limit.
    let mut cmd = confo(&url, dir.path());
    cmd.args(["put", "keep/db", "-"])
        .write_stdin(vec![b' '; 2 << 20]);
    let (code, _, stderr) = run(cmd, "put - of 2 MiB");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("stdin is over the limit of 1047552 bytes"),
        "{stderr}"
    );
    assert!(!dir.path().join("store/keep/db.json").exists());
}

#[test]
fn a_ca_file_that_never_ends_is_refused_at_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = confo(
        "zks://127.0.0.1:1/app?ca_file=/dev/zero&connect_timeout=1s",
        dir.path(),
    );
    cmd.arg("ls");
    let (code, _, stderr) = run(cmd, "ca_file=/dev/zero");
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("/dev/zero"), "{stderr}");
    assert!(stderr.contains("more than 1048576 bytes"), "{stderr}");
}

#[test]
fn diff_escapes_control_characters_in_keys_for_people_and_keeps_json_exact() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let tree = dir.path().join("tree");
    let key = "\u{1b}]0;pwned\u{7}\u{202e}";
    for (root, value) in [(&store, 1), (&tree, 2)] {
        std::fs::create_dir_all(root.join("ns")).unwrap();
        let text = serde_json::json!({ key: value }).to_string();
        std::fs::write(root.join("ns/a.json"), text).unwrap();
    }
    let url = format!("file://{}", store.display());
    let mut cmd = confo(&url, dir.path());
    cmd.arg("diff").arg(&tree);
    let (_, stdout, stderr) = run(cmd, "diff");
    for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!stdout.contains(raw), "{stdout:?}");
        assert!(!stderr.contains(raw), "{stderr:?}");
    }
    assert!(
        stdout.contains("\\u{1b}]0;pwned\\u{7}\\u{202e}"),
        "{stdout:?}"
    );

    let mut cmd = confo(&url, dir.path());
    cmd.args(["--json", "diff"]).arg(&tree);
    let (_, stdout, _) = run(cmd, "diff --json");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["differences"][0]["fields"][0], key, "{stdout}");
}

/// A store with entries confo cannot represent: a namespace `zookeeper`
/// (a reserved name) and a file that is not `*.json`.
fn store_with_unrepresentable_entries(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("store");
    std::fs::create_dir_all(store.join("ns")).unwrap();
    std::fs::create_dir_all(store.join("zookeeper")).unwrap();
    std::fs::write(store.join("ns/ok.json"), "{}").unwrap();
    std::fs::write(store.join("ns/notes.txt"), "").unwrap();
    std::fs::write(store.join("zookeeper/quota.json"), "{}").unwrap();
    store
}

#[test]
fn ls_export_and_diff_warn_about_what_they_leave_out_and_exit_partial() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_unrepresentable_entries(dir.path());
    let url = format!("file://{}", store.display());
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("ns")).unwrap();
    std::fs::write(tree.join("ns/ok.json"), "{}").unwrap();
    let export_dir = dir.path().join("exported");
    let runs: [Vec<&std::ffi::OsStr>; 5] = [
        vec!["ls".as_ref()],
        vec!["--json".as_ref(), "ls".as_ref()],
        vec!["ls".as_ref(), "ns".as_ref()],
        vec!["export".as_ref(), export_dir.as_os_str()],
        vec!["diff".as_ref(), tree.as_os_str()],
    ];
    for args in runs {
        let mut cmd = confo(&url, dir.path());
        cmd.args(&args);
        let (code, stdout, stderr) = run(cmd, "partial");
        assert_eq!(code, 7, "{args:?}: {stdout} {stderr}");
        assert!(stderr.contains("ns/notes.txt"), "{args:?}: {stderr}");
        assert!(stderr.contains("partial"), "{args:?}: {stderr}");
        if args.len() == 1 {
            assert!(stderr.contains("zookeeper/"), "{args:?}: {stderr}");
            assert!(stdout.contains("ns/ok"), "{args:?}: {stdout}");
        }
    }
    // The JSON output stays exact JSON.
    let mut cmd = confo(&url, dir.path());
    cmd.args(["--json", "ls"]);
    let (_, stdout, _) = run(cmd, "ls --json");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value, serde_json::json!({"ns": ["ok"]}));
}

#[test]
fn rm_r_reports_every_entry_it_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_unrepresentable_entries(dir.path());
    let url = format!("file://{}", store.display());
    let mut cmd = confo(&url, dir.path());
    cmd.args(["rm", "-r", "ns", "--yes"]);
    let (code, _, stderr) = run(cmd, "rm -r");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 configuration"), "{stderr}");
    assert!(stderr.contains("1 other entry"), "{stderr}");
    assert!(stderr.contains("ns/notes.txt"), "{stderr}");
    assert!(!store.join("ns").exists());
}

#[test]
fn chroots_under_zookeeper_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for chroot in ["/zookeeper", "/zookeeper/quota", "/zookeeper/config/x"] {
        let mut cmd = confo(
            &format!("zk://127.0.0.1:1{chroot}?connect_timeout=1s"),
            dir.path(),
        );
        cmd.arg("ls");
        let (code, _, stderr) = run(cmd, chroot);
        assert_eq!(code, 2, "{chroot}: {stderr}");
        assert!(stderr.contains("reserves /zookeeper"), "{chroot}: {stderr}");
    }
}

#[test]
fn put_and_import_warn_when_a_new_name_only_looks_like_an_existing_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join("ns")).unwrap();
    std::fs::write(store.join("ns/database.json"), "{}").unwrap();
    std::fs::write(store.join("ns/cafe\u{301}.json"), "{}").unwrap(); // NFD
    let url = format!("file://{}", store.display());
    let input = dir.path().join("in.json");
    std::fs::write(&input, "{}").unwrap();
    for name in ["data\u{200b}base", "d\u{430}tabase", "data\u{202e}base"] {
        let mut cmd = confo(&url, dir.path());
        cmd.arg("put").arg(format!("ns/{name}")).arg(&input);
        let (code, _, stderr) = run(cmd, name);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("looks like the existing ns/database"),
            "{name:?}: {stderr}"
        );
        // The warning itself keeps the terminal safe.
        assert!(!stderr.contains('\u{202e}'), "{stderr:?}");
    }
    let mut cmd = confo(&url, dir.path());
    cmd.args(["put", "ns/queue"]).arg(&input);
    let (_, _, stderr) = run(cmd, "queue");
    assert!(!stderr.contains("looks like"), "{stderr}");

    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("ns")).unwrap();
    std::fs::write(tree.join("ns/caf\u{e9}.json"), "{}").unwrap(); // NFC
    let mut cmd = confo(&url, dir.path());
    cmd.args(["import", "--dry-run"]).arg(&tree);
    let (_, _, stderr) = run(cmd, "import");
    assert!(
        stderr.contains("looks like the existing ns/cafe"),
        "{stderr}"
    );
}

#[test]
fn the_log_behind_rust_log_and_v_shows_events_and_never_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_unrepresentable_entries(dir.path());
    let url = format!("file://{}", store.display());
    // -v shows confo's warnings as log lines.
    let mut cmd = confo(&url, dir.path());
    cmd.args(["-v", "ls", "ns"]);
    let (_, _, stderr) = run(cmd, "-v");
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(
        stderr.contains("skipping an entry confo cannot use"),
        "{stderr}"
    );
    // Without -v or RUST_LOG, no log lines.
    let mut cmd = confo(&url, dir.path());
    cmd.args(["ls", "ns"]);
    let (_, _, stderr) = run(cmd, "quiet");
    assert!(!stderr.contains("WARN"), "{stderr}");
    // RUST_LOG=trace against a ZooKeeper URL with a password: events, no password.
    let closed = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pw = format!("{PW_HEAD} \t'\"{PW_TAIL}");
    let zk = format!("zk://alice:{pw}@127.0.0.1:{closed}/app?connect_timeout=1s");
    let mut cmd = confo(&zk, dir.path());
    cmd.env("RUST_LOG", "trace").arg("ls");
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("TRACE") || text.contains("DEBUG"), "{text}");
    assert_hidden(&pw, &zk, &text);
}
