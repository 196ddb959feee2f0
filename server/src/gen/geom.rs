//! Planar geometry helpers in local metres: convex clipping, star-shaped polygons,
//! densifying, offsetting and cutting polylines.

use geo::{Coord, coord};

use super::boundary::dist;
use super::rng::Rng;

/// Clips a convex polygon (open ring) to the half-plane `n · p <= c`
/// (one Sutherland–Hodgman step). The result is convex, possibly empty.
pub(crate) fn clip_half_plane(poly: &[Coord], n: Coord, c: f64) -> Vec<Coord> {
    let side = |p: Coord| n.x * p.x + n.y * p.y - c;
    let mut out = Vec::with_capacity(poly.len() + 1);
    for (i, &a) in poly.iter().enumerate() {
        let b = poly[(i + 1) % poly.len()];
        let (sa, sb) = (side(a), side(b));
        if sa <= 0.0 {
            out.push(a);
        }
        if (sa < 0.0 && sb > 0.0) || (sa > 0.0 && sb < 0.0) {
            out.push(a + (b - a) * (sa / (sa - sb)));
        }
    }
    dedup_ring(out, 0.01)
}

/// Drops vertices closer than `tol` to the previous one (including across the seam).
fn dedup_ring(mut ring: Vec<Coord>, tol: f64) -> Vec<Coord> {
    ring.dedup_by(|b, a| dist(*a, *b) < tol);
    while ring.len() > 1 && dist(ring[0], ring[ring.len() - 1]) < tol {
        ring.pop();
    }
    ring
}

/// A regular polygon approximating a circle (open ring, counter-clockwise).
pub(crate) fn circle(centre: Coord, r: f64, n: usize) -> Vec<Coord> {
    (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            centre + coord! { x: r * a.cos(), y: r * a.sin() }
        })
        .collect()
}

/// Signed area of an open or closed ring (positive when counter-clockwise).
pub(crate) fn area(ring: &[Coord]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum::<f64>()
        / 2.0
}

/// Closes an open ring.
pub(crate) fn closed(mut ring: Vec<Coord>) -> Vec<Coord> {
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    ring
}

/// A star-shaped polygon around `centre` (open ring, counter-clockwise).
///
/// Vertices sit at strictly increasing angles, each gap under half a turn, with positive
/// radii: such a polygon is always simple, so it needs no validity repair.
/// `radius(θ, rng)` gives the radius in direction θ.
pub(crate) fn star(
    rng: &mut Rng,
    centre: Coord,
    n: usize,
    mut radius: impl FnMut(f64, &mut Rng) -> f64,
) -> Vec<Coord> {
    let phase = rng.range(0.0, std::f64::consts::TAU);
    let step = std::f64::consts::TAU / n as f64;
    (0..n)
        .map(|i| {
            let a = phase + (i as f64 + rng.range(0.1, 0.9)) * step;
            let r = radius(a, rng);
            centre + coord! { x: r * a.cos(), y: r * a.sin() }
        })
        .collect()
}

/// Inserts vertices so no edge is longer than `step` metres.
pub(crate) fn densify(pts: &[Coord], step: f64) -> Vec<Coord> {
    let mut out = Vec::with_capacity(pts.len() * 2);
    for w in pts.windows(2) {
        let n = (dist(w[0], w[1]) / step).ceil().max(1.0) as usize;
        out.extend((0..n).map(|i| w[0] + (w[1] - w[0]) * (i as f64 / n as f64)));
    }
    out.extend(pts.last());
    out
}

/// Total length of a polyline in metres.
pub(crate) fn length(pts: &[Coord]) -> f64 {
    pts.windows(2).map(|w| dist(w[0], w[1])).sum()
}

/// The polyline shifted `d` metres to its left (negative: right), vertex normals averaged.
pub(crate) fn offset(pts: &[Coord], distance: f64) -> Vec<Coord> {
    let normal = |from: Coord, to: Coord| {
        let len = dist(from, to).max(1e-9);
        coord! { x: -(to.y - from.y) / len, y: (to.x - from.x) / len }
    };
    let count = pts.len();
    (0..count)
        .map(|i| {
            let before = (i > 0).then(|| normal(pts[i - 1], pts[i]));
            let after = (i + 1 < count).then(|| normal(pts[i], pts[i + 1]));
            let shift = match (before, after) {
                (Some(left), Some(right)) => miter(left, right),
                (Some(only), None) | (None, Some(only)) => only,
                (None, None) => coord! { x: 0.0, y: 0.0 },
            };
            pts[i] + shift * distance
        })
        .collect()
}

/// The unit-offset direction at a corner between edges with unit normals `left` and
/// `right`: keeps the offset distance from both edges, capped at twice it for sharp turns.
fn miter(left: Coord, right: Coord) -> Coord {
    let sum = left + right;
    let len = (sum.x * sum.x + sum.y * sum.y).sqrt();
    if len < 1e-9 {
        left
    } else {
        sum * ((2.0 / len).min(2.0) / len)
    }
}

/// Cuts a polyline at vertices into pieces of roughly `lo..hi` metres each.
pub(crate) fn cut(rng: &mut Rng, pts: &[Coord], lo: f64, hi: f64) -> Vec<Vec<Coord>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut target = rng.range(lo, hi);
    let mut run = 0.0;
    for i in 1..pts.len() {
        run += dist(pts[i - 1], pts[i]);
        let rest = length(&pts[i..]);
        if run >= target && rest >= lo / 2.0 {
            pieces.push(pts[start..=i].to_vec());
            start = i;
            run = 0.0;
            target = rng.range(lo, hi);
        }
    }
    if pts.len() - start >= 2 {
        pieces.push(pts[start..].to_vec());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord {
        coord! { x: x, y: y }
    }

    #[test]
    fn half_plane_clip_halves_a_square() {
        let sq = vec![c(0.0, 0.0), c(2.0, 0.0), c(2.0, 2.0), c(0.0, 2.0)];
        let half = clip_half_plane(&sq, c(1.0, 0.0), 1.0);
        assert!((area(&half) - 2.0).abs() < 1e-12);
        assert!(clip_half_plane(&sq, c(1.0, 0.0), -1.0).is_empty());
    }

    #[test]
    fn star_polygons_are_valid() {
        use geo::Validation;
        let mut rng = Rng::new(3);
        for n in 5..=24 {
            let ring = star(&mut rng, c(0.0, 0.0), n, |_, r| r.range(1.0, 10.0));
            let poly = geo::Polygon::new(geo::LineString::new(ring.clone()), vec![]);
            assert!(poly.is_valid(), "{n}: {ring:?}");
            assert!(area(&ring) > 0.0);
        }
    }

    #[test]
    fn offset_keeps_distance_on_straight_lines() {
        let line = [c(0.0, 0.0), c(10.0, 0.0), c(20.0, 0.0)];
        let off = offset(&line, 3.0);
        assert!(off.iter().all(|p| (p.y - 3.0).abs() < 1e-9), "{off:?}");
    }

    #[test]
    fn cut_pieces_cover_the_line_and_share_ends() {
        let mut rng = Rng::new(5);
        let line = densify(&[c(0.0, 0.0), c(1000.0, 0.0)], 30.0);
        let pieces = cut(&mut rng, &line, 100.0, 300.0);
        assert!(pieces.len() >= 3);
        let total: f64 = pieces.iter().map(|p| length(p)).sum();
        assert!((total - 1000.0).abs() < 1e-6);
        for w in pieces.windows(2) {
            assert_eq!(w[0].last(), w[1].first());
        }
    }
}
