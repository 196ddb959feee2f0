//! Polygon validity after snapping: a fast, strict check, and a robust repair.
//!
//! The check is conservative: it accepts only polygons whose rings neither cross nor touch
//! (except consecutive edges at their shared vertex), whose holes lie inside their exterior
//! and outside each other, and whose parts do not overlap. Everything it accepts is valid by
//! OGC rules (shapely's `is_valid`). Anything else, including valid polygons whose rings
//! merely touch, goes to [`Repairer::repair`], which rebuilds the polygon with the integer
//! overlay of `i_overlay` in its OGC mode. Snapped parcels nearly always pass the check,
//! so the overlay runs only where it is needed.
#![expect(
    clippy::many_single_char_names,
    reason = "geometry formulas read best with their textbook names"
)]

use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{IntOverlayOptions, Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;

use super::geom::{TileGeom, ring_area2};

/// Above these counts the pairwise containment tests get slow; repair instead.
const MAX_HOLES_CHECKED: usize = 64;
const MAX_PARTS_CHECKED: usize = 128;

#[derive(Debug, Clone, Copy)]
struct Seg {
    a: [i32; 2],
    b: [i32; 2],
    ring: u32,
    index: u32,
    ring_len: u32,
    min_x: i32,
    max_x: i32,
}

/// A polygon: an exterior ring (part index) and its holes.
struct Poly {
    exterior: usize,
    holes: std::ops::Range<usize>,
    bbox: [i32; 4],
}

/// Reusable state for checking and repairing polygons.
pub(crate) struct Repairer {
    segs: Vec<Seg>,
    polys: Vec<Poly>,
    overlay: Overlay,
}

impl Default for Repairer {
    fn default() -> Self {
        Self {
            segs: Vec::new(),
            polys: Vec::new(),
            overlay: Overlay::new_custom(64, IntOverlayOptions::ogc(), Solver::default()),
        }
    }
}

impl Repairer {
    /// True if the polygon (rings as built by the pipeline: exterior, then its holes) is valid.
    pub(crate) fn is_valid(&mut self, g: &TileGeom) -> bool {
        if g.part_count() == 1 && strictly_convex(&g.points) {
            return true;
        }
        self.group(g) && self.no_contacts(g) && self.nested_properly(g)
    }

    /// Makes the polygon valid, replacing its rings. Regions with positive winding are kept,
    /// so overlapping parts merge, overlapping holes merge, and loops that snapping turned
    /// inside out vanish.
    pub(crate) fn repair(&mut self, g: &mut TileGeom) {
        self.overlay.clear();
        for ring in g.parts() {
            let pts = ring.iter().map(|p| IntPoint::new(p[0], p[1]));
            self.overlay.add_path_iter(pts, ShapeType::Subject);
        }
        let shapes = self
            .overlay
            .overlay(OverlayRule::Subject, FillRule::Positive);
        g.clear();
        for shape in shapes {
            for (k, contour) in shape.iter().enumerate() {
                let start = g.points.len();
                g.points.extend(contour.iter().map(|p| [p.x, p.y]));
                let area = ring_area2(&g.points[start..]);
                if area == 0 || g.points.len() - start < 3 {
                    g.truncate_to(start);
                    continue;
                }
                if (k == 0) != (area > 0) {
                    g.points[start..].reverse();
                }
                g.end_part(start);
            }
        }
    }

    /// Groups rings into polygons; false if a ring is degenerate or a hole comes first.
    fn group(&mut self, g: &TileGeom) -> bool {
        self.polys.clear();
        for (i, ring) in g.parts().enumerate() {
            let area = ring_area2(ring);
            if ring.len() < 3 || area == 0 {
                return false;
            }
            if area > 0 {
                self.polys.push(Poly {
                    exterior: i,
                    holes: i + 1..i + 1,
                    bbox: int_bounds(ring),
                });
            } else {
                let Some(p) = self.polys.last_mut() else {
                    return false;
                };
                p.holes.end = i + 1;
            }
        }
        self.polys.len() <= MAX_PARTS_CHECKED
            && self
                .polys
                .iter()
                .all(|p| p.holes.len() <= MAX_HOLES_CHECKED)
    }

    /// True if no two edges touch, other than consecutive edges of a ring at their vertex.
    fn no_contacts(&mut self, g: &TileGeom) -> bool {
        self.segs.clear();
        for (r, ring) in g.parts().enumerate() {
            let n = ring.len();
            for i in 0..n {
                let (a, b) = (ring[i], ring[(i + 1) % n]);
                if a == b {
                    return false;
                }
                self.segs.push(Seg {
                    a,
                    b,
                    ring: r as u32,
                    index: i as u32,
                    ring_len: n as u32,
                    min_x: a[0].min(b[0]),
                    max_x: a[0].max(b[0]),
                });
            }
        }
        self.segs.sort_unstable_by_key(|s| s.min_x);
        for (i, s) in self.segs.iter().enumerate() {
            for t in &self.segs[i + 1..] {
                if t.min_x > s.max_x {
                    break;
                }
                if conflict(s, t) {
                    return false;
                }
            }
        }
        true
    }

    /// Holes inside their exterior and outside each other; parts outside each other.
    fn nested_properly(&self, g: &TileGeom) -> bool {
        let ring = |i: usize| {
            let start = g.part_start(i);
            &g.points[start..g.ends[i] as usize]
        };
        for p in &self.polys {
            let ext = ring(p.exterior);
            for h in p.holes.clone() {
                if !inside(ring(h)[0], ext) {
                    return false;
                }
                for h2 in p.holes.clone().filter(|&h2| h2 != h) {
                    if inside(ring(h)[0], ring(h2)) {
                        return false;
                    }
                }
            }
        }
        for (i, p) in self.polys.iter().enumerate() {
            for (j, q) in self.polys.iter().enumerate() {
                if i == j || !bbox_overlap(p.bbox, q.bbox) {
                    continue;
                }
                let v = ring(q.exterior)[0];
                if inside(v, ring(p.exterior)) && !p.holes.clone().any(|h| inside(v, ring(h))) {
                    return false;
                }
            }
        }
        true
    }
}

/// True if the ring is a strictly convex exterior: every turn is to the same side as its
/// (positive) area, with no collinear or repeated points, and the edge direction turns round
/// once (each coordinate of the edge vectors changes sign at most twice; a pentagram turns
/// consistently too, but twice round). Such a ring is simple, so most snapped parcels skip
/// the edge sweep. Anything else returns false and takes the full check.
fn strictly_convex(ring: &[[i32; 2]]) -> bool {
    let n = ring.len();
    if n < 3 || ring_area2(ring) <= 0 {
        return false;
    }
    let edge = |i: usize| sub(ring[(i + 1) % n], ring[i]);
    let mut changes = [0u32; 2];
    let mut prev = edge(n - 1);
    let mut last_sign = [prev[0].signum(), prev[1].signum()];
    for i in 0..n {
        let e = edge(i);
        if cross(prev, e) <= 0 {
            return false;
        }
        for axis in 0..2 {
            let s = e[axis].signum();
            if s != 0 {
                if last_sign[axis] != 0 && s != last_sign[axis] {
                    changes[axis] += 1;
                }
                last_sign[axis] = s;
            }
        }
        prev = e;
    }
    changes[0] <= 2 && changes[1] <= 2
}

fn int_bounds(ring: &[[i32; 2]]) -> [i32; 4] {
    let mut b = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
    for p in ring {
        b = [
            b[0].min(p[0]),
            b[1].min(p[1]),
            b[2].max(p[0]),
            b[3].max(p[1]),
        ];
    }
    b
}

fn bbox_overlap(a: [i32; 4], b: [i32; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// True if two edges meet where they must not.
fn conflict(s: &Seg, t: &Seg) -> bool {
    if s.a[1].max(s.b[1]) < t.a[1].min(t.b[1]) || t.a[1].max(t.b[1]) < s.a[1].min(s.b[1]) {
        return false;
    }
    if s.ring == t.ring {
        let n = s.ring_len;
        if (s.index + 1) % n == t.index {
            return folds_back(s.a, s.b, t.b);
        }
        if (t.index + 1) % n == s.index {
            return folds_back(t.a, t.b, s.b);
        }
    }
    segments_meet(s.a, s.b, t.a, t.b)
}

/// Consecutive edges `a→v` and `v→c` overlap when `c` lies back along `a→v` (a spike).
fn folds_back(a: [i32; 2], v: [i32; 2], c: [i32; 2]) -> bool {
    let (u, w) = (sub(a, v), sub(c, v));
    cross(u, w) == 0 && dot(u, w) > 0
}

fn sub(a: [i32; 2], b: [i32; 2]) -> [i64; 2] {
    [
        i64::from(a[0]) - i64::from(b[0]),
        i64::from(a[1]) - i64::from(b[1]),
    ]
}

fn cross(u: [i64; 2], w: [i64; 2]) -> i64 {
    u[0] * w[1] - u[1] * w[0]
}

fn dot(u: [i64; 2], w: [i64; 2]) -> i64 {
    u[0] * w[0] + u[1] * w[1]
}

fn orient(a: [i32; 2], b: [i32; 2], c: [i32; 2]) -> i64 {
    cross(sub(b, a), sub(c, a)).signum()
}

fn on_segment(a: [i32; 2], b: [i32; 2], p: [i32; 2]) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// True if closed segments `p1p2` and `q1q2` share any point (exact integer test).
pub(crate) fn segments_meet(p1: [i32; 2], p2: [i32; 2], q1: [i32; 2], q2: [i32; 2]) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    if d1 * d2 < 0 && d3 * d4 < 0 {
        return true;
    }
    (d1 == 0 && on_segment(q1, q2, p1))
        || (d2 == 0 && on_segment(q1, q2, p2))
        || (d3 == 0 && on_segment(p1, p2, q1))
        || (d4 == 0 && on_segment(p1, p2, q2))
}

/// Point in ring by crossing number; the point must not lie on the ring.
pub(crate) fn inside(p: [i32; 2], ring: &[[i32; 2]]) -> bool {
    let mut c = false;
    let n = ring.len();
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            // x of the edge at p.y, compared exactly: (p - a) x (b - a) sign.
            let s = cross(sub(b, a), sub(p, a));
            if (s > 0) == (b[1] > a[1]) {
                c = !c;
            }
        }
        j = i;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(rings: &[&[[i32; 2]]]) -> TileGeom {
        let mut g = TileGeom::default();
        for r in rings {
            let s = g.points.len();
            g.points.extend_from_slice(r);
            g.end_part(s);
        }
        g
    }

    const SQUARE: [[i32; 2]; 4] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    const HOLE: [[i32; 2]; 4] = [[2, 2], [2, 8], [8, 8], [8, 2]];

    #[test]
    fn simple_square_with_hole_is_valid() {
        let mut r = Repairer::default();
        assert!(r.is_valid(&geom(&[&SQUARE])));
        assert!(r.is_valid(&geom(&[&SQUARE, &HOLE])));
    }

    #[test]
    fn bow_tie_is_invalid_and_repair_fixes_it() {
        let mut r = Repairer::default();
        let mut g = geom(&[&[[0, 0], [10, 10], [10, 0], [0, 10]]]);
        assert!(!r.is_valid(&g));
        r.repair(&mut g);
        assert!(r.is_valid(&g), "{g:?}");
    }

    #[test]
    fn spike_is_invalid() {
        let mut r = Repairer::default();
        assert!(!r.is_valid(&geom(&[&[[0, 0], [10, 0], [15, 0], [10, 0], [10, 10]]])));
        assert!(!r.is_valid(&geom(&[&[[0, 0], [10, 0], [10, 10], [10, 5]]])));
    }

    #[test]
    fn hole_outside_or_touching_is_invalid() {
        let mut r = Repairer::default();
        let far: [[i32; 2]; 4] = [[20, 20], [20, 28], [28, 28], [28, 20]];
        assert!(!r.is_valid(&geom(&[&SQUARE, &far])));
        let touching: [[i32; 2]; 4] = [[0, 2], [0, 8], [8, 8], [8, 2]];
        assert!(!r.is_valid(&geom(&[&SQUARE, &touching])));
    }

    #[test]
    fn overlapping_parts_are_invalid_and_repair_merges_them() {
        let mut r = Repairer::default();
        let other: [[i32; 2]; 4] = [[5, 5], [15, 5], [15, 15], [5, 15]];
        let mut g = geom(&[&SQUARE, &other]);
        assert!(!r.is_valid(&g));
        r.repair(&mut g);
        assert_eq!(g.part_count(), 1);
        assert_eq!(ring_area2(&g.points), 2 * 175);
    }

    #[test]
    fn repair_keeps_holes_as_holes() {
        let mut r = Repairer::default();
        let touching: [[i32; 2]; 4] = [[0, 2], [0, 8], [8, 8], [8, 2]];
        let mut g = geom(&[&SQUARE, &touching]);
        r.repair(&mut g);
        let total: i64 = g.parts().map(ring_area2).sum();
        assert_eq!(total, 2 * (100 - 48), "{g:?}");
    }

    #[rstest::rstest]
    #[case::square(&SQUARE, true)]
    #[case::triangle(&[[0, 0], [10, 0], [5, 8]], true)]
    #[case::hexagon(&[[0, 5], [4, 0], [10, 0], [14, 5], [10, 10], [4, 10]], true)]
    #[case::reversed_square(&[[0, 0], [0, 10], [10, 10], [10, 0]], false)]
    #[case::collinear_point(&[[0, 0], [5, 0], [10, 0], [10, 10], [0, 10]], false)]
    #[case::concave(&[[0, 0], [10, 0], [10, 10], [5, 3], [0, 10]], false)]
    #[case::pentagram(&[[0, 3], [10, 3], [2, 9], [5, 0], [8, 9]], false)]
    #[case::repeated_point(&[[0, 0], [10, 0], [10, 0], [10, 10], [0, 10]], false)]
    fn convex_fast_path_accepts_only_simple_convex_exteriors(
        #[case] ring: &[[i32; 2]],
        #[case] convex: bool,
    ) {
        // `ring_area2` is positive for the pipeline's exterior orientation; SQUARE is one.
        assert!(ring_area2(&SQUARE) > 0);
        assert_eq!(strictly_convex(ring), convex, "{ring:?}");
        if convex {
            // Whatever the fast path accepts, the full check accepts too.
            let mut r = Repairer::default();
            let g = geom(&[ring]);
            assert!(r.group(&g) && r.no_contacts(&g) && r.nested_properly(&g));
        }
    }

    #[test]
    fn part_inside_a_hole_is_valid() {
        let mut r = Repairer::default();
        let island: [[i32; 2]; 4] = [[4, 4], [6, 4], [6, 6], [4, 6]];
        assert!(r.is_valid(&geom(&[&SQUARE, &HOLE, &island])));
    }
}
