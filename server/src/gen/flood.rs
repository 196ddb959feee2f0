//! `flood`: generated 洪水浸水想定区域 (想定最大規模), in the schema of the national data.
//!
//! The national data (国土数値情報 A31, and the rivers' own maps) draws the area from a
//! calculation mesh, so its outlines are staircases of mesh cells, each with a depth class.
//! This sample does the same on a 50 m grid: a depth is modelled for every cell from the
//! distance to four rivers (wider and deeper towards their mouths) and to the seaward edge
//! of the city (low land along the coast), classed like the national data, and each row's
//! runs of cells of one class and river become one rectangle. A rectangle is kept only when
//! every cell of it lies wholly inside the city.
//!
//! The rivers are approximate courses of 鹿島川, 中川, 浜川 and 塩田川 drawn for this sample;
//! neither they nor the depths are survey data.

use geo::{Coord, Geometry, LineString, Polygon, coord};

use super::boundary::{Boundary, dist};
use super::{Layer, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

/// Side of a calculation cell, in metres.
const CELL: f64 = 50.0;

/// The depth classes of the national data, shallowest first; rank = index + 1.
pub(crate) const CLASSES: &[&str] = &[
    "0.5m未満",
    "0.5〜3m",
    "3〜5m",
    "5〜10m",
    "10〜20m",
    "20m以上",
];

/// Upper bound of each class in metres (the last is open).
const BOUNDS: &[f64] = &[0.5, 3.0, 5.0, 10.0, 20.0];

/// Approximate river courses, source to mouth, in lon/lat.
const RIVERS: &[(&str, &[(f64, f64)])] = &[
    (
        "鹿島川",
        &[
            (130.0620, 33.0950),
            (130.0760, 33.0960),
            (130.0870, 33.0985),
            (130.0950, 33.1005),
            (130.1030, 33.1040),
            (130.1130, 33.1070),
            (130.1260, 33.1085),
        ],
    ),
    (
        "中川",
        &[
            (130.0700, 33.0800),
            (130.0850, 33.0840),
            (130.0980, 33.0890),
            (130.1080, 33.0930),
            (130.1200, 33.0975),
            (130.1310, 33.1000),
        ],
    ),
    (
        "浜川",
        &[
            (130.0880, 33.0640),
            (130.0990, 33.0700),
            (130.1080, 33.0780),
            (130.1160, 33.0850),
            (130.1260, 33.0900),
            (130.1380, 33.0935),
        ],
    ),
    (
        "塩田川",
        &[
            (130.0880, 33.1250),
            (130.1000, 33.1255),
            (130.1110, 33.1240),
            (130.1220, 33.1205),
            (130.1270, 33.1170),
        ],
    ),
];

/// The seaward edge of the city (有明海): the boundary's vertices from the mouth of
/// 塩田川 south to 七浦, in lon/lat.
const COAST: &[(f64, f64)] = &[
    (130.128_835_8, 33.123_116_7),
    (130.129_509_7, 33.117_830_1),
    (130.127_656_9, 33.103_579_0),
    (130.131_996_9, 33.104_281_1),
    (130.135_724_7, 33.095_409_1),
    (130.140_495_9, 33.094_455_8),
    (130.145_657_4, 33.086_193_2),
    (130.142_931_0, 33.079_523_6),
    (130.146_179_4, 33.076_867_8),
    (130.149_872_8, 33.067_240_6),
    (130.158_960_8, 33.060_577_8),
    (130.161_533_3, 33.054_912_5),
    (130.169_726_1, 33.051_030_6),
];

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("浸水深", FieldType::String),
        ("浸水深ランク", FieldType::Int),
        ("河川名", FieldType::String),
        ("想定", FieldType::String),
    ])
}

/// The depth model, in local metres.
pub(crate) struct Model {
    rivers: Vec<(&'static str, Vec<Coord>)>,
    coast: Vec<Coord>,
}

impl Model {
    pub(crate) fn new(b: &Boundary) -> Self {
        let local = |pts: &[(f64, f64)]| pts.iter().map(|&(x, y)| b.at(x, y)).collect();
        Self {
            rivers: RIVERS.iter().map(|&(n, pts)| (n, local(pts))).collect(),
            coast: local(COAST),
        }
    }

