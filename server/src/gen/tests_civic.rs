//! The citizens' sample layers: 字図・地番, flood areas and landslide zones.

use std::collections::{BTreeSet, HashSet};

use geo::{BoundingRect, Contains, Geometry, Intersects, Validation};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use rstest::rstest;

use super::tests::{boundary, layer, value};
use super::*;

fn text(l: &Layer, f: &Feature, column: &str) -> String {
    value(l, f, column).as_str().unwrap_or_default().to_owned()
}

#[rstest]
#[case("chiban", 2000, 3500)]
#[case("flood", 400, 1500)]
#[case("dosha", 120, 260)]
fn feature_counts_are_in_range(#[case] id: &str, #[case] lo: usize, #[case] hi: usize) {
    let n = layer(id).features.len();
    assert!((lo..=hi).contains(&n), "{id}: {n} features");
}

#[rstest]
#[case("chiban")]
#[case("flood")]
#[case("dosha")]
fn polygons_are_valid_and_inside_the_city(#[case] id: &str) {
    let city = boundary().polygon();
    for f in &layer(id).features {
        let Geometry::Polygon(p) = &f.geometry else {
            panic!("{id} feature {} is not a polygon", f.id);
        };
        assert!(p.is_valid(), "{id} {}: {:?}", f.id, p.validation_errors());
        assert!(city.contains(p), "{id} feature {} leaves the city", f.id);
    }
}

#[test]
fn chiban_holds_no_personal_data() {
    let names: Vec<&str> = layer("chiban")
        .schema
        .fields()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["所在", "大字", "地番", "地目", "地積"]);
}

#[test]
fn every_lot_is_named_once_with_a_real_oaza() {
    let l = layer("chiban");
    // The real 大字: those the GSI shelter addresses name.
    let shelters = layer("shelters");
    let i = shelters.schema.index_of("住所").unwrap();
    let real: BTreeSet<&str> = shelters
        .features
        .iter()
        .filter_map(|f| oaza::of_address(f.property(i).as_str()?))
        .collect();
    assert!(
        real.contains("高津原") && real.contains("納富分") && real.len() >= 8,
        "{real:?}"
    );
    let mut seen = HashSet::new();
    for f in &l.features {
        let (oaza, lot, full) = (text(l, f, "大字"), text(l, f, "地番"), text(l, f, "所在"));
        assert!(real.contains(oaza.as_str()), "{oaza}");
        assert_eq!(full, format!("{oaza}{lot}"));
        let ok = lot
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
        assert!(ok, "{lot}");
        assert!(seen.insert(full.clone()), "{full} twice");
        assert!(value(l, f, "地積").as_f64().is_some_and(|a| a > 1.0));
    }
}

#[test]
fn lots_do_not_overlap() {
    let fs = &layer("chiban").features;
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = fs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let r = f.geometry.bounding_rect().unwrap();
            GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            )
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let overlaps = tree
        .intersection_candidates_with_other_tree(&tree)
        .filter(|(a, b)| a.data < b.data)
        .filter(|(a, b)| fs[a.data].geometry.intersects(&fs[b.data].geometry))
        .count();
    assert_eq!(overlaps, 0);
}

#[test]
fn the_pinned_lot_covers_its_point_and_floods_half_a_metre_to_three() {
    let l = layer("chiban");
    let p = geo::Point::new(chiban::DEMO_POINT.0, chiban::DEMO_POINT.1);
    let here: Vec<&Feature> = l
        .features
        .iter()
        .filter(|f| f.geometry.contains(&p))
        .collect();
    assert_eq!(here.len(), 1);
    assert_eq!(text(l, here[0], "所在"), "高津原1248-2");
    let flood = layer("flood");
    let depths: Vec<String> = flood
        .features
        .iter()
        .filter(|f| f.geometry.contains(&p))
        .map(|f| text(flood, f, "浸水深"))
        .collect();
    assert_eq!(depths, ["0.5〜3m"]);
}

#[test]
fn flood_cells_use_the_national_classes_and_ranks() {
    let l = layer("flood");
    let mut classes = BTreeSet::new();
    for f in &l.features {
        let class = text(l, f, "浸水深");
        let rank = value(l, f, "浸水深ランク").as_f64().unwrap() as usize;
        assert_eq!(flood::CLASSES[rank - 1], class);
        assert!(["鹿島川", "中川", "浜川", "塩田川"].contains(&text(l, f, "河川名").as_str()));
        assert_eq!(text(l, f, "想定"), "想定最大規模");
        classes.insert(rank);
    }
    assert!(classes.len() >= 3, "{classes:?}");
}

#[test]
fn flood_lies_on_low_land_and_landslide_zones_on_slopes() {
    // The shrine's hill and the western hills do not flood; the coast at 新籠 does.
    let flood = layer("flood");
    let floods = |lon: f64, lat: f64| {
        let p = geo::Point::new(lon, lat);
        flood.features.iter().any(|f| f.geometry.contains(&p))
    };
    assert!(floods(130.1250, 33.1080));
    assert!(!floods(130.0600, 33.0600));
    // Every landslide zone is off the deeper flood plain (it may touch its shallow edge).
    let dosha = layer("dosha");
    for z in &dosha.features {
        let deep = flood.features.iter().any(|f| {
            value(flood, f, "浸水深ランク").as_f64() >= Some(3.0)
                && f.geometry.intersects(&z.geometry)
        });
        assert!(!deep, "dosha {} on the flood plain", z.id);
    }
}

#[test]
fn each_special_zone_lies_in_its_warning_zone() {
    let l = layer("dosha");
    let mut kinds = BTreeSet::new();
    for f in &l.features {
        let class = text(l, f, "区域区分");
        kinds.insert(text(l, f, "現象の種類"));
        assert!([dosha::WARNING, dosha::SPECIAL].contains(&class.as_str()));
        if class == dosha::SPECIAL {
            let number = text(l, f, "区域番号");
            let warning = l
                .features
                .iter()
                .find(|w| {
                    text(l, w, "区域番号") == number && text(l, w, "区域区分") == dosha::WARNING
                })
                .unwrap();
            assert!(warning.geometry.contains(&f.geometry), "{number}");
        }
    }
    let all: BTreeSet<String> = dosha::KINDS.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(kinds, all);
}

#[test]
fn the_shrine_slope_is_a_steep_slope_zone() {
    let l = layer("dosha");
    let p = geo::Point::new(dosha::DEMO_POINT.0, dosha::DEMO_POINT.1);
    let here: Vec<String> = l
        .features
        .iter()
        .filter(|f| f.geometry.contains(&p))
        .map(|f| text(l, f, "現象の種類"))
        .collect();
    assert!(
        !here.is_empty() && here.iter().all(|k| k == "急傾斜地の崩壊"),
        "{here:?}"
    );
}
