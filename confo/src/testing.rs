//! A throwaway ZooKeeper server for tests (feature `testing`).
//!
//! [`ZooKeeperServer::start`] runs a real, standalone ZooKeeper on a free
//! `127.0.0.1` port with a fresh data directory, and returns once it answers
//! `ruok`. Dropping it kills the server and removes the directory. Use it in
//! your own services' tests:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use confo::testing::ZooKeeperServer;
//!
//! let server = ZooKeeperServer::start()?;
//! let confo = confo::Confo::from_url(&server.url()).await?;
//! confo.create_namespace("systemA").await?;
//! # Ok(()) }
//! ```
//!
//! # What it needs
//!
//! Java and the ZooKeeper jars, at run time only. On Debian and Ubuntu:
//! `sudo apt-get install -y zookeeper default-jre-headless`. It looks for
//! the jars in this order:
//!
//! 1. [`CLASSPATH_ENV`] (`CONFO_ZOOKEEPER_CLASSPATH`): a Java class path used
//!    as it is (e.g. `/opt/zk/lib/*`);
//! 2. [`HOME_ENV`] (`ZOOKEEPER_HOME`): an unpacked Apache ZooKeeper release
//!    (its `lib/` directory);
//! 3. the Debian package: `/usr/share/java/zookeeper.jar`, whose manifest
//!    names its dependencies.
//!
//! Java is `$JAVA_HOME/bin/java` when `JAVA_HOME` is set, else `java` on the
//! `PATH`. When either is missing, [`ZooKeeperServer::start`] fails with a
//! message that says how to install them; it never skips.
//!
//! # Clean-up
//!
//! The JVM runs under a small `sh` that holds a pipe from this process and,
//! when the pipe closes, kills the JVM and removes the temporary directory.
//! The pipe closes when the server is dropped *and* when the test process
//! ends without running destructors (a server in a `static`, a panic with
//! `panic = "abort"`, a kill), so no JVM and no directory outlive the tests.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Environment variable: a Java class path holding ZooKeeper and its
/// dependencies, used as is (it wins over [`HOME_ENV`] and the Debian jars).
///
/// ```
/// assert_eq!(confo::testing::CLASSPATH_ENV, "CONFO_ZOOKEEPER_CLASSPATH");
/// ```
pub const CLASSPATH_ENV: &str = "CONFO_ZOOKEEPER_CLASSPATH";

/// Environment variable: the directory of an unpacked Apache ZooKeeper
/// release; its `lib/*` jars are used.
///
/// ```
/// assert_eq!(confo::testing::HOME_ENV, "ZOOKEEPER_HOME");
/// ```
pub const HOME_ENV: &str = "ZOOKEEPER_HOME";

/// The Debian package's jar.
const DEBIAN_JAR: &str = "/usr/share/java/zookeeper.jar";
/// A logging backend from the Debian `libslf4j-java` package (a dependency
/// of `zookeeper`): without one the server's log is empty.
const DEBIAN_SLF4J: &str = "/usr/share/java/slf4j-simple.jar";

const MAIN_CLASS: &str = "org.apache.zookeeper.server.ZooKeeperServerMain";
const INSTALL_HINT: &str =
    "install them with `sudo apt-get install -y zookeeper default-jre-headless` \
     (Debian/Ubuntu), or point CONFO_ZOOKEEPER_CLASSPATH at the ZooKeeper jars \
     (or ZOOKEEPER_HOME at an unpacked ZooKeeper release) and JAVA_HOME at a Java runtime";

/// How long [`ZooKeeperServer::start`] waits for `ruok` to be answered.
///
/// ```
/// assert_eq!(confo::testing::START_TIMEOUT.as_secs(), 30);
/// ```
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`ZooKeeperServer::stop`] waits for the JVM to exit before killing it.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's tick: sessions time out between 2 and 20 ticks, so a small
/// tick keeps expiry tests fast.
const TICK_MS: u32 = 200;

