//! Geometry validity: what is wrong with a geometry, and the `repair` that fixes it.
//!
//! Checks: empty geometry, non-finite (NaN) coordinates, too few points, unclosed rings
//! (noticed by the readers), and for polygons geo's OGC validity (self-intersections,
//! holes outside their shell, rings crossing, overlapping parts). Repair removes
//! non-finite and repeated points, drops degenerate parts, rebuilds invalid polygons with
//! geo's `MakeValid` (constrained triangulation) and unions overlapping parts.

use std::panic::{AssertUnwindSafe, catch_unwind};

use geo::algorithm::validation::{InvalidGeometry, InvalidMultiPolygon, InvalidPolygon};
use geo::{
    BooleanOps, CoordsIter, Geometry, LineString, MakeValid, MultiLineString, MultiPoint,
    MultiPolygon, Polygon, Validation,
};

use super::report::{Msg, msg};

/// One kind of invalid geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeomProblem {
    Empty,
    NonFinite,
    TooFewPoints,
    UnclosedRing,
    SelfIntersection,
    HoleOutsideShell,
    RingsIntersect,
    PartsOverlap,
}

impl GeomProblem {
    pub fn code(self) -> &'static str {
        match self {
            Self::Empty => "empty_geometry",
            Self::NonFinite => "nan_coordinates",
            Self::TooFewPoints => "too_few_points",
            Self::UnclosedRing => "unclosed_ring",
            Self::SelfIntersection => "self_intersection",
            Self::HoleOutsideShell => "hole_outside_shell",
            Self::RingsIntersect => "rings_intersect",
            Self::PartsOverlap => "parts_overlap",
        }
    }

    pub fn message(self) -> Msg {
        match self {
            Self::Empty => msg("図形が空です", "the geometry is empty"),
            Self::NonFinite => msg(
                "座標に数値でない値 (NaN/無限大) があります",
                "a coordinate is not a finite number (NaN or infinite)",
            ),
            Self::TooFewPoints => msg(
                "点の数が足りません (線は2点以上、面の輪は異なる3点以上)",
                "too few points (a line needs 2, a polygon ring 3 distinct points)",
            ),
            Self::UnclosedRing => msg(
                "面の輪が閉じていません (始点と終点が違います)",
                "a polygon ring is not closed (first and last points differ)",
            ),
            Self::SelfIntersection => msg(
                "面の輪が自己交差しています",
                "a polygon ring intersects itself",
            ),
            Self::HoleOutsideShell => msg(
                "穴 (内側の輪) が外側の輪の外にあります",
                "a hole (interior ring) lies outside its exterior ring",
            ),
            Self::RingsIntersect => msg(
                "面の輪どうしが交差しています",
                "polygon rings intersect each other",
            ),
            Self::PartsOverlap => msg(
                "マルチポリゴンの部分どうしが重なっています",
                "parts of a multipolygon overlap",
            ),
        }
    }
}

/// Notes an unclosed ring while the raw coordinates are still at hand (geo closes rings
/// silently when building polygons).
pub fn note_ring(ring: &[geo::Coord<f64>], issues: &mut Vec<GeomProblem>) {
    if ring.len() > 1 && ring.first() != ring.last() && !issues.contains(&GeomProblem::UnclosedRing)
    {
        issues.push(GeomProblem::UnclosedRing);
    }
}

