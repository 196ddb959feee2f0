//! Exact k-nearest search by geodesic distance over a layer's lon/lat R-tree.
//!
//! Best-first ("distance browsing") search: a min-heap holds tree nodes and candidate
//! features keyed by [`Origin::lower_bound`] of their envelope, and features whose exact
//! distance is known, keyed by that distance. A feature is returned when it reaches the top
//! of the heap with its exact distance: every other entry's key is a lower bound on what it
//! can still contain, so nothing unseen can be nearer. The search stops after `k` results or
//! when the smallest key exceeds the radius. The result therefore equals sorting every
//! accepted feature by `(distance, id)`, which the tests check against brute force.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rstar::{ParentNode, RTreeNode, RTreeObject};

use super::geodesy::{Origin, Reach};
use crate::layer::{IndexEntry, LayerVersion};
use crate::model::Feature;

/// One result: a feature and how far it is.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    pub feature: &'a Feature,
    pub reach: Reach,
}

/// What to look for.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    /// At most this many results.
    pub k: usize,
    /// Only features within this many metres (`f64::INFINITY` for no limit).
    pub within_m: f64,
}

enum Item<'t> {
    Node(&'t ParentNode<IndexEntry>),
    Candidate(u32),
    Found { index: u32, id: u64, reach: Reach },
}

struct Queued<'t> {
    key: f64,
    item: Item<'t>,
}

impl Queued<'_> {
    /// Nodes and candidates come before found features at the same key (they may still hold
    /// a feature at exactly that distance); found features tie-break by id, like the sort.
    fn rank(&self) -> (u8, u64) {
        match self.item {
            Item::Node(_) | Item::Candidate(_) => (0, 0),
            Item::Found { id, .. } => (1, id),
        }
    }
}

impl PartialEq for Queued<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Queued<'_> {}
impl PartialOrd for Queued<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued<'_> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the smallest key first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then_with(|| other.rank().cmp(&self.rank()))
    }
}

/// The accepted features nearest to `origin`, nearest first (ties by feature id).
///
/// `accept` is asked once per feature the search reaches (row policy, filters); only
/// accepted features have their exact distance computed.
pub fn nearest<'a>(
    layer: &'a LayerVersion,
    origin: &Origin,
    search: Search,
    mut accept: impl FnMut(&Feature) -> bool,
) -> Vec<Hit<'a>> {
    let mut out = Vec::with_capacity(search.k.min(64));
    if search.k == 0 || layer.tree().size() == 0 {
        return out;
    }
    let root = layer.tree().root();
    let mut heap = BinaryHeap::new();
    heap.push(Queued {
        key: origin.lower_bound_aabb(&root.envelope()),
        item: Item::Node(root),
    });
    while let Some(q) = heap.pop() {
        if q.key > search.within_m {
            break;
        }
        match q.item {
            Item::Node(node) => push_children(&mut heap, origin, node),
            Item::Candidate(index) => {
                let f = &layer.features[index as usize];
                if !accept(f) {
                    continue;
                }
                if let Some(reach) = origin.reach(&f.geometry) {
                    heap.push(Queued {
                        key: reach.distance_m,
                        item: Item::Found {
                            index,
                            id: f.id,
                            reach,
                        },
                    });
                }
            }
            Item::Found { index, reach, .. } => {
                out.push(Hit {
                    feature: &layer.features[index as usize],
                    reach,
                });
                if out.len() == search.k {
                    break;
                }
            }
        }
    }
    out
}

fn push_children<'t>(
    heap: &mut BinaryHeap<Queued<'t>>,
    origin: &Origin,
    node: &'t ParentNode<IndexEntry>,
) {
    for child in node.children() {
        let q = match child {
            RTreeNode::Parent(p) => Queued {
                key: origin.lower_bound_aabb(&p.envelope()),
                item: Item::Node(p),
            },
            RTreeNode::Leaf(e) => Queued {
                key: origin.lower_bound_aabb(&e.envelope()),
                item: Item::Candidate(e.data),
            },
        };
        heap.push(q);
    }
}

#[cfg(test)]
#[expect(
    clippy::float_cmp,
    reason = "exact agreement is what these tests check"
)]
pub(crate) mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use geo::{Geometry, LineString, Point, Polygon, coord};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use rstest::rstest;

    use super::*;
    use crate::catalog::LayerDef;
    use crate::model::{Field, FieldType, Schema, Value, VersionInfo};

    /// A layer version from a layer file text (with `source = "Cargo.toml"`) and features.
    pub(crate) fn layer(toml: &str, fields: Vec<Field>, features: Vec<Feature>) -> LayerVersion {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let def = LayerDef::from_toml(toml, &root.join("layers/t.toml"), root).unwrap();
        let info = VersionInfo {
            version: 1,
            created: "2024-04-01T00:00:00Z".into(),
            feature_count: features.len(),
            source_sha256: String::new(),
            source_name: "test".into(),
            created_by: "test".into(),
        };
        LayerVersion::new(Arc::new(def), info, Schema::new(fields), features)
    }

    const TOML: &str = r#"
