//! Clipping to the buffered tile square, in floating-point tile coordinates.
//!
//! Polygons use Sutherland–Hodgman against the square. Its output always covers exactly
//! the intersection, but a concave ring that leaves and re-enters across one side comes
//! back with zero-width "bridges" along that side; those are invalid, so the validity check
//! after snapping catches them and the ring goes through the integer overlay repair.
//! Nothing is ever clamped: clamping moves edges and creates self-intersections.
#![expect(
    clippy::many_single_char_names,
    reason = "geometry formulas read best with their textbook names"
)]

/// The square `[min, max]²` that features are clipped to (the tile plus its buffer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClipRect {
    pub min: f64,
    pub max: f64,
}

impl ClipRect {
    pub(crate) fn new(extent: u32, buffer: u32) -> Self {
        Self {
            min: -f64::from(buffer),
            max: f64::from(extent) + f64::from(buffer),
        }
    }

    /// A rectangle that contains everything: overviews are built in world coordinates.
    pub(crate) fn everything() -> Self {
        Self {
            min: f64::MIN,
            max: f64::MAX,
        }
    }

    pub(crate) fn contains(&self, p: [f64; 2]) -> bool {
        p[0] >= self.min && p[0] <= self.max && p[1] >= self.min && p[1] <= self.max
    }
}

/// Axis-aligned bounds of a point list: `[min_x, min_y, max_x, max_y]`.
pub(crate) fn bounds(pts: &[[f64; 2]]) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in pts {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

/// How a bounding box relates to the clip square.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Outside,
    Inside,
    Crosses,
}

pub(crate) fn relate(b: [f64; 4], r: ClipRect) -> Relation {
    if b[2] < r.min || b[0] > r.max || b[3] < r.min || b[1] > r.max {
        Relation::Outside
    } else if b[0] >= r.min && b[2] <= r.max && b[1] >= r.min && b[3] <= r.max {
        Relation::Inside
    } else {
        Relation::Crosses
    }
}

/// Clips a ring (not closed) to the square; the result replaces `ring`. `tmp` is scratch.
pub(crate) fn clip_ring(ring: &mut Vec<[f64; 2]>, r: ClipRect, tmp: &mut Vec<[f64; 2]>) {
    // Edges: x >= min, x <= max, y >= min, y <= max.
    for edge in 0..4 {
        if ring.is_empty() {
            return;
        }
        tmp.clear();
        let (axis, bound, keep_above) = match edge {
            0 => (0, r.min, true),
            1 => (0, r.max, false),
            2 => (1, r.min, true),
            _ => (1, r.max, false),
        };
        let inside = |p: [f64; 2]| {
            if keep_above {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut prev = ring[ring.len() - 1];
        for &cur in ring.iter() {
            match (inside(prev), inside(cur)) {
                (true, true) => tmp.push(cur),
                (true, false) => tmp.push(cross(prev, cur, axis, bound)),
                (false, true) => {
                    tmp.push(cross(prev, cur, axis, bound));
                    tmp.push(cur);
                }
                (false, false) => {}
            }
            prev = cur;
        }
        std::mem::swap(ring, tmp);
    }
}

/// Where segment `a`–`b` crosses the line `p[axis] = bound`.
fn cross(a: [f64; 2], b: [f64; 2], axis: usize, bound: f64) -> [f64; 2] {
    let t = (bound - a[axis]) / (b[axis] - a[axis]);
    let other = 1 - axis;
    let mut p = [0.0; 2];
    p[axis] = bound;
    p[other] = a[other] + t * (b[other] - a[other]);
    p
}

/// Clips a line to the square with Liang–Barsky per segment. The pieces inside are written
/// to `out` as consecutive parts; `ends` gets each part's end offset.
pub(crate) fn clip_line(
    line: &[[f64; 2]],
    r: ClipRect,
    out: &mut Vec<[f64; 2]>,
    ends: &mut Vec<usize>,
) {
    out.clear();
    ends.clear();
    let mut open = false;
    for w in line.windows(2) {
        let Some((p, q, clipped_end)) = clip_segment(w[0], w[1], r) else {
            if open {
                ends.push(out.len());
                open = false;
            }
            continue;
        };
        if !open || out.last() != Some(&p) {
            if open {
                ends.push(out.len());
            }
            out.push(p);
            open = true;
        }
        out.push(q);
        if clipped_end {
            ends.push(out.len());
            open = false;
        }
    }
    if open {
        ends.push(out.len());
    }
}

/// The part of segment `a`–`b` inside the square, and whether its end was cut.
fn clip_segment(a: [f64; 2], b: [f64; 2], r: ClipRect) -> Option<([f64; 2], [f64; 2], bool)> {
    // Most segments lie wholly inside or wholly beyond one side: the same answers as
    // Liang–Barsky below, without its four divisions.
    if r.contains(a) && r.contains(b) {
        return Some((a, b, false));
    }
    if (a[0] < r.min && b[0] < r.min)
        || (a[0] > r.max && b[0] > r.max)
        || (a[1] < r.min && b[1] < r.min)
        || (a[1] > r.max && b[1] > r.max)
    {
        return None;
    }
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-d[0], a[0] - r.min),
        (d[0], r.max - a[0]),
        (-d[1], a[1] - r.min),
        (d[1], r.max - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| [a[0] + t * d[0], a[1] + t * d[1]];
    let start = if t0 > 0.0 { at(t0) } else { a };
    let (end, cut) = if t1 < 1.0 { (at(t1), true) } else { (b, false) };
    Some((start, end, cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: ClipRect = ClipRect {
        min: 0.0,
        max: 10.0,
    };

    #[test]
    fn ring_crossing_the_square_is_cut_on_its_sides() {
        let mut ring = vec![[-5.0, -5.0], [5.0, -5.0], [5.0, 5.0], [-5.0, 5.0]];
        clip_ring(&mut ring, R, &mut Vec::new());
        let area = crate::mvt::geom::ring_area_f(&ring).abs();
        assert!((area - 25.0).abs() < 1e-9, "{ring:?}");
        assert!(ring.iter().all(|&p| R.contains(p)));
    }

    #[test]
    fn ring_outside_the_square_vanishes() {
        let mut ring = vec![[20.0, 20.0], [30.0, 20.0], [30.0, 30.0]];
        clip_ring(&mut ring, R, &mut Vec::new());
        assert!(ring.is_empty());
    }

    #[test]
    fn line_leaving_and_reentering_is_split_into_parts() {
        let line = [
            [-1.0, 5.0],
            [5.0, 5.0],
            [5.0, 20.0],
            [8.0, 20.0],
            [8.0, 5.0],
        ];
        let (mut out, mut ends) = (Vec::new(), Vec::new());
        clip_line(&line, R, &mut out, &mut ends);
        assert_eq!(ends.len(), 2, "{out:?} {ends:?}");
        assert_eq!(&out[..ends[0]], &[[0.0, 5.0], [5.0, 5.0], [5.0, 10.0]]);
        assert_eq!(&out[ends[0]..], &[[8.0, 10.0], [8.0, 5.0]]);
    }
}
