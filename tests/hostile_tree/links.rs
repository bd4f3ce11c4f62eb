//! Links in, out and racing: a read follows links that stay inside the root
//! and never returns what is outside it, even while a link flips.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confo::backend::{Backend, FileBackend};
use confo::tree::DirTree;

use super::{within_async, write};

const INSIDE: &str = r#"{"where":"inside"}"#;
const OUTSIDE: &str = r#"{"where":"outside","password":"hunter2-secret"}"#;

#[test]
fn links_inside_the_root_are_followed_relative_or_absolute() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/real.json", INSIDE);
    symlink("real.json", dir.path().join("ns/rel.json")).unwrap();
    symlink(
        dir.path().join("ns/real.json"),
        dir.path().join("ns/abs.json"),
    )
    .unwrap();
    symlink(dir.path().join("ns"), dir.path().join("alias")).unwrap();
    let root = dir.path().to_path_buf();
    let read = within_async(20, "reads of links inside", async move {
        let store = FileBackend::new(&root);
        let mut out = Vec::new();
        for path in ["ns/rel", "ns/abs", "alias/real"] {
            let v = store.read(&path.parse().unwrap()).await.unwrap();
            out.push(String::from_utf8(v.bytes.to_vec()).unwrap());
        }
        out
    });
    assert_eq!(read, [INSIDE; 3]);
}

#[test]
fn links_out_of_the_root_are_refused_file_or_directory() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "ns/secret.json", OUTSIDE);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/ok.json", INSIDE);
    symlink(
        outside.path().join("ns/secret.json"),
        dir.path().join("ns/leak.json"),
    )
    .unwrap();
    symlink(outside.path().join("ns"), dir.path().join("away")).unwrap();
    let root = dir.path().to_path_buf();
    let errs = within_async(20, "reads of links outside", async move {
        let store = FileBackend::new(&root);
        let mut out = Vec::new();
        for path in ["ns/leak", "away/secret"] {
            out.push(store.read(&path.parse().unwrap()).await.unwrap_err());
        }
        out
    });
    for err in errs {
        assert!(err.to_string().contains("outside the root"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}

/// Points the link at `link` to `target`, atomically (a new link renamed over it).
fn point(link: &Path, target: &Path, spare: &Path) {
    let _ = std::fs::remove_file(spare);
    symlink(target, spare).unwrap();
    std::fs::rename(spare, link).unwrap();
}

/// Flips `link` between `inside` and `outside` until `stop`, at most
/// `limit` times.
fn flipper(
    link: PathBuf,
    inside: PathBuf,
    outside: PathBuf,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let spare = link.with_extension("spare");
        let mut flips = 0u64;
        while !stop.load(Ordering::Relaxed) && flips < 2_000_000 {
            point(&link, &inside, &spare);
            point(&link, &outside, &spare);
            flips += 1;
        }
        point(&link, &inside, &spare);
        flips
    })
}

/// Reads `path` from `root` while the flipper runs: 3,000 reads or 15 s,
/// whichever comes first. Returns (inside values seen, refusals).
fn race(root: PathBuf, path: &'static str) -> (u32, u32) {
    within_async(60, "reads during a flipping link", async move {
        let store = FileBackend::new(&root);
        let cfg = path.parse().unwrap();
        let start = Instant::now();
        let (mut inside, mut refused) = (0, 0);
        for _ in 0..3_000 {
            if start.elapsed() > Duration::from_secs(15) {
                break;
            }
            match store.read(&cfg).await {
                Ok(v) => {
                    assert_eq!(&*v.bytes, INSIDE.as_bytes(), "read the outside file");
                    inside += 1;
                }
                Err(e) => {
                    assert!(!e.to_string().contains("hunter2"), "{e}");
                    refused += 1;
                }
            }
        }
        (inside, refused)
    })
}

#[test]
fn a_file_link_flipping_out_of_the_root_during_reads_never_shows_the_outside_file() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.json", OUTSIDE);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/real.json", INSIDE);
    let link = dir.path().join("ns/x.json");
    symlink("real.json", &link).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flips = flipper(
        link,
        PathBuf::from("real.json"),
        outside.path().join("secret.json"),
        Arc::clone(&stop),
    );
    let (inside, refused) = race(dir.path().to_path_buf(), "ns/x");
    stop.store(true, Ordering::Relaxed);
    let flips = flips.join().unwrap();
    assert!(flips > 0);
    // Both sides of the race were seen: the test did race.
    assert!(inside + refused > 0, "no read finished");
}

#[test]
fn a_directory_link_flipping_out_of_the_root_during_reads_never_shows_the_outside_file() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "real/x.json", OUTSIDE);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "real/x.json", INSIDE);
    let link = dir.path().join("ns");
    symlink("real", &link).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flips = flipper(
        link,
        PathBuf::from("real"),
        outside.path().join("real"),
        Arc::clone(&stop),
    );
    let (inside, refused) = race(dir.path().to_path_buf(), "ns/x");
    stop.store(true, Ordering::Relaxed);
    assert!(flips.join().unwrap() > 0);
    assert!(inside + refused > 0, "no read finished");
}

#[test]
fn a_tree_to_import_with_a_link_out_names_it() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.json", OUTSIDE);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ns/ok.json", INSIDE);
    symlink(
        outside.path().join("secret.json"),
        dir.path().join("ns/leak.json"),
    )
    .unwrap();
    let err = DirTree::read(dir.path()).unwrap_err();
    assert!(err.to_string().contains("ns/leak.json"), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn a_directory_link_flipping_out_of_the_root_during_writes_never_writes_outside() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(outside.path().join("real")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let link = dir.path().join("ns");
    symlink("real", &link).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flips = flipper(
        link,
        PathBuf::from("real"),
        outside.path().join("real"),
        Arc::clone(&stop),
    );
    let root = dir.path().to_path_buf();
    let written = within_async(60, "writes during a flipping link", async move {
        let store = FileBackend::new(&root);
        let cfg = "ns/x".parse().unwrap();
        let start = Instant::now();
        let mut written = 0;
        for _ in 0..1_000 {
            if start.elapsed() > Duration::from_secs(15) {
                break;
            }
            if store
                .write(&cfg, INSIDE.as_bytes(), confo::backend::Expect::Any)
                .await
                .is_ok()
            {
                written += 1;
            }
        }
        written
    });
    stop.store(true, Ordering::Relaxed);
    assert!(flips.join().unwrap() > 0);
    let leaked: Vec<_> = std::fs::read_dir(outside.path().join("real"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(leaked.is_empty(), "written outside the root: {leaked:?}");
    assert!(written > 0, "no write went through");
}
