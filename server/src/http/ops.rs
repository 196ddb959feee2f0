//! Liveness, readiness and Prometheus metrics.
//!
//! These routes are open (orchestrators and scrapers call them without signing in), so what
//! they say about layers goes through the policy like every other output: a caller learns
//! the id, size and version of the layers it may see, and nothing of the others. A
//! Prometheus scraper that should see every layer sends an admin's API token.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::cache_headers;
use crate::access::{Principal, decide};
use crate::app::App;
use crate::metrics::escape;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// Ready once every layer is loaded. Lists the current version of each layer the caller may
/// see; an admin also sees the layers not yet loaded (`null`).
async fn readyz(State(app): State<Arc<App>>, principal: Principal) -> Response {
    let layers: serde_json::Map<String, serde_json::Value> = app
        .layers
        .slots()
        .iter()
        .filter_map(|s| match s.current() {
            Some(v) => decide(&principal, &v).map(|_| (s.def.id.clone(), json!(v.version()))),
            None => principal
                .is_admin()
                .then(|| (s.def.id.clone(), json!(null))),
        })
        .collect();
    // A replica started from a good manifest and keeps serving the last good one: it stays
    // ready, and says how old its data is.
    let ready = app.replica.is_some() || app.layers.all_loaded();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = json!({ "ready": ready, "layers": layers });
    if let Some(r) = &app.replica {
        body["replica"] = r.status();
    }
    let mut res = (status, axum::Json(body)).into_response();
    cache_headers(res.headers_mut(), false, &app);
    res
}

async fn metrics(State(app): State<Arc<App>>, principal: Principal) -> Response {
    let mut out = String::new();
    app.metrics.render_requests(&mut out);
    app.metrics.render_tiles(&mut out);
    let (entries, bytes) = app.tiles.cache_stats();
    let _ = writeln!(
        out,
        "# HELP kashimap_tile_cache_entries Tiles in the cache.\n# TYPE kashimap_tile_cache_entries gauge\nkashimap_tile_cache_entries {entries}\n# HELP kashimap_tile_cache_bytes Bytes held by the tile cache.\n# TYPE kashimap_tile_cache_bytes gauge\nkashimap_tile_cache_bytes {bytes}"
    );
    out.push_str("# HELP kashimap_layer_features Features in the current version of each layer.\n");
    out.push_str("# TYPE kashimap_layer_features gauge\n");
    let mut current = app.layers.current_all();
    current.retain(|v| decide(&principal, v).is_some());
    for v in &current {
        let _ = writeln!(
            out,
            "kashimap_layer_features{{layer=\"{}\"}} {}",
            escape(v.id()),
            v.features.len()
        );
    }
    out.push_str("# HELP kashimap_layer_version Current version number of each layer.\n");
    out.push_str("# TYPE kashimap_layer_version gauge\n");
    for v in &current {
        let _ = writeln!(
            out,
            "kashimap_layer_version{{layer=\"{}\"}} {}",
            escape(v.id()),
            v.version()
        );
    }
    if let Some(p) = &app.pusher {
        p.render_metrics(&mut out);
    }
    if let Some(r) = &app.replica {
        r.render_metrics(&mut out);
    }
    let _ = writeln!(
        out,
        "# HELP kashimap_uptime_seconds Seconds since start.\n# TYPE kashimap_uptime_seconds gauge\nkashimap_uptime_seconds {}",
        app.started.elapsed().as_secs()
    );
    let mut res = ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response();
    // What it lists depends on the caller, so no shared cache may keep it.
    cache_headers(res.headers_mut(), false, &app);
    res
}
