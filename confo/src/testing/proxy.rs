//! A loopback TCP proxy whose link can be cut, frozen or slowed, for fault
//! tests.
//!
//! [`LinkProxy::start`] listens on a free `127.0.0.1` port and forwards
//! every connection to one upstream address. [`LinkProxy::set_state`]
//! switches the link between [`LinkState::Up`], [`LinkState::Drop`] (reset
//! every connection, refuse new ones) and [`LinkState::Freeze`] (hold the
//! bytes, deliver them on the next `Up`); [`LinkProxy::set_delay`] delays
//! each direction. The proxy runs on its own thread (a one-thread tokio
//! runtime), serves at most [`MAX_CONNECTIONS`] connections at once, and
//! stops, resetting every connection, when dropped.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::ServerError;

/// The most connections one [`LinkProxy`] forwards at once; beyond it, new
/// connections are reset.
///
/// ```
/// assert_eq!(confo::testing::MAX_CONNECTIONS, 256);
/// ```
pub const MAX_CONNECTIONS: usize = 256;

/// How long the proxy waits for the upstream to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Chunks held per direction of a connection (while frozen or delayed)
/// before the proxy stops reading from the sender.
const HELD_CHUNKS: usize = 1024;

/// What a [`LinkProxy`] does with its connections.
///
/// ```
/// use confo::testing::LinkState;
/// assert_ne!(LinkState::Up, LinkState::Freeze);
/// assert_eq!(LinkState::default(), LinkState::Up);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkState {
    /// Bytes flow (after the delays, if any).
    #[default]
    Up,
    /// Every connection is reset (TCP RST) and new ones are reset as soon
    /// as they are accepted: a crashed peer or a rejecting firewall.
    Drop,
    /// Connections stay open but no byte moves; what was sent is held and
    /// delivered, in order, when the link is `Up` again: a black hole or a
    /// stalled peer. New connections are accepted and frozen too.
    Freeze,
}

/// The settings every connection of a proxy follows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Control {
    state: LinkState,
    /// Delay of bytes going to the upstream.
    to_upstream: Duration,
    /// Delay of bytes coming back from the upstream.
    to_downstream: Duration,
}

/// Rewrites the first bytes a connection sends to the upstream: called with
/// what arrived so far, it returns `None` to wait for more, else the bytes
/// to forward instead.
pub(crate) type Hello = Arc<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync>;

/// A TCP proxy on `127.0.0.1` to one upstream address, for fault tests;
/// see [`LinkState`] for what it can do to a link.
///
/// ```no_run
/// use std::time::Duration;
/// use confo::testing::{LinkProxy, LinkState, ZooKeeperServer};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let server = tokio::task::spawn_blocking(ZooKeeperServer::start).await??;
/// let proxy = LinkProxy::start(format!("127.0.0.1:{}", server.port()).parse()?)?;
/// let url = format!("zk://127.0.0.1:{}?session_timeout=4s", proxy.port());
/// let confo = confo::Confo::from_url(&url).await?;
/// proxy.set_delay(Duration::from_millis(100), Duration::from_millis(100));
/// proxy.set_state(LinkState::Freeze); // the client hears nothing now
/// proxy.set_state(LinkState::Up); // and gets what was held
/// # Ok(()) }
/// ```
pub struct LinkProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    control: watch::Sender<Control>,
    open: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LinkProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let control = *self.control.borrow();
        f.debug_struct("LinkProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .field("state", &control.state)
            .field("to_upstream", &control.to_upstream)
            .field("to_downstream", &control.to_downstream)
            .field("connections", &self.connections())
            .finish()
    }
}

