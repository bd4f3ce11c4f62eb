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

pub mod conformance;
mod ensemble;
mod process;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use ensemble::ZooKeeperEnsemble;
use process::{four_letter_word, free_port, remove_stale_dirs, ruok, Jvm};

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

/// Jars of the Debian `libnetty-java` package that Netty's TLS handler
/// needs and the ZooKeeper jar's manifest does not name.
const DEBIAN_NETTY_EXTRA: &[&str] = &[
    "/usr/share/java/netty-codec.jar",
    "/usr/share/java/netty-resolver.jar",
    "/usr/share/java/netty-transport-native-unix-common.jar",
];

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

/// TLS for a test server's secure client port (see
/// [`ZooKeeperServer::start_tls`]): the server's certificate and key, and
/// optionally the CA whose certificates clients must present.
///
/// All PEM text. The key must be an unencrypted PKCS#8 key
/// (`-----BEGIN PRIVATE KEY-----`), as `rcgen` writes it.
///
/// ```
/// let tls = confo::testing::ServerTls::new("-----BEGIN CERTIFICATE-----...", "-----BEGIN PRIVATE KEY-----...");
/// assert!(!format!("{tls:?}").contains("PRIVATE KEY"));
/// ```
#[derive(Clone)]
pub struct ServerTls {
    cert_pem: String,
    key_pem: String,
    client_ca_pem: Option<String>,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("key", &"***")
            .field("client_auth", &self.client_ca_pem.is_some())
            .finish()
    }
}

impl ServerTls {
    /// The server presents this certificate (chain) and key; clients need
    /// not present one.
    ///
    /// ```
    /// let tls = confo::testing::ServerTls::new("cert", "key");
    /// # let _ = tls;
    /// ```
    pub fn new(cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        ServerTls {
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
            client_ca_pem: None,
        }
    }

    /// Clients must present a certificate signed by this CA (mutual TLS).
    ///
    /// ```
    /// let tls = confo::testing::ServerTls::new("cert", "key").require_client_cert("ca");
    /// assert!(format!("{tls:?}").contains("client_auth: true"));
    /// ```
    pub fn require_client_cert(mut self, ca_pem: impl Into<String>) -> Self {
        self.client_ca_pem = Some(ca_pem.into());
        self
    }
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
    secure_port: Option<u16>,
    jvm: Jvm,
}

