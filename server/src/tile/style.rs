//! MapLibre styles cut to what a caller may see: a source for a layer the caller may not see
//! is removed with every style layer that draws it, so a public style never names a
//! restricted layer. Used by `GET /styles/{name}.json` and by the public push.

use serde_json::Value;

/// Removes sources the caller may not see (and the layers that use them), and makes tile
/// URLs absolute.
pub fn cut_to_view(
    style: &mut Value,
    base: &str,
    keep_basemap: bool,
    visible: impl Fn(&str) -> bool,
) {
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
