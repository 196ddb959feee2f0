//! `GET /tiles/{layers}/{z}/{x}/{y}.mvt` and `GET /tiles/{layers}.json`.
//!
//! `{layers}` is one layer id or a comma-separated list. Each must be visible to the caller;
//! otherwise the answer is the same 404 as for a layer that does not exist.

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::encoding::AcceptEncoding;
use super::extract::{BaseUrl, Path};
use super::{ApiError, blocking, cache_headers};
use crate::access::{LayerView, Principal};
use crate::app::App;
use crate::tile::{RenderedTile, TileCoord, tilejson};

/// At most this many layers in one tile request.
const MAX_LAYERS: usize = 16;

/// The tile route's template, as metrics name it.
pub const TILE_ROUTE: &str = "/tiles/{layers}/{z}/{x}/{y}";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/tiles/{file}", get(tile_json))
        .route(TILE_ROUTE, get(tile))
}

/// The caller's views of the named layers, in the order given; duplicates are dropped.
fn views(app: &App, principal: &Principal, ids: &str) -> Result<Vec<LayerView>, ApiError> {
    let mut names: Vec<&str> = Vec::new();
    for id in ids.split(',') {
        if !names.contains(&id) {
            names.push(id);
        }
    }
    if names.len() > MAX_LAYERS {
        return Err(ApiError::bad_request(
            "too_many_layers",
            format!("at most {MAX_LAYERS} layers in one tile"),
        )
        .ja(format!(
            "1 枚のタイルに指定できるレイヤーは {MAX_LAYERS} 個までです"
        )));
    }
    names
        .into_iter()
        .map(|id| super::layer_view(app, principal, id))
        .collect()
}

async fn tile_json(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    principal: Principal,
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let ids = file
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::not_found("no such resource"))?;
    let views = views(&app, &principal, ids)?;
    let public = views.iter().all(|v| v.public);
    let mut res = Json(tilejson(&views, &base)).into_response();
    cache_headers(res.headers_mut(), public, &app);
    Ok(res)
}

/// The routed tile path, `{layers}/{z}/{x}/{y}.mvt`, with its coordinate checked by
/// [`parse_coord`] (as the lane's is).
struct TilePath {
    layers: String,
    coord: TileCoord,
}

impl<S: Send + Sync> FromRequestParts<S> for TilePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path((layers, z, x, y)) =
            Path::<(String, String, String, String)>::from_request_parts(parts, state).await?;
        let coord = parse_coord(&z, &x, &y)?;
        Ok(Self { layers, coord })
    }
}

async fn tile(
    State(app): State<Arc<App>>,
    TilePath { layers, coord }: TilePath,
    principal: Principal,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let views = views(&app, &principal, &layers)?;
    if let Some(answer) = answer_now(&app, &views, coord, &headers) {
        return answer;
    }
    let _slot = app.cpu_slots.acquire().await.map_err(ApiError::internal)?;
    let worker = Arc::clone(&app);
    let gzip = AcceptEncoding::of(&headers).gzip();
    let tile = blocking(move || {
        let tile = worker
            .tiles
            .tile(&views, coord, &worker.metrics)
            .map_err(ApiError::internal)?;
        if gzip {
            // Compress here, off the async runtime.
            tile.gzip();
        }
        Ok::<_, ApiError>(tile)
    })
    .await?;
    Ok(respond(&tile, &headers, &app))
}

/// The tile from the cache, or rendered on the caller's task when it is small enough (see
/// `TileService::renders_inline`); `None` when it must render on a blocking thread.
fn answer_now(
    app: &App,
    views: &[LayerView],
    coord: TileCoord,
    headers: &HeaderMap,
) -> Option<Result<Response, ApiError>> {
    if let Some(hit) = app.tiles.cached(views, coord, &app.metrics) {
        return Some(Ok(respond(&hit, headers, app)));
    }
    if !app.tiles.renders_inline(views, coord) {
        return None;
    }
    Some(
        app.tiles
            .render_missed(views, coord, &app.metrics)
            .map(|tile| respond(&tile, headers, app))
            .map_err(ApiError::internal),
    )
}

