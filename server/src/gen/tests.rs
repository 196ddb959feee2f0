//! Properties of the generated sample layers, checked for every feature.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use geo::{BoundingRect, Contains, Geodesic, Geometry, Intersects, Length, Validation, coord};
use rstar::primitives::Line as RLine;
use rstar::{PointDistance, RTree};
use rstest::rstest;

use super::boundary::Boundary;
use super::heritage::DEMO_POINT;
use super::*;
use crate::model::{FieldType, Value};

pub(super) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub(super) fn source_dir() -> PathBuf {
    repo().join("data/source")
}

pub(super) fn boundary() -> &'static Boundary {
    static B: OnceLock<Boundary> = OnceLock::new();
    B.get_or_init(|| Boundary::load(&source_dir().join(BOUNDARY_FILE)).unwrap())
}

pub(super) fn layers() -> &'static [Layer] {
    static L: OnceLock<Vec<Layer>> = OnceLock::new();
    L.get_or_init(|| build_samples(&source_dir(), SAMPLE_SEED).unwrap())
}

pub(super) fn layer(id: &str) -> &'static Layer {
    layers().iter().find(|l| l.id == id).unwrap()
}

pub(super) fn value<'a>(l: &Layer, f: &'a Feature, column: &str) -> &'a Value {
    f.property(l.schema.index_of(column).unwrap())
}

#[rstest]
#[case("shelters", 59, 59)]
#[case("zoning", 200, 400)]
#[case("roads", 3000, 6000)]
#[case("heritage", 150, 300)]
#[case("pipes", 3000, 5000)]
fn feature_counts_are_in_range(#[case] id: &str, #[case] lo: usize, #[case] hi: usize) {
    let n = layer(id).features.len();
    assert!((lo..=hi).contains(&n), "{id}: {n} features");
}

#[rstest]
#[case("zoning")]
#[case("roads")]
#[case("heritage")]
#[case("pipes")]
fn every_generated_feature_lies_inside_the_city(#[case] id: &str) {
    let city = boundary().polygon();
    for f in &layer(id).features {
        assert!(
            city.contains(&f.geometry),
            "{id} feature {} leaves the city",
            f.id
        );
    }
}

#[rstest]
#[case("zoning")]
#[case("heritage")]
fn polygons_are_valid_and_closed(#[case] id: &str) {
    for f in &layer(id).features {
        let Geometry::Polygon(p) = &f.geometry else {
            panic!("{id} feature {} is not a polygon", f.id);
        };
        assert!(p.is_valid(), "{id} {}: {:?}", f.id, p.validation_errors());
        assert!(p.exterior().is_closed() && p.exterior().0.len() >= 4);
    }
}

#[rstest]
#[case("roads")]
#[case("pipes")]
fn lines_are_valid(#[case] id: &str) {
    for f in &layer(id).features {
        let Geometry::LineString(l) = &f.geometry else {
            panic!("{id} feature {} is not a line", f.id);
        };
        assert!(l.is_valid() && l.0.len() >= 2, "{id} {}", f.id);
    }
}

#[rstest]
#[case("zoning")]
#[case("heritage")]
fn polygons_do_not_overlap(#[case] id: &str) {
    let fs = &layer(id).features;
    for (i, a) in fs.iter().enumerate() {
        let ra = a.geometry.bounding_rect().unwrap();
        for b in &fs[i + 1..] {
            if ra.intersects(&b.geometry.bounding_rect().unwrap()) {
                assert!(
                    !a.geometry.intersects(&b.geometry),
                    "{id} {} and {}",
                    a.id,
                    b.id
                );
            }
        }
    }
}

#[rstest]
#[case("zoning", 130.108_483, 33.074_408)]
#[case("heritage", DEMO_POINT.0, DEMO_POINT.1)]
fn demonstration_points_are_covered(#[case] id: &str, #[case] lon: f64, #[case] lat: f64) {
    let p = geo::Point::new(lon, lat);
    let hits = layer(id)
        .features
        .iter()
        .filter(|f| f.geometry.contains(&p))
        .count();
    assert_eq!(hits, 1, "{id} at {lon}, {lat}");
}

#[test]
fn values_match_their_column_types() {
    for l in layers() {
        for f in &l.features {
            assert_eq!(f.properties.len(), l.schema.len(), "{}", l.id);
            for (field, v) in l.schema.fields().iter().zip(f.properties.iter()) {
                let ok = match (field.ty, v) {
                    (_, Value::Null)
                    | (FieldType::Bool, Value::Bool(_))
                    | (FieldType::Int, Value::Int(_))
                    | (FieldType::Float, Value::Float(_))
                    | (FieldType::String, Value::String(_)) => true,
                    (FieldType::Date, Value::String(d)) => is_date(d),
                    (FieldType::Json, Value::String(j)) => {
                        serde_json::from_str::<serde_json::Value>(j).is_ok_and(|j| j.is_array())
                    }
                    _ => false,
                };
                assert!(ok, "{} {} {}: {v:?}", l.id, f.id, field.name);
            }
        }
    }
}

fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && d.split('-').all(|p| p.bytes().all(|c| c.is_ascii_digit()))
}