impl LinkProxy {
    /// Starts a proxy on a free `127.0.0.1` port forwarding to `upstream`,
    /// with the link [`LinkState::Up`] and no delay.
    ///
    /// ```
    /// let proxy = confo::testing::LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// assert!(proxy.addr().ip().is_loopback());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(upstream: SocketAddr) -> Result<Self, ServerError> {
        Self::start_with(upstream, None)
    }

    pub(crate) fn start_with(
        upstream: SocketAddr,
        hello: Option<Hello>,
    ) -> Result<Self, ServerError> {
        if !upstream.ip().is_loopback() {
            return Err(ServerError::new(format!(
                "a test proxy forwards to loopback addresses only, not {upstream}"
            )));
        }
        let io = |what: &str, e: io::Error| {
            ServerError::new(format!(
                "could not {what} for a test proxy to {upstream}: {e}"
            ))
        };
        let listener = StdListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| io("bind a port on 127.0.0.1", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| io("configure the listener", e))?;
        let addr = listener.local_addr().map_err(|e| io("read the port", e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| io("start a runtime", e))?;
        let (control, control_rx) = watch::channel(Control::default());
        let (stop, stop_rx) = oneshot::channel();
        let open = Arc::new(AtomicUsize::new(0));
        let counter = open.clone();
        let thread = std::thread::Builder::new()
            .name(format!("confo-proxy-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(serve(
                    listener, upstream, control_rx, stop_rx, counter, hello,
                ));
                // Dropping the runtime cancels every connection task, which
                // drops (and so resets) its sockets.
            })
            .map_err(|e| io("start a thread", e))?;
        Ok(LinkProxy {
            addr,
            upstream,
            control,
            open,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address clients connect to (`127.0.0.1:<port>`).
    ///
    /// ```
    /// let proxy = confo::testing::LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// assert_eq!(proxy.addr().port(), proxy.port());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port clients connect to.
    ///
    /// ```
    /// let proxy = confo::testing::LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// assert_ne!(proxy.port(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address the proxy forwards to.
    ///
    /// ```
    /// let proxy = confo::testing::LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// assert_eq!(proxy.upstream().port(), 9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Switches the link: it applies at once to every open connection and
    /// to the next ones.
    ///
    /// ```
    /// use confo::testing::{LinkProxy, LinkState};
    /// let proxy = LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// proxy.set_state(LinkState::Drop);
    /// assert_eq!(proxy.state(), LinkState::Drop);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_state(&self, state: LinkState) {
        self.control.send_modify(|c| c.state = state);
    }

    /// The link's state now.
    ///
    /// ```
    /// let proxy = confo::testing::LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// assert_eq!(proxy.state(), confo::testing::LinkState::Up);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> LinkState {
        self.control.borrow().state
    }

    /// Delays every byte by `to_upstream` on its way to the upstream and
    /// by `to_downstream` on its way back (zero for none); it applies to
    /// bytes read from now on.
    ///
    /// ```
    /// use std::time::Duration;
    /// let proxy = confo::testing::LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// proxy.set_delay(Duration::from_millis(150), Duration::ZERO);
    /// assert_eq!(proxy.delay(), (Duration::from_millis(150), Duration::ZERO));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_delay(&self, to_upstream: Duration, to_downstream: Duration) {
        self.control.send_modify(|c| {
            c.to_upstream = to_upstream;
            c.to_downstream = to_downstream;
        });
    }

    /// The delays now: (to the upstream, back from it).
    ///
    /// ```
    /// let proxy = confo::testing::LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// assert_eq!(proxy.delay(), (std::time::Duration::ZERO, std::time::Duration::ZERO));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delay(&self) -> (Duration, Duration) {
        let c = *self.control.borrow();
        (c.to_upstream, c.to_downstream)
    }

    /// How many connections the proxy forwards now.
    ///
    /// ```
    /// let proxy = confo::testing::LinkProxy::start("127.0.0.1:9".parse()?)?;
    /// assert_eq!(proxy.connections(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

