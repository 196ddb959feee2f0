//! `GET /styles/{name}.json`: MapLibre styles from `styles/`, cut to what the caller may see.
//!
//! Sources whose URL is `/tiles/{layer}.json` are made absolute; a source for a layer the
//! caller may not see is removed together with every style layer that draws it, so a public
//! style never names a restricted layer. `?basemap=none` drops the raster basemap (offline
//! tests and printing without the network).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::extract::{BaseUrl, Params, Path};
use super::{ApiError, cache_headers};
use crate::access::{Principal, decide};
use crate::app::App;
use crate::tile::cut_to_view;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/styles/{file}", get(style))
}

async fn style(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    principal: Principal,
    BaseUrl(base): BaseUrl,
    params: Params,
) -> Result<Response, ApiError> {
    let name = file
        .strip_suffix(".json")
        .filter(|n| valid_name(n))
        .ok_or_else(|| ApiError::not_found("no such style"))?;
    let path = app.config.styles_dir.join(format!("{name}.json"));
    // A replica serves the styles of the manifest it serves.
    let text: Arc<str> = match &app.replica {
        Some(r) => r.style(name),
        None => tokio::fs::read_to_string(&path).await.ok().map(Arc::from),
    }
    .ok_or_else(|| ApiError::not_found("no such style"))?;
    let mut style: Value = serde_json::from_str(&text)
        .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
    let keep_basemap = params.get("basemap") != Some("none");
    cut_to_view(&mut style, &base, keep_basemap, |layer| {
        app.layers
            .get(layer)
            .is_some_and(|v| decide(&principal, &v).is_some())
    });
    let mut res = Json(style).into_response();
    cache_headers(res.headers_mut(), principal.is_anonymous(), &app);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
