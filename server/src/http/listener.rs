//! The connection layer: accepts TCP connections and serves HTTP/1.1 on them with the
//! timers and caps `axum::serve` does not set (docs/configuration.md, `[limits]`):
//!
//! - a request's head must arrive within `header_timeout_secs` (also the longest a
//!   keep-alive connection may wait for its next request: hyper runs one timer for both);
//! - a connection with no request in flight and no bytes moving for `idle_timeout_secs` is
//!   closed;
//! - at most `max_connections` connections, and `max_connections_per_client` per address;
//!   an excess connection gets a short 503 and is closed at once, never left waiting;
//! - a request body must keep up `min_body_bytes_per_sec` on average after a grace of
//!   `header_timeout_secs`.
//!
//! The cap is also held under the process's open-file limit, so the server never reaches
//! `accept: Too many open files` (which would stall every new client).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

use super::Server;
use super::body_rate::MinRate;
use crate::config::Limits;

/// File descriptors kept free for the store, the database and logs when the connection cap
/// is derived from the open-file limit.
const RESERVED_FDS: u64 = 128;

/// At most this many refusals are written at once; beyond, an excess connection is closed
/// without an answer.
const CONCURRENT_REFUSALS: usize = 64;

/// The connection settings, from `[limits]`.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_per_client: usize,
    pub min_body_bytes_per_sec: u64,
}

impl ConnLimits {
    /// The settings, with the connection cap held under the open-file limit.
    pub fn new(limits: &Limits) -> Self {
        let configured = limits.max_connections.get();
        let max_connections = open_file_limit()
            .map(|n| usize::try_from(n.saturating_sub(RESERVED_FDS).max(16)).unwrap_or(usize::MAX))
            .map_or(configured, |fd_cap| {
                if fd_cap < configured {
                    tracing::warn!(
                        configured,
                        fd_cap,
                        "limits.max_connections is above the open-file limit (LimitNOFILE); \
                         serving at most {fd_cap} connections"
                    );
                }
                configured.min(fd_cap)
            });
        Self {
            header_timeout: Duration::from_secs(limits.header_timeout_secs.get()),
            idle_timeout: Duration::from_secs(limits.idle_timeout_secs.get()),
            max_connections,
            max_per_client: limits.max_connections_per_client.get(),
            min_body_bytes_per_sec: limits.min_body_bytes_per_sec,
        }
    }
}

/// The soft `Max open files` of this process (Linux), read without `unsafe`.
fn open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Who holds the connection slots.
#[derive(Debug)]
struct Slots {
    total: Arc<Semaphore>,
    per_client: Mutex<HashMap<IpAddr, usize>>,
    max_per_client: usize,
    refusals: Arc<Semaphore>,
}

/// A connection's slot; given back when the connection ends.
struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self
            .slots
            .per_client
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

impl Slots {
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut map = self
            .per_client
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(ip).or_default();
        if *n >= self.max_per_client {
            return None;
        }
        let permit = Arc::clone(&self.total).try_acquire_owned().ok()?;
        *n += 1;
        Some(Slot {
            slots: Arc::clone(self),
            ip,
            _permit: permit,
        })
    }
}

/// Serves `server` on `listener` until `shutdown` completes, then waits for the open
/// connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    server: Server,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Slots {
        total: Arc::new(Semaphore::new(limits.max_connections)),
        per_client: Mutex::default(),
        max_per_client: limits.max_per_client,
        refusals: Arc::new(Semaphore::new(CONCURRENT_REFUSALS)),
    });
    let limits = Arc::new(limits);
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = stop_tx.closed() => break,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors or memory: wait rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = slots.take(addr.ip()) else {
            refuse(stream, &slots.refusals);
            continue;
        };
        let conn = Connection {
            server: server.clone(),
            limits: Arc::clone(&limits),
            addr,
            stop: stop_tx.clone(),
            open: open_rx.clone(),
        };
        tokio::spawn(conn.run(stream, slot));
    }
    drop(open_rx);
    drop(listener);
    open_tx.closed().await;
}

