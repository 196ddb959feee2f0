//! `pipes`: generated water mains (管路) laid along the generated roads.
//!
//! Most road segments carry a pipe, offset 1.5–4 m to one side of the centre line; long
//! segments carry two. Diameter follows the road's class, material follows the year the
//! pipe was laid (cast iron and steel before 1975, ductile iron and PVC after, polyethylene
//! from 2000), and cover depth grows with diameter.

use geo::{Coord, Geodesic, Geometry, Length};

use super::boundary::Boundary;
use super::geom::{length, offset};
use super::rng::Rng;
use super::roads::{Kind, Network};
use super::{Layer, round, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

const STREAM: u64 = 30;

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("管路番号", FieldType::String),
        ("管種", FieldType::String),
        ("口径", FieldType::Int),
        ("布設年度", FieldType::Int),
        ("土被り", FieldType::Float),
        ("用途", FieldType::String),
        ("延長", FieldType::Float),
    ])
}

pub(crate) fn build(b: &Boundary, net: &Network, seed: u64) -> Layer {
    let mut features = Vec::new();
    for (i, seg) in net.segments.iter().enumerate() {
        let mut rng = Rng::derive(seed, STREAM, i as u64);
        let kind = net.kind(seg);
        let rural = net.routes[seg.route].rural;
        if !rng.chance(share(kind, rural)) {
            continue;
        }
        let d = rng.range(1.5, 4.0) * if rng.chance(0.5) { 1.0 } else { -1.0 };
        let line = offset(&seg.pts, d);
        for piece in split(&line) {
            if !b.holds_polyline(&piece, 0.5) {
                continue;
            }
            let lonlat = b.line_lonlat(&piece);
            let id = features.len() as u64 + 1;
            let props = attributes(&mut rng, kind, rural, id, Geodesic.length(&lonlat));
            features.push(Feature::new(id, Geometry::LineString(lonlat), props));
        }
    }
    Layer {
        id: "pipes",
        schema: layer_schema(),
        features,
    }
}

/// The share of a road class's segments that carry a main.
fn share(kind: Kind, rural: bool) -> f64 {
    match (kind, rural) {
        (Kind::National | Kind::Prefectural, _) | (Kind::Municipal, false) => 0.92,
        (Kind::Municipal, true) => 0.7,
        (Kind::Designated, _) => 0.75,
        (Kind::Article42, _) => 0.6,
    }
}

/// Pipes are shorter than roads: split lines over 220 m at their middle vertex.
fn split(line: &[Coord]) -> Vec<Vec<Coord>> {
    if line.len() >= 3 && length(line) > 220.0 {
        let mid = line.len() / 2;
        vec![line[..=mid].to_vec(), line[mid..].to_vec()]
    } else {
        vec![line.to_vec()]
    }
}

fn attributes(rng: &mut Rng, kind: Kind, rural: bool, id: u64, metres: f64) -> Box<[Value]> {
    let diameter = rng.pick(match (kind, rural) {
        (Kind::National, _) => &[200, 250, 300][..],
        (Kind::Prefectural, _) => &[150, 200, 250],
        (Kind::Municipal, false) => &[75, 100, 100, 150],
        (Kind::Municipal, true) => &[50, 75, 100],
        (Kind::Designated | Kind::Article42, _) => &[50, 75],
    });
    let year = match kind {
        Kind::Article42 => rng.int(1965, 2010),
        Kind::Municipal if rural => rng.int(1975, 2024),
        _ => rng.int(1965, 2024),
    };
    let material = material(rng, year, diameter);
    let usage = match diameter {
        250.. if rng.chance(0.5) => "送水管",
        200.. => "配水本管",
        150 if kind == Kind::Prefectural => "配水本管",
        _ => "配水支管",
    };
    let cover = (0.6 + diameter as f64 / 300.0 * 0.5 + rng.range(0.0, 0.4)).min(1.5);
    vec![
        s(format!("W{id:05}")),
        s(material),
        Value::Int(diameter),
        Value::Int(year),
        Value::Float(round(cover, 1)),
        s(usage),
        Value::Float(round(metres, 1)),
    ]
    .into()
}

/// Pipe material by the year it was laid; large mains stay metal.
fn material(rng: &mut Rng, year: i64, diameter: i64) -> &'static str {
    match (year, diameter) {
        (..1975, _) => rng.weighted(&[("鋳鉄管", 0.6), ("鋼管", 0.4)]),
        (_, 250..) => rng.weighted(&[("ダクタイル鋳鉄管", 0.8), ("鋼管", 0.2)]),
        (..2000, _) => rng.weighted(&[("ダクタイル鋳鉄管", 0.55), ("硬質塩化ビニル管", 0.45)]),
        _ => rng.weighted(&[
            ("ダクタイル鋳鉄管", 0.35),
            ("配水用ポリエチレン管", 0.5),
            ("硬質塩化ビニル管", 0.15),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(1968, 100, &["鋳鉄管", "鋼管"])]
    #[case(1990, 300, &["ダクタイル鋳鉄管", "鋼管"])]
    #[case(1990, 100, &["ダクタイル鋳鉄管", "硬質塩化ビニル管"])]
    #[case(2015, 75, &["ダクタイル鋳鉄管", "配水用ポリエチレン管", "硬質塩化ビニル管"])]
    fn material_fits_the_year(#[case] year: i64, #[case] d: i64, #[case] allowed: &[&str]) {
        let mut rng = Rng::new(1);
        for _ in 0..50 {
            assert!(allowed.contains(&material(&mut rng, year, d)));
        }
    }
}
