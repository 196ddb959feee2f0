//! One feature's geometry through clip, simplify, snap, orient and repair.

use geo::{Coord, Geometry, LineString, Polygon};

use super::clip::{self, ClipRect, Relation};
use super::geom::{GeomType, TileGeom, ring_area2, snap};
use super::simplify::{Simplifier, snap_into};
use super::valid::Repairer;

/// Maps source coordinates into the working space (tile units, y down).
pub(crate) trait Project {
    fn project(&self, c: Coord<f64>) -> [f64; 2];
}

/// Per-tile settings and reusable buffers for the geometry stages.
pub(crate) struct Shaper {
    pub clip: ClipRect,
    /// Douglas–Peucker tolerance in tile units; 0 disables simplification.
    pub tolerance: f64,
    /// Holes smaller than this (tile units²) are dropped.
    pub min_hole_area: f64,
    work: Vec<[f64; 2]>,
    tmp: Vec<[f64; 2]>,
    ends: Vec<usize>,
    simplifier: Simplifier,
    pub(crate) repairer: Repairer,
}

impl Shaper {
    pub(crate) fn new(clip: ClipRect, tolerance: f64) -> Self {
        Self {
            clip,
            tolerance,
            min_hole_area: tolerance * tolerance,
            work: Vec::new(),
            tmp: Vec::new(),
            ends: Vec::new(),
            simplifier: Simplifier::default(),
            repairer: Repairer::default(),
        }
    }

    /// New settings for the next tile; the buffers are kept.
    pub(crate) fn reset(&mut self, clip: ClipRect, tolerance: f64) {
        self.clip = clip;
        self.tolerance = tolerance;
        self.min_hole_area = tolerance * tolerance;
    }

    /// The largest number of points any of the buffers has room for.
    pub(crate) fn retained(&self) -> usize {
        self.work
            .capacity()
            .max(self.tmp.capacity())
            .max(self.ends.capacity())
    }

    /// Builds `out` from a source geometry; `None` when nothing of it remains.
    pub(crate) fn geometry(
        &mut self,
        g: &Geometry<f64>,
        proj: &impl Project,
        out: &mut TileGeom,
    ) -> Option<GeomType> {
        out.clear();
        let ty = match g {
            Geometry::Point(p) => self.points(std::iter::once(p.0), proj, out),
            Geometry::MultiPoint(mp) => self.points(mp.iter().map(|p| p.0), proj, out),
            Geometry::LineString(l) => self.line(l, proj, out),
            Geometry::Line(l) => self.line(&LineString::from(vec![l.start, l.end]), proj, out),
            Geometry::MultiLineString(ml) => {
                for l in ml {
                    self.line(l, proj, out);
                }
                GeomType::LineString
            }
            Geometry::Polygon(p) => self.polygons(std::slice::from_ref(p), proj, out),
            Geometry::MultiPolygon(mp) => self.polygons(&mp.0, proj, out),
            Geometry::Rect(r) => self.polygons(&[r.to_polygon()], proj, out),
            Geometry::Triangle(t) => self.polygons(&[t.to_polygon()], proj, out),
            Geometry::GeometryCollection(_) => return None,
        };
        (!out.is_empty()).then_some(ty)
    }

    fn points(
        &mut self,
        pts: impl Iterator<Item = Coord<f64>>,
        proj: &impl Project,
        out: &mut TileGeom,
    ) -> GeomType {
        for c in pts {
            let p = proj.project(c);
            if self.clip.contains(p) {
                out.points.push([snap(p[0]), snap(p[1])]);
            }
        }
        out.end_part(0);
        GeomType::Point
    }

    fn line(&mut self, l: &LineString<f64>, proj: &impl Project, out: &mut TileGeom) -> GeomType {
        self.work.clear();
        self.work.extend(l.coords().map(|&c| proj.project(c)));
        match clip::relate(clip::bounds(&self.work), self.clip) {
            Relation::Outside => {}
            Relation::Inside => {
                let mut part = std::mem::take(&mut self.work);
                self.line_part(&mut part, out);
                self.work = part;
            }
            Relation::Crosses => {
                clip::clip_line(&self.work, self.clip, &mut self.tmp, &mut self.ends);
                let mut start = 0;
                let mut part = Vec::new();
                for i in 0..self.ends.len() {
                    part.clear();
                    part.extend_from_slice(&self.tmp[start..self.ends[i]]);
                    start = self.ends[i];
                    self.line_part(&mut part, out);
                }
            }
        }
        GeomType::LineString
    }

    fn line_part(&mut self, part: &mut Vec<[f64; 2]>, out: &mut TileGeom) {
        self.simplifier.line(part, self.tolerance);
        let start = out.points.len();
        snap_into(part, false, &mut out.points);
        if out.points.len() - start < 2 {
            out.truncate_to(start);
        } else {
            out.end_part(start);
        }
    }

    fn polygons(
        &mut self,
        polys: &[Polygon<f64>],
        proj: &impl Project,
        out: &mut TileGeom,
    ) -> GeomType {
        for p in polys {
            if !self.ring(p.exterior(), true, proj, out) {
                continue;
            }
            for hole in p.interiors() {
                self.ring(hole, false, proj, out);
            }
        }
        if !out.is_empty() && !self.repairer.is_valid(out) {
            self.repairer.repair(out);
        }
        GeomType::Polygon
    }

