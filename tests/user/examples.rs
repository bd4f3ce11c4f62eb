//! The README's first command works: the examples run against the shipped
//! example tree and never print a password. (`cargo test --workspace`
//! builds the examples of the confo-examples package; they sit in
//! `target/<profile>/examples/` beside the tests.)

use std::path::PathBuf;
use std::process::Command;

pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} not built: `cargo test --workspace` builds the examples; for one test file run `cargo build -p confo-examples --examples` first",
        path.display()
    );
    path
}

fn run(name: &str) -> String {
    run_with(name, &[])
}

pub(crate) fn run_with(name: &str, env: &[(&str, &str)]) -> String {
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
/// stops by itself (its loop is tested with changes in tests/live/live_example.rs).
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

/// The README's "Use confo in your service" is this repository's
/// `examples/service.rs` (compiled with the examples), and it runs.
#[test]
fn the_readme_service_snippet_is_the_service_example_and_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let section = readme
        .split("## Use confo in your service\n")
        .nth(1)
        .expect("README has a section \"Use confo in your service\"");
    let block = |fence: &str| {
        let start = section.find(fence).expect(fence) + fence.len();
        &section[start..start + section[start..].find("```").expect("closing fence")]
    };
    let example = std::fs::read_to_string(root.join("examples/service.rs")).expect("service.rs");
    let code = &example[example.find("use confo::").expect("use line")..];
    assert_eq!(
        block("```rust\n"),
        code,
        "README main.rs and examples/service.rs differ"
    );

    let toml = block("```toml\n");
    for line in [
        "confo = \"0.1\"",
        "serde = { version = \"1\", features = [\"derive\"] }",
        "tokio = { version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }",
    ] {
        assert!(
            toml.lines().any(|l| l == line),
            "README Cargo.toml lacks {line}"
        );
    }

    let out = run_with("service", &[("CONFO_URL", "file://examples/config")]);
    assert!(
        out.contains("db.internal.example:5432 (password ***)"),
        "{out}"
    );
}

/// The README's "Changing configuration safely" program is
/// `examples/publish_schema.rs`, and it runs: against a copy of the example
/// tree, it publishes billing's schema, which then refuses a bad write.
#[test]
fn the_readme_publish_schema_snippet_is_the_example_and_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let section = readme
        .split("## Changing configuration safely\n")
        .nth(1)
        .expect("README has a section \"Changing configuration safely\"");
    let start = section.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let block = &section[start..start + section[start..].find("```").expect("closing fence")];
    let example = std::fs::read_to_string(root.join("examples/publish_schema.rs"))
        .expect("publish_schema.rs");
    let code = &example[example.find("use confo::").expect("use line")..];
    assert_eq!(block, code, "README and examples/publish_schema.rs differ");

    let dir = tempfile::tempdir().expect("dir");
    for (ns, name) in [("systemA", "database"), ("systemB", "email")] {
        std::fs::create_dir_all(dir.path().join(ns)).expect("mkdir");
        std::fs::copy(
            root.join(format!("examples/config/{ns}/{name}.json")),
            dir.path().join(format!("{ns}/{name}.json")),
        )
        .expect("copy");
    }
    let url = format!("file://{}", dir.path().display());
    let out = run_with("publish_schema", &[("CONFO_URL", url.as_str())]);
    assert!(
        out.contains("billing reads db.internal.example:5432"),
        "{out}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = confo::backend::FileBackend::new(dir.path());
        let path = "systemA/database".parse().expect("path");
        let published = confo::published_schemas(&store, &path).await.expect("read");
        assert_eq!(published[0].service, "billing");
        let checked = confo::Store::new(std::sync::Arc::new(store));
        let err = confo::backend::Backend::write(
            checked.backend(),
            &path,
            br#"{"host": "db", "port": "fast"}"#,
            confo::backend::Expect::Any,
        )
        .await
        .expect_err("refused");
        assert!(
            err.to_string()
                .contains("port: expected u16, found a string that is not a number (billing)"),
            "{err}"
        );
    });
}
