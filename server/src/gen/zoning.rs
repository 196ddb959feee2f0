//! `zoning`: generated 用途地域 to the PLATEAU `urf:UseDistrict` schema.
//!
//! Zones are the Voronoi cells of seed points scattered around each town centre (closer
//! together near the middle), each clipped to its town's zoned disc and shrunk half a
//! metre from its neighbours, so cells never overlap. Cells not wholly inside the city
//! are dropped. A cell's zone follows from how far it lies from its centre and from the
//! trunk roads; neighbouring cells draw from the same cluster so zones form districts.

use geo::{Coord, Geometry, coord};

use super::boundary::{Boundary, dist, segment_distance};
use super::geom::{area, circle, clip_half_plane, closed};
use super::places::{CENTRES, COAST_INDUSTRY};
use super::rng::Rng;
use super::{Layer, roads, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

const STREAM: u64 = 1;

/// Half the gap left between neighbouring zones, in metres.
const HALF_GAP: f64 = 0.5;

/// 用途地域 by PLATEAU / 国土数値情報 code (8 田園住居地域 and 13 工業専用地域 are not used).
pub(crate) const ZONE_NAMES: &[(i64, &str)] = &[
    (1, "第一種低層住居専用地域"),
    (2, "第二種低層住居専用地域"),
    (3, "第一種中高層住居専用地域"),
    (4, "第二種中高層住居専用地域"),
    (5, "第一種住居地域"),
    (6, "第二種住居地域"),
    (7, "準住居地域"),
    (8, "田園住居地域"),
    (9, "近隣商業地域"),
    (10, "商業地域"),
    (11, "準工業地域"),
    (12, "工業地域"),
    (13, "工業専用地域"),
];

/// Dates of the (fictional) city planning decisions a zone may date from.
const DECISIONS: &[(&str, f64)] = &[
    ("1973-12-25", 0.35),
    ("1996-05-01", 0.35),
    ("2004-03-30", 0.15),
    ("2012-06-15", 0.1),
    ("2019-04-01", 0.05),
];

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("用途地域コード", FieldType::Int),
        ("用途地域", FieldType::String),
        ("容積率", FieldType::Int),
        ("建蔽率", FieldType::Int),
        ("高さ制限", FieldType::Float),
        ("告示日", FieldType::Date),
        ("決定者", FieldType::String),
    ])
}

/// A zoned area: a disc around a town centre, or the coastal industrial area.
struct Area {
    centre: Coord,
    radius: f64,
    /// Index into [`CENTRES`]; `None` for the industrial area.
    town: Option<usize>,
    /// Seed spacing at the centre and at the rim, in metres.
    spacing: (f64, f64),
}

fn areas(b: &Boundary) -> Vec<Area> {
    let mut out: Vec<Area> = CENTRES
        .iter()
        .enumerate()
        .map(|(i, c)| Area {
            centre: b.at(c.lon, c.lat),
            radius: c.zoned_m,
            town: Some(i),
            spacing: (c.zoned_m * 0.09, c.zoned_m * 0.21),
        })
        .collect();
    let (lon, lat, r) = COAST_INDUSTRY;
    out.push(Area {
        centre: b.at(lon, lat),
        radius: r,
        town: None,
        spacing: (180.0, 250.0),
    });
    out
}

pub(crate) fn build(b: &Boundary, seed: u64) -> Layer {
    let areas = areas(b);
    let seeds = scatter(b, &areas, seed);
    let trunks = roads::trunk_lines(b);
    let mut features = Vec::new();
    for (i, &(p, a)) in seeds.iter().enumerate() {
        let cell = voronoi_cell(&seeds, i, &circle(areas[a].centre, areas[a].radius, 72));
        if cell.len() < 3 || area(&cell) < 1500.0 {
            continue;
        }
        let ring = closed(cell);
        if !b.holds_ring(&ring, 1.0) {
            continue;
        }
        let near_trunk = trunks
            .iter()
            .flat_map(|l| l.windows(2))
            .any(|w| segment_distance(p, w[0], w[1]) < 110.0);
        let props = attributes(&areas[a], p, near_trunk, seed);
        let geometry = Geometry::Polygon(b.polygon_lonlat(&ring));
        features.push(Feature::new(features.len() as u64 + 1, geometry, props));
    }
    Layer {
        id: "zoning",
        schema: layer_schema(),
        features,
    }
}

/// Dart throwing: each area's centre first, then random points kept when no earlier seed
/// is closer than the local spacing.
fn scatter(b: &Boundary, areas: &[Area], seed: u64) -> Vec<(Coord, usize)> {
    let mut rng = Rng::derive(seed, STREAM, 0);
    let mut seeds: Vec<(Coord, usize)> = areas
        .iter()
        .enumerate()
        .map(|(i, a)| (a.centre, i))
        .collect();
    for (ai, a) in areas.iter().enumerate() {
        let attempts = (a.radius * a.radius / 400.0) as usize;
        for _ in 0..attempts {
            let (r, t) = (
                a.radius * rng.f64().sqrt(),
                rng.range(0.0, std::f64::consts::TAU),
            );
            let p = a.centre + coord! { x: r * t.cos(), y: r * t.sin() };
            let spacing = a.spacing.0 + (a.spacing.1 - a.spacing.0) * r / a.radius;
            if b.inside_by(p, 40.0) && seeds.iter().all(|&(q, _)| dist(p, q) >= spacing) {
                seeds.push((p, ai));
            }
        }
    }
    seeds
}