impl fmt::Debug for ZooKeeperServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZooKeeperServer")
            .field("address", &self.connect_string())
            .field("secure_port", &self.secure_port)
            .field("dir", &self.jvm.dir)
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
        let (java, classpath) = java_and_classpath()?;
        remove_stale_dirs();
        // The free port is released before the JVM binds it, so another
        // process may take it meanwhile: then try another (at most 3 times).
        Self::start_with(java, classpath, None, free_port)
    }

    /// Like [`ZooKeeperServer::start`], plus a TLS client port
    /// ([`ZooKeeperServer::secure_port`], URL [`ZooKeeperServer::tls_url`])
    /// served by Netty with this certificate. The plain port stays open for
    /// the readiness probe (`ruok` is plain text); a production server that
    /// requires TLS leaves `clientPort` out (see `SECURITY.md`).
    ///
    /// ```no_run
    /// use confo::testing::{ServerTls, ZooKeeperServer};
    /// # let (cert_pem, key_pem) = (String::new(), String::new());
    /// let server = ZooKeeperServer::start_tls(ServerTls::new(cert_pem, key_pem))?;
    /// assert!(server.tls_url().unwrap().starts_with("zks://127.0.0.1:"));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn start_tls(tls: ServerTls) -> Result<Self, ServerError> {
        let (java, classpath) = java_and_classpath()?;
        remove_stale_dirs();
        Self::start_with(java, classpath, Some(tls), free_port)
    }

    fn start_with(
        java: PathBuf,
        classpath: String,
        tls: Option<ServerTls>,
        mut pick_port: impl FnMut() -> Result<u16, ServerError>,
    ) -> Result<Self, ServerError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::start_on(
                java.clone(),
                classpath.clone(),
                tls.as_ref(),
                &mut pick_port,
            ) {
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
        tls: Option<&ServerTls>,
        pick_port: &mut impl FnMut() -> Result<u16, ServerError>,
    ) -> Result<Self, (ServerError, bool)> {
        let not_taken = |e: ServerError| (e, false);
        let port = pick_port().map_err(not_taken)?;
        let secure_port = match tls {
            Some(_) => Some(free_port().map_err(not_taken)?),
            None => None,
        };
        let dir = new_temp_dir(port).map_err(not_taken)?;
        let server = ZooKeeperServer {
            port,
            secure_port,
            jvm: Jvm::new(java, classpath, MAIN_CLASS, dir.clone(), dir),
        };
        // From here on, Drop cleans up whatever happens.
        server.write_config(tls).map_err(not_taken)?;
        match server.launch() {
            Ok(()) => Ok(server),
            Err(e) => Err((e, server.jvm.port_taken())),
        }
    }

    fn write_config(&self, tls: Option<&ServerTls>) -> Result<(), ServerError> {
        let dir = &self.jvm.dir;
        let mut config = format!(
            "# Written by confo::testing::ZooKeeperServer\n\
             tickTime={TICK_MS}\n\
             initLimit=10\n\
             syncLimit=5\n\
             dataDir={}\n\
             clientPort={}\n\
             clientPortAddress=127.0.0.1\n\
             maxClientCnxns=0\n\
             4lw.commands.whitelist=ruok,srvr,stat,conf,mntr,wchs,wchc\n\
             admin.enableServer=false\n\
             autopurge.purgeInterval=0\n",
            dir.join("data").display(),
            self.port
        );
        if let (Some(tls), Some(secure_port)) = (tls, self.secure_port) {
            let write = |name: &str, text: &str| {
                let path = dir.join(name);
                std::fs::write(&path, text)
                    .map(|()| path)
                    .map_err(|e| io_error(&format!("write {name}"), e))
            };
            // ZooKeeper's PEM key store: the key and the certificate chain in one file.
            let key_store = write(
                "server.pem",
                &format!("{}\n{}\n", tls.key_pem, tls.cert_pem),
            )?;
            config.push_str(&format!(
                "secureClientPort={secure_port}\n\
                 secureClientPortAddress=127.0.0.1\n\
                 serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n\
                 ssl.keyStore.location={}\n\
                 ssl.keyStore.type=PEM\n\
                 ssl.keyStore.password=\n",
                key_store.display()
            ));
            match &tls.client_ca_pem {
                Some(ca) => {
                    let trust = write("client-ca.pem", ca)?;
                    config.push_str(&format!(
                        "ssl.clientAuth=need\n\
                         ssl.trustStore.location={}\n\
                         ssl.trustStore.type=PEM\n\
                         ssl.trustStore.password=\n",
                        trust.display()
                    ));
                }
                None => config.push_str("ssl.clientAuth=none\n"),
            }
        }
        std::fs::write(self.jvm.config_path(), config).map_err(|e| io_error("write zoo.cfg", e))
    }

    /// Starts the JVM and waits for `ruok`. Caller made sure none runs.
    fn launch(&self) -> Result<(), ServerError> {
        self.jvm.spawn()?;
        let port = self.port;
        let dir_name = dir_name(&self.jvm.dir);
        self.jvm.wait_until(
            Instant::now() + START_TIMEOUT,
            &format!(
                "ZooKeeper did not answer `ruok` on 127.0.0.1:{port} within {} s",
                START_TIMEOUT.as_secs()
            ),
            || match ruok(port) {
                // `imok`, and from our server: whoever took the port between
                // `free_port` and the JVM's bind would answer too.
                Ok(true) => answered_by_ours(port, &dir_name),
                Ok(false) => Err("it answered `ruok` with something else than `imok`".into()),
                Err(e) => Err(e.to_string()),
            },
        )?;
        if let Some(secure_port) = self.secure_port {
            // The secure port opens with the plain one; wait until it accepts.
            self.jvm.wait_until(
                Instant::now() + START_TIMEOUT,
                &format!("ZooKeeper did not open its TLS port 127.0.0.1:{secure_port}"),
                || {
                    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], secure_port));
                    std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1))
                        .map(drop)
                        .map_err(|e| e.to_string())
                },
            )?;
        }
        Ok(())
    }

    /// The last `lines` lines of the server's log (for failure messages).
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// println!("{}", server.log_tail(20));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn log_tail(&self, lines: usize) -> String {
        self.jvm.log_tail(lines)
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
        self.jvm.kill(true);
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
        self.jvm.kill(true);
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
        self.jvm.is_running()
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

    /// The TLS client port, for a server started by
    /// [`ZooKeeperServer::start_tls`].
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert_eq!(server.secure_port(), None);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn secure_port(&self) -> Option<u16> {
        self.secure_port
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

    /// One server for the whole process, started on first use: what a test
    /// binary wants, since starting a JVM per test is slow. The server is
    /// never dropped; its guard kills it when the process exits. Give each
    /// test its own tree with [`ZooKeeperServer::fresh_url`].
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use confo::testing::ZooKeeperServer;
    ///
    /// // In every test of the binary:
    /// let server = ZooKeeperServer::shared().map_err(|e| e.to_string())?;
    /// let confo = confo::Confo::from_url(&server.fresh_url("my-test")).await?;
    /// # Ok(()) }
    /// ```
    pub fn shared() -> Result<&'static ZooKeeperServer, &'static ServerError> {
        static SHARED: std::sync::OnceLock<Result<ZooKeeperServer, ServerError>> =
            std::sync::OnceLock::new();
        SHARED.get_or_init(ZooKeeperServer::start).as_ref()
    }

    /// `zk://127.0.0.1:PORT/<prefix>-<pid>-<n>`: a URL whose chroot no other
    /// call in this process returned, so tests sharing a server never see
    /// each other's configurations.
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert_ne!(server.fresh_url("t"), server.fresh_url("t"));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn fresh_url(&self, prefix: &str) -> String {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}/{prefix}-{}-{n}", self.url(), std::process::id())
    }

    /// `zks://127.0.0.1:SECURE_PORT`: the TLS URL, for a server started by
    /// [`ZooKeeperServer::start_tls`]. Add the CA with `?ca_file=...`.
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert_eq!(server.tls_url(), None);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn tls_url(&self) -> Option<String> {
        self.secure_port.map(|p| format!("zks://127.0.0.1:{p}"))
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
        &self.jvm.dir
    }

    /// The server's log file (standard output and error of the JVM).
    ///
    /// ```no_run
    /// let server = confo::testing::ZooKeeperServer::start()?;
    /// assert!(server.log_path().ends_with("server.log"));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn log_path(&self) -> PathBuf {
        self.jvm.log_path()
    }
}

