//! A staged upload as GeoJSON, to look at on the map before publishing it. Only the layer's
//! uploaders call this (they see everything they upload), so every attribute is included.

use std::io::BufReader;

use serde_json::{Map, Value, json};

use super::{PublishError, Publisher};
use crate::query::geojson;

/// At most this many features are previewed (the map stays responsive); `truncated` says so.
pub const PREVIEW_LIMIT: usize = 20_000;

/// The staged version of upload `id` as a GeoJSON FeatureCollection. Blocking.
pub fn preview(p: &Publisher, layer: &str, id: &str) -> Result<Value, PublishError> {
    let (_, rec) = super::staging::find(p, layer, id)?;
    let bytes = p.store.get(layer, rec.version)?;
    let (schema, features) =
        crate::fgb::read(BufReader::new(bytes)).map_err(|e| PublishError::Load {
            layer: layer.to_owned(),
            version: rec.version,
            source: Box::new(crate::layer::LoadError::Decode {
                layer: layer.to_owned(),
                version: rec.version,
                source: e,
            }),
        })?;
    let list: Vec<Value> = features
        .iter()
        .take(PREVIEW_LIMIT)
        .map(|f| {
            let props: Map<String, Value> = schema
                .fields()
                .iter()
                .zip(f.properties.iter())
                .map(|(field, v)| (field.name.clone(), v.to_json(field.ty)))
                .collect();
            json!({ "type": "Feature", "id": f.id, "geometry": geojson::geometry(&f.geometry), "properties": props })
        })
        .collect();
    Ok(json!({
        "type": "FeatureCollection",
        "version": rec.version,
        "truncated": features.len() > PREVIEW_LIMIT,
        "features": list,
    }))
}