#[test]
fn shelters_merge_both_files_with_hazard_flags() {
    let l = layer("shelters");
    let kinds: Vec<&str> = l
        .features
        .iter()
        .map(|f| value(l, f, "種別").as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "指定緊急避難場所").count(),
        33
    );
    assert_eq!(kinds.iter().filter(|k| **k == "指定避難所").count(), 26);
    let yutoku = l
        .features
        .iter()
        .find(|f| value(l, f, "名称").as_str() == Some("祐徳稲荷神社参集殿"))
        .unwrap();
    assert_eq!(value(l, yutoku, "洪水"), &Value::Bool(true));
    assert_eq!(value(l, yutoku, "土砂災害"), &Value::Bool(true));
    assert_eq!(value(l, yutoku, "地震"), &Value::Bool(false));
    for f in l
        .features
        .iter()
        .filter(|f| value(l, f, "種別").as_str() == Some("指定避難所"))
    {
        assert_eq!(value(l, f, "津波"), &Value::Bool(false));
    }
}

#[test]
fn zoning_codes_names_and_height_limits_agree() {
    let l = layer("zoning");
    for f in &l.features {
        let code = value(l, f, "用途地域コード");
        let Value::Int(code) = *code else {
            panic!("{code:?}")
        };
        assert!((1..=12).contains(&code));
        let name = zoning::ZONE_NAMES
            .iter()
            .find(|(c, _)| *c == code)
            .unwrap()
            .1;
        assert_eq!(value(l, f, "用途地域").as_str(), Some(name));
        let height = value(l, f, "高さ制限");
        match code {
            1 | 2 => assert!(
                matches!(height, Value::Float(h) if [10.0, 12.0].iter().any(|l| (h - l).abs() < 1e-9))
            ),
            _ => assert!(height.is_null()),
        }
    }
}

#[rstest]
#[case("roads")]
#[case("pipes")]
fn length_is_the_geodesic_length(#[case] id: &str) {
    let l = layer(id);
    for f in &l.features {
        let Geometry::LineString(line) = &f.geometry else {
            unreachable!()
        };
        let Value::Float(len) = *value(l, f, "延長") else {
            panic!()
        };
        assert!(
            (len - Geodesic.length(line)).abs() <= 0.051,
            "{id} {}",
            f.id
        );
    }
}

#[test]
fn pipes_run_beside_roads() {
    let b = boundary();
    let local = |c: geo::Coord| {
        let p = b.to_local(c);
        [p.x, p.y]
    };
    let segments: Vec<RLine<[f64; 2]>> = layer("roads")
        .features
        .iter()
        .flat_map(|f| match &f.geometry {
            Geometry::LineString(l) => l
                .lines()
                .map(|s| RLine::new(local(s.start), local(s.end)))
                .collect(),
            _ => vec![],
        })
        .collect();
    let tree = RTree::bulk_load(segments);
    for f in &layer("pipes").features {
        let Geometry::LineString(l) = &f.geometry else {
            unreachable!()
        };
        let p = local(l.0[0]);
        let d = tree.nearest_neighbor(&p).unwrap().distance_2(&p).sqrt();
        assert!(d <= 4.1, "pipe {} is {d} m from the nearest road", f.id);
    }
}

#[test]
fn heritage_history_and_last_survey_agree() {
    let l = layer("heritage");
    for f in &l.features {
        let history: Vec<serde_json::Value> =
            serde_json::from_str(value(l, f, "調査履歴").as_str().unwrap()).unwrap();
        let last = history
            .iter()
            .filter(|e| e["種別"] != "届出")
            .filter_map(|e| e["日付"].as_str())
            .max();
        assert_eq!(value(l, f, "最終調査日").as_str(), last, "{}", f.id);
    }
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_does_not() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for d in &dirs {
        samples(&source_dir(), d.path()).unwrap();
    }
    for id in ["shelters", "zoning", "roads", "heritage", "pipes"] {
        let a = std::fs::read(dirs[0].path().join(format!("{id}.fgb"))).unwrap();
        let b = std::fs::read(dirs[1].path().join(format!("{id}.fgb"))).unwrap();
        assert!(a == b, "{id} differs between two runs");
    }
    let other = build_samples(&source_dir(), SAMPLE_SEED + 1).unwrap();
    assert_ne!(
        other[1].features[5].geometry,
        layer("zoning").features[5].geometry
    );
}

/// The committed `data/*.fgb` must be what the generator makes today. After changing
/// the generator, regenerate them with `KASHIMAP_BLESS=1 cargo test --lib committed_data`.
#[test]
fn committed_data_matches_the_generator() {
    let data = repo().join("data");
    if std::env::var_os("KASHIMAP_BLESS").is_some() {
        samples(&source_dir(), &data).unwrap();
    }
    let fresh = tempfile::tempdir().unwrap();
    let summary = samples(&source_dir(), fresh.path()).unwrap();
    for l in &summary.layers {
        let committed = std::fs::read(data.join(format!("{}.fgb", l.id))).unwrap();
        let made = std::fs::read(&l.path).unwrap();
        assert!(
            committed == made,
            "data/{}.fgb is stale: regenerate it",
            l.id
        );
    }
}

#[test]
fn local_frame_puts_the_station_north_of_the_shrine() {
    let b = boundary();
    let station = b.at(130.0987, 33.1031);
    let shrine = b.at(130.1085, 33.0744);
    assert!(station.y - shrine.y > 3000.0 && station.y - shrine.y < 3300.0);
    assert_eq!(
        b.to_lonlat(coord! { x: 0.0, y: 0.0 }),
        coord! { x: 130.1, y: 33.07 }
    );
}
