//! `/api/search`: names, readings, addresses and 地番 across the `searchable` attributes of
//! the layers the caller may see.
//!
//! Each layer version carries its [`SearchIndex`] (`layer::search`, built with the version
//! before it is swapped in). A query is normalised like the data ([`normalize`]: widths,
//! kana, 大字, 番/番地/の in lot numbers), matched per layer, filtered through the caller's
//! [`LayerView`] (visible attributes and admitted rows only) and ranked:
//!
//! 1. exact matches (a typed 地番 finds its lot first);
//! 2. then the layers citizens look for first ([`FIRST_LAYERS`]: shelters, landmarks);
//! 3. then exact, prefix, substring, and "every word somewhere in the feature" for a query of
//!    several words (`明倫 体育館`);
//! 4. then layer order, then feature order.
//!
//! A query that starts with the prefecture or the city (`鹿島市納富分`) is also tried without
//! it ([`CITY_PREFIXES`]). A feature appears once, with its best match; features of one layer
//! with the same label, kind and geometry (the GSI data lists some shelters twice) are one
//! result whose `also` names the other ids. The answer counts every match (`numberMatched`)
//! and pages with `offset`.

use std::collections::HashMap;

use serde_json::{Value as Json, json};

pub use crate::layer::search::{Entry, Match, Rank, SearchIndex, normalize};

use crate::access::LayerView;
use crate::query::geojson;
use crate::query::spatial::label;

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// At most this many matches per layer, rank and query form are counted.
pub const MAX_MATCHES: usize = 2000;

/// The furthest `offset` accepted.
pub const MAX_OFFSET: usize = 1000;

/// Layers ranked before the others, in this order: what a citizen searching the map most
/// often wants.
pub const FIRST_LAYERS: &[&str] = &["shelters", "landmarks"];

/// Leading place names a query may carry that the indexed values do not (a lot is
/// `高津原1248-2`, not `鹿島市高津原1248-2`). Normalised forms.
pub const CITY_PREFIXES: &[&str] = &["佐賀県", "鹿島市"];

/// The attribute whose value tells results of one layer apart (shown as `kind`).
const KIND_ATTRIBUTE: &str = "種別";

/// A search that cannot be run as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    #[error("the query is empty; give a name, an address or a 地番")]
    Empty,
    #[error("the query has {chars} characters; the limit is {MAX_QUERY_CHARS}")]
    TooLong { chars: usize },
}

/// What to search for and which page of the answer.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: usize,
    pub offset: usize,
}

struct Found<'v> {
    rank: Rank,
    layer_order: usize,
    view: &'v LayerView,
    index: &'v SearchIndex,
    entry: u32,
    /// Ids of features folded into this one as duplicates.
    also: Vec<u64>,
}

impl Found<'_> {
    fn feature(&self) -> u32 {
        self.index.entry(self.entry).feature
    }

    fn priority(&self) -> usize {
        let id = self.view.layer.id();
        FIRST_LAYERS
            .iter()
            .position(|l| *l == id)
            .unwrap_or(FIRST_LAYERS.len())
    }

    fn key(&self) -> (bool, usize, Rank, usize, u32) {
        (
            self.rank != Rank::Exact,
            self.priority(),
            self.rank,
            self.layer_order,
            self.feature(),
        )
    }
}

/// Runs a search over `views` (in layer order) and returns a GeoJSON FeatureCollection with
/// `numberMatched`, `numberReturned`, `offset`, `limit` and `next` (the next page's
/// offset, or `null`).
pub fn search_json(views: &[LayerView], q: &str, page: Page) -> Result<Json, SearchError> {
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError::TooLong { chars });
    }
    let joined = normalize(q);
    if joined.is_empty() {
        return Err(SearchError::Empty);
    }
    let words: Vec<String> = q
        .split(char::is_whitespace)
        .map(normalize)
        .filter(|w| !w.is_empty())
        .collect();
    let found = collect(views, &forms(&joined), &words);
    let total = found.len();
    let features: Vec<Json> = found
        .iter()
        .skip(page.offset)
        .take(page.limit)
        .map(found_json)
        .collect();
    let end = page.offset.saturating_add(features.len());
    Ok(json!({
        "type": "FeatureCollection",
        "q": q,
        "numberMatched": total,
        "numberReturned": features.len(),
        "offset": page.offset,
        "limit": page.limit,
        "next": (end < total).then_some(end),
        "features": features,
    }))
}

/// The normalised query, and the same without a leading prefecture and city.
fn forms(joined: &str) -> Vec<String> {
    let mut out = vec![joined.to_owned()];
    let mut rest = joined;
    for prefix in CITY_PREFIXES {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r;
        }
    }
    if rest != joined && !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