    /// The modelled depth at `p` in metres and the river it comes from, if any water.
    pub(crate) fn depth(&self, p: Coord) -> Option<(f64, &'static str)> {
        let coast = polyline_reach(&self.coast, p).0;
        // Low land near the sea: up to 1.5 m at the shore, nothing 1.5 km inland.
        let sea = 1.5 * (1.0 - coast / 1500.0);
        self.rivers
            .iter()
            .map(|(name, line)| {
                let (d, t) = polyline_reach(line, p);
                // The flood plain widens towards the mouth; deeper near the channel.
                let width = 100.0 + 900.0 * t * t;
                let depth = (1.0 - d / width) * (0.3 + 3.4 * t);
                // Where the river meets the coastal low land, the sea's depth adds.
                (depth.max(0.0) + sea.max(0.0) * t, *name)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(depth, _)| *depth > 0.05)
    }

    /// The class index (0-based) of the modelled depth at `p`, and its river.
    pub(crate) fn class_at(&self, p: Coord) -> Option<(usize, &'static str)> {
        self.depth(p).map(|(d, river)| (class_of(d), river))
    }
}

/// The class index of a depth in metres.
pub(crate) fn class_of(depth: f64) -> usize {
    BOUNDS.iter().take_while(|&&b| depth >= b).count()
}

/// Distance from `p` to a polyline, and how far along it (0 at its start, 1 at its end)
/// the nearest point is.
fn polyline_reach(line: &[Coord], p: Coord) -> (f64, f64) {
    let total: f64 = line.windows(2).map(|w| dist(w[0], w[1])).sum();
    let mut best = (f64::INFINITY, 0.0);
    let mut run = 0.0;
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let ab = b - a;
        let len2 = ab.x * ab.x + ab.y * ab.y;
        let u = if len2 > 0.0 {
            (((p - a).x * ab.x + (p - a).y * ab.y) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = dist(p, a + ab * u);
        let seg = len2.sqrt();
        if d < best.0 {
            best = (d, (run + u * seg) / total.max(1e-9));
        }
        run += seg;
    }
    best
}

pub(crate) fn build(b: &Boundary) -> Layer {
    let model = Model::new(b);
    let (lo, hi) = b.bounds();
    let half_diagonal = CELL * std::f64::consts::FRAC_1_SQRT_2;
    let cols = ((hi.x - lo.x) / CELL).ceil() as usize;
    let rows = ((hi.y - lo.y) / CELL).ceil() as usize;
    let mut features = Vec::new();
    for row in 0..rows {
        let y = lo.y + row as f64 * CELL;
        let mut run: Option<(usize, usize, &'static str)> = None;
        for col in 0..=cols {
            let cell = (col < cols)
                .then(|| {
                    let c = coord! { x: lo.x + (col as f64 + 0.5) * CELL, y: y + CELL / 2.0 };
                    if b.inside_by(c, half_diagonal) {
                        model.class_at(c)
                    } else {
                        None
                    }
                })
                .flatten();
            let same =
                matches!((run, cell), (Some((_, k, r)), Some((k2, r2))) if k == k2 && r == r2);
            if same {
                continue;
            }
            if let Some((start, class, river)) = run.take() {
                let x0 = lo.x + start as f64 * CELL;
                let x1 = lo.x + col as f64 * CELL;
                features.push(feature(
                    b,
                    features.len() as u64 + 1,
                    (x0, y, x1),
                    class,
                    river,
                ));
            }
            run = cell.map(|(class, river)| (col, class, river));
        }
    }
    Layer {
        id: "flood",
        schema: layer_schema(),
        features,
    }
}

fn feature(
    b: &Boundary,
    id: u64,
    (x0, y, x1): (f64, f64, f64),
    class: usize,
    river: &str,
) -> Feature {
    let ring = [
        coord! { x: x0, y: y },
        coord! { x: x1, y: y },
        coord! { x: x1, y: y + CELL },
        coord! { x: x0, y: y + CELL },
        coord! { x: x0, y: y },
    ];
    let line = LineString::new(ring.iter().map(|&c| b.to_lonlat(c)).collect());
    let props = vec![
        s(CLASSES[class]),
        Value::Int(class as i64 + 1),
        s(river),
        s("想定最大規模"),
    ];
    Feature::new(
        id,
        Geometry::Polygon(Polygon::new(line, vec![])),
        props.into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0.1, 0)]
    #[case(0.5, 1)]
    #[case(2.9, 1)]
    #[case(3.0, 2)]
    #[case(7.0, 3)]
    #[case(12.0, 4)]
    #[case(25.0, 5)]
    fn depths_fall_into_the_national_classes(#[case] depth: f64, #[case] class: usize) {
        assert_eq!(class_of(depth), class);
        assert_eq!(CLASSES.len(), BOUNDS.len() + 1);
    }

    #[test]
    fn reach_measures_along_the_line() {
        let line = [coord! { x: 0.0, y: 0.0 }, coord! { x: 100.0, y: 0.0 }];
        let (d, t) = polyline_reach(&line, coord! { x: 25.0, y: 10.0 });
        assert!((d - 10.0).abs() < 1e-9 && (t - 0.25).abs() < 1e-9);
    }
}