impl Drop for LinkProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts until told to stop; one task per connection.
async fn serve(
    listener: StdListener,
    upstream: SocketAddr,
    control: watch::Receiver<Control>,
    mut stop: oneshot::Receiver<()>,
    open: Arc<AtomicUsize>,
    hello: Option<Hello>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    // Bounded by the stop signal (sent on drop, or its sender dropped).
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((inbound, _)) = accepted else {
                    // Out of descriptors or similar: let it pass.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                if control.borrow().state == LinkState::Drop
                    || open.load(Ordering::SeqCst) >= MAX_CONNECTIONS
                {
                    reset(inbound);
                    continue;
                }
                open.fetch_add(1, Ordering::SeqCst);
                let open = open.clone();
                let control = control.clone();
                let hello = hello.clone();
                tokio::spawn(async move {
                    connection(inbound, upstream, control, hello).await;
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        }
    }
}

/// Closes a socket with a TCP reset.
fn reset(stream: TcpStream) {
    #[allow(deprecated)] // `set_zero_linger` is newer than the pinned tokio; this works.
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// Forwards one connection until both sides close or the link drops.
async fn connection(
    mut inbound: TcpStream,
    upstream: SocketAddr,
    mut control: watch::Receiver<Control>,
    hello: Option<Hello>,
) {
    let connect = tokio::select! {
        c = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(upstream)) => c,
        _ = control.wait_for(|c| c.state == LinkState::Drop) => return reset(inbound),
    };
    let Ok(Ok(mut outbound)) = connect else {
        return reset(inbound);
    };
    for s in [&inbound, &outbound] {
        let _ = s.set_nodelay(true);
    }
    {
        let (in_read, in_write) = inbound.split();
        let (out_read, out_write) = outbound.split();
        let up = pump(
            in_read,
            out_write,
            control.clone(),
            Direction::ToUpstream,
            hello,
        );
        let down = pump(
            out_read,
            in_write,
            control.clone(),
            Direction::ToDownstream,
            None,
        );
        tokio::select! {
            _ = async { tokio::join!(up, down) } => {}
            _ = control.wait_for(|c| c.state == LinkState::Drop) => {}
        }
    }
    reset(inbound);
    reset(outbound);
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    ToUpstream,
    ToDownstream,
}

impl Direction {
    fn delay(self, c: &Control) -> Duration {
        match self {
            Direction::ToUpstream => c.to_upstream,
            Direction::ToDownstream => c.to_downstream,
        }
    }
}

/// Copies one direction: a reader stamps each chunk with the time it is
/// due, a writer waits for that time and for the link not to be frozen.
async fn pump<R, W>(
    mut reader: R,
    mut writer: W,
    control: watch::Receiver<Control>,
    direction: Direction,
    hello: Option<Hello>,
) where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(HELD_CHUNKS);
    let read_control = control.clone();
    let read_side = async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut first: Option<Vec<u8>> = hello.as_ref().map(|_| Vec::new());
        // Bounded by the connection: ends at EOF, on an error or when the
        // writer is gone.
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut chunk = buf[..n].to_vec();
            if let (Some(pending), Some(hello)) = (first.as_mut(), hello.as_ref()) {
                pending.extend_from_slice(&chunk);
                // Give up rewriting after a few kilobytes: forward as is.
                match hello(pending) {
                    Some(rewritten) => chunk = rewritten,
                    None if pending.len() > 4096 => chunk = std::mem::take(pending),
                    None => continue,
                }
                first = None;
            }
            let due = Instant::now() + direction.delay(&read_control.borrow());
            if tx.send((due, chunk)).await.is_err() {
                break;
            }
        }
    };
    let write_side = async move {
        let mut control = control;
        // Bounded by the reader: ends when it ends and the chunks are out.
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if control
                .wait_for(|c| c.state != LinkState::Freeze)
                .await
                .is_err()
            {
                return;
            }
            if writer.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = writer.shutdown().await;
    };
    tokio::join!(read_side, write_side);
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream as StdStream;

    use super::*;

    /// An echo server on a free loopback port, answering each connection
    /// on its own thread until it closes.
    fn echo() -> SocketAddr {
        let listener = StdListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(16) {
                let Ok(mut stream) = stream else { return };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 || stream.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    fn client(proxy: &LinkProxy) -> StdStream {
        let stream = StdStream::connect(proxy.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
    }

    fn round_trip(stream: &mut StdStream, bytes: &[u8]) -> io::Result<Vec<u8>> {
        stream.write_all(bytes)?;
        let mut back = vec![0u8; bytes.len()];
        stream.read_exact(&mut back)?;
        Ok(back)
    }

    #[test]
    fn an_up_link_forwards_both_ways() {
        let proxy = LinkProxy::start(echo()).unwrap();
        let mut stream = client(&proxy);
        assert_eq!(round_trip(&mut stream, b"hello").unwrap(), b"hello");
    }

    #[test]
    fn a_dropped_link_resets_open_and_new_connections() {
        let proxy = LinkProxy::start(echo()).unwrap();
        let mut open = client(&proxy);
        round_trip(&mut open, b"x").unwrap();
        proxy.set_state(LinkState::Drop);
        std::thread::sleep(Duration::from_millis(100));
        assert!(round_trip(&mut open, b"y").is_err());
        let mut new = client(&proxy);
        assert!(round_trip(&mut new, b"z").is_err());
        proxy.set_state(LinkState::Up);
        let mut after = client(&proxy);
        assert_eq!(round_trip(&mut after, b"again").unwrap(), b"again");
    }

    #[test]
    fn a_frozen_link_holds_bytes_until_it_is_up_again() {
        let proxy = LinkProxy::start(echo()).unwrap();
        let mut stream = client(&proxy);
        round_trip(&mut stream, b"x").unwrap();
        proxy.set_state(LinkState::Freeze);
        stream.write_all(b"held").unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut back = [0u8; 4];
        assert!(
            stream.read_exact(&mut back).is_err(),
            "nothing moves while frozen"
        );
        proxy.set_state(LinkState::Up);
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"held");
    }

    #[test]
    fn a_delayed_link_delivers_late() {
        let proxy = LinkProxy::start(echo()).unwrap();
        proxy.set_delay(Duration::from_millis(150), Duration::from_millis(100));
        let mut stream = client(&proxy);
        let start = std::time::Instant::now();
        assert_eq!(round_trip(&mut stream, b"slow").unwrap(), b"slow");
        assert!(
            start.elapsed() >= Duration::from_millis(250),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_proxy_forwards_to_loopback_only() {
        let err = LinkProxy::start("192.0.2.1:80".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
    }

    #[test]
    fn dropping_the_proxy_closes_its_port() {
        let proxy = LinkProxy::start(echo()).unwrap();
        let addr = proxy.addr();
        drop(proxy);
        assert!(StdStream::connect(addr).is_err());
    }
}
