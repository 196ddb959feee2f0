//! `chiban`: a generated 字図 (lot map) with 大字, 地番, 地目 and 地積. No owner and no
//! other personal data: a 字図 shows none, and the sample invents none.
//!
//! The city is cut into squares by the benchmark layer's quadtree (smaller near the town
//! centres); each square is one 本番 (main lot number), and some are divided into two or
//! three 枝番 strips (`1248-1`, `1248-2`, …). Lots tile their square without gaps and never
//! overlap. The 大字 of a lot is the nearest of the real 大字 read from the GSI addresses
//! ([`super::oaza`]); numbers count up in quadtree order within each 大字, with gaps as on
//! a real 字図 where lots were merged.
//!
//! One lot is pinned so the documentation and tests can name it: 高津原1248-2, beside
//! 市民体育館 and inside the sample flood area.

use geo::{Coord, Geometry, coord};

use super::boundary::Boundary;
use super::flood;
use super::geom::{area, closed};
use super::oaza::{self, Oaza};
use super::parcels::Plan;
use super::rng::Rng;
use super::{GenError, Layer, round, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

const STREAM: u64 = 60;
/// How many squares (本番) the sample has.
const SQUARES: usize = 1400;

/// The pinned lot: a point it covers, its 大字 and its 地番.
pub(crate) const DEMO_POINT: (f64, f64) = (130.0950, 33.1015);
pub(crate) const DEMO_OAZA: &str = "高津原";
pub(crate) const DEMO_MAIN: u32 = 1248;

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("所在", FieldType::String),
        ("大字", FieldType::String),
        ("地番", FieldType::String),
        ("地目", FieldType::String),
        ("地積", FieldType::Float),
    ])
}

pub(crate) fn build(b: &Boundary, oaza: &[Oaza], seed: u64) -> Result<Layer, GenError> {
    let plan = Plan::new(b, SQUARES, seed)?;
    let flood = flood::Model::new(b);
    let demo = b.at(DEMO_POINT.0, DEMO_POINT.1);
    let mut counters = vec![0u32; oaza.len()];
    let mut features = Vec::new();
    for (i, (corner, side)) in plan.cells().enumerate() {
        let mut rng = Rng::derive(seed, STREAM, i as u64);
        let centre = corner + coord! { x: side / 2.0, y: side / 2.0 };
        let is_demo = (corner.x..corner.x + side).contains(&demo.x)
            && (corner.y..corner.y + side).contains(&demo.y);
        let o = if is_demo {
            oaza.iter().position(|o| o.name == DEMO_OAZA).unwrap_or(0)
        } else {
            oaza::nearest(oaza, centre)
        };
        let c = counters[o];
        counters[o] += 1;
        // Mains are 4c+1 ..= 4c+3, never a multiple of four, so the pinned 1248 is unique.
        let (main, strips) = if is_demo {
            (DEMO_MAIN, 3)
        } else {
            let strips = rng.weighted(&[(1usize, 0.55), (2, 0.3), (3, 0.15)]);
            (4 * c + 1 + rng.int(0, 2) as u32, strips)
        };
        let wet = flood.class_at(centre).is_some();
        let use_ = land_use(&mut rng, side, wet);
        let vertical = rng.chance(0.5);
        for k in 0..strips {
            let ring = strip(corner, side, strips, k, vertical);
            let lot = if strips == 1 {
                main.to_string()
            } else {
                format!("{main}-{}", k + 1)
            };
            let name = &oaza[o].name;
            let props = vec![
                s(format!("{name}{lot}")),
                s(name.as_str()),
                s(lot),
                s(use_),
                Value::Float(round(area(&ring), 2)),
            ];
            let geometry = Geometry::Polygon(b.polygon_lonlat(&closed(ring)));
            features.push(Feature::new(
                features.len() as u64 + 1,
                geometry,
                props.into(),
            ));
        }
    }
    Ok(Layer {
        id: "chiban",
        schema: layer_schema(),
        features,
    })
}

/// Strip `k` of `n` of the square, as an open counter-clockwise ring, inset by a
/// centimetre so that neighbours share no edge exactly.
fn strip(corner: Coord, side: f64, n: usize, k: usize, vertical: bool) -> Vec<Coord> {
    let inset = 0.01;
    let w = side / n as f64;
    let (x0, x1, y0, y1) = if vertical {
        (
            corner.x + w * k as f64,
            corner.x + w * (k + 1) as f64,
            corner.y,
            corner.y + side,
        )
    } else {
        (
            corner.x,
            corner.x + side,
            corner.y + w * k as f64,
            corner.y + w * (k + 1) as f64,
        )
    };
    vec![
        coord! { x: x0 + inset, y: y0 + inset },
        coord! { x: x1 - inset, y: y0 + inset },
        coord! { x: x1 - inset, y: y1 - inset },
        coord! { x: x0 + inset, y: y1 - inset },
    ]
}

/// 地目: small squares are town lots, large ones paddy, fields and forest; the flood plain
/// is mostly paddy.
fn land_use(rng: &mut Rng, side: f64, wet: bool) -> &'static str {
    if side < 80.0 {
        rng.weighted(&[("宅地", 0.8), ("雑種地", 0.08), ("田", 0.08), ("畑", 0.04)])
    } else if wet {
        rng.weighted(&[("田", 0.7), ("畑", 0.1), ("宅地", 0.15), ("雑種地", 0.05)])
    } else {
        rng.weighted(&[("山林", 0.45), ("畑", 0.25), ("田", 0.2), ("宅地", 0.1)])
    }
}