/// Everything wrong with a geometry (empty when valid).
pub fn check(g: &Geometry<f64>) -> Vec<GeomProblem> {
    if is_empty(g) {
        return vec![GeomProblem::Empty];
    }
    if g.coords_iter()
        .any(|c| !c.x.is_finite() || !c.y.is_finite())
    {
        return vec![GeomProblem::NonFinite];
    }
    let mut out: Vec<GeomProblem> = match g {
        Geometry::LineString(l) => too_few(l).into_iter().collect(),
        Geometry::MultiLineString(m) => m.0.iter().filter_map(too_few).take(1).collect(),
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            catch_unwind(AssertUnwindSafe(|| g.validation_errors()))
                .unwrap_or_else(|_| Vec::new())
                .iter()
                .map(classify)
                .collect()
        }
        _ => Vec::new(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

fn too_few(l: &LineString<f64>) -> Option<GeomProblem> {
    let distinct = l.0.windows(2).filter(|w| w[0] != w[1]).count();
    (distinct < 1).then_some(GeomProblem::TooFewPoints)
}

fn classify(e: &InvalidGeometry) -> GeomProblem {
    match e {
        InvalidGeometry::InvalidPolygon(p)
        | InvalidGeometry::InvalidMultiPolygon(InvalidMultiPolygon::InvalidPolygon(_, p)) => {
            match p {
                InvalidPolygon::TooFewPointsInRing(_) => GeomProblem::TooFewPoints,
                InvalidPolygon::SelfIntersection(_) => GeomProblem::SelfIntersection,
                InvalidPolygon::NonFiniteCoord(..) => GeomProblem::NonFinite,
                InvalidPolygon::InteriorRingNotContainedInExteriorRing(_) => {
                    GeomProblem::HoleOutsideShell
                }
                InvalidPolygon::IntersectingRingsOnALine(..)
                | InvalidPolygon::IntersectingRingsOnAnArea(..) => GeomProblem::RingsIntersect,
            }
        }
        InvalidGeometry::InvalidMultiPolygon(_) => GeomProblem::PartsOverlap,
        _ => GeomProblem::SelfIntersection,
    }
}

fn is_empty(g: &Geometry<f64>) -> bool {
    match g {
        Geometry::MultiPoint(m) => m.0.is_empty(),
        Geometry::LineString(l) => l.0.is_empty(),
        Geometry::MultiLineString(m) => m.0.iter().all(|l| l.0.is_empty()),
        Geometry::Polygon(p) => p.exterior().0.is_empty(),
        Geometry::MultiPolygon(m) => m.0.iter().all(|p| p.exterior().0.is_empty()),
        Geometry::GeometryCollection(c) => c.0.is_empty(),
        _ => false,
    }
}

/// Makes a geometry valid, or `None` when nothing valid is left (the feature is dropped).
pub fn repair(g: Geometry<f64>) -> Option<Geometry<f64>> {
    match g {
        Geometry::Point(p) => finite(p.0).then_some(Geometry::Point(p)),
        Geometry::MultiPoint(m) => {
            let pts: Vec<_> = m.0.into_iter().filter(|p| finite(p.0)).collect();
            (!pts.is_empty()).then_some(Geometry::MultiPoint(MultiPoint(pts)))
        }
        Geometry::LineString(l) => clean_line(l).map(Geometry::LineString),
        Geometry::MultiLineString(m) => {
            let lines: Vec<_> = m.0.into_iter().filter_map(clean_line).collect();
            (!lines.is_empty()).then_some(Geometry::MultiLineString(MultiLineString(lines)))
        }
        Geometry::Polygon(p) => repair_polygons(vec![p], true),
        Geometry::MultiPolygon(m) => repair_polygons(m.0, false),
        other => Some(other),
    }
}

fn finite(c: geo::Coord<f64>) -> bool {
    c.x.is_finite() && c.y.is_finite()
}

/// Drops non-finite and consecutive repeated points.
fn clean_coords(l: LineString<f64>) -> Vec<geo::Coord<f64>> {
    let mut out: Vec<geo::Coord<f64>> = Vec::with_capacity(l.0.len());
    for c in l.0.into_iter().filter(|c| finite(*c)) {
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    out
}

fn clean_line(l: LineString<f64>) -> Option<LineString<f64>> {
    let coords = clean_coords(l);
    (coords.len() >= 2).then_some(LineString(coords))
}

/// A ring with at least three distinct points (four with the closing one).
fn clean_ring(l: LineString<f64>) -> Option<LineString<f64>> {
    let mut ring = LineString(clean_coords(l));
    ring.close();
    (ring.0.len() >= 4).then_some(ring)
}

fn repair_polygons(polys: Vec<Polygon<f64>>, single: bool) -> Option<Geometry<f64>> {
    let mut parts: Vec<Polygon<f64>> = Vec::new();
    for p in polys {
        let (ext, holes) = p.into_inner();
        let Some(ext) = clean_ring(ext) else { continue };
        let holes = holes.into_iter().filter_map(clean_ring).collect();
        let p = Polygon::new(ext, holes);
        if p.is_valid() {
            parts.push(p);
        } else {
            parts.extend(make_valid(&p)?.0);
        }
    }
    let mut mp = MultiPolygon(parts);
    if !mp.is_valid() {
        mp = catch_unwind(AssertUnwindSafe(|| geo::unary_union(&mp.0))).ok()?;
    }
    match mp.0.len() {
        0 => None,
        1 if single => mp.0.pop().map(Geometry::Polygon),
        _ => Some(Geometry::MultiPolygon(mp)),
    }
}

/// geo's `MakeValid`, falling back to a union (i_overlay) if triangulation fails.
fn make_valid(p: &Polygon<f64>) -> Option<MultiPolygon<f64>> {
    match catch_unwind(AssertUnwindSafe(|| p.make_valid())) {
        Ok(Ok(mp)) => Some(mp),
        _ => catch_unwind(AssertUnwindSafe(|| {
            p.union(&MultiPolygon::<f64>(Vec::new()))
        }))
        .ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, line_string, point, polygon, wkt};
    use rstest::rstest;

    #[rstest]
    #[case(wkt!(POLYGON((0. 0., 0. 10., 10. 0., 10. 10., 0. 0.))).into(), GeomProblem::SelfIntersection)]
    #[case(Geometry::Point(point!(x: f64::NAN, y: 1.0)), GeomProblem::NonFinite)]
    #[case(Geometry::LineString(line_string![(x: 1.0, y: 1.0), (x: 1.0, y: 1.0)]), GeomProblem::TooFewPoints)]
    #[case(Geometry::MultiPolygon(MultiPolygon(vec![])), GeomProblem::Empty)]
    #[case(wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.), (20. 20., 21. 20., 21. 21., 20. 20.))).into(), GeomProblem::HoleOutsideShell)]
    fn problems_are_found(#[case] g: Geometry<f64>, #[case] problem: GeomProblem) {
        assert!(check(&g).contains(&problem), "{:?}", check(&g));
    }

    #[test]
    fn valid_geometry_has_no_problems() {
        let p: Geometry<f64> =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)].into();
        assert!(check(&p).is_empty());
    }

    #[test]
    fn bowtie_is_repaired_into_two_valid_parts() {
        let bowtie: Geometry<f64> = wkt!(POLYGON((0. 0., 0. 10., 10. 0., 10. 10., 0. 0.))).into();
        let fixed = repair(bowtie).unwrap();
        assert!(check(&fixed).is_empty());
        assert!((fixed.unsigned_area() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn nan_points_are_removed_and_empty_results_dropped() {
        let line = Geometry::LineString(
            line_string![(x: 0.0, y: 0.0), (x: f64::NAN, y: 1.0), (x: 2.0, y: 2.0)],
        );
        let fixed = repair(line).unwrap();
        assert_eq!(fixed.coords_count(), 2);
        assert!(repair(Geometry::Point(point!(x: f64::NAN, y: 0.0))).is_none());
    }

    #[test]
    fn overlapping_parts_are_unioned() {
        let a = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)];
        let b = polygon![(x: 1.0, y: 1.0), (x: 3.0, y: 1.0), (x: 3.0, y: 3.0), (x: 1.0, y: 3.0)];
        let g = Geometry::MultiPolygon(MultiPolygon(vec![a, b]));
        assert!(check(&g).contains(&GeomProblem::PartsOverlap));
        let fixed = repair(g).unwrap();
        assert!(check(&fixed).is_empty());
        assert!((fixed.unsigned_area() - 7.0).abs() < 1e-9);
    }
}
