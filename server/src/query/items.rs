//! Item queries over one layer view (OGC API – Features `items`): bbox, CQL2 filter,
//! attribute equalities, sorting and paging.
//!
//! Everything is decided through the [`LayerView`]: only admitted rows are counted or
//! returned, and an attribute the view hides is reported exactly like one that does not
//! exist, so neither `numberMatched` nor an error message reveals what is hidden.

use std::cmp::Ordering;

use geo::{Intersects, Rect};
use rstar::{AABB, Envelope, RTreeObject};

use crate::access::LayerView;
use crate::cql2::{Cql2Error, Expr, Filter};
use crate::model::{Feature, FieldType, Schema, Value};

/// Why a query cannot run. Names the parameter and the value at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A `properties`/`sortby` name that is not a visible attribute.
    #[error("parameter `{parameter}`: unknown property `{name}`")]
    UnknownProperty {
        parameter: &'static str,
        name: String,
    },
    /// An `attr=value` parameter whose name is neither a parameter nor a visible attribute.
    #[error("unknown parameter `{name}`")]
    UnknownParameter { name: String },
    /// An `attr=value` value that the attribute's type can never hold.
    #[error("parameter `{name}`: `{value}` is not {expected}")]
    BadValue {
        name: String,
        value: String,
        expected: Expected,
    },
    /// The CQL2 filter does not parse or does not bind to the visible attributes.
    #[error("filter: {0}")]
    Filter(#[from] Cql2Error),
}

/// What an `attr=value` value must be, by the attribute's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// An integer or a decimal number.
    Number,
    /// `true` or `false`.
    Bool,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Number => "a number",
            Self::Bool => "true or false",
        })
    }
}

/// One `sortby` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub name: String,
    pub descending: bool,
}

/// A parsed items query. Names are attribute names as the caller wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsQuery {
    /// lon/lat `[west, south, east, north]`: features whose geometry intersects it. A west
    /// edge greater than the east edge is a box across the antimeridian; a south edge
    /// greater than the north edge is empty and matches nothing.
    pub bbox: Option<[f64; 4]>,
    pub filter: Option<Expr>,
    /// `attr=value` pairs; each must hold (compared by the attribute's type).
    pub equals: Vec<(String, String)>,
    pub sortby: Vec<SortKey>,
    pub offset: usize,
    pub limit: usize,
    /// `properties=`: the attributes to return; `None` for every visible one.
    pub properties: Option<Vec<String>>,
}

impl Default for ItemsQuery {
    fn default() -> Self {
        Self {
            bbox: None,
            filter: None,
            equals: Vec::new(),
            sortby: Vec::new(),
            offset: 0,
            limit: 10,
            properties: None,
        }
    }
}

/// One page of results.
#[derive(Debug)]
pub struct ItemsPage<'a> {
    /// Admitted features matching the query (`numberMatched`).
    pub matched: usize,
    /// The page, in order.
    pub features: Vec<&'a Feature>,
    /// Columns to output (`properties=`); `None` for every visible one.
    pub properties: Option<Vec<usize>>,
}

/// A query resolved against a view: names turned into columns, the filter bound.
struct Plan {
    /// The bbox as one box, or two when it crosses the antimeridian.
    bbox: Option<Vec<Rect<f64>>>,
    filter: Option<Filter>,
    equals: Vec<(usize, Value)>,
    sort: Vec<(usize, bool)>,
}

/// Runs a query: counts every admitted match and returns the requested page.
pub fn run<'a>(view: &'a LayerView, q: &ItemsQuery) -> Result<ItemsPage<'a>, QueryError> {
    let schema = view.layer.schema.restricted(&view.attributes);
    let properties = q
        .properties
        .as_ref()
        .map(|names| columns(&schema, "properties", names.iter()))
        .transpose()?;
    let plan = Plan::new(&schema, q)?;
    let mut matched = plan.candidates(view);
    let matched_count = matched.len();
    let features = page(&mut matched, &plan.sort, q.offset, q.limit);
    Ok(ItemsPage {
        matched: matched_count,
        features,
        properties,
    })
}

/// One feature by id, if it exists and the view admits it; `None` either way otherwise.
pub fn item(view: &LayerView, id: u64) -> Option<&Feature> {
    view.layer.feature_by_id(id).filter(|f| view.admits(f))
}

