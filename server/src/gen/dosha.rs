//! `dosha`: generated 土砂災害警戒区域 and 土砂災害特別警戒区域, in the schema of the
//! national data (国土数値情報 A33: 現象の種類, 区域区分, 区域番号, 区域名, 所在地, 公示日).
//!
//! Zones lie on the slopes: away from the sea and outside the sample flood plain, more of
//! them near the settlements at the foot of the hills, where such zones are designated.
//! Shapes follow the three phenomena:
//! - 急傾斜地の崩壊: a strip along a slope (100–300 m × 40–90 m), its 特別警戒区域 the
//!   slope face (the half nearest the top);
//! - 土石流: a fan down a valley (400–900 m, widening downhill towards the sea), its
//!   特別警戒区域 the middle of the fan;
//! - 地すべり: a rounded block (150–300 m across), without a 特別警戒区域.
//!
//! Each zone (with its special zone) keeps clear of every other zone, and lies inside the
//! city. The first zone is pinned beside 祐徳稲荷神社, which stands on a steep slope.

use geo::{Coord, Geometry, coord};

use super::boundary::{Boundary, dist};
use super::flood;
use super::geom::{closed, star};
use super::oaza::{self, Oaza};
use super::places::{centres, density};
use super::rng::Rng;
use super::{Layer, s, schema};
use crate::model::{Feature, FieldType, Schema};

const STREAM: u64 = 70;
const TARGET: usize = 110;

/// The point beside 祐徳稲荷神社 that the first zone covers.
pub(crate) const DEMO_POINT: (f64, f64) = (130.1060, 33.0735);

pub(crate) const KINDS: &[&str] = &["急傾斜地の崩壊", "土石流", "地すべり"];
pub(crate) const WARNING: &str = "土砂災害警戒区域";
pub(crate) const SPECIAL: &str = "土砂災害特別警戒区域";

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("区域番号", FieldType::String),
        ("区域名", FieldType::String),
        ("現象の種類", FieldType::String),
        ("区域区分", FieldType::String),
        ("所在地", FieldType::String),
        ("公示日", FieldType::Date),
    ])
}

struct Placed {
    centre: Coord,
    reach: f64,
}

pub(crate) fn build(b: &Boundary, oaza: &[Oaza], seed: u64) -> Layer {
    let flood = flood::Model::new(b);
    let towns = centres(b);
    let coast = b.at(130.1400, 33.0950);
    let mut placed: Vec<Placed> = Vec::new();
    let mut numbers = [0usize; 3];
    let mut features = Vec::new();
    for attempt in 0..40_000u64 {
        if placed.len() >= TARGET {
            break;
        }
        let mut rng = Rng::derive(seed, STREAM, attempt);
        let demo = attempt == 0;
        let kind = if demo {
            0
        } else {
            rng.weighted(&[(0usize, 0.55), (1, 0.37), (2, 0.08)])
        };
        let centre = if demo {
            b.at(DEMO_POINT.0, DEMO_POINT.1)
        } else {
            let (lo, hi) = b.bounds();
            coord! { x: rng.range(lo.x, hi.x), y: rng.range(lo.y, hi.y) }
        };
        if !demo {
            // On a slope: not on the flood plain, not by the sea; nearer the settlements
            // more often.
            let near_sea = dist(centre, coast) < 2500.0;
            let wet = [0.0, 200.0]
                .iter()
                .any(|&r| flood.depth(centre + coord! { x: r, y: r }).is_some());
            let w = density(&towns, centre);
            if near_sea || wet || !rng.chance((0.15 * w).min(1.0)) {
                continue;
            }
        }
        // Downhill: towards the coast of the plain.
        let down = {
            let v = coast - centre;
            let len = v.x.hypot(v.y).max(1.0);
            coord! { x: v.x / len, y: v.y / len }
        };
        let (warning, special, reach) = shape(&mut rng, kind, centre, down);
        if placed
            .iter()
            .any(|p| dist(p.centre, centre) < p.reach + reach + 15.0)
        {
            continue;
        }
        let warning = closed(warning);
        let special = special.map(closed);
        if !b.holds_ring(&warning, 5.0) {
            continue;
        }
        placed.push(Placed { centre, reach });
        numbers[kind] += 1;
        let number = format!("{}-{:03}", ["急", "土", "地"][kind], numbers[kind]);
        let district = &oaza[oaza::nearest(oaza, centre)].name;
        let name = format!("{district}{}", numbers[kind]);
        let date = rng.date(2012, 2022);
        let mut push = |ring: &[Coord], class: &str| {
            let props = vec![
                s(number.as_str()),
                s(name.as_str()),
                s(KINDS[kind]),
                s(class),
                s(format!("鹿島市大字{district}")),
                s(date.as_str()),
            ];
            features.push(Feature::new(
                features.len() as u64 + 1,
                Geometry::Polygon(b.polygon_lonlat(ring)),
                props.into(),
            ));
        };
        push(&warning, WARNING);
        if let Some(special) = &special {
            push(special, SPECIAL);
        }
    }
    Layer {
        id: "dosha",
        schema: layer_schema(),
        features,
    }
}

