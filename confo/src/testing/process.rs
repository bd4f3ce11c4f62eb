//! One ZooKeeper JVM under a `sh` guard: what [`super::ZooKeeperServer`]
//! and each member of a [`super::ZooKeeperEnsemble`] run.
//!
//! The guard starts the JVM in the background, then blocks reading a pipe
//! from this process. Told `keep` (a stop before a restart) it stops the JVM
//! gracefully; when the pipe closes for any other reason (a drop, or this
//! process is gone: a server in a `static` is never dropped) it kills the
//! JVM at once and removes the test's temporary directory.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::ServerError;

/// How long [`Jvm::kill`] waits for the JVM to exit before killing it.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

const GUARD_SCRIPT: &str = r#"
    "$0" "$@" </dev/null >>"$CONFO_ZK_LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$CONFO_ZK_PIDFILE"
    command=""
    read -r command
    if [ "$command" = keep ]; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    else
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        [ -n "$CONFO_ZK_DIR" ] && rm -rf "$CONFO_ZK_DIR"
    fi
    exit 0
"#;

/// A running JVM: its `sh` guard and the pipe the guard reads.
struct Running {
    guard: Child,
    stdin: Option<ChildStdin>,
}

/// How to run one ZooKeeper JVM, and the JVM when it runs.
pub(super) struct Jvm {
    pub(super) java: PathBuf,
    pub(super) classpath: String,
    pub(super) main_class: &'static str,
    /// Maximum heap, in MiB.
    pub(super) heap_mb: u32,
    /// Holds `zoo.cfg`, `server.log` and `java.pid`.
    pub(super) dir: PathBuf,
    /// What the guard removes when this process goes away (`dir` or a
    /// parent shared by an ensemble).
    pub(super) cleanup: PathBuf,
    running: Mutex<Option<Running>>,
}