fn columns<'n>(
    schema: &Schema,
    parameter: &'static str,
    names: impl Iterator<Item = &'n String>,
) -> Result<Vec<usize>, QueryError> {
    names
        .map(|n| {
            schema
                .index_of(n)
                .ok_or_else(|| QueryError::UnknownProperty {
                    parameter,
                    name: n.clone(),
                })
        })
        .collect()
}

impl Plan {
    fn new(schema: &Schema, q: &ItemsQuery) -> Result<Self, QueryError> {
        let filter = q.filter.as_ref().map(|e| e.bind(schema)).transpose()?;
        let equals = q
            .equals
            .iter()
            .map(|(name, value)| equality(schema, name, value))
            .collect::<Result<_, _>>()?;
        let names = q.sortby.iter().map(|k| &k.name);
        let sort = columns(schema, "sortby", names)?
            .into_iter()
            .zip(&q.sortby)
            .map(|(c, k)| (c, k.descending))
            .collect();
        Ok(Self {
            bbox: q.bbox.map(boxes),
            filter,
            equals,
            sort,
        })
    }

    /// Where to look: the bbox's boxes, narrowed by the filter's own envelope when it has one.
    fn search(&self) -> Search {
        let from_bbox: Option<Vec<AABB<[f64; 2]>>> = self.bbox.as_ref().map(|rects| {
            rects
                .iter()
                .map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
                .collect()
        });
        let from_filter = self
            .filter
            .as_ref()
            .and_then(Filter::envelope)
            .map(|[x0, y0, x1, y1]| AABB::from_corners([x0, y0], [x1, y1]));
        let boxes = match (from_bbox, from_filter) {
            (None, None) => return Search::Everything,
            (Some(boxes), None) => boxes,
            (None, Some(e)) => vec![e],
            (Some(boxes), Some(f)) => boxes.iter().filter_map(|b| intersection(b, &f)).collect(),
        };
        if boxes.is_empty() {
            Search::Nothing
        } else {
            Search::Within(boxes)
        }
    }

    /// Every admitted feature that matches, in no particular order.
    fn candidates<'a>(&self, view: &'a LayerView) -> Vec<&'a Feature> {
        let layer = &view.layer;
        match self.search() {
            Search::Everything => layer
                .features
                .iter()
                .filter(|f| self.matches(view, f))
                .collect(),
            Search::Nothing => Vec::new(),
            // Each feature once: one met by an earlier box was already considered there.
            Search::Within(boxes) => boxes
                .iter()
                .enumerate()
                .flat_map(|(i, env)| {
                    let earlier = &boxes[..i];
                    layer
                        .tree()
                        .locate_in_envelope_intersecting(env)
                        .filter(move |e| !earlier.iter().any(|b| b.intersects(&e.envelope())))
                })
                .filter(|e| self.in_bbox(&e.envelope(), &layer.features[e.data as usize]))
                .map(|e| &layer.features[e.data as usize])
                .filter(|f| self.matches(view, f))
                .collect(),
        }
    }

    /// The exact bbox test, skipped when the feature's envelope lies inside a box.
    fn in_bbox(&self, envelope: &AABB<[f64; 2]>, f: &Feature) -> bool {
        let Some(boxes) = &self.bbox else {
            return true;
        };
        let [x0, y0] = envelope.lower();
        let [x1, y1] = envelope.upper();
        boxes.iter().any(|bbox| {
            let inside = x0 >= bbox.min().x && y0 >= bbox.min().y && x1 <= bbox.max().x;
            (inside && y1 <= bbox.max().y) || f.geometry.intersects(bbox)
        })
    }

    /// Everything but the bbox, which [`Plan::in_bbox`] tests on the R-tree path (a bbox
    /// always gives an envelope, so the full scan never has one).
    fn matches(&self, view: &LayerView, f: &Feature) -> bool {
        view.admits(f)
            && self.equals.iter().all(|(c, v)| equal(f.property(*c), v))
            && self.filter.as_ref().is_none_or(|flt| flt.matches(f))
    }
}

