//! The README's first command works: the examples run against the shipped
//! example tree and never print a password. (`cargo test` builds the
//! examples; they sit in `target/<profile>/examples/` beside the tests.)

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} not built: `cargo test` builds the examples; for one test file run `cargo build --examples` first",
        path.display()
    );
    path
}

fn run(name: &str) -> String {
    run_with(name, &[])
}

fn run_with(name: &str, env: &[(&str, &str)]) -> String {
    let out = Command::new(example(name))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CONFO_URL")
        .envs(env.iter().copied())
        .output()
        .expect("run example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{name}: {stdout}\n{stderr}");
    for secret in ["correct-horse-battery-staple", "app-specific-password"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{name} leaks"
        );
    }
    stdout
}

#[test]
fn quickstart_prints_both_configurations_redacted() {
    let out = run("quickstart");
    assert!(
        out.contains("systemA/database: Postgres at db.internal.example:5432"),
        "{out}"
    );
    assert!(
        out.contains("systemB/email: noreply@example.com via smtp.example.com:587"),
        "{out}"
    );
    assert!(out.contains("password: ***"), "{out}");
}

#[test]
fn database_and_email_examples_run() {
    assert!(run("database").contains("db.internal.example"));
    assert!(run("email").contains("smtp.example.com"));
}

/// The live example starts on the shipped tree, says how to change it, and
/// stops by itself (its loop is tested with changes in tests/live_example.rs).
#[test]
fn live_example_serves_and_stops_at_its_timeout() {
    let out = run_with("live", &[("LIVE_TIMEOUT", "300ms")]);
    assert!(
        out.contains("serving with db.internal.example:5432"),
        "{out}"
    );
    assert!(
        out.contains("confo --url file://examples/config set systemA/database port 5433"),
        "{out}"
    );
    assert!(out.contains("took 0 changes"), "{out}");
}