/// The warning zone, the special zone inside it (if any) and the radius both stay within.
fn shape(
    rng: &mut Rng,
    kind: usize,
    centre: Coord,
    down: Coord,
) -> (Vec<Coord>, Option<Vec<Coord>>, f64) {
    // Across the slope.
    let across = coord! { x: -down.y, y: down.x };
    let at = |along: f64, side: f64| centre + across * along + down * side;
    match kind {
        0 => {
            let (len, wid) = (rng.range(100.0, 300.0), rng.range(40.0, 90.0));
            let (a, w) = (len / 2.0, wid / 2.0);
            let warning = vec![at(-a, -w), at(a, -w), at(a, w), at(-a, w)];
            // The slope face: the uphill half (against `down`), a little inside.
            let special = rng.chance(0.8).then(|| {
                vec![
                    at(-a + 5.0, -w + 3.0),
                    at(a - 5.0, -w + 3.0),
                    at(a - 5.0, 0.0),
                    at(-a + 5.0, 0.0),
                ]
            });
            (ccw(warning), special.map(ccw), a.hypot(w))
        }
        1 => {
            let len = rng.range(400.0, 900.0);
            let end = rng.range(150.0, 250.0) / 2.0;
            let half = |t: f64| 15.0 + (end - 15.0) * t;
            let (from, to) = (-len / 2.0, len / 2.0);
            let n = 8;
            let side = |sign: f64, scale: f64, t0: f64, t1: f64| -> Vec<Coord> {
                (0..=n)
                    .map(|i| {
                        let t = t0 + (t1 - t0) * f64::from(i) / f64::from(n);
                        let along = from + (to - from) * t;
                        // `along` runs downhill here: swap the roles of the axes.
                        centre + down * along + across * (sign * scale * half(t))
                    })
                    .collect()
            };
            let fan = |scale: f64, t0: f64, t1: f64| {
                let mut ring = side(1.0, scale, t0, t1);
                let mut back = side(-1.0, scale, t0, t1);
                back.reverse();
                ring.extend(back);
                ccw(ring)
            };
            let warning = fan(1.0, 0.0, 1.0);
            let special = rng.chance(0.7).then(|| fan(0.5, 0.2, 0.8));
            (warning, special, (len / 2.0).hypot(end))
        }
        _ => {
            let r = rng.range(75.0, 150.0);
            let ring = star(rng, centre, 12, |_, rng| r * rng.range(0.8, 1.0));
            (ring, None, r)
        }
    }
}

/// The ring, counter-clockwise.
fn ccw(mut ring: Vec<Coord>) -> Vec<Coord> {
    if super::geom::area(&ring) < 0.0 {
        ring.reverse();
    }
    ring
}
