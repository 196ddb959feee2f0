//! The connection layer over real sockets: slow and idle connections are closed, excess
//! connections are answered 503 at once, an oversized `Content-Length` is 413 at once, a
//! trickled body is ended, and an abandoned upload is a 4xx, never a 500.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use kashimap::http::listener::{ConnLimits, serve};

use crate::helpers::TestApp;

fn limits() -> ConnLimits {
    ConnLimits {
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        max_connections: 50,
        max_per_client: 50,
        min_body_bytes_per_sec: 1024,
    }
}

/// Serves the sample application on a free port, on a runtime of its own.
fn start(limits: ConnLimits) -> (TestApp, SocketAddr) {
    let app = TestApp::sample();
    let server = app.router.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            serve(listener, server, limits, std::future::pending()).await;
        });
    });
    let addr = rx.recv().unwrap();
    (app, addr)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads until the server closes; the text, and how long it took.
fn read_to_close(s: &mut TcpStream) -> (String, Duration) {
    let t = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0_u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("still open after {:?}: {e}", t.elapsed()),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), t.elapsed())
}

fn status_of(text: &str) -> u16 {
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_slow_request_head_is_cut_off_at_the_header_timeout() {
    let (_app, addr) = start(limits());
    let mut s = connect(addr);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, took) = read_to_close(&mut s);
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[tokio::test]
async fn idle_and_keep_alive_connections_are_closed() {
    let (_app, addr) = start(limits());
    let mut silent = connect(addr);
    let (_, took) = read_to_close(&mut silent);
    assert!(took < Duration::from_secs(4), "silent: {took:?}");
    let mut kept = connect(addr);
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (text, took) = read_to_close(&mut kept);
    assert_eq!(status_of(&text), 200, "{text}");
    assert!(took < Duration::from_secs(5), "keep-alive: {took:?}");
}

#[tokio::test]
async fn past_the_cap_a_connection_is_answered_503_at_once() {
    let (_app, addr) = start(ConnLimits {
        max_connections: 5,
        header_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        ..limits()
    });
    let held: Vec<TcpStream> = (0..5).map(|_| connect(addr)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = connect(addr);
    let (text, took) = read_to_close(&mut extra);
    assert_eq!(status_of(&text), 503, "{text}");
    assert!(text.contains("too_many_connections"), "{text}");
    assert!(text.contains("x-content-type-options: nosniff"), "{text}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    drop(held);
    // The server frees a slot when it sees its connection close, which takes a moment on a
    // loaded machine: ask again (each refusal holds no slot) until a slot is free.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let mut again = connect(addr);
        let _ = again.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let status = status_of(&read_to_close(&mut again).0);
        if status != 503 || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status, 200,
        "the closed connections' slots were never freed"
    );
}

#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    let (_app, addr) = start(ConnLimits {
        max_per_client: 3,
        header_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        ..limits()
    });
    let held: Vec<TcpStream> = (0..3).map(|_| connect(addr)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = connect(addr);
    assert_eq!(status_of(&read_to_close(&mut extra).0), 503);
    drop(held);
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_413_at_once() {
    let (_app, addr) = start(limits());
    let mut s = connect(addr);
    s.write_all(
        b"POST /api/layers/shelters/uploads HTTP/1.1\r\nHost: x\r\n\
          Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 2147483648\r\n\r\nhello",
    )
    .unwrap();
    let (text, took) = read_to_close(&mut s);
    assert_eq!(status_of(&text), 413, "{text}");
    assert!(text.contains("too_large"), "{text}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[tokio::test]
async fn a_trickled_upload_is_ended_as_a_client_error_not_a_500() {
    let (app, addr) = start(limits());
    app.add_user("bousai1", &["bousai"], true);
    let (token, _) = app.app.access.create_token("bousai1", "t", None).unwrap();
    let mut s = connect(addr);
    let head = format!(
        "POST /api/layers/shelters/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n\
         --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.geojson\"\r\n\r\n{{\"type\":"
    );
    s.write_all(head.as_bytes()).unwrap();
    let (text, took) = read_to_close(&mut s);
    assert_eq!(status_of(&text), 400, "{text}");
    assert!(text.contains("incomplete_upload"), "{text}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let metrics = app.get("/metrics").await.text();
    let upload_lines: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("kashimap_requests_total") && l.contains("/uploads\""))
        .collect();
    assert!(
        upload_lines.iter().any(|l| l.contains("status=\"4xx\"")),
        "{upload_lines:?}"
    );
    assert!(
        !upload_lines.iter().any(|l| l.contains("status=\"5xx\"")),
        "{upload_lines:?}"
    );
}
