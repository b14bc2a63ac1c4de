//! Sockets that fail on command: a listener that refuses, resets or black-holes new connections
//! according to its fault mode, and a stream wrapper that does the same to live connections.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

use crate::fault::{FaultMode, FaultWatch};

/// Black-holed connections held open at most; beyond this the oldest are let go.
const MAX_HELD: usize = 20_000;

pub(crate) struct FaultyListener {
    addr: SocketAddr,
    socket: Option<TcpListener>,
    watch: FaultWatch,
    /// Accepted while black-holed: kept open, never read or written.
    held: Vec<TcpStream>,
}

impl FaultyListener {
    /// Bind now (so the port is known and reserved); faults apply once `watch` is attached.
    pub fn bind(addr: SocketAddr) -> io::Result<(TcpListener, SocketAddr)> {
        let socket = listen(addr)?;
        let addr = socket.local_addr()?;
        Ok((socket, addr))
    }

    pub fn new(socket: TcpListener, addr: SocketAddr, watch: FaultWatch) -> FaultyListener {
        FaultyListener {
            addr,
            socket: Some(socket),
            watch,
            held: Vec::new(),
        }
    }

    /// The next connection this listener's mode lets through.
    pub async fn next(&mut self) -> (FaultyStream, SocketAddr) {
        loop {
            let mode = self.watch.mode.borrow_and_update().clone();
            if mode != FaultMode::Blackhole && !self.held.is_empty() {
                self.held.clear();
            }
            if mode == FaultMode::Refusing {
                // Closing the socket makes connects fail with "connection refused", as a
                // stopped server does.
                self.socket = None;
                let _ = self.watch.mode.changed().await;
                continue;
            }
            let Some(socket) = self.socket.as_ref() else {
                match listen(self.addr) {
                    Ok(socket) => self.socket = Some(socket),
                    Err(err) => {
                        tracing::warn!(addr = %self.addr, %err, "cannot listen again yet");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
                continue;
            };
            let accepted = tokio::select! {
                accepted = socket.accept() => accepted,
                _ = self.watch.mode.changed() => continue,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            self.watch.accepted.fetch_add(1, Ordering::Relaxed);
            match mode {
                FaultMode::Resetting => reset(stream),
                FaultMode::Blackhole => {
                    if self.held.len() >= MAX_HELD {
                        self.held.remove(0);
                    }
                    self.held.push(stream);
                }
                _ => {
                    let _ = stream.set_nodelay(true);
                    return (FaultyStream::new(stream, self.watch.mode.clone()), peer);
                }
            }
        }
    }
}

impl axum::serve::Listener for FaultyListener {
    type Io = FaultyStream;
    type Addr = SocketAddr;

    fn accept(&mut self) -> impl Future<Output = (Self::Io, Self::Addr)> + Send {
        self.next()
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // Rebinding the same port right after closing it must work (refuse -> up).
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// Close with RST instead of FIN.
fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// A live connection that obeys its listener's mode: refused or reset connections fail their
/// next read or write (reset ones with a real RST), black-holed ones stop moving bytes.
pub(crate) struct FaultyStream {
    inner: TcpStream,
    mode: watch::Receiver<FaultMode>,
    /// Wakes a held (black-holed) read or write when the mode changes.
    mode_changed: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

enum Gate {
    Pass,
    Fail(io::ErrorKind),
    Hold,
}

impl FaultyStream {
    fn new(inner: TcpStream, mode: watch::Receiver<FaultMode>) -> Self {
        FaultyStream {
            inner,
            mode,
            mode_changed: None,
        }
    }

    fn gate(&mut self, cx: &mut Context<'_>) -> Gate {
        loop {
            let mode = self.mode.borrow().clone();
            match mode {
                FaultMode::Refusing => return Gate::Fail(io::ErrorKind::ConnectionAborted),
                FaultMode::Resetting => {
                    let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
                    return Gate::Fail(io::ErrorKind::ConnectionReset);
                }
                FaultMode::Blackhole => {
                    let waiter = self.mode_changed.get_or_insert_with(|| {
                        let mut mode = self.mode.clone();
                        Box::pin(async move {
                            let _ = mode.changed().await;
                        })
                    });
                    match waiter.as_mut().poll(cx) {
                        Poll::Pending => return Gate::Hold,
                        Poll::Ready(()) => {
                            self.mode_changed = None;
                            // A closed switchboard means the server is going away: stay silent.
                            if self.mode.has_changed().is_err() {
                                return Gate::Hold;
                            }
                            let _ = self.mode.borrow_and_update();
                            continue;
                        }
                    }
                }
                _ => {
                    self.mode_changed = None;
                    return Gate::Pass;
                }
            }
        }
    }
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.gate(cx) {
            Gate::Pass => Pin::new(&mut self.inner).poll_read(cx, buf),
            Gate::Fail(kind) => Poll::Ready(Err(kind.into())),
            Gate::Hold => Poll::Pending,
        }
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.gate(cx) {
            Gate::Pass => Pin::new(&mut self.inner).poll_write(cx, buf),
            Gate::Fail(kind) => Poll::Ready(Err(kind.into())),
            Gate::Hold => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.gate(cx) {
            Gate::Pass => Pin::new(&mut self.inner).poll_flush(cx),
            Gate::Fail(kind) => Poll::Ready(Err(kind.into())),
            Gate::Hold => Poll::Pending,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.gate(cx) {
            Gate::Pass => Pin::new(&mut self.inner).poll_shutdown(cx),
            Gate::Fail(kind) => Poll::Ready(Err(kind.into())),
            Gate::Hold => Poll::Pending,
        }
    }
}
