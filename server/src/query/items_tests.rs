use std::path::Path;
use std::sync::Arc;

use geo::{Geometry, LineString, point};
use rand::{Rng, SeedableRng};
use rstest::rstest;

use super::*;
use crate::access::{Principal, decide};
use crate::catalog::LayerDef;
use crate::layer::LayerVersion;
use crate::model::{Field, VersionInfo};

const TOML: &str = r#"
id = "t"
title = { ja = "テスト", en = "Test" }
department = "総務課"
source = "Cargo.toml"
geometry = "Point"
attribution = "test"
[access]
view = "public"
[access.attributes]
public = ["名称", "n"]
"#;

fn fields() -> Vec<Field> {
    vec![
        Field {
            name: "名称".into(),
            ty: FieldType::String,
        },
        Field {
            name: "n".into(),
            ty: FieldType::Int,
        },
        Field {
            name: "secret".into(),
            ty: FieldType::String,
        },
    ]
}

fn view_of(geometry: &str, features: Vec<Feature>) -> LayerView {
    let toml = TOML.replace("\"Point\"", &format!("\"{geometry}\""));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let def = LayerDef::from_toml(&toml, Path::new("layers/t.toml"), root).unwrap();
    let info = VersionInfo {
        version: 1,
        created: String::new(),
        feature_count: features.len(),
        source_sha256: String::new(),
        source_name: String::new(),
        created_by: String::new(),
    };
    let layer = Arc::new(LayerVersion::new(
        Arc::new(def),
        info,
        Schema::new(fields()),
        features,
    ));
    decide(&Principal::anonymous(), &layer).unwrap()
}

fn point_feature(id: u64, x: f64, y: f64, name: &str, n: i64) -> Feature {
    let props = vec![
        Value::String(name.into()),
        Value::Int(n),
        Value::String("hidden".into()),
    ];
    Feature::new(id, Geometry::Point(point!(x: x, y: y)), props.into())
}

/// Seeded points on a 0..10 square with a few repeated names and numbers (sort ties).
fn seeded(n: u64) -> LayerView {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let features = (1..=n)
        .map(|id| {
            let name = ["あ", "い", "う"][rng.random_range(0..3)];
            let x = rng.random_range(0.0..10.0);
            let y = rng.random_range(0.0..10.0);
            point_feature(id, x, y, name, rng.random_range(0..5))
        })
        .collect();
    view_of("Point", features)
}

fn ids(page: &ItemsPage<'_>) -> Vec<u64> {
    page.features.iter().map(|f| f.id).collect()
}

#[test]
fn paging_walks_the_full_sorted_order_without_gaps_or_repeats() {
    let view = seeded(500);
    let sortby = vec![
        SortKey {
            name: "名称".into(),
            descending: true,
        },
        SortKey {
            name: "n".into(),
            descending: false,
        },
    ];
    let mut all: Vec<&Feature> = view.layer.features.iter().collect();
    all.sort_by(|a, b| compare(&[(0, true), (1, false)], a, b));
    let expected: Vec<u64> = all.iter().map(|f| f.id).collect();
    let mut got = Vec::new();
    for offset in (0..520).step_by(37) {
        let q = ItemsQuery {
            sortby: sortby.clone(),
            offset,
            limit: 37,
            ..ItemsQuery::default()
        };
        let page = run(&view, &q).unwrap();
        assert_eq!(page.matched, 500);
        got.extend(ids(&page));
    }
    assert_eq!(got, expected);
}

#[test]
fn without_sortby_the_order_is_by_feature_id() {
    let mut features: Vec<Feature> = (1..=50)
        .map(|i| point_feature(i, 1.0, 1.0, "x", 0))
        .collect();
    features.reverse();
    let view = view_of("Point", features);
    let q = ItemsQuery {
        offset: 10,
        limit: 5,
        ..ItemsQuery::default()
    };
    assert_eq!(ids(&run(&view, &q).unwrap()), vec![11, 12, 13, 14, 15]);
}

#[test]
fn bbox_tests_the_geometry_not_only_its_envelope() {
    // An L-shaped line: its envelope covers (0..10, 0..10) but it only runs along the
    // bottom and right edges, so a box in the top-left corner misses it.
    let l = LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]);
    let props = vec![Value::Null, Value::Null, Value::Null].into_boxed_slice();
    let features = vec![Feature::new(1, Geometry::LineString(l), props)];
    let view = view_of("LineString", features);
    let miss = ItemsQuery {
        bbox: Some([1.0, 8.0, 2.0, 9.0]),
        ..ItemsQuery::default()
    };
    assert_eq!(run(&view, &miss).unwrap().matched, 0);
    let hit = ItemsQuery {
        bbox: Some([9.0, 8.0, 11.0, 9.0]),
        ..ItemsQuery::default()
    };
    assert_eq!(run(&view, &hit).unwrap().matched, 1);
}

#[test]
fn a_bbox_across_the_antimeridian_keeps_both_sides_once() {
    let props = || vec![Value::Null, Value::Null, Value::Null].into_boxed_slice();
    let features = vec![
        point_feature(1, 175.0, 5.0, "east of it", 0),
        point_feature(2, -175.0, 5.0, "west of it", 0),
        point_feature(3, 0.0, 5.0, "far away", 0),
        point_feature(4, 175.0, 50.0, "too far north", 0),
        // Along the equator almost all the way round: inside both halves of the box.
        Feature::new(
            5,
            Geometry::LineString(LineString::from(vec![(-179.0, 0.0), (179.0, 0.0)])),
            props(),
        ),
    ];
    let view = view_of("Point", features);
    let q = ItemsQuery {
        bbox: Some([170.0, -10.0, -170.0, 10.0]),
        ..ItemsQuery::default()
    };
    let page = run(&view, &q).unwrap();
    assert_eq!(page.matched, 3);
    assert_eq!(ids(&page), vec![1, 2, 5]);
    let nothing_there = ItemsQuery {
        bbox: Some([179.0, 20.0, -179.0, 30.0]),
        ..ItemsQuery::default()
    };
    assert_eq!(run(&view, &nothing_there).unwrap().matched, 0);
}

