//! TileJSON 3.0.0 for one or more layers, built from the caller's views: `vector_layers`
//! lists only the attributes the caller may see.

use serde_json::{Value, json};

use crate::access::LayerView;

/// TileJSON for `views` with tiles at `{base}/tiles/{ids}/{z}/{x}/{y}.mvt`.
pub fn tilejson(views: &[LayerView], base: &str) -> Value {
    let ids: Vec<&str> = views.iter().map(|v| v.layer.def.id.as_str()).collect();
    let joined = ids.join(",");
    let minzoom = views
        .iter()
        .map(|v| v.layer.def.zoom.min)
        .min()
        .unwrap_or(0);
    let maxzoom = views
        .iter()
        .map(|v| v.layer.def.zoom.max)
        .max()
        .unwrap_or(22);
    let bounds = bounds(views);
    let center = [
        f64::midpoint(bounds[0], bounds[2]),
        f64::midpoint(bounds[1], bounds[3]),
        f64::from(minzoom.max(12)),
    ];
    // The versions in the tile URL: a publish or rollback changes the URL, so no browser or
    // proxy cache can serve tiles of the old version under it (the server ignores `v`).
    let versions = views
        .iter()
        .map(|v| v.layer.version().to_string())
        .collect::<Vec<_>>()
        .join("-");
    let mut attribution: Vec<&str> = views
        .iter()
        .map(|v| v.layer.def.attribution.as_str())
        .collect();
    attribution.dedup();
    json!({
        "tilejson": "3.0.0",
        "name": views.iter().map(|v| v.layer.def.title.ja.as_str()).collect::<Vec<_>>().join("・"),
        "description": views.iter().map(|v| v.layer.def.title.en.as_str()).collect::<Vec<_>>().join(", "),
        "version": views.iter().map(|v| v.layer.version().to_string()).collect::<Vec<_>>().join(","),
        "attribution": attribution.join(" / "),
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{joined}/{{z}}/{{x}}/{{y}}.mvt?v={versions}")],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": center,
        "vector_layers": views.iter().map(vector_layer).collect::<Vec<_>>(),
    })
}

fn vector_layer(view: &LayerView) -> Value {
    let def = &view.layer.def;
    let fields: serde_json::Map<String, Value> = view
        .fields()
        .map(|(_, f)| {
            (
                f.name.clone(),
                Value::String(f.ty.tilejson_type().to_owned()),
            )
        })
        .collect();
    json!({
        "id": def.id,
        "description": def.title.ja,
        "minzoom": def.zoom.min,
        "maxzoom": def.zoom.max,
        "fields": fields,
    })
}

fn bounds(views: &[LayerView]) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for r in views.iter().filter_map(|v| v.layer.bbox) {
        b = [
            b[0].min(r.min().x),
            b[1].min(r.min().y),
            b[2].max(r.max().x),
            b[3].max(r.max().y),
        ];
    }
    if b[0] > b[2] {
        [-180.0, -85.051_128_779_806_59, 180.0, 85.051_128_779_806_59]
    } else {
        b.map(|v| (v * 1e6).round() / 1e6)
    }
}