fn collect<'v>(views: &'v [LayerView], forms: &[String], words: &[String]) -> Vec<Found<'v>> {
    let mut found = Vec::new();
    for (layer_order, view) in views.iter().enumerate() {
        if view.layer.def.searchable.is_empty() {
            continue;
        }
        let index = view.layer.search_index();
        let accept = |e: Entry| {
            view.attributes.binary_search(&(e.column as usize)).is_ok()
                && view.admits(&view.layer.features[e.feature as usize])
        };
        let mut push = |m: Match| {
            found.push(Found {
                rank: m.rank,
                layer_order,
                view,
                index,
                entry: m.entry,
                also: Vec::new(),
            });
        };
        for form in forms {
            index
                .find(form, MAX_MATCHES, accept)
                .into_iter()
                .for_each(&mut push);
        }
        if words.len() > 1 {
            all_words(index, words, accept)
                .into_iter()
                .for_each(&mut push);
        }
    }
    found.sort_by_key(Found::key);
    // Each feature once, with its best match.
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| seen.insert((f.layer_order, f.feature())));
    fold_duplicates(found)
}

/// Features holding every word (each in some accepted value), found through the longest
/// word's matches.
fn all_words(
    index: &SearchIndex,
    words: &[String],
    accept: impl Fn(Entry) -> bool + Copy,
) -> Vec<Match> {
    let Some(longest) = words.iter().max_by_key(|w| w.chars().count()) else {
        return Vec::new();
    };
    let mut out: Vec<Match> = Vec::new();
    let mut last_feature = None;
    let mut candidates = index.find(longest, MAX_MATCHES, accept);
    candidates.sort_by_key(|m| index.entry(m.entry).feature);
    for m in candidates {
        let feature = index.entry(m.entry).feature;
        if last_feature == Some(feature) {
            continue;
        }
        last_feature = Some(feature);
        let entries = index.entries_of(feature);
        let holds = |w: &String| {
            entries
                .clone()
                .any(|e| accept(index.entry(e)) && index.text(e).contains(w.as_str()))
        };
        if words.iter().all(holds) {
            out.push(Match {
                entry: m.entry,
                rank: Rank::Words,
            });
        }
    }
    out
}

/// Folds results of one layer with the same label, kind and geometry into the first.
fn fold_duplicates(found: Vec<Found<'_>>) -> Vec<Found<'_>> {
    let mut out: Vec<Found<'_>> = Vec::with_capacity(found.len());
    let mut first: HashMap<(usize, String, Option<String>), Vec<usize>> = HashMap::new();
    for f in found {
        let feature = &f.view.layer.features[f.feature() as usize];
        let key = (f.layer_order, result_label(&f), kind(f.view, feature));
        let same = first.get(&key).and_then(|at| {
            at.iter().copied().find(|&i| {
                let other = &out[i];
                other.view.layer.features[other.feature() as usize].geometry == feature.geometry
            })
        });
        if let Some(i) = same {
            out[i].also.push(feature.id);
        } else {
            first.entry(key).or_default().push(out.len());
            out.push(f);
        }
    }
    out
}

/// The label shown for a result: the layer's label, else the matched value.
fn result_label(f: &Found<'_>) -> String {
    let entry = f.index.entry(f.entry);
    let feature = &f.view.layer.features[entry.feature as usize];
    label(f.view, feature).unwrap_or_else(|| feature.property(entry.column as usize).to_string())
}

/// What kind of thing a result is, to tell results with one name apart: the visible `種別`
/// of the feature (指定避難所, 指定緊急避難場所, 駅, …), else `None` (the layer's title says
/// it).
fn kind(view: &LayerView, feature: &crate::model::Feature) -> Option<String> {
    let i = view.layer.schema.index_of(KIND_ATTRIBUTE)?;
    let v = feature.property(i);
    (view.shows(KIND_ATTRIBUTE) && !v.is_null()).then(|| v.to_string())
}

fn found_json(f: &Found<'_>) -> Json {
    let entry = f.index.entry(f.entry);
    let feature = &f.view.layer.features[entry.feature as usize];
    let column = entry.column as usize;
    let field = f.view.layer.schema.field(column);
    let def = &f.view.layer.def;
    let mut out = geojson::feature(f.view, feature, None);
    out["layer"] = f.view.layer.id().into();
    out["layer_title"] = json!({ "ja": def.title.ja, "en": def.title.en });
    out["label"] = result_label(f).into();
    out["kind"] = kind(f.view, feature)
        .unwrap_or_else(|| def.title.ja.clone())
        .into();
    out["matched"] = json!({
        "attribute": field.name,
        "value": feature.property(column).to_json(field.ty),
        "rank": f.rank.as_str(),
    });
    if !f.also.is_empty() {
        out["also"] = f.also.clone().into();
    }
    out
}
