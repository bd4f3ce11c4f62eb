//! FIFOs, character devices and huge files in a tree: refused by name, with
//! no hang and no read past the limit.

use std::os::unix::fs::symlink;

use confo::backend::{Backend, FileBackend, MAX_VALUE_BYTES};
use confo::tree::{diff_tree, plan_import, DirTree};

use super::{mkfifo, within, within_async, write};

#[test]
fn a_fifo_in_the_store_is_refused_by_name_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/ok.json", "{}");
    mkfifo(&dir.path().join("ns/x.json"));
    let root = dir.path().to_path_buf();
    let err = within_async(20, "get of a FIFO", async move {
        FileBackend::new(&root)
            .read(&"ns/x".parse().unwrap())
            .await
            .unwrap_err()
    });
    let text = err.to_string();
    assert!(text.contains("ns/x.json"), "{text}");
    assert!(text.contains("FIFO"), "{text}");
}

#[test]
fn a_symlink_to_a_fifo_outside_the_root_is_refused_without_hanging() {
    let outside = tempfile::tempdir().unwrap();
    mkfifo(&outside.path().join("pipe"));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/ok.json", "{}");
    symlink(outside.path().join("pipe"), dir.path().join("ns/x.json")).unwrap();
    let root = dir.path().to_path_buf();
    let err = within_async(20, "get of a link to a FIFO", async move {
        FileBackend::new(&root)
            .read(&"ns/x".parse().unwrap())
            .await
            .unwrap_err()
    });
    assert!(err.to_string().contains("outside the root"), "{err}");
}

#[test]
fn import_and_diff_of_a_tree_with_a_fifo_name_it_and_write_nothing() {
    let tree = tempfile::tempdir().unwrap();
    write(tree.path(), "ns/ok.json", "{}");
    mkfifo(&tree.path().join("ns/x.json"));
    let store = tempfile::tempdir().unwrap();
    let (t, s) = (tree.path().to_path_buf(), store.path().to_path_buf());
    let (plan, diff) = within_async(20, "import of a tree with a FIFO", async move {
        let backend = FileBackend::new(&s);
        let plan = plan_import(&backend, &t).await.map(|_| ());
        let diff = diff_tree(&backend, &t).await.map(|_| ());
        (plan, diff)
    });
    for (what, result) in [("import", plan), ("diff", diff)] {
        let err = result.unwrap_err();
        assert!(err.to_string().contains("ns/x.json"), "{what}: {err}");
        assert!(err.to_string().contains("FIFO"), "{what}: {err}");
    }
    assert!(!store.path().join("ns").exists(), "nothing was written");
}

/// Makes a character device like /dev/zero at `path` (the tests run as root).
fn mknod_zero(path: &std::path::Path) {
    let status = std::process::Command::new("mknod")
        .arg(path)
        .args(["c", "1", "5"])
        .status()
        .expect("mknod runs");
    assert!(
        status.success(),
        "mknod {} (the hostile-tree tests run as root)",
        path.display()
    );
}

#[test]
fn a_character_device_in_a_tree_or_store_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/ok.json", "{}");
    mknod_zero(&dir.path().join("ns/z.json"));
    let root = dir.path().to_path_buf();
    let (read, tree) = within_async(20, "reading a device", async move {
        let read = FileBackend::new(&root)
            .read(&"ns/z".parse().unwrap())
            .await
            .map(|_| ());
        let tree = DirTree::read_async(&root, MAX_VALUE_BYTES)
            .await
            .map(|_| ());
        (read, tree)
    });
    for (what, result) in [("file backend read", read), ("tree read", tree)] {
        let err = result.unwrap_err();
        assert!(
            err.to_string().contains("character device"),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("z.json"), "{what}: {err}");
    }
}

#[test]
fn a_huge_file_is_refused_at_the_limit_not_read_whole() {
    // A sparse 4 GiB file: reading it whole would take seconds and 4 GiB.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/big.json", "");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("ns/big.json"))
        .unwrap();
    file.set_len(4 << 30).unwrap();
    let root = dir.path().to_path_buf();
    let (read, tree) = within_async(20, "reading a huge file", async move {
        let read = FileBackend::new(&root)
            .read(&"ns/big".parse().unwrap())
            .await
            .map(|_| ());
        let tree = DirTree::read_async(&root, MAX_VALUE_BYTES)
            .await
            .map(|_| ());
        (read, tree)
    });
    let limit = MAX_VALUE_BYTES.to_string();
    for (what, result) in [("file backend read", read), ("tree read", tree)] {
        let err = result.unwrap_err();
        assert!(err.to_string().contains(&limit), "{what}: {err}");
        assert!(err.to_string().contains("big.json"), "{what}: {err}");
    }
}

#[test]
fn a_file_of_exactly_the_limit_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{\"a\":\"");
    text.push_str(&"x".repeat(MAX_VALUE_BYTES - 8));
    text.push_str("\"}");
    assert_eq!(text.len(), MAX_VALUE_BYTES);
    write(dir.path(), "ns/edge.json", &text);
    let tree = within(20, "tree read", {
        let root = dir.path().to_path_buf();
        move || DirTree::read(root)
    })
    .unwrap();
    assert_eq!(tree.len(), 1);
}
