//! `parcels`: the benchmark layer of `kashimap generate --large N`.
//!
//! A quadtree over the city: a square is split while it is larger than the target size
//! at its centre, and the target shrinks with settlement density, so squares are smaller
//! near the town centres. Each leaf square wholly inside the boundary holds at most one
//! parcel, a star-shaped polygon strictly inside the square, so parcels never overlap
//! and never leave the city. The scale is found by bisection until there are at least N
//! leaves, then exactly N are kept, spread evenly along the quadtree order.
//!
//! The leaves are walked twice per trial and once to write, never stored: memory stays
//! flat however many parcels are asked for. Kashima has 112 km², so a million parcels
//! leave about 110 m² each: at that count squares are 8–16 m and parcels 5–15 m across;
//! at 100,000 they are 20–45 m.

use geo::{Coord, Geometry, coord};

use super::boundary::Boundary;
use super::geom::{area, closed, star};
use super::places::{Centre, Oaza, centres, density};
use super::rng::Rng;
use super::{GenError, round, s};
use crate::model::{Feature, FieldType, Schema, Value};

/// The default seed for `kashimap generate --large`.
pub const LARGE_SEED: u64 = 0x5041_5243_454C_5331; // "PARCELS1"

const STREAM: u64 = 50;
/// No square is split below this side, in metres.
const MIN_SIDE: f64 = 4.0;

/// The layer file written next to the data; `source` is relative to the output directory.
pub(crate) const LAYER_TOML: &str = r#"# Benchmark layer written by `kashimap generate --large N --out DIR`.
# GENERATED SAMPLE DATA, NOT OFFICIAL DATA of 鹿島市. Load it with DIR as the data root.
id = "parcels"
title = { ja = "筆（ベンチマーク用生成データ）", en = "Parcels (generated benchmark data)" }
description = { ja = "負荷試験用に生成した架空の筆ポリゴンです。公式の地図・登記情報ではありません。", en = "Fictional parcel polygons generated for load tests; not official cadastral data." }
department = "税務課"
source = "parcels.fgb"
geometry = "Polygon"
zoom = { min = 12, max = 20 }
attribution = "鹿島市サンプルデータ（生成データ・公式データではありません）"
sample = true
searchable = ["地番"]
label = "地番"

[fields."地番"]
en = "Lot number"

[fields."大字"]
en = "District (ōaza)"

[fields."地目"]
en = "Land category"

[fields."地積"]
en = "Area"
unit = "m²"

[access]
view = "public"
upload = ["zeimu"]
approve = ["zeimu"]
"#;

pub(crate) fn schema() -> Schema {
    super::schema(&[
        ("地番", FieldType::String),
        ("大字", FieldType::String),
        ("地目", FieldType::String),
        ("地積", FieldType::Float),
    ])
}

/// A quadtree square: lower-left corner, side, and whether it is known to be inside.
#[derive(Debug, Clone, Copy)]
struct Square {
    x: f64,
    y: f64,
    side: f64,
    inside: bool,
}

impl Square {
    fn centre(self) -> Coord {
        coord! { x: self.x + self.side / 2.0, y: self.y + self.side / 2.0 }
    }
}

/// The leaf squares wholly inside the boundary, in quadtree (Z) order, at scale `k`.
struct Leaves<'a> {
    b: &'a Boundary,
    centres: &'a [(Coord, &'static Centre)],
    k: f64,
    stack: Vec<Square>,
}

