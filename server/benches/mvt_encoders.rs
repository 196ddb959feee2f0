//! Our MVT encoder (`tile/encode.rs`) against geozero's `MvtWriter` and the `mvt` crate, on
//! the same tiles: the densest parcels and roads tiles at z14 and z12 of the synthetic data of
//! `benches/tiles.rs`, rendered as the server renders them, read back with the test decoder,
//! and encoded again from the same tile-coordinate geometries and attributes by each encoder.
//! Every encoder's output is decoded and compared with the input before anything is timed.
//!
//! `cargo bench -p kashimap --features bench-encoders --bench mvt_encoders`

// A benchmark stops on data it was not written for, like a test.
#![allow(clippy::panic)]

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use common::{centre_tile, parcels, roads};
use criterion::{Criterion, criterion_group, criterion_main};
use geozero::mvt::{Message, MvtWriter, Tile};
use geozero::{ColumnValue, FeatureProcessor, GeomProcessor, PropertyProcessor};
use kashimap::access::{Principal, decide};
use kashimap::layer::LayerVersion;
use kashimap::model::Value;
use kashimap::tile::stages::{PlainFeature, encode_plain};
use kashimap::tile::{
    DecodedGeometry, DecodedTile, DecodedValue, EXTENT, GeomType, RenderOptions, TileLayerInput,
    decode, render,
};

const LAYER: &str = "bench";

/// One tile's layer as plain data: key names and features.
struct Input {
    label: String,
    names: Vec<String>,
    features: Vec<PlainFeature>,
    /// The rendered tile's size, for reference.
    rendered: usize,
}

fn input(label: &str, layer: &Arc<LayerVersion>, z: u8) -> Input {
    let view = decide(&Principal::anonymous(), layer).expect("public layer");
    let layers = [TileLayerInput {
        name: LAYER,
        view: &view,
    }];
    let coord = centre_tile(z);
    let bytes = render(&layers, coord, &RenderOptions::default())
        .expect("render")
        .expect("a non-empty tile");
    let tile = decode(&bytes).expect("our tile decodes");
    let decoded = &tile.layers[0];
    let mut names: Vec<String> = Vec::new();
    let mut key_of: HashMap<String, usize> = HashMap::new();
    let features = decoded
        .features
        .iter()
        .map(|f| {
            let props = f
                .properties
                .iter()
                .map(|(k, v)| {
                    let next = names.len();
                    let i = *key_of.entry(k.clone()).or_insert(next);
                    if i == next {
                        names.push(k.clone());
                    }
                    (i, value(v))
                })
                .collect();
            let (ty, parts) = plain_geometry(&f.geometry);
            PlainFeature {
                id: f.id.expect("features have ids"),
                ty,
                parts,
                props,
            }
        })
        .collect();
    Input {
        label: format!("{label}/z{z}"),
        names,
        features,
        rendered: bytes.len(),
    }
}

fn value(v: &DecodedValue) -> Value {
    match v {
        DecodedValue::String(s) => Value::String(s.as_str().into()),
        DecodedValue::Double(d) => Value::Float(*d),
        DecodedValue::Float(f) => Value::Float(f64::from(*f)),
        DecodedValue::Int(i) | DecodedValue::Sint(i) => Value::Int(*i),
        DecodedValue::Uint(u) => Value::Int(i64::try_from(*u).expect("small ints")),
        DecodedValue::Bool(b) => Value::Bool(*b),
        other => panic!("unexpected value {other:?}"),
    }
}

fn to_i32(p: [i64; 2]) -> [i32; 2] {
    p.map(|v| i32::try_from(v).expect("tile coordinates fit i32"))
}