/// The public tile lane: an anonymous `GET /tiles/{layers}/{z}/{x}/{y}.mvt` answered before
/// routing and middleware, which cost more than a cached tile. Same policy (the anonymous
/// principal's views, decided by `decide` like every request's), same cache and same
/// response as the [`tile`] handler, whose `answer_now` it shares; the caller records the
/// metrics. Anything else — credentials, a malformed or refused request, a tile that needs a
/// blocking thread — gives `None`, and the request takes the full stack, which also gives
/// every error response.
pub fn public_lane(app: &App, req: &axum::extract::Request) -> Option<Response> {
    if req.method() != axum::http::Method::GET || !super::auth::is_anonymous(req.headers()) {
        return None;
    }
    // The router percent-decodes its path; the lane leaves such paths to it.
    let rest = req.uri().path().strip_prefix("/tiles/")?;
    if rest.contains('%') {
        return None;
    }
    let mut parts = rest.split('/');
    let (layers, z, x, y) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || layers.is_empty() {
        return None;
    }
    let coord = parse_coord(z, x, y).ok()?;
    let views = views(app, &Principal::anonymous(), layers).ok()?;
    answer_now(app, &views, coord, req.headers())?.ok()
}

/// Validates z/x/y at the edge: numbers, in range, with the `.mvt` suffix. The one parser
/// of tile paths, for the routed handler ([`TilePath`]) and the lane alike; a bad path is
/// a 400 `invalid_parameter` (not a number) or `invalid_tile` (out of range).
fn parse_coord(z: &str, x: &str, y: &str) -> Result<TileCoord, ApiError> {
    let y = y.strip_suffix(".mvt").ok_or_else(|| {
        ApiError::parameter(
            "y",
            y,
            "tile paths end in .mvt",
            "タイルのパスは .mvt で終わります",
        )
    })?;
    let num = |name: &str, v: &str| -> Result<u32, ApiError> {
        v.parse::<u32>().map_err(|_| {
            ApiError::parameter(
                name,
                v,
                "must be a non-negative integer",
                "0 以上の整数で指定してください",
            )
        })
    };
    let (z, x, y) = (num("z", z)?, num("x", x)?, num("y", y)?);
    TileCoord::new_checked(z, x, y).map_err(|e| {
        ApiError::bad_request("invalid_tile", e.to_string()).ja("タイル座標が範囲外です")
    })
}

fn respond(tile: &RenderedTile, req: &HeaderMap, app: &App) -> Response {
    let mut headers = HeaderMap::new();
    cache_headers(&mut headers, tile.public, app);
    headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(etag) = HeaderValue::from_maybe_shared(tile.etag.clone()) {
        headers.insert(header::ETAG, etag);
    }
    if etag_matches(req, tile.etag_str()) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let Some(body) = &tile.body else {
        return (StatusCode::NO_CONTENT, headers).into_response();
    };
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    let gz = if AcceptEncoding::of(req).gzip() {
        tile.gzip()
    } else {
        None
    };
    match gz {
        Some(gz) => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (headers, gz.clone()).into_response()
        }
        None => (headers, body.clone()).into_response(),
    }
}

fn etag_matches(req: &HeaderMap, etag: &str) -> bool {
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_checked_at_the_edge() {
        assert!(parse_coord("14", "14373", "6602.mvt").is_ok());
        for (z, x, y) in [
            ("25", "0", "0.mvt"),
            ("-1", "0", "0.mvt"),
            ("a", "0", "0.mvt"),
            ("2", "4", "0.mvt"),
            ("2", "0", "0.png"),
            ("2", "0", "1e3.mvt"),
        ] {
            assert_eq!(parse_coord(z, x, y).unwrap_err().status, 400, "{z}/{x}/{y}");
        }
    }
}
