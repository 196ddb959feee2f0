//! `GET /styles/{name}.json`: MapLibre styles from `styles/`, cut to what the caller may see.
//!
//! Sources whose URL is `/tiles/{layer}.json` are made absolute; a source for a layer the
//! caller may not see is removed together with every style layer that draws it, so a public
//! style never names a restricted layer. `?basemap=none` drops the raster basemap (offline
//! tests and printing without the network). A layer the style file does not draw gets the
//! default style of its definition (`catalog::default_style`).

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
    // A layer without hand-written style layers is drawn with its definition's defaults; the
    // public style only ever gets public layers.
    let public = name == "public";
    crate::catalog::add_defaults(
        &mut style,
        app.catalog()
            .layers()
            .iter()
            .filter(|d| !public || d.is_public())
            .map(AsRef::as_ref),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `["get", …]` values that a style uses without a default: a null 口径 once drew pipes
    /// as 1 px hairlines (MapLibre: "found null … Falling back to 1").
    fn gets_without_default(v: &Value, parent: Option<&str>, out: &mut Vec<String>) {
        let Some(items) = v.as_array() else {
            if let Some(o) = v.as_object() {
                o.values().for_each(|c| gets_without_default(c, None, out));
            }
            return;
        };
        let op = items.first().and_then(Value::as_str);
        if op == Some("get") && !matches!(parent, Some("match" | "coalesce" | "has" | "==" | "!="))
        {
            out.push(v.to_string());
        }
        for c in items.iter().skip(1) {
            gets_without_default(c, op, out);
        }
    }

    #[test]
    fn every_data_driven_style_value_has_a_default() {
        for name in ["public", "staff"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../styles/{name}.json"));
            let style: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let mut found = Vec::new();
            gets_without_default(&style["layers"], None, &mut found);
            assert!(found.is_empty(), "{name}.json: {found:?}");
        }
    }
}