impl<'a> Leaves<'a> {
    fn new(b: &'a Boundary, centres: &'a [(Coord, &'static Centre)], k: f64) -> Self {
        let (lo, hi) = b.bounds();
        let side = (hi.x - lo.x).max(hi.y - lo.y);
        let root = Square {
            x: lo.x,
            y: lo.y,
            side,
            inside: false,
        };
        Self {
            b,
            centres,
            k,
            stack: vec![root],
        }
    }
}

impl Iterator for Leaves<'_> {
    type Item = Square;

    fn next(&mut self) -> Option<Square> {
        while let Some(mut sq) = self.stack.pop() {
            let c = sq.centre();
            if !sq.inside {
                let clear = self.b.edge_distance(c) > sq.side * std::f64::consts::FRAC_1_SQRT_2;
                match (clear, self.b.contains(c)) {
                    (true, true) => sq.inside = true,
                    (true, false) => continue,
                    (false, _) => {}
                }
            }
            let target = self.k / density(self.centres, c).sqrt();
            if sq.side <= target || sq.side / 2.0 < MIN_SIDE {
                if sq.inside {
                    return Some(sq);
                }
                continue;
            }
            let h = sq.side / 2.0;
            for (dx, dy) in [(1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (0.0, 0.0)] {
                self.stack.push(Square {
                    x: sq.x + dx * h,
                    y: sq.y + dy * h,
                    side: h,
                    inside: sq.inside,
                });
            }
        }
        None
    }
}

/// The chosen scale and how many leaves it gives.
pub(crate) struct Plan {
    b: Boundary,
    centres: Vec<(Coord, &'static Centre)>,
    k: f64,
    leaves: usize,
    count: usize,
    seed: u64,
}

impl Plan {
    /// Finds the largest scale giving at least `count` leaves (within 30 %).
    pub(crate) fn new(b: &Boundary, count: usize, seed: u64) -> Result<Self, GenError> {
        let centres = centres(b);
        let n = |k: f64| Leaves::new(b, &centres, k).count();
        let (lo, hi) = b.bounds();
        // Start above the mean spacing; shrink until there are enough leaves.
        let mut big = ((hi.x - lo.x) * (hi.y - lo.y) / count.max(1) as f64).sqrt() * 4.0;
        let mut small = big;
        let mut got = n(small);
        while got < count {
            if small < MIN_SIDE {
                return Err(GenError::TooMany { count, max: got });
            }
            big = small;
            small *= 0.6;
            got = n(small);
        }
        for _ in 0..40 {
            if got <= count + count * 3 / 10 || big / small < 1.0001 {
                break;
            }
            let mid = (small * big).sqrt();
            let m = n(mid);
            if m >= count {
                (small, got) = (mid, m);
            } else {
                big = mid;
            }
        }
        Ok(Self {
            b: b.clone(),
            centres,
            k: small,
            leaves: got,
            count,
            seed,
        })
    }

    /// The parcels, made one at a time as the writer asks for them.
    pub(crate) fn features(&self) -> impl Iterator<Item = Feature> + '_ {
        let oaza = Oaza::new(&self.b);
        let mut numbers = vec![0u32; oaza.len()];
        self.squares()
            .enumerate()
            .map(move |(id, (i, sq))| self.parcel(id as u64 + 1, i as u64, sq, &oaza, &mut numbers))
    }

    /// The chosen leaf squares with their leaf numbers, in quadtree order.
    fn squares(&self) -> impl Iterator<Item = (usize, Square)> + '_ {
        let (count, leaves) = (self.count as u128, self.leaves as u128);
        Leaves::new(&self.b, &self.centres, self.k)
            .enumerate()
            .filter(move |&(i, _)| (i as u128 + 1) * count / leaves > i as u128 * count / leaves)
    }

    /// Every leaf square (at least the count asked for, so they tile the city without the
    /// gaps of [`Self::features`]) as (lower-left corner, side) in local metres, in
    /// quadtree order: the 字図 sample divides them into lots.
    pub(crate) fn cells(&self) -> impl Iterator<Item = (Coord, f64)> + '_ {
        Leaves::new(&self.b, &self.centres, self.k).map(|sq| (coord! { x: sq.x, y: sq.y }, sq.side))
    }

    fn parcel(&self, id: u64, leaf: u64, sq: Square, oaza: &Oaza, numbers: &mut [u32]) -> Feature {
        let mut rng = Rng::derive(self.seed, STREAM, leaf);
        let c = sq.centre();
        let half = sq.side / 2.0 - (0.04 * sq.side).max(0.2);
        let n = rng.int(5, 12) as usize;
        let ring = star(&mut rng, c, n, |a, rng| {
            rng.range(0.6, 1.0) * half / a.cos().abs().max(a.sin().abs())
        });
        let m2 = area(&ring);
        let (o, name) = oaza.nearest(c);
        numbers[o] += 1;
        let (main, sub) = (numbers[o] / 4 + 1, numbers[o] % 4);
        let lot = if sub == 0 {
            format!("{name}{main}")
        } else {
            format!("{name}{main}-{sub}")
        };
        let use_ = land_use(&mut rng, density(&self.centres, c), c);
        let props = vec![s(lot), s(name), s(use_), Value::Float(round(m2, 2))];
        let geometry = Geometry::Polygon(self.b.polygon_lonlat(&closed(ring)));
        Feature::new(id, geometry, props.into())
    }
}

/// 地目: houses in town, paddy and fields on the plain, forest in the western hills.
fn land_use(rng: &mut Rng, density: f64, c: Coord) -> &'static str {
    if density > 2.0 {
        rng.weighted(&[("宅地", 0.75), ("雑種地", 0.1), ("田", 0.1), ("畑", 0.05)])
    } else if c.x < -1500.0 || c.y < -4000.0 {
        rng.weighted(&[("山林", 0.6), ("畑", 0.2), ("田", 0.15), ("宅地", 0.05)])
    } else {
        rng.weighted(&[
            ("田", 0.45),
            ("畑", 0.2),
            ("宅地", 0.25),
            ("山林", 0.05),
            ("雑種地", 0.05),
        ])
    }
}