static DIR_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why a test server could not start or stop.
///
/// Its message says what failed, what to do, and ends with the tail of the
/// server's log when there is one.
///
/// ```
/// let err = confo::testing::ServerError::new("no java");
/// assert_eq!(err.to_string(), "no java");
/// ```
#[derive(Debug)]
pub struct ServerError {
    message: String,
}

impl ServerError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServerError {}

/// A running JVM: its `sh` guard and the pipe the guard reads.
struct Running {
    guard: Child,
    stdin: Option<ChildStdin>,
}

/// A real, standalone ZooKeeper server on `127.0.0.1`, for tests.
///
/// Started by [`ZooKeeperServer::start`]; stopped, and its data removed,
/// when dropped. [`ZooKeeperServer::stop`] and
/// [`ZooKeeperServer::restart`] take it down and bring it back on the same
/// port with the same data, for fault tests. Methods take `&self`, so a
/// server can be shared (e.g. in a `static`).
///
/// Starting blocks the calling thread for a few seconds (the JVM); from
/// async code call it in `tokio::task::spawn_blocking` or once in a
/// `std::sync::OnceLock`:
///
/// ```no_run
/// use std::sync::OnceLock;
/// use confo::testing::ZooKeeperServer;
///
/// fn server() -> &'static ZooKeeperServer {
///     static SERVER: OnceLock<ZooKeeperServer> = OnceLock::new();
///     SERVER.get_or_init(|| ZooKeeperServer::start().expect("ZooKeeper test server"))
/// }
///
/// # async fn demo() -> Result<(), confo::Error> {
/// let confo = confo::Confo::from_url(&server().url()).await?;
/// # Ok(()) }
/// ```
pub struct ZooKeeperServer {
    port: u16,
    dir: PathBuf,
    java: PathBuf,
    classpath: String,
    running: Mutex<Option<Running>>,
}

impl fmt::Debug for ZooKeeperServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZooKeeperServer")
            .field("address", &self.connect_string())
            .field("dir", &self.dir)
            .field("running", &self.is_running())
            .finish()
    }
}

impl ZooKeeperServer {
    /// Starts a server on a free `127.0.0.1` port with a new, empty data
    /// directory, and waits (at most [`START_TIMEOUT`]) until it answers `ruok`.
    ///
    /// Fails, saying how to install them, when Java or the ZooKeeper jars
    /// are missing; fails with the tail of the server's log when it does not
    /// come up.
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert!(server.url().starts_with("zk://127.0.0.1:"));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn start() -> Result<Self, ServerError> {
        let env = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
        let java = find_java(&env)?;
        let classpath = find_classpath(&env, Path::new(DEBIAN_JAR))?;
        remove_stale_dirs();
        // The free port is released before the JVM binds it, so another
        // process may take it meanwhile: then try another (at most 3 times).
        Self::start_with(java, classpath, free_port)
    }

