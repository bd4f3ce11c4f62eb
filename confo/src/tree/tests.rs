//! Unit tests of the tree module: reading, diff, import and export together.

use std::fs;
use std::path::Path;

use super::*;
use crate::backend::{Backend, Expect, MemoryBackend};
use crate::error::Error;
use crate::name::ConfigPath;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn every_problem_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "top.json", "{}");
    write(d, "ns/ok.json", "{}");
    write(d, "ns/array.json", "[1]");
    write(d, "ns/broken.json", "{\n\"a\": }");
    write(d, "ns/readme.md", "hi");
    write(d, "ns/sub/x.json", "{}");
    write(d, "ns/zookeeper.json", "{}");
    write(d, "zookeeper/a.json", "{}");
    write(
        d,
        "ns/big.json",
        &format!("{{\"a\":\"{}\"}}", "x".repeat(2000)),
    );
    let Err(Error::InvalidTree { problems, .. }) = DirTree::read_with_limit(d, 1000) else {
        panic!("expected InvalidTree");
    };
    let files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "ns/array.json",
            "ns/big.json",
            "ns/broken.json",
            "ns/readme.md",
            "ns/sub",
            "ns/zookeeper.json",
            "top.json",
            "zookeeper/"
        ]
    );
    assert!(problems[2].message.contains("line 2"), "{}", problems[2]);
}

#[test]
fn symlinks_out_of_the_tree_are_problems_inside_allowed() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.json"), r#"{"password":"x"}"#).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/real.json", r#"{"a":1}"#);
    symlink(
        dir.path().join("ns/real.json"),
        dir.path().join("ns/alias.json"),
    )
    .unwrap();
    symlink(
        outside.path().join("secret.json"),
        dir.path().join("ns/leak.json"),
    )
    .unwrap();
    symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
    let err = DirTree::read(dir.path()).unwrap_err();
    let Error::InvalidTree { problems, .. } = &err else {
        panic!("{err:?}")
    };
    let files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(files, ["elsewhere", "ns/leak.json"], "{err}");
    assert!(err.to_string().contains("outside the tree"), "{err}");

    std::fs::remove_file(dir.path().join("ns/leak.json")).unwrap();
    std::fs::remove_file(dir.path().join("elsewhere")).unwrap();
    let tree = DirTree::read(dir.path()).unwrap();
    assert_eq!(tree.len(), 2); // real and its alias inside the tree
}

#[test]
fn missing_directory_is_a_problem_not_a_panic() {
    let err = DirTree::read("/nonexistent/confo-tree").unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
}

#[tokio::test]
async fn formatting_and_key_order_are_not_differences() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a/b.json",
        "{\n  \"y\": 1,\n  \"x\": [true]\n}\n",
    );
    let store = MemoryBackend::new();
    store
        .write(
            &"a/b".parse().unwrap(),
            br#"{"x":[true],"y":1}"#,
            Expect::Any,
        )
        .await
        .unwrap();
    let diff = diff_tree(&store, dir.path()).await.unwrap();
    assert!(diff.is_empty(), "{diff:?}");
    assert_eq!(diff.unchanged.len(), 1);
}

#[tokio::test]
async fn import_does_not_overwrite_a_concurrent_change() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/b.json", r#"{"v":1}"#);
    let store = MemoryBackend::new();
    let path: ConfigPath = "a/b".parse().unwrap();
    store
        .write(&path, br#"{"v":0}"#, Expect::Any)
        .await
        .unwrap();
    let plan = plan_import(&store, dir.path()).await.unwrap();
    store
        .write(&path, br#"{"v":2}"#, Expect::Any)
        .await
        .unwrap();
    let err = plan.apply(&store, |_, _| {}).await.unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(&*store.read(&path).await.unwrap().bytes, br#"{"v":2}"#);
}

#[tokio::test]
async fn an_empty_store_exports_an_empty_tree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap");
    export_tree(&MemoryBackend::new(), &out).await.unwrap();
    assert!(DirTree::read(&out).unwrap().is_empty());
}

#[tokio::test]
async fn empty_namespaces_travel_both_ways() {
    let store = MemoryBackend::new();
    store
        .create_namespace(&"empty".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    export_tree(&store, dir.path()).await.unwrap();
    let other = MemoryBackend::new();
    let plan = plan_import(&other, dir.path()).await.unwrap();
    assert_eq!(plan.steps(), 1);
    assert_eq!(plan.writes(), 0);
    plan.apply(&other, |_, _| {}).await.unwrap();
    assert_eq!(other.list_namespaces().await.unwrap(), ["empty"]);
    assert!(diff_tree(&other, dir.path()).await.unwrap().is_empty());
}