fn plain_geometry(g: &DecodedGeometry) -> (GeomType, Vec<Vec<[i32; 2]>>) {
    match g {
        DecodedGeometry::Points(ps) => (
            GeomType::Point,
            vec![ps.iter().copied().map(to_i32).collect()],
        ),
        DecodedGeometry::Lines(ls) => (
            GeomType::LineString,
            ls.iter()
                .map(|l| l.iter().copied().map(to_i32).collect())
                .collect(),
        ),
        DecodedGeometry::Polygons(polys) => (
            GeomType::Polygon,
            polys
                .iter()
                .flatten()
                .map(|r| r.iter().copied().map(to_i32).collect())
                .collect(),
        ),
        other => panic!("unexpected geometry {other:?}"),
    }
}

/// geozero: the feature, property and geometry calls a `GeozeroDatasource` would make.
fn encode_geozero(input: &Input) -> Vec<u8> {
    let mut w = MvtWriter::new_unscaled(EXTENT).expect("extent");
    for (i, f) in input.features.iter().enumerate() {
        w.feature_begin(i as u64).expect("feature");
        w.properties_begin().expect("properties");
        for (j, (k, v)) in f.props.iter().enumerate() {
            let name = input.names[*k].as_str();
            let cv = match v {
                Value::String(s) => ColumnValue::String(s),
                Value::Float(d) => ColumnValue::Double(*d),
                Value::Int(n) => ColumnValue::Long(*n),
                Value::Bool(b) => ColumnValue::Bool(*b),
                Value::Null => continue,
            };
            w.property(j, name, &cv).expect("property");
        }
        w.properties_end().expect("properties");
        w.geometry_begin().expect("geometry");
        geozero_geometry(&mut w, f).expect("geometry");
        w.geometry_end().expect("geometry");
        w.feature_end(i as u64).expect("feature");
    }
    let mut layer = w.layer(LAYER);
    // `MvtWriter` does not take feature ids; they are set on its output.
    for (out, f) in layer.features.iter_mut().zip(&input.features) {
        out.id = Some(f.id);
    }
    Tile {
        layers: vec![layer],
    }
    .encode_to_vec()
}

fn geozero_geometry(w: &mut MvtWriter, f: &PlainFeature) -> geozero::error::Result<()> {
    let xy = |w: &mut MvtWriter, p: [i32; 2], i: usize| w.xy(f64::from(p[0]), f64::from(p[1]), i);
    match f.ty {
        GeomType::Point => {
            let pts = &f.parts[0];
            if pts.len() == 1 {
                w.point_begin(0)?;
                xy(w, pts[0], 0)?;
                w.point_end(0)
            } else {
                w.multipoint_begin(pts.len(), 0)?;
                for (i, p) in pts.iter().enumerate() {
                    xy(w, *p, i)?;
                }
                w.multipoint_end(0)
            }
        }
        GeomType::LineString => {
            let multi = f.parts.len() > 1;
            if multi {
                w.multilinestring_begin(f.parts.len(), 0)?;
            }
            for (n, part) in f.parts.iter().enumerate() {
                w.linestring_begin(!multi, part.len(), n)?;
                for (i, p) in part.iter().enumerate() {
                    xy(w, *p, i)?;
                }
                w.linestring_end(!multi, n)?;
            }
            if multi {
                w.multilinestring_end(0)?;
            }
            Ok(())
        }
        // All rings in order as one polygon: the same command stream as a multipolygon.
        // geozero wants closed rings (it drops the last point for `ClosePath`).
        _ => {
            w.polygon_begin(true, f.parts.len(), 0)?;
            for (n, ring) in f.parts.iter().enumerate() {
                w.linestring_begin(false, ring.len() + 1, n)?;
                for (i, p) in ring.iter().chain(&ring[..1]).enumerate() {
                    xy(w, *p, i)?;
                }
                w.linestring_end(false, n)?;
            }
            w.polygon_end(true, 0)
        }
    }
}