#[test]
fn a_bbox_with_south_above_north_matches_nothing_and_one_past_the_pole_reaches_it() {
    let view = view_of(
        "Point",
        vec![
            point_feature(1, 130.0, 33.0, "a", 0),
            point_feature(2, 130.0, 89.5, "b", 0),
        ],
    );
    let q = |bbox| ItemsQuery {
        bbox: Some(bbox),
        ..ItemsQuery::default()
    };
    assert_eq!(
        run(&view, &q([129.0, 34.0, 131.0, 32.0])).unwrap().matched,
        0
    );
    let past_the_pole = run(&view, &q([129.0, 89.0, 131.0, 120.0])).unwrap();
    assert_eq!(ids(&past_the_pole), vec![2]);
}

#[test]
fn bbox_counts_agree_with_brute_force() {
    let view = seeded(2000);
    let bbox = [2.5, 3.0, 6.0, 7.5];
    let brute = view
        .layer
        .features
        .iter()
        .filter(|f| {
            let Geometry::Point(p) = f.geometry else {
                return false;
            };
            (bbox[0]..=bbox[2]).contains(&p.x()) && (bbox[1]..=bbox[3]).contains(&p.y())
        })
        .count();
    let q = ItemsQuery {
        bbox: Some(bbox),
        limit: 10_000,
        ..ItemsQuery::default()
    };
    let page = run(&view, &q).unwrap();
    assert_eq!(page.matched, brute);
    assert_eq!(page.features.len(), brute);
    assert!(page.features.is_sorted_by_key(|f| f.id));
}

#[rstest]
#[case::int_exact("n", "3", true)]
#[case::int_as_float("n", "3.0", true)]
#[case::int_other("n", "4", false)]
#[case::text("名称", "う", true)]
#[case::text_is_exact("名称", "う ", false)]
fn attribute_equality_compares_by_type(#[case] name: &str, #[case] value: &str, #[case] hit: bool) {
    let view = view_of("Point", vec![point_feature(1, 0.0, 0.0, "う", 3)]);
    let q = ItemsQuery {
        equals: vec![(name.into(), value.into())],
        ..ItemsQuery::default()
    };
    assert_eq!(run(&view, &q).unwrap().matched, usize::from(hit));
}

#[test]
fn a_non_number_for_a_number_attribute_is_an_error() {
    let view = view_of("Point", vec![point_feature(1, 0.0, 0.0, "う", 3)]);
    let q = ItemsQuery {
        equals: vec![("n".into(), "three".into())],
        ..ItemsQuery::default()
    };
    assert!(matches!(
        run(&view, &q).unwrap_err(),
        QueryError::BadValue { .. }
    ));
}

/// The error for a hidden attribute, with its name replaced, must equal the error for a
/// nonexistent one: otherwise the message would confirm that the attribute exists.
#[rstest]
#[case::properties("properties")]
#[case::sortby("sortby")]
#[case::equals("equals")]
fn hidden_attributes_are_reported_like_missing_ones(#[case] how: &str) {
    let view = view_of("Point", vec![point_feature(1, 0.0, 0.0, "う", 3)]);
    let query = |name: &str| {
        let mut q = ItemsQuery::default();
        match how {
            "properties" => q.properties = Some(vec![name.into()]),
            "sortby" => {
                q.sortby = vec![SortKey {
                    name: name.into(),
                    descending: false,
                }];
            }
            _ => q.equals = vec![(name.into(), "hidden".into())],
        }
        q
    };
    let hidden = run(&view, &query("secret")).unwrap_err();
    let missing = run(&view, &query("nosuch")).unwrap_err();
    assert_eq!(
        hidden.to_string().replace("secret", "X"),
        missing.to_string().replace("nosuch", "X")
    );
}

#[test]
fn properties_narrow_the_output_columns() {
    let view = view_of("Point", vec![point_feature(1, 0.0, 0.0, "う", 3)]);
    let q = ItemsQuery {
        properties: Some(vec!["n".into()]),
        ..ItemsQuery::default()
    };
    assert_eq!(run(&view, &q).unwrap().properties, Some(vec![1]));
}

#[rstest]
#[case::past_the_end(100, 10, 0)]
#[case::last_partial(45, 10, 5)]
#[case::everything(0, 10_000, 50)]
fn page_sizes(#[case] offset: usize, #[case] limit: usize, #[case] returned: usize) {
    let features = (1..=50)
        .map(|i| point_feature(i, 0.0, 0.0, "x", 0))
        .collect();
    let view = view_of("Point", features);
    let q = ItemsQuery {
        offset,
        limit,
        ..ItemsQuery::default()
    };
    let page = run(&view, &q).unwrap();
    assert_eq!((page.matched, page.features.len()), (50, returned));
}

#[test]
fn item_finds_by_id() {
    let view = view_of("Point", vec![point_feature(7, 0.0, 0.0, "う", 3)]);
    assert_eq!(item(&view, 7).map(|f| f.id), Some(7));
    assert!(item(&view, 8).is_none());
}