    fn start_with(
        java: PathBuf,
        classpath: String,
        mut pick_port: impl FnMut() -> Result<u16, ServerError>,
    ) -> Result<Self, ServerError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::start_on(java.clone(), classpath.clone(), &mut pick_port) {
                Err((error, port_taken)) if port_taken && attempt < 3 => {
                    tracing::warn!(%error, "ZooKeeper test server lost its port; trying another");
                }
                result => return result.map_err(|(error, _)| error),
            }
        }
    }

    /// One start; on failure, whether it failed because the port was taken.
    fn start_on(
        java: PathBuf,
        classpath: String,
        pick_port: &mut impl FnMut() -> Result<u16, ServerError>,
    ) -> Result<Self, (ServerError, bool)> {
        let not_taken = |e: ServerError| (e, false);
        let port = pick_port().map_err(not_taken)?;
        let dir = std::env::temp_dir().join(format!(
            "confo-zk-{}-{}-{}",
            std::process::id(),
            DIR_COUNTER.fetch_add(1, Ordering::Relaxed),
            port
        ));
        let io_err = |what: &str, e: io::Error| {
            ServerError::new(format!("cannot {what} for the ZooKeeper test server: {e}"))
        };
        std::fs::create_dir_all(dir.join("data"))
            .map_err(|e| not_taken(io_err("create a directory", e)))?;
        let server = ZooKeeperServer {
            port,
            dir,
            java,
            classpath,
            running: Mutex::new(None),
        };
        // From here on, Drop cleans up whatever happens.
        std::fs::write(server.dir.join("zoo.cfg"), server.config())
            .map_err(|e| not_taken(io_err("write zoo.cfg", e)))?;
        match server.launch() {
            Ok(()) => Ok(server),
            Err(e) => {
                let log = server.log_tail(200);
                let taken = log.contains("Address already in use") || log.contains("BindException");
                Err((e, taken))
            }
        }
    }

    fn config(&self) -> String {
        format!(
            "# Written by confo::testing::ZooKeeperServer\n\
             tickTime={TICK_MS}\n\
             initLimit=10\n\
             syncLimit=5\n\
             dataDir={}\n\
             clientPort={}\n\
             clientPortAddress=127.0.0.1\n\
             maxClientCnxns=0\n\
             4lw.commands.whitelist=ruok,srvr,stat,conf,wchs,wchc\n\
             admin.enableServer=false\n\
             autopurge.purgeInterval=0\n",
            self.dir.join("data").display(),
            self.port
        )
    }

    fn lock(&self) -> MutexGuard<'_, Option<Running>> {
        // The guarded state is replaced whole; a poisoned lock is still consistent.
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the JVM and waits for `ruok`. Caller made sure none runs.
    fn launch(&self) -> Result<(), ServerError> {
        let log = self.log_path();
        // The guard: start the JVM in the background, then block reading our
        // pipe; when the pipe closes (we stop, drop, or die) kill the JVM.
        // Told `keep` (a stop before a restart) it stops the JVM gracefully;
        // otherwise (drop, or this process is gone: a server in a `static` is
        // never dropped) it kills the JVM at once and removes the directory.
        let script = r#"
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
        let pidfile = self.dir.join("java.pid");
        let _ = std::fs::remove_file(&pidfile);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&self.java)
            .args([
                "-Xms32m",
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xshare:auto",
                "-Djava.awt.headless=true",
                "-Dzookeeper.admin.enableServer=false",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp",
                &self.classpath,
                MAIN_CLASS,
            ])
            .arg(self.dir.join("zoo.cfg"))
            .env("CONFO_ZK_LOG", &log)
            .env("CONFO_ZK_DIR", &self.dir)
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
        self.wait_until_ready(&pidfile)
    }

    fn wait_until_ready(&self, pidfile: &Path) -> Result<(), ServerError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut last = String::from("no answer yet");
        // Bounded by time: at most START_TIMEOUT / 100 ms probes.
        while Instant::now() < deadline {
            if let Some(pid) = read_pid(pidfile) {
                if !process_alive(pid) {
                    let error = self.failure("the ZooKeeper JVM exited during start-up");
                    self.kill(true);
                    return Err(error);
                }
            }
            match ruok(self.port) {
                // `imok`, and from our server: whoever took the port between
                // `free_port` and the JVM's bind would answer too.
                Ok(true) => match four_letter_word(self.port, b"conf") {
                    Ok(conf) if conf.contains(&*self.dir_name()) => return Ok(()),
                    Ok(_) => last = "another server answers on this port".into(),
                    Err(e) => last = e.to_string(),
                },
                Ok(false) => last = "it answered `ruok` with something else than `imok`".into(),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let error = self.failure(&format!(
            "ZooKeeper did not answer `ruok` on 127.0.0.1:{} within {} s ({last})",
            self.port,
            START_TIMEOUT.as_secs()
        ));
        self.kill(true);
        Err(error)
    }

    /// The unique name of the temporary directory (it is in `dataDir`).
    fn dir_name(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn failure(&self, what: &str) -> ServerError {
        ServerError::new(format!(
            "{what}; java: {}, class path: {}\n--- last lines of {} ---\n{}",
            self.java.display(),
            self.classpath,
            self.log_path().display(),
            self.log_tail(30)
        ))
    }

    /// The last `lines` lines of the server's log (for failure messages).
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// println!("{}", server.log_tail(20));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Stops the JVM (closing the guard's pipe) and waits for it to exit;
    /// the guard removes the directory unless `keep`.
    fn kill(&self, keep: bool) {
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
                    if let Some(pid) = read_pid(&self.dir.join("java.pid")) {
                        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
                    }
                    let _ = running.guard.kill();
                    let _ = running.guard.wait();
                    break;
                }
            }
        }
    }

    /// Stops the server, keeping its port and data for [`ZooKeeperServer::restart`].
    /// Clients see the connection drop. Does nothing if it is stopped.
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// server.stop();
    /// assert!(!server.is_running());
    /// server.restart()?;
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn stop(&self) {
        self.kill(true);
    }

    /// Starts the server again (stopping it first if it runs) on the same
    /// port with the same data, and waits until it answers `ruok`.
    /// Sessions that have not expired meanwhile survive.
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// server.restart()?;
    /// assert!(server.is_running());
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn restart(&self) -> Result<(), ServerError> {
        self.kill(true);
        self.launch()
    }

    /// True between a successful start (or restart) and a stop.
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert!(server.is_running());
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn is_running(&self) -> bool {
        self.lock().is_some()
    }

    /// The client port (on `127.0.0.1`).
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert_ne!(server.port(), 0);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`: the connect string for a raw ZooKeeper client.
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert_eq!(server.connect_string(), format!("127.0.0.1:{}", server.port()));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `zk://127.0.0.1:PORT`: the URL for [`crate::Confo::from_url`].
    /// Append a chroot (`/tests-1`) to give each test its own tree.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// let confo = confo::Confo::from_url(&format!("{}/my-test", server.url())).await?;
    /// # Ok(()) }
    /// ```
    pub fn url(&self) -> String {
        format!("zk://{}", self.connect_string())
    }

    /// The temporary directory holding `zoo.cfg`, `data/` and `server.log`;
    /// removed on drop.
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert!(server.dir().join("zoo.cfg").is_file());
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server's log file (standard output and error of the JVM).
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert!(server.log_path().ends_with("server.log"));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }
}