/// A `[west, south, east, north]` bbox as plain boxes: one, two across the antimeridian
/// (west greater than east), none when south is greater than north (no latitude lies
/// between them).
fn boxes([west, south, east, north]: [f64; 4]) -> Vec<Rect<f64>> {
    let rect = |x0, x1| {
        Rect::new(
            geo::coord! { x: x0, y: south },
            geo::coord! { x: x1, y: north },
        )
    };
    if south > north {
        Vec::new()
    } else if west <= east {
        vec![rect(west, east)]
    } else {
        vec![rect(west, 180.0), rect(-180.0, east)]
    }
}

/// Which features to consider before the exact tests.
enum Search {
    Everything,
    /// Those whose envelope meets one of these boxes (R-tree queries).
    Within(Vec<AABB<[f64; 2]>>),
    /// The bbox and the filter's envelope are disjoint.
    Nothing,
}

fn intersection(a: &AABB<[f64; 2]>, b: &AABB<[f64; 2]>) -> Option<AABB<[f64; 2]>> {
    let lo = [
        a.lower()[0].max(b.lower()[0]),
        a.lower()[1].max(b.lower()[1]),
    ];
    let hi = [
        a.upper()[0].min(b.upper()[0]),
        a.upper()[1].min(b.upper()[1]),
    ];
    (lo[0] <= hi[0] && lo[1] <= hi[1]).then(|| AABB::from_corners(lo, hi))
}

/// Resolves `attr=value`: the value is converted to the attribute's type once.
fn equality(schema: &Schema, name: &str, value: &str) -> Result<(usize, Value), QueryError> {
    let column = schema
        .index_of(name)
        .ok_or_else(|| QueryError::UnknownParameter {
            name: name.to_owned(),
        })?;
    let bad = |expected| QueryError::BadValue {
        name: name.to_owned(),
        value: value.to_owned(),
        expected,
    };
    let v = value.trim();
    let typed = match schema.field(column).ty {
        FieldType::Int | FieldType::Float => match (v.parse::<i64>(), v.parse::<f64>()) {
            (Ok(i), _) => Value::Int(i),
            (_, Ok(x)) if x.is_finite() => Value::Float(x),
            _ => return Err(bad(Expected::Number)),
        },
        FieldType::Bool => match v {
            "true" | "TRUE" | "1" => Value::Bool(true),
            "false" | "FALSE" | "0" => Value::Bool(false),
            _ => return Err(bad(Expected::Bool)),
        },
        FieldType::String | FieldType::Date | FieldType::Json => Value::String(value.into()),
    };
    Ok((column, typed))
}

/// Equality by type: numbers compare numerically across Int and Float; NULL equals nothing.
fn equal(have: &Value, want: &Value) -> bool {
    !have.is_null() && have.sort_cmp(want) == Ordering::Equal
}

/// Orders by the sort keys, then by feature id, so every order is total and repeatable.
fn compare(keys: &[(usize, bool)], a: &Feature, b: &Feature) -> Ordering {
    for &(column, descending) in keys {
        let o = a.property(column).sort_cmp(b.property(column));
        let o = if descending { o.reverse() } else { o };
        if o.is_ne() {
            return o;
        }
    }
    a.id.cmp(&b.id)
}

/// Puts the page `[offset, offset + limit)` of the sorted order in place and returns it.
///
/// Selects rather than sorts everything: O(n + limit·log limit) for any offset, so a page
/// deep into a million matches costs about as much as the first.
fn page<'a>(
    v: &mut [&'a Feature],
    keys: &[(usize, bool)],
    offset: usize,
    limit: usize,
) -> Vec<&'a Feature> {
    if offset >= v.len() || limit == 0 {
        return Vec::new();
    }
    let cmp = |a: &&Feature, b: &&Feature| compare(keys, a, b);
    let already_sorted = keys.is_empty() && v.is_sorted_by_key(|f| f.id);
    if !already_sorted {
        if offset > 0 {
            v.select_nth_unstable_by(offset, cmp);
        }
        let tail = &mut v[offset..];
        let n = limit.min(tail.len());
        if n < tail.len() {
            tail.select_nth_unstable_by(n - 1, cmp);
        }
        tail[..n].sort_unstable_by(cmp);
    }
    let end = offset.saturating_add(limit).min(v.len());
    v[offset..end].to_vec()
}

#[cfg(test)]
#[path = "items_tests.rs"]
mod tests;
