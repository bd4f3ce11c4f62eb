//! The links of an ensemble started with
//! [`ZooKeeperEnsemble::start_with_links`]: a proxy per client link and two
//! per ordered pair of members, and the methods that cut, freeze and slow
//! them.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::ZooKeeperEnsemble;
use crate::testing::proxy::{Hello, LinkProxy, LinkState};
use crate::testing::ServerError;

/// The proxies of an ensemble started with
/// [`ZooKeeperEnsemble::start_with_links`].
pub(super) struct Links {
    /// `clients[i]`: clients to member `i`'s client port.
    pub(super) clients: Vec<LinkProxy>,
    /// `peers[i][j]` (`i != j`): member `i` to member `j`, as member `i`'s
    /// configuration names `j` (quorum port, election port).
    peers: Vec<Vec<Option<PeerLink>>>,
}

/// Member `i`'s way to member `j`: its followers' link to a leader and its
/// leader-election link.
pub(super) struct PeerLink {
    pub(super) quorum: LinkProxy,
    pub(super) election: LinkProxy,
}

impl PeerLink {
    fn proxies(&self) -> [&LinkProxy; 2] {
        [&self.quorum, &self.election]
    }
}

impl ZooKeeperEnsemble {
    fn links(&self) -> Result<&Links, ServerError> {
        self.links.as_ref().ok_or_else(|| {
            ServerError::new(
                "this ensemble has no link proxies: start it with \
                 ZooKeeperEnsemble::start_with_links to cut, freeze or slow links",
            )
        })
    }

    fn check_pair(&self, a: usize, b: usize) -> Result<(), ServerError> {
        self.member(a)?;
        self.member(b)?;
        if a == b {
            return Err(ServerError::new(format!(
                "a link joins two members, not member {a} with itself"
            )));
        }
        Ok(())
    }