/// The `mvt` crate: its geometry encoder and its layer and feature builders.
fn encode_mvt(input: &Input) -> Vec<u8> {
    let tile_ty = |ty| match ty {
        GeomType::Point => mvt::GeomType::Point,
        GeomType::LineString => mvt::GeomType::Linestring,
        _ => mvt::GeomType::Polygon,
    };
    let mut tile = mvt::Tile::new(EXTENT);
    let mut layer = tile.create_layer(LAYER);
    for f in &input.features {
        let mut enc = mvt::GeomEncoder::new(tile_ty(f.ty));
        for part in &f.parts {
            for p in part {
                enc.add_point(f64::from(p[0]), f64::from(p[1]))
                    .expect("point");
            }
            if f.ty != GeomType::Point {
                enc.complete_geom().expect("part");
            }
        }
        let mut feature = layer.into_feature(enc.encode().expect("geometry"));
        feature.set_id(f.id);
        for (k, v) in &f.props {
            let key = input.names[*k].as_str();
            match v {
                Value::String(s) => feature.add_tag_string(key, s),
                Value::Float(d) => feature.add_tag_double(key, *d),
                Value::Int(n) if *n >= 0 => feature.add_tag_uint(key, n.unsigned_abs()),
                Value::Int(n) => feature.add_tag_sint(key, *n),
                Value::Bool(b) => feature.add_tag_bool(key, *b),
                Value::Null => {}
            }
        }
        layer = feature.into_layer();
    }
    tile.add_layer(layer).expect("layer");
    tile.to_bytes().expect("tile")
}

/// Every encoder's tile holds exactly the input: features, ids, attributes and geometry.
/// (`mvt` would drop a collinear point on an axis-parallel polygon edge or a repeated point;
/// the renderer's output has none.)
fn check(input: &Input, name: &str, tile: &DecodedTile) {
    let layer = tile.layer(LAYER).expect("the layer");
    assert_eq!(layer.features.len(), input.features.len(), "{name}");
    for (got, want) in layer.features.iter().zip(&input.features) {
        assert_eq!(got.id, Some(want.id), "{name}");
        let props: Vec<(String, Value)> = got
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), value(v)))
            .collect();
        let expect: Vec<(String, Value)> = want
            .props
            .iter()
            .map(|(k, v)| (input.names[*k].clone(), v.clone()))
            .collect();
        assert_eq!(props, expect, "{name} feature {}", want.id);
        let (ty, parts) = plain_geometry(&got.geometry);
        assert_eq!(ty, want.ty, "{name} feature {}", want.id);
        assert_eq!(parts, want.parts, "{name} feature {}", want.id);
    }
}

type Encoder = fn(&Input) -> Vec<u8>;

fn ours(input: &Input) -> Vec<u8> {
    encode_plain(LAYER, &input.names, &input.features)
}

const ENCODERS: [(&str, Encoder); 3] = [
    ("ours", ours),
    ("geozero", encode_geozero),
    ("mvt", encode_mvt),
];

fn encoders(c: &mut Criterion) {
    let parcels = parcels(200_000);
    let roads = roads(40_000);
    let inputs = [
        input("parcels", &parcels, 14),
        input("parcels", &parcels, 12),
        input("roads", &roads, 14),
        input("roads", &roads, 12),
    ];
    for input in &inputs {
        let points: usize = input
            .features
            .iter()
            .flat_map(|f| &f.parts)
            .map(Vec::len)
            .sum();
        eprintln!(
            "{}: {} features, {} points, rendered tile {} bytes",
            input.label,
            input.features.len(),
            points,
            input.rendered
        );
        let mut g = c.benchmark_group(&input.label);
        g.sample_size(10);
        for (name, encode) in ENCODERS {
            let bytes = encode(input);
            let tile = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            check(input, name, &tile);
            eprintln!("{} {name}: {} bytes", input.label, bytes.len());
            g.bench_function(name, |b| b.iter(|| encode(black_box(input))));
        }
        g.finish();
    }
}

criterion_group!(benches, encoders);
criterion_main!(benches);
