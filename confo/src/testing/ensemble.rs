//! A throwaway ZooKeeper ensemble: several servers forming one quorum on
//! loopback ports, for failover tests.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::process::{four_letter_word, free_ports, remove_stale_dirs, ruok, Jvm};
use super::proxy::LinkProxy;
use super::{
    answered_by_ours, dir_name, io_error, java_and_classpath, new_temp_dir, ServerError,
    START_TIMEOUT,
};

mod links;

use links::Links;

const QUORUM_MAIN_CLASS: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/// The ensemble's tick: followers notice a lost leader within `syncLimit`
/// ticks, so a small tick keeps failover tests fast.
const TICK_MS: u32 = 200;

/// The largest ensemble [`ZooKeeperEnsemble::start`] runs.
const MAX_MEMBERS: usize = 9;

/// One member: its ports (client, quorum, election) and its JVM.
struct Member {
    client_port: u16,
    quorum_port: u16,
    election_port: u16,
    jvm: Jvm,
}

/// A real ZooKeeper ensemble on `127.0.0.1`, for tests: `n` servers
/// (`QuorumPeerMain`), each with its own data directory, `myid` and
/// client, quorum and election ports, forming one quorum.
///
/// [`ZooKeeperEnsemble::stop`] and [`ZooKeeperEnsemble::restart`] take one
/// member down and bring it back (same ports, same data);
/// [`ZooKeeperEnsemble::leader`] says which member leads. Dropping the
/// ensemble kills every member and removes its directory; like
/// [`super::ZooKeeperServer`], each JVM runs under a guard that kills it
/// when the test process ends in any way. Members are numbered from 0
/// (their ZooKeeper `myid` is the number plus one).
///
/// Starting blocks for a few seconds; from async code use
/// `tokio::task::spawn_blocking`.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use confo::testing::ZooKeeperEnsemble;
///
/// let ensemble = tokio::task::spawn_blocking(|| ZooKeeperEnsemble::start(3)).await??;
/// let confo = confo::Confo::from_url(&ensemble.url()).await?;
/// let leader = ensemble.leader().expect("a serving ensemble has a leader");
/// ensemble.stop(leader)?; // the other two elect a new leader
/// ensemble.restart(leader)?; // and the old one rejoins as a follower
/// # Ok(()) }
/// ```
pub struct ZooKeeperEnsemble {
    root: PathBuf,
    members: Vec<Member>,
    links: Option<Links>,
}

impl fmt::Debug for ZooKeeperEnsemble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZooKeeperEnsemble")
            .field("address", &self.connect_string())
            .field(
                "running",
                &self
                    .members
                    .iter()
                    .map(|m| m.jvm.is_running())
                    .collect::<Vec<_>>(),
            )
            .field("dir", &self.root)
            .finish()
    }
}