impl Drop for ZooKeeperServer {
    fn drop(&mut self) {
        self.jvm.kill(false);
        let _ = std::fs::remove_dir_all(&self.jvm.dir);
    }
}

/// A new, empty temporary directory `confo-zk-<pid>-<n>-<tag>` with a
/// `data/` directory in it. The pid lets [`remove_stale_dirs`] find the
/// directories of test processes that are gone.
fn new_temp_dir(tag: impl fmt::Display) -> Result<PathBuf, ServerError> {
    let dir = std::env::temp_dir().join(format!(
        "confo-zk-{}-{}-{tag}",
        std::process::id(),
        DIR_COUNTER.fetch_add(1, Ordering::Relaxed),
    ));
    std::fs::create_dir_all(dir.join("data")).map_err(|e| io_error("create a directory", e))?;
    Ok(dir)
}

fn io_error(what: &str, e: io::Error) -> ServerError {
    ServerError::new(format!("cannot {what} for the ZooKeeper test server: {e}"))
}

/// Whether the server on `port` is ours: its `conf` names our directory
/// (whoever took the port between `free_port` and the JVM's bind would answer too).
fn answered_by_ours(port: u16, dir_name: &str) -> Result<(), String> {
    match four_letter_word(port, b"conf") {
        Ok(conf) if conf.contains(dir_name) => Ok(()),
        Ok(_) => Err("another server answers on this port".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// The unique name of a temporary directory (it is in `dataDir`, so `conf` shows it).
fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Java and the class path, from the environment (see the module documentation).
fn java_and_classpath() -> Result<(PathBuf, String), ServerError> {
    let env = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
    Ok((
        find_java(&env)?,
        find_classpath(&env, Path::new(DEBIAN_JAR))?,
    ))
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
        // The manifest leaves out what Netty's TLS handler needs at run
        // time (a secure client port); the logging backend is optional too.
        for jar in [DEBIAN_SLF4J].iter().chain(DEBIAN_NETTY_EXTRA) {
            if Path::new(jar).is_file() {
                cp.push(':');
                cp.push_str(jar);
            }
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

    /// The port picked is taken by another ZooKeeper before the JVM binds
    /// it: the other server's `imok` must not pass for ours, and a new port
    /// is tried.
    #[test]
    fn a_port_taken_meanwhile_by_another_server_is_detected_and_replaced() {
        let (java, classpath) = java_and_classpath().unwrap_or_else(|e| panic!("{e}"));
        let other = ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}"));
        let mut ports = vec![free_port().unwrap(), other.port()];
        let server = ZooKeeperServer::start_with(java, classpath, None, || {
            ports.pop().ok_or_else(|| ServerError::new("no more ports"))
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(server.port(), other.port());
        let conf = four_letter_word(server.port(), b"conf").unwrap();
        assert!(conf.contains(&dir_name(server.dir())), "{conf}");
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
