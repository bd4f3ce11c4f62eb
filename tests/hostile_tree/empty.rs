//! One rule for empty values: an empty (or blank) file reads as `{}`, as an
//! empty znode does, in the store and in a tree to import.

use confo::backend::{Backend, Expect, FileBackend, MemoryBackend};
use confo::tree::DirTree;

use super::{within_async, write};

#[test]
fn an_empty_file_reads_as_the_empty_configuration_like_an_empty_znode() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/empty.json", "");
    write(dir.path(), "ns/blank.json", " \n");
    let root = dir.path().to_path_buf();
    let (file, mem) = within_async(20, "empty values", async move {
        let store = FileBackend::new(&root);
        let mut file = Vec::new();
        for p in ["ns/empty", "ns/blank"] {
            file.push(
                store
                    .read(&p.parse().unwrap())
                    .await
                    .unwrap()
                    .bytes
                    .to_vec(),
            );
        }
        let mem = MemoryBackend::new();
        let path = "ns/empty".parse().unwrap();
        mem.write(&path, b"", Expect::Any).await.unwrap();
        (file, mem.read(&path).await.unwrap().bytes.to_vec())
    });
    assert_eq!(file, [b"{}".to_vec(), b"{}".to_vec()]);
    assert_eq!(mem, b"{}");
    let tree = DirTree::read(dir.path()).unwrap();
    assert_eq!(tree.get(&"ns/empty".parse().unwrap()), Some(&b"{}"[..]));
}