impl ZooKeeperEnsemble {
    /// Starts `n` servers (1 to 9; 3 for a quorum that survives one lost
    /// member) on free `127.0.0.1` ports, and waits (at most
    /// [`START_TIMEOUT`]) until every member serves (a leader and its
    /// followers).
    ///
    /// Fails like [`super::ZooKeeperServer::start`] when Java or the jars
    /// are missing, and with the tail of a member's log when it does not
    /// come up.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// assert_eq!(ensemble.len(), 3);
    /// assert!(ensemble.leader().is_some());
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn start(n: usize) -> Result<Self, ServerError> {
        if n == 0 || n > MAX_MEMBERS {
            return Err(ServerError::new(format!(
                "an ensemble has 1 to {MAX_MEMBERS} members, not {n}"
            )));
        }
        let (java, classpath) = java_and_classpath()?;
        remove_stale_dirs();
        // Ports are released before the JVMs bind them; if another process
        // takes one meanwhile, start over on new ports (at most 3 times).
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::start_once(n, &java, &classpath) {
                Err((error, port_taken)) if port_taken && attempt < 3 => {
                    tracing::warn!(%error, "ZooKeeper test ensemble lost a port; trying others");
                }
                result => return result.map_err(|(error, _)| error),
            }
        }
    }

    /// Like [`ZooKeeperEnsemble::start`], with every link through a
    /// [`LinkProxy`] the ensemble owns, so tests can cut, freeze and slow
    /// them: each client link (one proxy per member; [`Self::url`] and
    /// [`Self::connect_string`] name the proxies) and each member's link to
    /// each other member (member `i`'s configuration names member `j` by
    /// two proxies of its own, for the quorum and the election port).
    ///
    /// The helpers [`Self::isolate`], [`Self::partition`],
    /// [`Self::cut_clients`] and [`Self::heal`] switch groups of links;
    /// [`Self::set_peer_link`], [`Self::set_client_link`],
    /// [`Self::set_peer_delay`] and [`Self::set_client_delay`] one link.
    /// Everything runs on `127.0.0.1` and stops when the ensemble is
    /// dropped. The probes ([`Self::leader`], [`Self::mode`]) and
    /// [`Self::client_port`] bypass the proxies.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use confo::testing::ZooKeeperEnsemble;
    ///
    /// let ensemble = tokio::task::spawn_blocking(|| ZooKeeperEnsemble::start_with_links(3)).await??;
    /// let confo = confo::Confo::from_url(&format!("{}?session_timeout=4s", ensemble.url())).await?;
    /// let leader = ensemble.leader().unwrap();
    /// ensemble.isolate(leader)?; // the other two elect a new leader
    /// let new_leader = ensemble.wait_for_quorum_without(leader, std::time::Duration::from_secs(30))?;
    /// assert_ne!(new_leader, leader);
    /// ensemble.heal()?;
    /// # Ok(()) }
    /// ```
    pub fn start_with_links(n: usize) -> Result<Self, ServerError> {
        if n == 0 || n > MAX_MEMBERS {
            return Err(ServerError::new(format!(
                "an ensemble has 1 to {MAX_MEMBERS} members, not {n}"
            )));
        }
        let (java, classpath) = java_and_classpath()?;
        remove_stale_dirs();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::start_once_with(n, &java, &classpath, true) {
                Err((error, port_taken)) if port_taken && attempt < 3 => {
                    tracing::warn!(%error, "ZooKeeper test ensemble lost a port; trying others");
                }
                result => return result.map_err(|(error, _)| error),
            }
        }
    }

    fn start_once(n: usize, java: &Path, classpath: &str) -> Result<Self, (ServerError, bool)> {
        Self::start_once_with(n, java, classpath, false)
    }

    fn start_once_with(
        n: usize,
        java: &Path,
        classpath: &str,
        with_links: bool,
    ) -> Result<Self, (ServerError, bool)> {
        let not_taken = |e: ServerError| (e, false);
        let ports = free_ports(3 * n).map_err(not_taken)?;
        let root = new_temp_dir("ensemble").map_err(not_taken)?;
        let links = if with_links {
            Some(Links::start(&ports).map_err(not_taken)?)
        } else {
            None
        };
        let mut ensemble = ZooKeeperEnsemble {
            root: root.clone(),
            members: Vec::with_capacity(n),
            links,
        };
        // From here on, Drop cleans up whatever happens.
        for (i, p) in ports.chunks(3).enumerate() {
            let dir = root.join(format!("server-{}", i + 1));
            let mut jvm = Jvm::new(
                java.to_owned(),
                classpath.to_owned(),
                QUORUM_MAIN_CLASS,
                dir,
                root.clone(),
            );
            jvm.heap_mb = 128;
            ensemble.members.push(Member {
                client_port: p[0],
                quorum_port: p[1],
                election_port: p[2],
                jvm,
            });
        }
        ensemble.write_configs().map_err(not_taken)?;
        for member in &ensemble.members {
            member.jvm.spawn().map_err(not_taken)?;
        }
        let deadline = Instant::now() + START_TIMEOUT;
        for i in 0..n {
            if let Err(e) = ensemble.wait_serving(i, deadline) {
                let taken = ensemble.members.iter().any(|m| m.jvm.port_taken());
                return Err((e, taken));
            }
        }
        Ok(ensemble)
    }

    fn write_configs(&self) -> Result<(), ServerError> {
        for (i, m) in self.members.iter().enumerate() {
            // Member `i` names itself by its own ports (it binds them) and
            // the others by its proxies to them, when there are some.
            let servers: String = self
                .members
                .iter()
                .enumerate()
                .map(|(j, other)| {
                    let (quorum, election) = match self.links.as_ref().and_then(|l| l.peer(i, j)) {
                        Some(link) => (link.quorum.port(), link.election.port()),
                        None => (other.quorum_port, other.election_port),
                    };
                    format!("server.{}=127.0.0.1:{quorum}:{election}\n", j + 1)
                })
                .collect();
            let data = m.jvm.dir.join("data");
            std::fs::create_dir_all(&data).map_err(|e| io_error("create a directory", e))?;
            std::fs::write(data.join("myid"), format!("{}\n", i + 1))
                .map_err(|e| io_error("write myid", e))?;
            let config = format!(
                "# Written by confo::testing::ZooKeeperEnsemble\n\
                 tickTime={TICK_MS}\n\
                 initLimit=20\n\
                 syncLimit=10\n\
                 dataDir={}\n\
                 clientPort={}\n\
                 clientPortAddress=127.0.0.1\n\
                 maxClientCnxns=0\n\
                 maxSessionTimeout=60000\n\
                 4lw.commands.whitelist=ruok,srvr,stat,mntr,conf,wchs,wchc\n\
                 admin.enableServer=false\n\
                 autopurge.purgeInterval=0\n\
                 {servers}",
                data.display(),
                m.client_port,
            );
            std::fs::write(m.jvm.config_path(), config)
                .map_err(|e| io_error("write zoo.cfg", e))?;
        }
        Ok(())
    }

    fn member(&self, i: usize) -> Result<&Member, ServerError> {
        self.members.get(i).ok_or_else(|| {
            ServerError::new(format!(
                "no member {i} in an ensemble of {} (members are numbered from 0)",
                self.members.len()
            ))
        })
    }

    /// Waits until member `i` serves clients as leader or follower, and is
    /// ours (its `conf` names our directory).
    fn wait_serving(&self, i: usize, deadline: Instant) -> Result<(), ServerError> {
        let member = self.member(i)?;
        let port = member.client_port;
        let ours = dir_name(&self.root);
        member.jvm.wait_until(
            deadline,
            &format!(
                "ensemble member {i} (127.0.0.1:{port}) did not join a quorum within {} s",
                START_TIMEOUT.as_secs()
            ),
            || match mode(port) {
                Some(_) => answered_by_ours(port, &ours),
                None => Err("not serving yet".into()),
            },
        )
    }

    /// Stops member `i` (its clients see the connection drop), keeping its
    /// ports and data for [`ZooKeeperEnsemble::restart`]. Does nothing if it
    /// is stopped; fails only for an index out of range.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// ensemble.stop(0)?;
    /// assert!(!ensemble.is_running(0));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn stop(&self, i: usize) -> Result<(), ServerError> {
        self.member(i)?.jvm.kill(true);
        Ok(())
    }

    /// Starts member `i` again on its ports with its data (does nothing if
    /// it runs; the name matches [`super::ZooKeeperServer::restart`], as
    /// `start` makes the ensemble) and waits, at most
    /// [`START_TIMEOUT`]: until it serves when a majority of the members
    /// would then run, else only until it answers `ruok` (it cannot serve
    /// without a quorum).
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// ensemble.stop(2)?;
    /// ensemble.restart(2)?;
    /// assert!(ensemble.is_serving(2));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn restart(&self, i: usize) -> Result<(), ServerError> {
        let member = self.member(i)?;
        if member.jvm.is_running() {
            return Ok(());
        }
        member.jvm.spawn()?;
        let deadline = Instant::now() + START_TIMEOUT;
        if self.running_count() * 2 > self.members.len() {
            self.wait_serving(i, deadline)
        } else {
            let port = member.client_port;
            member.jvm.wait_until(
                deadline,
                &format!("ensemble member {i} (127.0.0.1:{port}) did not answer `ruok`"),
                || match ruok(port) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err("it answered `ruok` with something else than `imok`".into()),
                    Err(e) => Err(e.to_string()),
                },
            )
        }
    }

    /// Waits, at most `timeout`, until a majority of the members serve
    /// with a leader among them, and returns the leader.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// let leader = ensemble.leader().unwrap();
    /// ensemble.stop(leader)?;
    /// let new_leader = ensemble.wait_for_quorum(Duration::from_secs(30))?;
    /// assert_ne!(new_leader, leader);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn wait_for_quorum(&self, timeout: Duration) -> Result<usize, ServerError> {
        let deadline = Instant::now() + timeout;
        // Bounded by time: one probe round per 50 ms until the deadline.
        loop {
            let serving = (0..self.members.len())
                .filter(|&i| self.is_serving(i))
                .count();
            if serving * 2 > self.members.len() {
                if let Some(leader) = self.leader() {
                    return Ok(leader);
                }
            }
            if Instant::now() >= deadline {
                return Err(ServerError::new(format!(
                    "the ensemble {} has no quorum after {} ms ({serving} of {} members serve)",
                    self.connect_string(),
                    timeout.as_millis(),
                    self.members.len()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The member that leads now (its `srvr` says `Mode: leader`), if any:
    /// `None` while there is no quorum or during an election.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// let leader = ensemble.leader().unwrap();
    /// assert!(leader < 3);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn leader(&self) -> Option<usize> {
        (0..self.members.len()).find(|&i| self.mode(i).as_deref() == Some("leader"))
    }

    /// Member `i`'s role as its `srvr` reports it (`leader`, `follower`,
    /// `observer`, `standalone`), or `None` when it is stopped, out of range
    /// or not serving.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// let leader = ensemble.leader().unwrap();
    /// assert_eq!(ensemble.mode(leader).as_deref(), Some("leader"));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn mode(&self, i: usize) -> Option<String> {
        let member = self.members.get(i)?;
        if !member.jvm.is_running() {
            return None;
        }
        mode(member.client_port)
    }

    /// Whether member `i` serves clients now.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// assert!(ensemble.is_serving(0));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn is_serving(&self, i: usize) -> bool {
        self.mode(i).is_some()
    }

    /// Whether member `i` runs (started, not stopped).
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// assert!(ensemble.is_running(1));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn is_running(&self, i: usize) -> bool {
        self.members.get(i).is_some_and(|m| m.jvm.is_running())
    }

    fn running_count(&self) -> usize {
        self.members.iter().filter(|m| m.jvm.is_running()).count()
    }

    /// How many members the ensemble has.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// assert_eq!(ensemble.len(), 3);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false: an ensemble has at least one member.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(1)?;
    /// assert!(!ensemble.is_empty());
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Member `i`'s own client port (never a proxy's), `None` for an index
    /// out of range.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// assert!(ensemble.client_port(0).is_some());
    /// assert_eq!(ensemble.client_port(3), None);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn client_port(&self, i: usize) -> Option<u16> {
        self.members.get(i).map(|m| m.client_port)
    }

    /// `127.0.0.1:P1,127.0.0.1:P2,...`: every member, for a raw ZooKeeper
    /// client (through the client proxies when started
    /// [with links](Self::start_with_links)).
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// assert_eq!(ensemble.connect_string().split(',').count(), 3);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn connect_string(&self) -> String {
        let ports: Vec<u16> = match &self.links {
            Some(links) => links.clients.iter().map(LinkProxy::port).collect(),
            None => self.members.iter().map(|m| m.client_port).collect(),
        };
        ports
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `zk://127.0.0.1:P1,127.0.0.1:P2,...`: the URL for
    /// [`crate::Confo::from_url`], listing every member. Append a chroot
    /// and options as for a single server.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// let url = format!("{}/my-test?session_timeout=4s", ensemble.url());
    /// let confo = confo::Confo::from_url(&url).await?;
    /// # Ok(()) }
    /// ```
    pub fn url(&self) -> String {
        format!("zk://{}", self.connect_string())
    }

    /// The temporary directory holding one `server-<myid>/` directory per
    /// member (`zoo.cfg`, `data/`, `server.log`); removed on drop.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// assert!(ensemble.dir().join("server-1/zoo.cfg").is_file());
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// The last `lines` lines of member `i`'s log (empty for an index out
    /// of range), for failure messages.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start(3)?;
    /// println!("{}", ensemble.log_tail(0, 20));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn log_tail(&self, i: usize, lines: usize) -> String {
        self.members
            .get(i)
            .map(|m| m.jvm.log_tail(lines))
            .unwrap_or_default()
    }
}

impl Drop for ZooKeeperEnsemble {
    fn drop(&mut self) {
        for member in &self.members {
            member.jvm.kill(false);
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The `Mode:` line of `srvr` on `127.0.0.1:port`, when the server serves.
fn mode(port: u16) -> Option<String> {
    let answer = four_letter_word(port, b"srvr").ok()?;
    answer
        .lines()
        .find_map(|line| line.strip_prefix("Mode:"))
        .map(|m| m.trim().to_owned())
}
