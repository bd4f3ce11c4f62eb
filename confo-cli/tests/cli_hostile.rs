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

fn is_object(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.is_object())
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
