//! Tests of the written files: the benchmark layer, and the layer files against the data.

use std::path::Path;

use geo::{BoundingRect, Contains, Geometry, Intersects, Validation};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};

use super::tests::{boundary, repo, source_dir};
use super::*;
use crate::catalog::{Catalog, check_schema};
use crate::fgb;

fn read(path: &Path) -> (Schema, Vec<Feature>) {
    fgb::read(File::open(path).unwrap()).unwrap()
}

#[test]
fn layer_files_load_and_name_only_attributes_in_their_data() {
    let catalog = Catalog::load(&repo().join("layers"), &repo()).unwrap();
    let ids: Vec<&str> = catalog.layers().iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "chiban",
            "dosha",
            "farmland",
            "flood",
            "heritage",
            "landmarks",
            "leaks",
            "pipes",
            "roads",
            "shelters",
            "zoning"
        ]
    );
    for def in catalog.layers() {
        let (schema, features) = read(def.source.as_ref().unwrap());
        check_schema(def, &schema).unwrap();
        assert!(
            features.iter().all(|f| def.geometry.accepts(&f.geometry)),
            "{}",
            def.id
        );
        assert_eq!(def.sample, def.id != "shelters", "{}", def.id);
    }
}

/// A small benchmark layer, written once for the tests below.
fn parcels() -> &'static (tempfile::TempDir, Summary) {
    static P: std::sync::OnceLock<(tempfile::TempDir, Summary)> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let summary = large(&source_dir().join(BOUNDARY_FILE), dir.path(), 20_000, 7).unwrap();
        (dir, summary)
    })
}

#[test]
fn large_writes_exactly_the_count_asked_for_with_a_usable_layer_file() {
    let (dir, summary) = parcels();
    assert_eq!(summary.layers[0].features, 20_000);
    let (schema, features) = read(&dir.path().join("parcels.fgb"));
    assert_eq!(features.len(), 20_000);
    let catalog = Catalog::load(&dir.path().join("layers"), dir.path()).unwrap();
    check_schema(&catalog.layers()[0], &schema).unwrap();
}

#[test]
fn parcels_are_valid_small_polygons_inside_the_city() {
    let city = boundary().polygon();
    let (_, features) = read(&parcels().0.path().join("parcels.fgb"));
    for f in &features {
        let Geometry::Polygon(p) = &f.geometry else {
            panic!("{} is not a polygon", f.id)
        };
        let n = p.exterior().0.len() - 1;
        assert!(
            (5..=12).contains(&n) && p.is_valid(),
            "{}: {n} vertices",
            f.id
        );
        assert!(city.contains(p), "{} leaves the city", f.id);
    }
}

#[test]
fn parcels_do_not_overlap() {
    let (_, features) = read(&parcels().0.path().join("parcels.fgb"));
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let r = f.geometry.bounding_rect().unwrap();
            GeomWithData::new(Rectangle::from_corners(r.min().into(), r.max().into()), i)
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    for b in &boxes {
        for other in tree.locate_in_envelope_intersecting(&b.geom().envelope()) {
            if other.data != b.data {
                let (x, y) = (&features[b.data].geometry, &features[other.data].geometry);
                assert!(!x.intersects(y), "{} and {}", b.data, other.data);
            }
        }
    }
}

#[test]
fn parcels_are_denser_near_the_station() {
    let b = boundary();
    let (schema, features) = read(&parcels().0.path().join("parcels.fgb"));
    let area = schema.index_of("地積").unwrap();
    let station = b.at(130.0987, 33.1031);
    let mean = |near: bool| {
        let v: Vec<f64> = features
            .iter()
            .filter(|f| {
                let Geometry::Polygon(p) = &f.geometry else {
                    return false;
                };
                let d = boundary::dist(b.to_local(p.exterior().0[0]), station);
                if near { d < 600.0 } else { d > 5000.0 }
            })
            .filter_map(|f| f.property(area).as_f64())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(
        mean(true) * 2.0 < mean(false),
        "{} vs {}",
        mean(true),
        mean(false)
    );
}

#[test]
fn large_is_deterministic() {
    let again = tempfile::tempdir().unwrap();
    large(&source_dir().join(BOUNDARY_FILE), again.path(), 20_000, 7).unwrap();
    let a = std::fs::read(parcels().0.path().join("parcels.fgb")).unwrap();
    let b = std::fs::read(again.path().join("parcels.fgb")).unwrap();
    assert!(a == b);
}

#[test]
fn too_many_parcels_for_the_area_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny.geojson");
    std::fs::write(
        &tiny,
        r#"{"type":"Polygon","coordinates":[[[130.1,33.07],[130.101,33.07],[130.101,33.071],[130.1,33.071],[130.1,33.07]]]}"#,
    )
    .unwrap();
    let e = large(&tiny, dir.path(), 10_000, 1).unwrap_err();
    assert!(matches!(e, GenError::TooMany { count: 10_000, .. }), "{e}");
}

/// `cargo test --lib measure_million -- --ignored --nocapture` (ideally optimised).
#[test]
#[ignore = "measurement: writes a million parcels (about 275 MB)"]
fn measure_million() {
    let out = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let s = large(
        &source_dir().join(BOUNDARY_FILE),
        out.path(),
        1_000_000,
        LARGE_SEED,
    )
    .unwrap();
    eprintln!("{s}in {:?}", t.elapsed());
}