impl Jvm {
    pub(super) fn new(
        java: PathBuf,
        classpath: String,
        main_class: &'static str,
        dir: PathBuf,
        cleanup: PathBuf,
    ) -> Self {
        Jvm {
            java,
            classpath,
            main_class,
            heap_mb: 256,
            dir,
            cleanup,
            running: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Running>> {
        // The guarded state is replaced whole; a poisoned lock is still consistent.
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn config_path(&self) -> PathBuf {
        self.dir.join("zoo.cfg")
    }

    pub(super) fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn pid_path(&self) -> PathBuf {
        self.dir.join("java.pid")
    }

    /// Starts the guard and the JVM, without waiting for the server. Caller
    /// made sure none runs.
    pub(super) fn spawn(&self) -> Result<(), ServerError> {
        let pidfile = self.pid_path();
        let _ = std::fs::remove_file(&pidfile);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(GUARD_SCRIPT)
            .arg(&self.java)
            .args([
                "-Xms32m".to_owned(),
                format!("-Xmx{}m", self.heap_mb),
                "-XX:+UseSerialGC".into(),
                "-XX:TieredStopAtLevel=1".into(),
                "-Xshare:auto".into(),
                "-Djava.awt.headless=true".into(),
                "-Dzookeeper.admin.enableServer=false".into(),
                "-Dorg.slf4j.simpleLogger.showDateTime=true".into(),
                "-cp".into(),
                self.classpath.clone(),
                self.main_class.into(),
            ])
            .arg(self.config_path())
            .env("CONFO_ZK_LOG", self.log_path())
            .env("CONFO_ZK_DIR", &self.cleanup)
            .env("CONFO_ZK_PIDFILE", &pidfile)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| ServerError::new(format!("cannot run `sh` to start ZooKeeper: {e}")))?;
        let stdin = child.stdin.take();
        *self.lock() = Some(Running {
            guard: child,
            stdin,
        });
        Ok(())
    }

    /// Whether the JVM has exited (it was started and its process is gone).
    pub(super) fn exited(&self) -> bool {
        read_pid(&self.pid_path()).is_some_and(|pid| !process_alive(pid))
    }

    /// Polls `ready` every 100 ms until it says yes, the JVM exits, or
    /// `deadline` passes; on failure kills the JVM (keeping the data) and
    /// returns the reason with the tail of the log. `ready` returns
    /// `Err(why not yet)` to say no.
    pub(super) fn wait_until(
        &self,
        deadline: Instant,
        what: &str,
        mut ready: impl FnMut() -> Result<(), String>,
    ) -> Result<(), ServerError> {
        let mut last = String::from("no answer yet");
        // Bounded by time: at most one probe per 100 ms until the deadline.
        while Instant::now() < deadline {
            if self.exited() {
                let error = self.failure("the ZooKeeper JVM exited during start-up");
                self.kill(true);
                return Err(error);
            }
            match ready() {
                Ok(()) => return Ok(()),
                Err(why) => last = why,
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let error = self.failure(&format!("{what} ({last})"));
        self.kill(true);
        Err(error)
    }

    pub(super) fn failure(&self, what: &str) -> ServerError {
        ServerError::new(format!(
            "{what}; java: {}, class path: {}\n--- last lines of {} ---\n{}",
            self.java.display(),
            self.classpath,
            self.log_path().display(),
            self.log_tail(30)
        ))
    }

    /// The last `lines` lines of the log.
    pub(super) fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Whether the log says a port could not be bound.
    pub(super) fn port_taken(&self) -> bool {
        let log = self.log_tail(200);
        log.contains("Address already in use") || log.contains("BindException")
    }

    /// Stops the JVM (closing the guard's pipe) and waits for it to exit;
    /// the guard removes `cleanup` unless `keep`. Does nothing when stopped.
    pub(super) fn kill(&self, keep: bool) {
        let Some(mut running) = self.lock().take() else {
            return;
        };
        if let Some(mut stdin) = running.stdin.take() {
            let _ = stdin.write_all(if keep { b"keep\n" } else { b"remove\n" });
        }
        let deadline = Instant::now() + STOP_TIMEOUT + Duration::from_secs(2);
        loop {
            match running.guard.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    // The guard is stuck: kill the JVM and the guard ourselves.
                    if let Some(pid) = read_pid(&self.pid_path()) {
                        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
                    }
                    let _ = running.guard.kill();
                    let _ = running.guard.wait();
                    break;
                }
            }
        }
    }

    pub(super) fn is_running(&self) -> bool {
        self.lock().is_some()
    }
}

/// Removes the directories of servers whose test process is gone (killed
/// while its server was stopped for a restart, the one moment no guard runs).
pub(super) fn remove_stale_dirs() {
    if !Path::new("/proc/self").exists() {
        return; // no reliable way to tell a dead process from another user's
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("confo-zk-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Sends `ruok`; `Ok(true)` when the answer is `imok`.
pub(super) fn ruok(port: u16) -> io::Result<bool> {
    Ok(four_letter_word(port, b"ruok")? == "imok")
}

/// Sends a four-letter command to `127.0.0.1:port` and returns the answer
/// (at most 64 KiB).
pub(super) fn four_letter_word(port: u16, word: &[u8; 4]) -> io::Result<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(word)?;
    let mut answer = Vec::new();
    // The server closes the connection after answering.
    stream.take(64 * 1024).read_to_end(&mut answer)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// `n` distinct ports nobody listens on now: bind port 0 `n` times at once,
/// note the ports, release them.
pub(super) fn free_ports(n: usize) -> Result<Vec<u16>, ServerError> {
    let error =
        |e: io::Error| ServerError::new(format!("cannot find a free port on 127.0.0.1: {e}"));
    let listeners = (0..n)
        .map(|_| TcpListener::bind(("127.0.0.1", 0)).map_err(error))
        .collect::<Result<Vec<_>, _>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).map_err(error))
        .collect()
}

/// One free port (see [`free_ports`]).
pub(super) fn free_port() -> Result<u16, ServerError> {
    Ok(free_ports(1)?[0])
}

fn read_pid(pidfile: &Path) -> Option<u32> {
    std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()
}

/// Whether `pid` runs (and is not a zombie waiting for the guard to reap it).
pub(super) fn process_alive(pid: u32) -> bool {
    let stat = Path::new("/proc").join(pid.to_string()).join("stat");
    match std::fs::read_to_string(stat) {
        // `pid (comm) S ...`: the state follows the last ')'.
        Ok(s) => s
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
            .unwrap_or(true),
        // No /proc (not Linux): ask `kill -0`.
        Err(_) if !Path::new("/proc/self").exists() => Command::new("kill")
            .arg("-0")
            .arg(pid.to_string())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(true),
        Err(_) => false,
    }
}
