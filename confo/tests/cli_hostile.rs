//! The hostile corpus through the `confo` command: `get` of a stored
//! configuration and `import` of a tree, one hostile file at a time. No
//! crash: exit 0 for what is a JSON object (the command does not decode
//! types), else exit 1 with a message naming the file, and never the
//! stored secret on stderr.

#[path = "../../tests/hostile/mod.rs"]
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
