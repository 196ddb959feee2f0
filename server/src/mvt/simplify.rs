//! Douglas–Peucker simplification and snapping to the integer grid.
#![expect(
    clippy::many_single_char_names,
    reason = "geometry formulas read best with their textbook names"
)]

use super::geom::{ring_area_f, snap};

/// Reusable buffers for simplification.
#[derive(Default)]
pub(crate) struct Simplifier {
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
    kept: Vec<[f64; 2]>,
}

impl Simplifier {
    /// Simplifies an open line in place. The end points always stay.
    pub(crate) fn line(&mut self, pts: &mut Vec<[f64; 2]>, tolerance: f64) {
        if pts.len() < 3 || tolerance <= 0.0 {
            return;
        }
        self.keep.clear();
        self.keep.resize(pts.len(), false);
        self.mark(pts, 0, pts.len() - 1, tolerance * tolerance);
        compact(pts, &self.keep);
    }

    /// Simplifies a ring (not closed) in place, unless that would collapse it: a ring whose
    /// simplified area is below half its area, or that keeps fewer than 4 corners when it had
    /// more, stays as it was. This is what stops small polygons from becoming slivers.
    pub(crate) fn ring(&mut self, pts: &mut Vec<[f64; 2]>, tolerance: f64) {
        let n = pts.len();
        if n < 5 || tolerance <= 0.0 {
            return;
        }
        // Split the ring at its first point and the point farthest from it.
        let far = (1..n)
            .max_by(|&a, &b| dist2(pts[0], pts[a]).total_cmp(&dist2(pts[0], pts[b])))
            .unwrap_or(n / 2);
        self.keep.clear();
        self.keep.resize(n + 1, false);
        pts.push(pts[0]);
        let tol2 = tolerance * tolerance;
        self.mark(pts, 0, far, tol2);
        self.mark(pts, far, n, tol2);
        pts.pop();
        self.keep.pop();
        let kept = self.keep.iter().filter(|&&k| k).count();
        if kept < 4 {
            return;
        }
        let before = ring_area_f(pts).abs();
        self.kept.clear();
        self.kept.extend(
            pts.iter()
                .zip(&self.keep)
                .filter(|(_, k)| **k)
                .map(|(p, _)| *p),
        );
        if ring_area_f(&self.kept).abs() >= 0.5 * before {
            std::mem::swap(pts, &mut self.kept);
        }
    }

    fn mark(&mut self, pts: &[[f64; 2]], first: usize, last: usize, tol2: f64) {
        self.keep[first] = true;
        self.keep[last] = true;
        self.stack.clear();
        self.stack.push((first, last));
        while let Some((a, b)) = self.stack.pop() {
            let mut best = (0.0, 0);
            for i in a + 1..b {
                let d = seg_dist2(pts[i], pts[a], pts[b]);
                if d > best.0 {
                    best = (d, i);
                }
            }
            if best.0 > tol2 {
                self.keep[best.1] = true;
                self.stack.push((a, best.1));
                self.stack.push((best.1, b));
            }
        }
    }
}

fn compact(pts: &mut Vec<[f64; 2]>, keep: &[bool]) {
    let mut w = 0;
    for r in 0..pts.len() {
        if keep[r] {
            pts[w] = pts[r];
            w += 1;
        }
    }
    pts.truncate(w);
}

fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

/// Squared distance from `p` to segment `a`–`b`.
fn seg_dist2(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1]];
    let len2 = d[0] * d[0] + d[1] * d[1];
    if len2 == 0.0 {
        return dist2(p, a);
    }
    let t = (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0);
    dist2(p, [a[0] + t * d[0], a[1] + t * d[1]])
}

/// Rounds points to the integer grid and appends them to `out`, dropping repeated points and
/// immediate back-tracks (`a, b, a` → `a`). For rings the closing repeat is dropped too.
pub(crate) fn snap_into(pts: &[[f64; 2]], ring: bool, out: &mut Vec<[i32; 2]>) {
    let start = out.len();
    for p in pts {
        let q = [snap(p[0]), snap(p[1])];
        push_snapped(out, start, q);
    }
    if ring {
        // The ring wraps around: drop a trailing copy of the first point and back-tracks
        // across the seam.
        while out.len() - start >= 2 && out[out.len() - 1] == out[start] {
            out.pop();
        }
        while out.len() - start >= 3 && out[out.len() - 2] == out[start] {
            // ..., first, x, (first): x is a spike at the seam.
            out.pop();
            out.pop();
        }
    }
}

fn push_snapped(out: &mut Vec<[i32; 2]>, start: usize, q: [i32; 2]) {
    let n = out.len() - start;
    if n >= 1 && out[out.len() - 1] == q {
        return;
    }
    if n >= 2 && out[out.len() - 2] == q {
        out.pop();
        return;
    }
    out.push(q);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_simplification_keeps_ends_and_drops_near_points() {
        let mut pts = vec![[0.0, 0.0], [5.0, 0.1], [10.0, 0.0], [10.0, 10.0]];
        Simplifier::default().line(&mut pts, 1.0);
        assert_eq!(pts, vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]);
    }

    #[test]
    fn small_rings_are_not_collapsed_by_simplification() {
        // A 6-point ring whose every corner is within tolerance of a chord.
        let mut pts = vec![
            [0.0, 0.0],
            [3.0, 0.0],
            [6.0, 1.0],
            [6.0, 3.0],
            [3.0, 3.0],
            [0.0, 2.0],
        ];
        let before = pts.clone();
        Simplifier::default().ring(&mut pts, 4.0);
        assert_eq!(pts, before);
    }

    #[test]
    fn snapping_drops_repeats_and_backtracks() {
        let mut out = Vec::new();
        snap_into(
            &[
                [0.0, 0.0],
                [0.2, 0.1],
                [5.0, 0.0],
                [9.9, 0.0],
                [5.1, 0.0],
                [5.0, 5.0],
                [0.0, 0.4],
            ],
            true,
            &mut out,
        );
        assert_eq!(out, vec![[0, 0], [5, 0], [5, 5]]);
    }
}
