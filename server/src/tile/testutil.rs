//! Test layers: definitions, seeded synthetic features, views and decoding helpers.

use std::path::Path;
use std::sync::Arc;

use geo::{Coord, Geometry, LineString, Point, Polygon};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{DecodedGeometry, DecodedTile, RenderOptions, TileCoord, TileLayerInput};
use crate::access::{LayerView, Principal, decide};
use crate::catalog::LayerDef;
use crate::layer::LayerVersion;
use crate::model::{Feature, Field, FieldType, Schema, Value, VersionInfo};

/// A layer definition: `geometry` is `Point`, `LineString` or `Polygon`; `extra` is more TOML
/// for the top level (before `[access]`).
pub(crate) fn def(geometry: &str, extra: &str) -> Arc<LayerDef> {
    def_text(geometry, extra, "")
}

/// A layer whose public audience sees only rows matching the CQL2 text `rows`.
pub(crate) fn def_with_rows(geometry: &str, rows: &str) -> Arc<LayerDef> {
    def_text(
        geometry,
        "",
        &format!("[access.rows]\npublic = \"{rows}\"\n"),
    )
}

fn def_text(geometry: &str, extra: &str, access: &str) -> Arc<LayerDef> {
    let text = format!(
        r#"
id = "t"
title = {{ ja = "テスト", en = "Test" }}
department = "総務課"
source = "Cargo.toml"
geometry = "{geometry}"
attribution = "test"
{extra}
[access]
view = "public"
[access.attributes]
public = ["name", "kind"]
staff = "*"
{access}"#
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Arc::new(LayerDef::from_toml(&text, Path::new("layers/t.toml"), root).unwrap())
}

pub(crate) fn schema() -> Schema {
    let f = |name: &str, ty| Field {
        name: name.into(),
        ty,
    };
    Schema::new(vec![
        f("name", FieldType::String),
        f("kind", FieldType::Int),
        f("secret", FieldType::String),
        f("ratio", FieldType::Float),
        f("open", FieldType::Bool),
    ])
}

pub(crate) fn props(i: u64) -> Box<[Value]> {
    Box::new([
        Value::String(format!("筆{i}").into()),
        Value::Int((i % 5) as i64 - 2),
        Value::String(format!("secret-{i}").into()),
        if i.is_multiple_of(3) {
            Value::Null
        } else {
            Value::Float(i as f64 / 7.0)
        },
        Value::Bool(i.is_multiple_of(2)),
    ])
}

pub(crate) fn layer(def: Arc<LayerDef>, geoms: Vec<Geometry<f64>>) -> Arc<LayerVersion> {
    let features = geoms
        .into_iter()
        .enumerate()
        .map(|(i, g)| Feature::new(i as u64 + 1, g, props(i as u64 + 1)))
        .collect::<Vec<_>>();
    let info = VersionInfo {
        version: 1,
        created: "2026-01-01T00:00:00Z".into(),
        feature_count: features.len(),
        source_sha256: String::new(),
        source_name: "test".into(),
        created_by: "test".into(),
    };
    Arc::new(LayerVersion::new(def, info, schema(), features))
}

pub(crate) fn public_view(layer: &Arc<LayerVersion>) -> LayerView {
    decide(&Principal::anonymous(), layer).unwrap()
}

pub(crate) fn admin_view(layer: &Arc<LayerVersion>) -> LayerView {
    decide(
        &Principal::user("a", true, &["admin".into()], vec![]),
        layer,
    )
    .unwrap()
}

/// An irregular polygon of `k` vertices and radius about `r` degrees around `c`.
pub(crate) fn blob(rng: &mut StdRng, c: (f64, f64), r: f64, k: usize) -> Polygon<f64> {
    let mut pts: Vec<Coord<f64>> = (0..k)
        .map(|j| {
            let a = j as f64 / k as f64 * std::f64::consts::TAU + rng.random_range(-0.2..0.2);
            let rr = r * rng.random_range(0.5..1.0);
            Coord {
                x: c.0 + rr * a.cos(),
                y: c.1 + rr * a.sin() * 0.84,
            }
        })
        .collect();
    pts.push(pts[0]);
    Polygon::new(LineString::new(pts), vec![])
}

/// `n` small parcels (about 10–40 m) scattered around lon 130.10, lat 33.10.
pub(crate) fn parcels(n: usize, seed: u64, spread: f64) -> Vec<Geometry<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let c = (
                130.10 + rng.random_range(-spread..spread),
                33.10 + rng.random_range(-spread..spread),
            );
            let r = rng.random_range(0.00005..0.0002);
            let k = rng.random_range(4..12);
            Geometry::Polygon(blob(&mut rng, c, r, k))
        })
        .collect()
}

pub(crate) fn points(n: usize, seed: u64, spread: f64) -> Vec<Geometry<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            Geometry::Point(Point::new(
                130.10 + rng.random_range(-spread..spread),
                33.10 + rng.random_range(-spread..spread),
            ))
        })
        .collect()
}

/// `n` wiggly lines of 3–20 vertices and up to about 2 km, around lon 130.10, lat 33.10.
pub(crate) fn lines(n: usize, seed: u64, spread: f64) -> Vec<Geometry<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let mut p = (
                130.10 + rng.random_range(-spread..spread),
                33.10 + rng.random_range(-spread..spread),
            );
            let k = rng.random_range(3..20);
            let coords = (0..k)
                .map(|_| {
                    p.0 += rng.random_range(-0.001..0.001);
                    p.1 += rng.random_range(-0.001..0.001);
                    Coord { x: p.0, y: p.1 }
                })
                .collect();
            Geometry::LineString(LineString::new(coords))
        })
        .collect()
}

/// The tile at zoom `z` that contains lon 130.10, lat 33.10.
pub(crate) fn centre_tile(z: u8) -> TileCoord {
    let n = f64::from(1u32 << z);
    let x = ((130.10 + 180.0) / 360.0 * n) as u32;
    let lat = 33.10f64.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    TileCoord::new_checked(u32::from(z), x, y).unwrap()
}

/// Renders one layer and decodes the result (an empty tile decodes to no layers).
pub(crate) fn render_one(view: &LayerView, coord: TileCoord) -> DecodedTile {
    let input = TileLayerInput { name: "t", view };
    match super::render(&[input], coord, &RenderOptions::default()).unwrap() {
        Some(bytes) => super::decode(&bytes).unwrap(),
        None => DecodedTile::default(),
    }
}

/// Every polygon of a decoded tile, as rings.
pub(crate) fn polygons(tile: &DecodedTile) -> Vec<Vec<Vec<[i64; 2]>>> {
    tile.layers
        .iter()
        .flat_map(|l| &l.features)
        .filter_map(|f| match &f.geometry {
            DecodedGeometry::Polygons(p) => Some(p.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}
