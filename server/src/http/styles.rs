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
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|_| ApiError::not_found("no such style"))?;
    let mut style: Value = serde_json::from_str(&text)
        .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
    // A layer without hand-written style layers is drawn with its definition's defaults; the
    // public style only ever gets public layers.
    let public = name == "public";
    crate::catalog::add_defaults(
        &mut style,
        app.catalog
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

/// Removes sources the caller may not see (and the layers that use them), and makes tile
/// URLs absolute.
fn cut_to_view(style: &mut Value, base: &str, keep_basemap: bool, visible: impl Fn(&str) -> bool) {
    let mut removed: Vec<String> = Vec::new();
    if let Some(sources) = style.get_mut("sources").and_then(Value::as_object_mut) {
        sources.retain(|id, src| {
            let keep = match tile_layer(src) {
                Some(layer) => layer.split(',').all(&visible),
                None => keep_basemap || src.get("type").and_then(Value::as_str) != Some("raster"),
            };
            if !keep {
                removed.push(id.clone());
            }
            keep
        });
        for src in sources.values_mut() {
            if let Some(url) = src
                .get("url")
                .and_then(Value::as_str)
                .filter(|u| u.starts_with('/'))
            {
                src["url"] = Value::String(format!("{base}{url}"));
            }
        }
    }
    if let Some(layers) = style.get_mut("layers").and_then(Value::as_array_mut) {
        layers.retain(|l| {
            l.get("source")
                .and_then(Value::as_str)
                .is_none_or(|s| !removed.iter().any(|r| r == s))
        });
    }
}

/// The layer id(s) of a source whose URL is this server's TileJSON.
fn tile_layer(src: &Value) -> Option<&str> {
    src.get("url")?
        .as_str()?
        .strip_prefix("/tiles/")?
        .strip_suffix(".json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn hidden_sources_and_their_layers_are_removed() {
        let mut style = json!({
            "sources": {
                "gsi": { "type": "raster", "tiles": ["https://x/{z}/{x}/{y}.png"] },
                "pipes": { "type": "vector", "url": "/tiles/pipes.json" },
                "zoning": { "type": "vector", "url": "/tiles/zoning.json" }
            },
            "layers": [
                { "id": "gsi", "source": "gsi" },
                { "id": "p", "source": "pipes" },
                { "id": "z", "source": "zoning" },
                { "id": "bg", "type": "background" }
            ]
        });
        cut_to_view(&mut style, "http://h", false, |l| l != "pipes");
        assert_eq!(style["sources"].as_object().unwrap().len(), 1);
        assert_eq!(
            style["sources"]["zoning"]["url"],
            "http://h/tiles/zoning.json"
        );
        let ids: Vec<&str> = style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["z", "bg"]);
        assert!(!style.to_string().contains("pipes"));
    }
}