id = "mixed"
title = { ja = "混在", en = "Mixed" }
department = "test"
source = "Cargo.toml"
geometry = "Point"
attribution = "test"
[access]
view = "public"
"#;

    fn random_geometry(rng: &mut StdRng) -> Geometry<f64> {
        let (x, y) = (
            130.05 + rng.random::<f64>() * 0.1,
            33.05 + rng.random::<f64>() * 0.1,
        );
        let s = 0.0005 + rng.random::<f64>() * 0.002;
        match rng.random_range(0..4) {
            0 | 1 => Geometry::Point(Point::new(x, y)),
            2 => Geometry::LineString(LineString::from(vec![
                (x, y),
                (x + s, y + s / 2.0),
                (x + 2.0 * s, y - s),
            ])),
            _ => Geometry::Polygon(Polygon::new(
                LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]),
                vec![],
            )),
        }
    }

    /// 3,000 features, with exact duplicates so that ties occur.
    pub(crate) fn mixed_layer(seed: u64) -> LayerVersion {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut geoms: Vec<Geometry<f64>> = (0..2_900).map(|_| random_geometry(&mut rng)).collect();
        geoms.extend(geoms[..100].to_vec());
        let features = geoms
            .into_iter()
            .enumerate()
            .map(|(i, g)| Feature::new(i as u64 + 1, g, vec![Value::Int(i as i64)].into()))
            .collect();
        let fields = vec![Field {
            name: "n".into(),
            ty: FieldType::Int,
        }];
        layer(TOML, fields, features)
    }

    fn brute_force(
        layer: &LayerVersion,
        origin: &Origin,
        search: Search,
        accept: impl Fn(&Feature) -> bool,
    ) -> Vec<(u64, f64)> {
        let mut all: Vec<(u64, f64)> = layer
            .features
            .iter()
            .filter(|f| accept(f))
            .filter_map(|f| Some((f.id, origin.reach(&f.geometry)?.distance_m)))
            .filter(|(_, d)| *d <= search.within_m)
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all.truncate(search.k);
        all
    }

    #[rstest]
    #[case(1, f64::INFINITY)]
    #[case(5, f64::INFINITY)]
    #[case(37, f64::INFINITY)]
    #[case(500, 150.0)]
    #[case(10, 0.0)]
    fn search_agrees_exactly_with_brute_force(#[case] k: usize, #[case] within_m: f64) {
        let layer = mixed_layer(42);
        let mut rng = StdRng::seed_from_u64(k as u64);
        for round in 0..60 {
            let spread = if round % 3 == 0 { 1.0 } else { 0.12 };
            let origin = Origin::new(
                130.04 + rng.random::<f64>() * spread,
                33.04 + rng.random::<f64>() * spread,
            );
            let search = Search { k, within_m };
            let accept = |f: &Feature| round % 2 == 0 || !f.id.is_multiple_of(3);
            let got: Vec<(u64, f64)> = nearest(&layer, &origin, search, accept)
                .iter()
                .map(|h| (h.feature.id, h.reach.distance_m))
                .collect();
            assert_eq!(
                got,
                brute_force(&layer, &origin, search, accept),
                "{origin:?}"
            );
        }
    }

    #[test]
    fn point_distances_are_plain_geodesic_distances() {
        let layer = mixed_layer(1);
        let origin = Origin::new(130.1, 33.1);
        for h in nearest(
            &layer,
            &origin,
            Search {
                k: 50,
                within_m: f64::INFINITY,
            },
            |_| true,
        ) {
            if let Geometry::Point(p) = h.feature.geometry {
                let d = geo::Distance::distance(&geo::Geodesic, origin.point(), p);
                assert_eq!(h.reach.distance_m, d);
                assert_eq!(h.reach.closest, coord! { x: p.x(), y: p.y() });
            }
        }
    }

    #[test]
    fn empty_layer_and_zero_k_give_nothing() {
        let empty = layer(TOML, vec![], vec![]);
        let origin = Origin::new(130.1, 33.1);
        let all = Search {
            k: 5,
            within_m: f64::INFINITY,
        };
        assert!(nearest(&empty, &origin, all, |_| true).is_empty());
        let none = Search {
            k: 0,
            within_m: f64::INFINITY,
        };
        assert!(nearest(&mixed_layer(1), &origin, none, |_| true).is_empty());
    }
}