impl Drop for ZooKeeperServer {
    fn drop(&mut self) {
        self.kill(false);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the directories of servers whose test process is gone (killed
/// while its server was stopped for a restart, the one moment no guard runs).
fn remove_stale_dirs() {
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
fn ruok(port: u16) -> io::Result<bool> {
    Ok(four_letter_word(port, b"ruok")? == "imok")
}

/// Sends a four-letter command and returns the answer (at most 64 KiB).
fn four_letter_word(port: u16, word: &[u8; 4]) -> io::Result<String> {
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

/// A port nobody listens on now: bind port 0, note the port, release it.
fn free_port() -> Result<u16, ServerError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| ServerError::new(format!("cannot find a free port on 127.0.0.1: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| ServerError::new(format!("cannot find a free port on 127.0.0.1: {e}")))
}

fn read_pid(pidfile: &Path) -> Option<u32> {
    std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()
}

/// Whether `pid` runs (and is not a zombie waiting for the guard to reap it).
fn process_alive(pid: u32) -> bool {
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

/// Reads an environment variable, `None` when unset or empty.
type Env<'a> = &'a dyn Fn(&str) -> Option<std::ffi::OsString>;

fn find_java(env: Env<'_>) -> Result<PathBuf, ServerError> {
    if let Some(home) = env("JAVA_HOME") {
        let java = PathBuf::from(home).join("bin").join("java");
        if java.is_file() {
            return Ok(java);
        }
        return Err(ServerError::new(format!(
            "JAVA_HOME is set but {} does not exist; {INSTALL_HINT}",
            java.display()
        )));
    }
    let path = env("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("java"))
        .find(|java| java.is_file())
        .ok_or_else(|| {
            ServerError::new(format!(
                "Java was not found on the PATH (the ZooKeeper test server needs it); {INSTALL_HINT}"
            ))
        })
}

fn find_classpath(env: Env<'_>, debian_jar: &Path) -> Result<String, ServerError> {
    if let Some(cp) = env(CLASSPATH_ENV) {
        return Ok(cp.to_string_lossy().into_owned());
    }
    if let Some(home) = env(HOME_ENV) {
        let home = PathBuf::from(home);
        let lib = home.join("lib");
        if !lib.is_dir() {
            return Err(ServerError::new(format!(
                "{HOME_ENV} is {} but it has no lib/ directory of jars; {INSTALL_HINT}",
                home.display()
            )));
        }
        return Ok(format!("{}/*:{}/*", lib.display(), home.display()));
    }
    if debian_jar.is_file() {
        let mut cp = debian_jar.display().to_string();
        if Path::new(DEBIAN_SLF4J).is_file() {
            cp.push(':');
            cp.push_str(DEBIAN_SLF4J);
        }
        return Ok(cp);
    }
    Err(ServerError::new(format!(
        "the ZooKeeper jars were not found ({CLASSPATH_ENV} and {HOME_ENV} are not set and \
         {} does not exist); {INSTALL_HINT}",
        debian_jar.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn says_how_to_install(err: &ServerError) {
        let msg = err.to_string();
        assert!(
            msg.contains("sudo apt-get install -y zookeeper default-jre-headless"),
            "{msg}"
        );
        assert!(msg.contains(CLASSPATH_ENV), "{msg}");
    }

    #[test]
    fn missing_java_says_how_to_install_it() {
        let err = find_java(&env_of(&[("PATH", "/nonexistent-confo-test")])).unwrap_err();
        assert!(err.to_string().contains("Java was not found"), "{err}");
        says_how_to_install(&err);
        let err = find_java(&env_of(&[("JAVA_HOME", "/nonexistent-confo-test")])).unwrap_err();
        assert!(err.to_string().contains("JAVA_HOME"), "{err}");
        says_how_to_install(&err);
    }

    #[test]
    fn missing_jars_say_how_to_install_them() {
        let nowhere = Path::new("/nonexistent-confo-test/zookeeper.jar");
        let err = find_classpath(&env_of(&[]), nowhere).unwrap_err();
        assert!(err.to_string().contains("jars were not found"), "{err}");
        says_how_to_install(&err);
        let err =
            find_classpath(&env_of(&[(HOME_ENV, "/nonexistent-confo-test")]), nowhere).unwrap_err();
        says_how_to_install(&err);
    }

    fn java_and_classpath() -> (PathBuf, String) {
        let env = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
        let java = find_java(&env).unwrap_or_else(|e| panic!("{e}"));
        let classpath =
            find_classpath(&env, Path::new(DEBIAN_JAR)).unwrap_or_else(|e| panic!("{e}"));
        (java, classpath)
    }

    /// The port picked is taken by another ZooKeeper before the JVM binds
    /// it: the other server's `imok` must not pass for ours, and a new port
    /// is tried.
    #[test]
    fn a_port_taken_meanwhile_by_another_server_is_detected_and_replaced() {
        let (java, classpath) = java_and_classpath();
        let other = ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}"));
        let mut ports = vec![free_port().unwrap(), other.port()];
        let server = ZooKeeperServer::start_with(java, classpath, || {
            ports.pop().ok_or_else(|| ServerError::new("no more ports"))
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(server.port(), other.port());
        let conf = four_letter_word(server.port(), b"conf").unwrap();
        assert!(conf.contains(&server.dir_name()), "{conf}");
    }

    #[test]
    fn the_classpath_variable_wins() {
        let nowhere = Path::new("/nonexistent-confo-test/zookeeper.jar");
        let cp = find_classpath(
            &env_of(&[(CLASSPATH_ENV, "/opt/zk/lib/*"), (HOME_ENV, "/x")]),
            nowhere,
        )
        .unwrap();
        assert_eq!(cp, "/opt/zk/lib/*");
    }
}
