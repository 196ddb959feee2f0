//! Tile pipeline benchmarks on deterministic synthetic data (not real data): 200 000 small
//! parcels (5–12 vertices, 10–40 m, non-overlapping grid slots, denser around lon 130.10,
//! lat 33.10) and 40 000 road-like lines, from a seeded PRNG.
//!
//! `cargo bench --bench tiles -- --quick`

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Coord, Geometry, LineString, Polygon};
use kashimap::access::{Principal, decide};
use kashimap::catalog::LayerDef;
use kashimap::layer::LayerVersion;
use kashimap::model::{Feature, Field, FieldType, Schema, Value, VersionInfo};
use kashimap::tile::{Overviews, RenderOptions, TileCoord, TileLayerInput, render, stages};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CENTRE: (f64, f64) = (130.10, 33.10);
const M_PER_DEG_LON: f64 = 93_400.0;
const M_PER_DEG_LAT: f64 = 110_900.0;

fn def(geometry: &str) -> Arc<LayerDef> {
    let text = format!(
        "id = \"bench\"\ntitle = {{ ja = \"ベンチ\", en = \"Bench\" }}\ndepartment = \"x\"\n\
         source = \"Cargo.toml\"\ngeometry = \"{geometry}\"\nattribution = \"synthetic\"\n\
         zoom = {{ min = 0, max = 16 }}\n[access]\nview = \"public\"\n"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Arc::new(LayerDef::from_toml(&text, Path::new("bench.toml"), root).expect("bench layer def"))
}

fn version(
    def: Arc<LayerDef>,
    fields: &[(&str, FieldType)],
    features: Vec<Feature>,
) -> Arc<LayerVersion> {
    let info = VersionInfo {
        version: 1,
        created: "2026-01-01T00:00:00Z".into(),
        feature_count: features.len(),
        source_sha256: String::new(),
        source_name: "synthetic".into(),
        created_by: "bench".into(),
    };
    let schema = Schema::new(
        fields
            .iter()
            .map(|(n, ty)| Field {
                name: (*n).into(),
                ty: *ty,
            })
            .collect(),
    );
    Arc::new(LayerVersion::new(def, info, schema, features))
}

fn to_ll(x: f64, y: f64) -> Coord<f64> {
    Coord {
        x: CENTRE.0 + x / M_PER_DEG_LON,
        y: CENTRE.1 + y / M_PER_DEG_LAT,
    }
}

/// One irregular parcel inside the square slot at (cx, cy) metres of side `s`.
fn parcel(rng: &mut StdRng, cx: f64, cy: f64, s: f64) -> Polygon<f64> {
    let (w, h) = (
        s * rng.random_range(0.6..0.9),
        s * rng.random_range(0.6..0.9),
    );
    let k = rng.random_range(5..=12usize);
    let theta: f64 = rng.random_range(-0.2..0.2);
    let (c, sn) = (theta.cos(), theta.sin());
    let mut pts: Vec<Coord<f64>> = (0..k)
        .map(|j| {
            // Walk the rectangle's perimeter counter-clockwise with jitter.
            let t = (j as f64 + rng.random_range(0.0..0.6)) / k as f64 * 4.0;
            let (u, v) = match t as u32 {
                0 => (t - 0.5, -0.5),
                1 => (0.5, t - 1.5),
                2 => (2.5 - t, 0.5),
                _ => (-0.5, 3.5 - t),
            };
            let (px, py) = (u * w, v * h);
            to_ll(cx + px * c - py * sn, cy + px * sn + py * c)
        })
        .collect();
    pts.push(pts[0]);
    Polygon::new(LineString::new(pts), vec![])
}

fn parcels(n: usize) -> Arc<LayerVersion> {
    let mut rng = StdRng::seed_from_u64(20_240_401);
    let cell = 40.0;
    let half = 400; // slots per side of the centre: ±16 km
    let mut feats = Vec::with_capacity(n);
    let landuse = ["田", "畑", "宅地", "山林", "雑種地"];
    'outer: for j in -half..half {
        for i in -half..half {
            let (x, y) = (f64::from(i) * cell, f64::from(j) * cell);
            let d2 = x * x + y * y;
            let p = 0.3 + 0.7 * (-d2 / (2.0 * 2500.0f64.powi(2))).exp();
            if rng.random::<f64>() > p {
                continue;
            }
            let slots: &[(f64, f64, f64)] = if p > 0.6 {
                &[
                    (-10.0, -10.0, 20.0),
                    (10.0, -10.0, 20.0),
                    (-10.0, 10.0, 20.0),
                    (10.0, 10.0, 20.0),
                ]
            } else {
                &[(0.0, 0.0, 40.0)]
            };
            for &(dx, dy, s) in slots {
                let poly = parcel(&mut rng, x + dx, y + dy, s);
                let id = feats.len() as u64 + 1;
                let props: Box<[Value]> = Box::new([
                    Value::String(format!("大字高津原{id}").into()),
                    Value::Float((s * s * 0.6 * 100.0).round() / 100.0),
                    Value::String(landuse[rng.random_range(0..landuse.len())].into()),
                    Value::String("個人".into()),
                ]);
                feats.push(Feature::new(id, Geometry::Polygon(poly), props));
                if feats.len() == n {
                    break 'outer;
                }
            }
        }
    }
    let fields = [
        ("chiban", FieldType::String),
        ("area_m2", FieldType::Float),
        ("landuse", FieldType::String),
        ("owner_class", FieldType::String),
    ];
    version(def("Polygon"), &fields, feats)
}

