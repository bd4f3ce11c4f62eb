//! The hostile-tree group: the file backend and `confo import`/`diff` on
//! trees a careless or hostile writer made. FIFOs, devices, links in, out
//! and racing, huge files, concurrent imports and failed batches. Every
//! case is bounded in time ([`within`]) and memory (reads stop at the limit).

mod batches;
mod devices;
mod empty;
mod links;
mod znodes;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// Runs `f` on its own thread and returns its result, or fails the test if
/// it takes longer than `secs` seconds (a hang is a failure, not a wait).
pub fn within<T: Send + 'static>(
    secs: u64,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("{what}: no answer within {secs} s (a hang)"))
}

/// Runs an async block on a fresh runtime, bounded by [`within`].
pub fn within_async<T, F>(secs: u64, what: &str, fut: F) -> T
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    within(secs, what, move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(fut)
    })
}

/// Writes `text` at `rel` under `dir`, creating the directories.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Makes a FIFO at `path` with `mkfifo`.
pub fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}