/// Answers an excess connection with a 503 and closes it; the client is told at once
/// rather than left in the accept queue.
fn refuse(mut stream: TcpStream, refusals: &Arc<Semaphore>) {
    let Ok(permit) = Arc::clone(refusals).try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let answer = async {
            let _ = stream.write_all(&refusal_bytes()).await;
            let _ = stream.shutdown().await;
            // Read what the client sent, so closing does not reset the connection before
            // it reads the answer.
            let mut sink = [0_u8; 4096];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), answer).await;
    });
}

fn refusal_bytes() -> Vec<u8> {
    let body = serde_json::json!({
        "error": "too_many_connections",
        "message": "the server has too many open connections; try again shortly",
        "message_ja": "接続が混み合っています。しばらくしてから再度お試しください",
        "details": [],
    })
    .to_string();
    let mut headers = axum::http::HeaderMap::new();
    super::headers::secure(&mut headers);
    let mut head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in &headers {
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(&String::from_utf8_lossy(value.as_bytes()));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.push_str(&body);
    head.into_bytes()
}

/// One accepted connection.
struct Connection {
    server: Server,
    limits: Arc<ConnLimits>,
    addr: SocketAddr,
    stop: watch::Sender<()>,
    open: watch::Receiver<()>,
}

impl Connection {
    async fn run(self, stream: TcpStream, slot: Slot) {
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: Arc::clone(&activity),
        });
        let (server, addr, rate) = (
            self.server.clone(),
            self.addr,
            (
                self.limits.min_body_bytes_per_sec,
                self.limits.header_timeout,
            ),
        );
        let act = Arc::clone(&activity);
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let busy = act.begin();
            let mut req = req.map(|b| Body::new(MinRate::new(b, rate.0, rate.1)));
            req.extensions_mut().insert(ConnectInfo(addr));
            let server = server.clone();
            async move {
                let res = server.oneshot(req).await;
                drop(busy);
                res
            }
        });
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .keep_alive(true);
        let conn = builder.serve_connection(io, service);
        tokio::pin!(conn);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let stopping = self.stop.closed();
        tokio::pin!(stopping);
        let mut closing = false;
        loop {
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, client = %self.addr, "connection ended");
                    }
                    break;
                }
                () = &mut stopping, if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                _ = tick.tick() => {
                    if activity.idle_for() >= self.limits.idle_timeout {
                        if closing {
                            break;
                        }
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
        drop(slot);
        drop(self.open);
    }
}

/// When bytes last moved on a connection, and how many requests are being answered.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    in_flight: Arc<AtomicUsize>,
}

/// A request being answered: the connection is not idle.
struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: Arc::default(),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn begin(&self) -> Busy {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Busy(Arc::clone(&self.in_flight))
    }

    /// How long nothing has happened: zero while a request is being answered.
    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Duration::ZERO;
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// The socket, noting each time bytes move.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_file_limit_is_read() {
        assert!(open_file_limit().is_some_and(|n| n > 0));
    }

    #[test]
    fn the_refusal_is_a_whole_503_with_the_security_headers() {
        let text = String::from_utf8(refusal_bytes()).unwrap();
        assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
        assert!(text.contains("x-content-type-options: nosniff"), "{text}");
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(body).unwrap()["error"],
            "too_many_connections"
        );
    }

    #[test]
    fn a_client_holds_at_most_its_share_of_slots() {
        let slots = Arc::new(Slots {
            total: Arc::new(Semaphore::new(5)),
            per_client: Mutex::default(),
            max_per_client: 2,
            refusals: Arc::new(Semaphore::new(1)),
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let held: Vec<Slot> = (0..3).filter_map(|_| slots.take(a)).collect();
        assert_eq!(held.len(), 2);
        assert!(slots.take(b).is_some());
        drop(held);
        let again = slots.take(a);
        assert!(again.is_some());
        assert_eq!(slots.per_client.lock().unwrap().get(&a), Some(&1));
    }
}
