//! Prometheus metrics: requests and latency by route, layer sizes and versions, tile cache.
//!
//! A small hand-rolled registry: fixed label sets, atomics on the hot path, text format out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
struct RouteStats {
    /// Counts by status class index (1xx..5xx → 0..4).
    by_status: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

/// Counters shared by the whole server.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: RwLock<BTreeMap<String, Arc<RouteStats>>>,
    pub tile_cache_hits: AtomicU64,
    pub tile_cache_misses: AtomicU64,
    pub tiles_rendered: AtomicU64,
    pub tile_bytes_rendered: AtomicU64,
}

impl Metrics {
    /// Records one request to a route template (e.g. `/ogc/collections/{layer}/items`).
    pub fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let stats = self.route(route);
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        stats.by_status[class].fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            stats.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        stats
            .sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        stats.count.fetch_add(1, Ordering::Relaxed);
    }

    fn route(&self, route: &str) -> Arc<RouteStats> {
        if let Some(s) = self.routes.read().ok().and_then(|m| m.get(route).cloned()) {
            return s;
        }
        let mut map = match self.routes.write() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::clone(map.entry(route.to_owned()).or_default())
    }

    /// Writes the request metrics in Prometheus text format.
    pub fn render_requests(&self, out: &mut String) {
        let routes = match self.routes.read() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        out.push_str("# HELP kashimap_requests_total HTTP requests by route and status class.\n");
        out.push_str("# TYPE kashimap_requests_total counter\n");
        for (route, s) in &routes {
            for (i, c) in s.by_status.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "kashimap_requests_total{{route=\"{}\",status=\"{}xx\"}} {n}",
                        escape(route),
                        i + 1
                    );
                }
            }
        }
        out.push_str("# HELP kashimap_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE kashimap_request_duration_seconds histogram\n");
        for (route, s) in &routes {
            let route = escape(route);
            let mut cumulative = 0;
            for (b, c) in BUCKETS.iter().zip(&s.buckets) {
                cumulative += c.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "kashimap_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let count = s.count.load(Ordering::Relaxed);
            let sum = s.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "kashimap_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "kashimap_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "kashimap_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
    }

    /// Writes the tile counters.
    pub fn render_tiles(&self, out: &mut String) {
        for (name, help, v) in [
            (
                "kashimap_tile_cache_hits_total",
                "Tile cache hits.",
                &self.tile_cache_hits,
            ),
            (
                "kashimap_tile_cache_misses_total",
                "Tile cache misses.",
                &self.tile_cache_misses,
            ),
            (
                "kashimap_tiles_rendered_total",
                "Tiles rendered.",
                &self.tiles_rendered,
            ),
            (
                "kashimap_tile_rendered_bytes_total",
                "Bytes of rendered tiles.",
                &self.tile_bytes_rendered,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
    }
}

/// Escapes a label value for the Prometheus text format.
pub fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl crate::tile::TileMetrics for Metrics {
    fn cache_hit(&self) {
        self.tile_cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    fn cache_miss(&self) {
        self.tile_cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    fn rendered(&self, bytes: usize) {
        self.tiles_rendered.fetch_add(1, Ordering::Relaxed);
        self.tile_bytes_rendered
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("/healthz", 200, Duration::from_micros(300));
        m.record("/healthz", 200, Duration::from_millis(3));
        m.record("/healthz", 404, Duration::from_millis(3));
        let mut out = String::new();
        m.render_requests(&mut out);
        assert!(out.contains("kashimap_requests_total{route=\"/healthz\",status=\"2xx\"} 2"));
        assert!(out.contains("kashimap_requests_total{route=\"/healthz\",status=\"4xx\"} 1"));
        assert!(out.contains("le=\"0.0005\"} 1"));
        assert!(out.contains("le=\"0.005\"} 3"));
        assert!(out.contains("kashimap_request_duration_seconds_count{route=\"/healthz\"} 3"));
    }
}