fn roads(n: usize) -> Arc<LayerVersion> {
    let mut rng = StdRng::seed_from_u64(20_240_402);
    let feats = (0..n)
        .map(|i| {
            let (mut x, mut y) = (
                rng.random_range(-9000.0..9000.0),
                rng.random_range(-9000.0..9000.0),
            );
            let mut heading: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            let k = rng.random_range(3..=30);
            let step = rng.random_range(8.0..22.0);
            let pts: Vec<Coord<f64>> = (0..k)
                .map(|_| {
                    heading += rng.random_range(-0.15..0.15);
                    x += step * heading.cos();
                    y += step * heading.sin();
                    to_ll(x, y)
                })
                .collect();
            let props: Box<[Value]> = Box::new([
                Value::String(format!("市道{i}号線").into()),
                Value::Float(rng.random_range(3.0..12.0)),
            ]);
            Feature::new(
                i as u64 + 1,
                Geometry::LineString(LineString::new(pts)),
                props,
            )
        })
        .collect();
    version(
        def("LineString"),
        &[("name", FieldType::String), ("width_m", FieldType::Float)],
        feats,
    )
}

fn centre_tile(z: u8) -> TileCoord {
    let n = f64::from(1u32 << z);
    let x = ((CENTRE.0 + 180.0) / 360.0 * n) as u32;
    let lat = CENTRE.1.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    TileCoord::new_checked(u32::from(z), x, y).expect("tile in range")
}

fn bench_layer(c: &mut Criterion, name: &str, layer: &Arc<LayerVersion>, zooms: &[u8]) {
    let t = Instant::now();
    let ov = Overviews::build(layer);
    eprintln!(
        "{name}: {} features, overviews rebuilt in {:.2?}, entries per zoom {:?}",
        layer.features.len(),
        t.elapsed(),
        ov.level_sizes()
    );
    let view = decide(&Principal::anonymous(), layer).expect("public layer");
    let input = [TileLayerInput { name, view: &view }];
    let opts = RenderOptions::default();
    for &z in zooms {
        let coord = centre_tile(z);
        let hits = stages::query(layer, coord);
        let shaped = if z >= 12 {
            stages::shape(layer, coord, &hits)
        } else {
            stages::shape(layer, coord, &[])
        };
        let bytes = render(&input, coord, &opts)
            .expect("render")
            .unwrap_or_default();
        eprintln!(
            "{name} {coord}: {} candidates, {} shaped, tile {} bytes",
            hits.len(),
            shaped.len(),
            bytes.len()
        );
        let mut g = c.benchmark_group(format!("{name}/z{z}"));
        g.sample_size(20);
        g.bench_function("query", |b| {
            b.iter(|| stages::query(layer, black_box(coord)));
        });
        g.bench_function("clip", |b| {
            b.iter(|| stages::clip(layer, black_box(coord), &hits));
        });
        g.bench_function("shape", |b| {
            b.iter(|| stages::shape(layer, black_box(coord), &hits));
        });
        g.bench_function("encode", |b| {
            b.iter(|| stages::encode(layer, &ov, black_box(&shaped)));
        });
        g.bench_function("render", |b| {
            b.iter(|| render(&input, black_box(coord), &opts));
        });
        g.finish();
    }
}

fn tiles(c: &mut Criterion) {
    let parcels = parcels(200_000);
    bench_layer(c, "parcels", &parcels, &[8, 10, 12, 13, 14, 15, 16]);
    let roads = roads(40_000);
    bench_layer(c, "roads", &roads, &[12, 14, 16]);
}

criterion_group!(benches, tiles);
criterion_main!(benches);