/// The seed's Voronoi cell within `disc`, shrunk by [`HALF_GAP`] along every bisector.
fn voronoi_cell(seeds: &[(Coord, usize)], i: usize, disc: &[Coord]) -> Vec<Coord> {
    let si = seeds[i].0;
    let mut cell = disc.to_vec();
    for (j, &(sj, _)) in seeds.iter().enumerate() {
        let reach = cell.iter().map(|&v| dist(si, v)).fold(0.0, f64::max);
        if j == i || dist(si, sj) / 2.0 > reach {
            continue;
        }
        let d = dist(si, sj);
        let n = (sj - si) / d;
        let m = (si + sj) / 2.0;
        cell = clip_half_plane(&cell, n, n.x * m.x + n.y * m.y - HALF_GAP);
        if cell.len() < 3 {
            break;
        }
    }
    cell
}

/// Zone attributes for a seed at `p` in area `a`.
fn attributes(a: &Area, p: Coord, near_trunk: bool, seed: u64) -> Box<[Value]> {
    // Cells in the same 350 m cluster share their draws, so zones come in districts.
    let cluster = ((p.x / 350.0).floor() as i64, (p.y / 350.0).floor() as i64);
    let key = (cluster.0 as u64).wrapping_mul(0x1_0000_0001) ^ (cluster.1 as u64);
    let mut rng = Rng::derive(seed, STREAM + 100, key);
    let t = dist(p, a.centre) / a.radius;
    let code = pick_code(a.town, t, near_trunk, &mut rng);
    let (far, bcr) = rng.pick(ratios(code));
    let height = match code {
        1 | 2 => Value::Float(if rng.chance(0.2) { 12.0 } else { 10.0 }),
        _ => Value::Null,
    };
    let name = ZONE_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, n)| n);
    vec![
        Value::Int(code),
        s(name),
        Value::Int(far),
        Value::Int(bcr),
        height,
        s(rng.weighted(DECISIONS)),
        s("鹿島市"),
    ]
    .into()
}

/// The zone code for a place at relative distance `t` from its centre.
fn pick_code(town: Option<usize>, t: f64, near_trunk: bool, rng: &mut Rng) -> i64 {
    let w = |items: &[(i64, f64)], rng: &mut Rng| rng.weighted(items);
    match (town, near_trunk) {
        (None, _) => w(&[(12, 0.55), (11, 0.45)], rng),
        (Some(0), _) if t < 0.15 => 10,
        (Some(0), _) if t < 0.3 => 9,
        (Some(0 | 1), true) if t < 0.8 => w(&[(7, 0.5), (9, 0.3), (6, 0.2)], rng),
        (Some(0), true) => w(&[(11, 0.6), (7, 0.4)], rng),
        (Some(0), false) if t < 0.55 => w(&[(5, 0.45), (6, 0.2), (3, 0.35)], rng),
        (Some(0), false) if t < 0.8 => w(&[(3, 0.4), (4, 0.15), (5, 0.3), (2, 0.15)], rng),
        (Some(1), _) if t < 0.2 => 9,
        (Some(1), _) if t < 0.6 => w(&[(5, 0.5), (3, 0.3), (6, 0.2)], rng),
        (Some(2), _) if t < 0.25 => 9,
        (Some(2), _) if t < 0.6 => w(&[(5, 0.5), (2, 0.3), (1, 0.2)], rng),
        (Some(3), _) if t < 0.3 => 5,
        (Some(3), _) => w(&[(1, 0.7), (2, 0.3)], rng),
        _ => w(&[(1, 0.6), (2, 0.25), (3, 0.15)], rng),
    }
}

/// Usual 容積率 / 建蔽率 (percent) pairs for a zone in a small Japanese city.
fn ratios(code: i64) -> &'static [(i64, i64)] {
    match code {
        1 => &[(80, 50), (100, 50), (60, 40), (100, 60)],
        2 => &[(100, 60), (150, 60), (100, 50)],
        3 | 4 => &[(200, 60), (200, 60), (150, 60)],
        5..=8 => &[(200, 60), (200, 60), (300, 60)],
        9 => &[(200, 80), (300, 80)],
        10 => &[(400, 80), (400, 80), (500, 80)],
        _ => &[(200, 60)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Some(0), 0.05, false, 10)]
    #[case(Some(0), 0.2, true, 9)]
    #[case(Some(1), 0.1, false, 9)]
    #[case(Some(3), 0.1, false, 5)]
    fn centres_get_the_expected_zone(
        #[case] town: Option<usize>,
        #[case] t: f64,
        #[case] near: bool,
        #[case] code: i64,
    ) {
        assert_eq!(pick_code(town, t, near, &mut Rng::new(1)), code);
    }

    #[test]
    fn every_code_has_a_name_and_ratios_within_the_law() {
        for &(code, _) in ZONE_NAMES {
            for &(far, bcr) in ratios(code) {
                assert!(
                    (50..=1300).contains(&far) && (30..=80).contains(&bcr),
                    "{code}"
                );
            }
        }
    }
}
