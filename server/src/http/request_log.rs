//! The one log line per request: method, path with query, status and latency, e.g.
//! `request method=GET path=/ogc/collections?f=json status=200 latency_ms=0.46`.
//! Credentials never travel in query strings here (cookies and `Authorization` headers are
//! not logged), so the query is kept: it is what one needs to reproduce a slow request.

use std::fmt;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

/// Logs one answered request.
pub fn log(method: &Method, uri: &Uri, status: StatusCode, latency: Duration) {
    tracing::info!(
        method = %method,
        path = %uri.path_and_query().map_or_else(|| uri.path(), |p| p.as_str()),
        status = status.as_u16(),
        latency_ms = %Millis(latency),
        "request"
    );
}

/// Middleware: logs every request the router answers.
pub async fn middleware(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let t = Instant::now();
    let res = next.run(req).await;
    log(&method, &uri, res.status(), t.elapsed());
    res
}

/// A duration in milliseconds with two decimals (`0.46`, `1520.00`): precise enough for a
/// log line, unlike an `f64` printed in full (`0.46481300000000003`).
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0.as_secs_f64() * 1e3)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn millis_have_two_decimals() {
        assert_eq!(Millis(Duration::from_nanos(464_813)).to_string(), "0.46");
        assert_eq!(Millis(Duration::from_nanos(4_995)).to_string(), "0.00");
        assert_eq!(Millis(Duration::from_micros(1_504)).to_string(), "1.50");
        assert_eq!(Millis(Duration::from_secs(2)).to_string(), "2000.00");
    }

    /// A log writer tests can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_line_has_method_path_status_and_latency() {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let uri: Uri = "/ogc/collections/shelters/items?limit=3&f=json"
            .parse()
            .unwrap();
        tracing::subscriber::with_default(subscriber, || {
            log(
                &Method::GET,
                &uri,
                StatusCode::NOT_FOUND,
                Duration::from_nanos(464_813),
            );
        });
        let line = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(
            line.trim_end().ends_with(
                "request method=GET path=/ogc/collections/shelters/items?limit=3&f=json \
                 status=404 latency_ms=0.46"
            ),
            "{line}"
        );
        assert_eq!(line.lines().count(), 1, "{line}");
    }
}
