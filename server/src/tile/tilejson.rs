//! TileJSON 3.0.0 for one or more layers, built from the caller's views: `vector_layers`
//! lists only the attributes the caller may see.
//!
//! The document is the `tilejson` crate's [`TileJSON`]; this module only decides what goes in
//! it. Its serialisation differs from the hand-written JSON it replaced in two ways no client
//! depends on: `vector_layers[].fields` comes out in name order (a `BTreeMap`; the viewer
//! takes the field order from `/queryables`), and the top-level keys follow the crate's
//! struct order.

use std::collections::BTreeMap;

use tilejson::{Bounds, Center, TileJSON, VectorLayer};

use crate::access::LayerView;

/// TileJSON for `views` with tiles at `{base}/tiles/{ids}/{z}/{x}/{y}.mvt?v={versions}`.
pub fn tilejson(views: &[LayerView], base: &str) -> TileJSON {
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
    let center = Center::new(
        f64::midpoint(bounds[0], bounds[2]),
        f64::midpoint(bounds[1], bounds[3]),
        minzoom.max(12),
    );
    let version_list = |sep: &str| {
        views
            .iter()
            .map(|v| v.layer.tag())
            .collect::<Vec<_>>()
            .join(sep)
    };
    // The versions in the tile URL: a publish or rollback changes the URL, so no browser or
    // proxy cache can serve tiles of the old version under it (the server ignores `v`).
    let versions = version_list("-");
    let mut attribution: Vec<&str> = views
        .iter()
        .map(|v| v.layer.def.attribution.as_str())
        .collect();
    attribution.dedup();
    let joined_titles = |title: fn(&LayerView) -> &str, sep: &str| {
        views.iter().map(title).collect::<Vec<_>>().join(sep)
    };
    tilejson::tilejson! {
        tiles: vec![format!("{base}/tiles/{joined}/{{z}}/{{x}}/{{y}}.mvt?v={versions}")],
        name: joined_titles(|v| v.layer.def.title.ja.as_str(), "・"),
        description: joined_titles(|v| v.layer.def.title.en.as_str(), ", "),
        version: version_list(","),
        attribution: attribution.join(" / "),
        scheme: "xyz".to_owned(),
        minzoom: minzoom,
        maxzoom: maxzoom,
        bounds: Bounds::from(bounds),
        center: center,
        vector_layers: views.iter().map(vector_layer).collect(),
    }
}

fn vector_layer(view: &LayerView) -> VectorLayer {
    let def = &view.layer.def;
    let fields: BTreeMap<String, String> = view
        .fields()
        .map(|(_, f)| (f.name.clone(), f.ty.tilejson_type().to_owned()))
        .collect();
    VectorLayer {
        description: Some(def.title.ja.clone()),
        minzoom: Some(def.zoom.min),
        maxzoom: Some(def.zoom.max),
        ..VectorLayer::new(def.id.clone(), fields)
    }
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
