//! The spatial questions: nearest-k (`/api/nearest`) and "what applies here" (`/api/at`).
//!
//! Both run the exact geodesic best-first search of [`nearest`] over the layer's R-tree, admit
//! features only through the caller's [`LayerView`], and build GeoJSON only through
//! [`crate::query::geojson`].

mod filter;
pub mod geodesy;
pub mod hazards;
pub mod nearest;

use serde_json::{Value as Json, json};

pub use filter::{FeatureFilter, FilterSpec, HAZARDS, hazard_attributes};
pub use geodesy::{Origin, Reach};
pub use nearest::{Hit, Search};

use crate::access::LayerView;
use crate::cql2::Cql2Error;
use crate::model::Feature;
use crate::query::geojson;

/// The layer `/api/at` reports the nearest entries of.
pub const SHELTER_LAYER: &str = "shelters";
/// How many shelters `/api/at` lists.
pub const AT_SHELTERS: usize = 3;
/// At most this many features per layer in `/api/at`; more set `"truncated": true`.
pub const AT_LIMIT: usize = 100;

/// A spatial question that cannot be answered as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpatialError {
    /// A bad parameter, and why in English (`reason`) and Japanese (`reason_ja`).
    #[error("parameter `{name}`: {reason}")]
    Parameter {
        name: String,
        value: String,
        reason: String,
        reason_ja: String,
    },
    #[error("filter {0}")]
    Filter(#[from] Cql2Error),
}

impl SpatialError {
    pub fn parameter(
        name: &str,
        value: &str,
        reason: impl Into<String>,
        reason_ja: impl Into<String>,
    ) -> Self {
        Self::Parameter {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
            reason_ja: reason_ja.into(),
        }
    }
}

/// The `k` admitted features of `view` nearest to `origin` that pass `filter`.
pub fn nearest_hits<'v>(
    view: &'v LayerView,
    origin: &Origin,
    k: usize,
    filter: &FeatureFilter,
) -> Vec<Hit<'v>> {
    let search = Search {
        k,
        within_m: f64::INFINITY,
    };
    nearest::nearest(&view.layer, origin, search, |f| {
        view.admits(f) && filter.matches(f)
    })
}

/// The admitted features of `view` covering the point (areas holding it, points on it).
pub fn covering<'v>(view: &'v LayerView, origin: &Origin) -> Vec<&'v Feature> {
    let search = Search {
        k: AT_LIMIT,
        within_m: 0.0,
    };
    nearest::nearest(&view.layer, origin, search, |f| view.admits(f))
        .into_iter()
        .map(|h| h.feature)
        .collect()
}

/// `/api/nearest`: a FeatureCollection of the k nearest, nearest first.
pub fn nearest_json(
    view: &LayerView,
    origin: &Origin,
    k: usize,
    spec: &FilterSpec,
) -> Result<Json, SpatialError> {
    let filter = FeatureFilter::bind(view, spec)?;
    let features: Vec<Json> = nearest_hits(view, origin, k, &filter)
        .iter()
        .map(|h| hit_json(view, origin, h))
        .collect();
    Ok(json!({
        "type": "FeatureCollection",
        "layer": view.layer.id(),
        "lon": origin.lon,
        "lat": origin.lat,
        "k": k,
        "numberReturned": features.len(),
        "features": features,
    }))
}

/// `/api/at`: for every view, the admitted features covering the point or within the layer's
/// `near_m`; then the nearest shelters (optionally designated for `hazard`); then the
/// hazards at the point ([`hazards::hazards_json`]).
pub fn at_json(
    views: &[LayerView],
    origin: &Origin,
    hazard: Option<&str>,
) -> Result<Json, SpatialError> {
    let layers: Vec<Json> = views.iter().map(|v| layer_here(v, origin)).collect();
    let shelters = if let Some(view) = views.iter().find(|v| v.layer.id() == SHELTER_LAYER) {
        nearest_shelters(view, origin, hazard)?
    } else {
        // Still refuse an unknown hazard name, whether or not shelters are visible.
        hazard.map(hazard_attributes).transpose()?;
        Vec::new()
    };
    Ok(json!({
        "lon": origin.lon,
        "lat": origin.lat,
        "layers": layers,
        "nearest_shelters": shelters,
        "hazards": hazards::hazards_json(views, origin),
    }))
}

pub(crate) fn nearest_shelters(
    view: &LayerView,
    origin: &Origin,
    hazard: Option<&str>,
) -> Result<Vec<Json>, SpatialError> {
    let spec = FilterSpec {
        hazard: hazard.map(str::to_owned),
        ..FilterSpec::default()
    };
    let filter = FeatureFilter::bind(view, &spec)?;
    Ok(nearest_hits(view, origin, AT_SHELTERS, &filter)
        .iter()
        .map(|h| with_layer(hit_json(view, origin, h), view))
        .collect())
}

fn layer_here(view: &LayerView, origin: &Origin) -> Json {
    let def = &view.layer.def;
    let search = Search {
        k: AT_LIMIT + 1,
        within_m: def.near_m,
    };
    let hits = nearest::nearest(&view.layer, origin, search, |f| view.admits(f));
    let truncated = hits.len() > AT_LIMIT;
    let features: Vec<Json> = hits
        .iter()
        .take(AT_LIMIT)
        .map(|h| hit_json(view, origin, h))
        .collect();
    let mut out = json!({
        "id": def.id,
        "title": { "ja": def.title.ja, "en": def.title.en },
        "geometry": def.geometry,
        "near_m": def.near_m,
        "features": features,
    });
    if truncated {
        out["truncated"] = true.into();
    }
    out
}

/// A GeoJSON Feature (visible properties only) with `label`, `distance_m` (0.1 m) and
/// `bearing_deg` (towards the feature's closest point; `null` at distance 0).
pub fn hit_json(view: &LayerView, origin: &Origin, hit: &Hit<'_>) -> Json {
    let mut f = geojson::feature(view, hit.feature, None);
    let bearing = origin
        .bearing_to(hit.reach.closest)
        .filter(|_| hit.reach.distance_m > 0.0)
        .map(|b| round1(b) % 360.0);
    f["label"] = label(view, hit.feature).into();
    f["distance_m"] = round1(hit.reach.distance_m).into();
    f["bearing_deg"] = bearing.into();
    f
}

fn with_layer(mut f: Json, view: &LayerView) -> Json {
    f["layer"] = view.layer.id().into();
    f
}

/// The feature's label (the layer's `label` attribute) when the caller may see it.
pub fn label(view: &LayerView, f: &Feature) -> Option<String> {
    let name = view.layer.def.label.as_deref()?;
    let i = view.layer.schema.index_of(name)?;
    if !view.shows(name) {
        return None;
    }
    let v = f.property(i);
    (!v.is_null()).then(|| v.to_string())
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