    /// Pushes one ring; false when it vanished (outside, clipped away or degenerate).
    fn ring(
        &mut self,
        ring: &LineString<f64>,
        exterior: bool,
        proj: &impl Project,
        out: &mut TileGeom,
    ) -> bool {
        self.work.clear();
        let coords = &ring.0;
        let n = if coords.len() > 1 && coords.first() == coords.last() {
            coords.len() - 1
        } else {
            coords.len()
        };
        self.work
            .extend(coords[..n].iter().map(|&c| proj.project(c)));
        let mut work = std::mem::take(&mut self.work);
        let kept = self.ring_points(&mut work, exterior, out);
        self.work = work;
        kept
    }

    /// Re-clips stored integer geometry (an overview entry) after shifting it by `-off`.
    /// Rings keep their orientation; holes follow their exterior.
    pub(crate) fn int_geometry<'p>(
        &mut self,
        ty: GeomType,
        parts: impl Iterator<Item = &'p [[i32; 2]]>,
        off: [i32; 2],
        out: &mut TileGeom,
    ) {
        out.clear();
        let mut work = std::mem::take(&mut self.work);
        let mut exterior_kept = false;
        for part in parts {
            work.clear();
            work.extend(
                part.iter()
                    .map(|p| [f64::from(p[0] - off[0]), f64::from(p[1] - off[1])]),
            );
            match ty {
                GeomType::Point => {
                    let start = out.points.len();
                    for &p in &work {
                        if self.clip.contains(p) {
                            out.points.push([p[0] as i32, p[1] as i32]);
                        }
                    }
                    out.end_part(start);
                }
                GeomType::LineString => {
                    clip::clip_line(&work, self.clip, &mut self.tmp, &mut self.ends);
                    let mut start = 0;
                    for i in 0..self.ends.len() {
                        let s = out.points.len();
                        snap_into(&self.tmp[start..self.ends[i]], false, &mut out.points);
                        start = self.ends[i];
                        if out.points.len() - s < 2 {
                            out.truncate_to(s);
                        } else {
                            out.end_part(s);
                        }
                    }
                }
                GeomType::Polygon => {
                    let exterior = ring_area2(part) > 0;
                    if exterior {
                        exterior_kept = self.ring_points(&mut work, true, out);
                    } else if exterior_kept {
                        self.ring_points(&mut work, false, out);
                    }
                }
            }
        }
        self.work = work;
        if ty == GeomType::Polygon && !out.is_empty() && !self.repairer.is_valid(out) {
            self.repairer.repair(out);
        }
    }

    /// Clips, simplifies, snaps and orients ring points already in tile space.
    pub(crate) fn ring_points(
        &mut self,
        work: &mut Vec<[f64; 2]>,
        exterior: bool,
        out: &mut TileGeom,
    ) -> bool {
        match clip::relate(clip::bounds(work), self.clip) {
            Relation::Outside => return false,
            Relation::Inside => {}
            Relation::Crosses => clip::clip_ring(work, self.clip, &mut self.tmp),
        }
        if work.len() < 3 {
            return false;
        }
        self.simplifier.ring(work, self.tolerance);
        let start = out.points.len();
        snap_into(work, true, &mut out.points);
        let area2 = ring_area2(&out.points[start..]);
        let too_small = if exterior {
            area2 == 0
        } else {
            (area2.unsigned_abs() as f64) < 2.0 * self.min_hole_area
        };
        if out.points.len() - start < 3 || too_small {
            out.truncate_to(start);
            return false;
        }
        if (area2 > 0) != exterior {
            out.points[start..].reverse();
        }
        out.end_part(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Identity;
    impl Project for Identity {
        fn project(&self, c: Coord<f64>) -> [f64; 2] {
            [c.x, c.y]
        }
    }

    fn shaper() -> Shaper {
        Shaper::new(ClipRect::new(4096, 64), 0.0)
    }

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        pts.iter().map(|&(x, y)| Coord { x, y }).collect()
    }

    #[test]
    fn polygon_crossing_the_edge_is_clipped_not_clamped() {
        let poly = Polygon::new(
            ring(&[
                (-500.0, 100.0),
                (500.0, 100.0),
                (500.0, 900.0),
                (-500.0, 900.0),
            ]),
            vec![],
        );
        let mut out = TileGeom::default();
        let ty = shaper().geometry(&Geometry::Polygon(poly), &Identity, &mut out);
        assert_eq!(ty, Some(GeomType::Polygon));
        assert_eq!(ring_area2(&out.points), 2 * 564 * 800);
        assert!(out.points.iter().all(|p| p[0] >= -64));
    }

    #[test]
    fn exterior_rings_come_out_with_positive_area_and_holes_negative() {
        // Given with the opposite orientation.
        let poly = Polygon::new(
            ring(&[(0.0, 0.0), (0.0, 100.0), (100.0, 100.0), (100.0, 0.0)]),
            vec![ring(&[
                (10.0, 10.0),
                (90.0, 10.0),
                (90.0, 90.0),
                (10.0, 90.0),
            ])],
        );
        let mut out = TileGeom::default();
        shaper().geometry(&Geometry::Polygon(poly), &Identity, &mut out);
        let areas: Vec<i64> = out.parts().map(ring_area2).collect();
        assert_eq!(areas, vec![20_000, -12_800]);
    }
}