    /// Sets the link between members `a` and `b`, both ways (quorum and
    /// election connections). Needs [`Self::start_with_links`].
    ///
    /// ```no_run
    /// use confo::testing::{LinkState, ZooKeeperEnsemble};
    /// let ensemble = ZooKeeperEnsemble::start_with_links(3)?;
    /// ensemble.set_peer_link(0, 1, LinkState::Freeze)?;
    /// assert_eq!(ensemble.peer_link_state(0, 1), Some(LinkState::Freeze));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn set_peer_link(&self, a: usize, b: usize, state: LinkState) -> Result<(), ServerError> {
        self.check_pair(a, b)?;
        let links = self.links()?;
        for (x, y) in [(a, b), (b, a)] {
            if let Some(link) = links.peer(x, y) {
                link.proxies().iter().for_each(|p| p.set_state(state));
            }
        }
        Ok(())
    }

    /// The state of the link from member `a` to member `b` (`None` without
    /// links or for a bad pair).
    ///
    /// ```no_run
    /// use confo::testing::{LinkState, ZooKeeperEnsemble};
    /// let ensemble = ZooKeeperEnsemble::start_with_links(3)?;
    /// assert_eq!(ensemble.peer_link_state(0, 2), Some(LinkState::Up));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn peer_link_state(&self, a: usize, b: usize) -> Option<LinkState> {
        Some(self.links.as_ref()?.peer(a, b)?.quorum.state())
    }

    /// Delays the link between members `a` and `b`: `a_to_b` for bytes
    /// from `a` to `b`, `b_to_a` for the other way. Needs
    /// [`Self::start_with_links`].
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// let d = Duration::from_millis(150);
    /// ensemble.set_peer_delay(0, 1, d, d)?;
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn set_peer_delay(
        &self,
        a: usize,
        b: usize,
        a_to_b: Duration,
        b_to_a: Duration,
    ) -> Result<(), ServerError> {
        self.check_pair(a, b)?;
        let links = self.links()?;
        for (x, y, to, from) in [(a, b, a_to_b, b_to_a), (b, a, b_to_a, a_to_b)] {
            if let Some(link) = links.peer(x, y) {
                link.proxies().iter().for_each(|p| p.set_delay(to, from));
            }
        }
        Ok(())
    }

    /// Delays every link between members by `delay` each way (a WAN-ish
    /// ensemble, or servers with slow disks). Needs
    /// [`Self::start_with_links`].
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// ensemble.set_peer_delays(Duration::from_millis(30))?;
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn set_peer_delays(&self, delay: Duration) -> Result<(), ServerError> {
        for a in 0..self.len() {
            for b in a + 1..self.len() {
                self.set_peer_delay(a, b, delay, delay)?;
            }
        }
        Ok(())
    }

    /// Sets the clients' link to member `i`. Needs
    /// [`Self::start_with_links`].
    ///
    /// ```no_run
    /// use confo::testing::{LinkState, ZooKeeperEnsemble};
    /// let ensemble = ZooKeeperEnsemble::start_with_links(3)?;
    /// ensemble.set_client_link(0, LinkState::Drop)?; // clients fail over to 1 and 2
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn set_client_link(&self, i: usize, state: LinkState) -> Result<(), ServerError> {
        self.member(i)?;
        self.links()?.clients[i].set_state(state);
        Ok(())
    }

    /// Delays the clients' link to member `i`: `to_server` for requests,
    /// `to_client` for answers and events. Needs
    /// [`Self::start_with_links`].
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// let d = Duration::from_millis(300);
    /// for i in 0..ensemble.len() {
    ///     ensemble.set_client_delay(i, d, d)?;
    /// }
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn set_client_delay(
        &self,
        i: usize,
        to_server: Duration,
        to_client: Duration,
    ) -> Result<(), ServerError> {
        self.member(i)?;
        self.links()?.clients[i].set_delay(to_server, to_client);
        Ok(())
    }

    /// The proxy of the clients' link to member `i` (`None` without links
    /// or for an index out of range), e.g. to read its port.
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// let proxy = ensemble.client_link(0).unwrap();
    /// assert_ne!(Some(proxy.port()), ensemble.client_port(0));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn client_link(&self, i: usize) -> Option<&LinkProxy> {
        self.links.as_ref()?.clients.get(i)
    }

    /// Drops (resets) every link between member `i` and the others; its
    /// clients' link stays up, so they see a server without quorum. Needs
    /// [`Self::start_with_links`].
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// ensemble.isolate(0)?;
    /// ensemble.heal()?;
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn isolate(&self, i: usize) -> Result<(), ServerError> {
        self.member(i)?;
        let others: Vec<usize> = (0..self.len()).filter(|&j| j != i).collect();
        self.partition(&[i], &others)
    }

    /// Drops (resets) every link between a member of `a` and a member of
    /// `b`; links within each side stay as they are. Needs
    /// [`Self::start_with_links`].
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// ensemble.partition(&[0], &[1, 2])?;
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn partition(&self, a: &[usize], b: &[usize]) -> Result<(), ServerError> {
        for &x in a {
            for &y in b {
                self.set_peer_link(x, y, LinkState::Drop)?;
            }
        }
        Ok(())
    }

    /// Drops (resets) every client link: clients reach no member. Needs
    /// [`Self::start_with_links`].
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// ensemble.cut_clients()?;
    /// ensemble.heal()?;
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn cut_clients(&self) -> Result<(), ServerError> {
        for i in 0..self.len() {
            self.set_client_link(i, LinkState::Drop)?;
        }
        Ok(())
    }

    /// Sets every link, between members and to clients, [`LinkState::Up`]
    /// (delays stay as set; frozen bytes are delivered). Needs
    /// [`Self::start_with_links`].
    ///
    /// ```no_run
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// ensemble.isolate(1)?;
    /// ensemble.heal()?;
    /// assert_eq!(ensemble.peer_link_state(1, 0), Some(confo::testing::LinkState::Up));
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn heal(&self) -> Result<(), ServerError> {
        let links = self.links()?;
        for proxy in links.all() {
            proxy.set_state(LinkState::Up);
        }
        Ok(())
    }

    /// Waits, at most `timeout`, until a majority of the members other
    /// than `excluded` serve with a leader among them, and returns the
    /// leader: the quorum a partition left on the other side of an
    /// isolated member (which may still call itself leader for a moment).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let ensemble = confo::testing::ZooKeeperEnsemble::start_with_links(3)?;
    /// let leader = ensemble.leader().unwrap();
    /// ensemble.isolate(leader)?;
    /// let new_leader = ensemble.wait_for_quorum_without(leader, Duration::from_secs(30))?;
    /// assert_ne!(new_leader, leader);
    /// # Ok::<(), confo::testing::ServerError>(())
    /// ```
    pub fn wait_for_quorum_without(
        &self,
        excluded: usize,
        timeout: Duration,
    ) -> Result<usize, ServerError> {
        self.member(excluded)?;
        let deadline = Instant::now() + timeout;
        // Bounded by time: one probe round per 50 ms until the deadline.
        loop {
            let modes: Vec<Option<String>> = (0..self.len())
                .map(|i| if i == excluded { None } else { self.mode(i) })
                .collect();
            let serving = modes.iter().filter(|m| m.is_some()).count();
            let leader = modes.iter().position(|m| m.as_deref() == Some("leader"));
            if serving * 2 > self.len() {
                if let Some(leader) = leader {
                    return Ok(leader);
                }
            }
            if Instant::now() >= deadline {
                return Err(ServerError::new(format!(
                    "the ensemble {} has no quorum without member {excluded} after {} ms \
                     ({serving} of the other members serve)",
                    self.connect_string(),
                    timeout.as_millis(),
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Links {
    /// One client proxy per member and two proxies per ordered pair of
    /// members, for `ports` (client, quorum, election per member).
    pub(super) fn start(ports: &[u16]) -> Result<Self, ServerError> {
        let n = ports.len() / 3;
        let at = |port: u16| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let clients = (0..n)
            .map(|i| LinkProxy::start(at(ports[3 * i])))
            .collect::<Result<Vec<_>, _>>()?;
        // The port of the election proxy from `i` to `j`, known once made.
        let slots: Vec<Vec<Arc<OnceLock<u16>>>> = (0..n)
            .map(|_| (0..n).map(|_| Arc::default()).collect())
            .collect();
        let mut peers: Vec<Vec<Option<PeerLink>>> = Vec::with_capacity(n);
        for (i, own) in slots.iter().enumerate() {
            let mut row = Vec::with_capacity(n);
            for (j, slot) in own.iter().enumerate() {
                if i == j {
                    row.push(None);
                    continue;
                }
                let quorum = LinkProxy::start(at(ports[3 * j + 1]))?;
                // Member `j` answers `i`'s election hello by connecting back
                // to the address in it: make that `j`'s proxy to `i`.
                let back = slots[j][i].clone();
                let election =
                    LinkProxy::start_with(at(ports[3 * j + 2]), Some(election_hello(back)))?;
                let _ = slot.set(election.port());
                row.push(Some(PeerLink { quorum, election }));
            }
            peers.push(row);
        }
        Ok(Links { clients, peers })
    }

    pub(super) fn peer(&self, i: usize, j: usize) -> Option<&PeerLink> {
        self.peers.get(i)?.get(j)?.as_ref()
    }

    fn all(&self) -> impl Iterator<Item = &LinkProxy> {
        self.clients.iter().chain(
            self.peers
                .iter()
                .flatten()
                .flatten()
                .flat_map(|link| link.proxies()),
        )
    }
}

/// Rewrites ZooKeeper's election hello (protocol version, server id,
/// length-prefixed `host:port` of the sender's election address) so that
/// its address is `127.0.0.1:<back>`: a server that receives a connection
/// from a smaller id drops it and connects back to that address, which
/// would bypass the proxies. Older hellos (a bare server id) pass as is.
fn election_hello(back: Arc<OnceLock<u16>>) -> Hello {
    Arc::new(move |bytes: &[u8]| {
        let version = i64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        if version >= 0 {
            return Some(bytes.to_vec());
        }
        let len = i32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
        let len = usize::try_from(len).ok()?;
        let rest = bytes.get(20 + len..)?;
        let Some(port) = back.get() else {
            return Some(bytes.to_vec());
        };
        let address = format!("127.0.0.1:{port}");
        let mut out = Vec::with_capacity(bytes.len() + 8);
        out.extend_from_slice(&bytes[..16]);
        out.extend_from_slice(&(address.len() as i32).to_be_bytes());
        out.extend_from_slice(address.as_bytes());
        out.extend_from_slice(rest);
        Some(out)
    })
}
