//! `/api/search`: names, addresses and 地番 across the `searchable` attributes of the layers
//! the caller may see.
//!
//! Each layer version carries its [`SearchIndex`] (`layer::search`, built with the version
//! before it is swapped in). A query is normalised like the data ([`normalize`]), matched per
//! layer, filtered through the caller's [`LayerView`] (visible attributes and admitted rows
//! only) and ranked: exact, then prefix, then substring; then by layer order, then feature
//! order. A feature appears once, with its best match.

use serde_json::{Value as Json, json};

pub use crate::layer::search::{Entry, Match, Rank, SearchIndex, normalize};

use crate::access::LayerView;
use crate::query::geojson;
use crate::query::spatial::label;

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// A search that cannot be run as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    #[error("the query is empty; give a name, an address or a 地番")]
    Empty,
    #[error("the query has {chars} characters; the limit is {MAX_QUERY_CHARS}")]
    TooLong { chars: usize },
}

struct Found<'v> {
    rank: Rank,
    layer_order: usize,
    view: &'v LayerView,
    index: &'v SearchIndex,
    entry: u32,
}

/// Runs a search over `views` (in layer order) and returns a GeoJSON FeatureCollection.
pub fn search_json(views: &[LayerView], q: &str, limit: usize) -> Result<Json, SearchError> {
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError::TooLong { chars });
    }
    let normalized = normalize(q);
    if normalized.is_empty() {
        return Err(SearchError::Empty);
    }
    let found = collect(views, &normalized, limit);
    let features: Vec<Json> = found.iter().map(found_json).collect();
    Ok(json!({
        "type": "FeatureCollection",
        "q": q,
        "numberReturned": features.len(),
        "features": features,
    }))
}

fn collect<'v>(views: &'v [LayerView], q: &str, limit: usize) -> Vec<Found<'v>> {
    let mut found = Vec::new();
    for (layer_order, view) in views.iter().enumerate() {
        if view.layer.def.searchable.is_empty() {
            continue;
        }
        let index = view.layer.search_index();
        // A feature may match through several attributes; ask for enough to fill `limit`
        // distinct features.
        let per_rank = limit.saturating_mul(view.layer.def.searchable.len());
        let matches = index.find(q, per_rank, |e| {
            view.attributes.binary_search(&(e.column as usize)).is_ok()
                && view.admits(&view.layer.features[e.feature as usize])
        });
        found.extend(matches.into_iter().map(|m| Found {
            rank: m.rank,
            layer_order,
            view,
            index,
            entry: m.entry,
        }));
    }
    // Stable: within a rank and layer, entries stay in feature order.
    found.sort_by_key(|f| (f.rank, f.layer_order));
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| seen.insert((f.layer_order, f.index.entry(f.entry).feature)));
    found.truncate(limit);
    found
}

fn found_json(f: &Found<'_>) -> Json {
    let entry = f.index.entry(f.entry);
    let feature = &f.view.layer.features[entry.feature as usize];
    let column = entry.column as usize;
    let field = f.view.layer.schema.field(column);
    let mut out = geojson::feature(f.view, feature, None);
    out["layer"] = f.view.layer.id().into();
    out["label"] = label(f.view, feature)
        .unwrap_or_else(|| feature.property(column).to_string())
        .into();
    out["matched"] = json!({
        "attribute": field.name,
        "value": feature.property(column).to_json(field.ty),
        "rank": f.rank.as_str(),
    });
    out
}
