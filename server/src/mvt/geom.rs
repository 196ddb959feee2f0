//! Integer tile geometry: the pipeline's output, ready to encode.

/// MVT geometry types (the `type` field of a feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GeomType {
    Point = 1,
    LineString = 2,
    Polygon = 3,
}

/// One feature's geometry in tile coordinates: parts (points, lines or rings) stored as
/// ranges of one point buffer, so a whole tile reuses a single allocation.
///
/// Polygon rings follow MVT 2.1: an exterior ring (positive [`ring_area2`]) is followed by its
/// interior rings (negative); rings are not closed (the encoder adds `ClosePath`).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct TileGeom {
    pub points: Vec<[i32; 2]>,
    /// End offset (exclusive) of each part in `points`.
    pub ends: Vec<u32>,
}

impl TileGeom {
    pub fn clear(&mut self) {
        self.points.clear();
        self.ends.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Closes the part that began at `start`; returns false (and drops it) when it is empty.
    pub fn end_part(&mut self, start: usize) -> bool {
        if self.points.len() == start {
            return false;
        }
        self.ends.push(self.points.len() as u32);
        true
    }

    /// Drops the points pushed since `start` (an abandoned part).
    pub fn truncate_to(&mut self, start: usize) {
        self.points.truncate(start);
    }

    pub fn part_start(&self, part: usize) -> usize {
        if part == 0 {
            0
        } else {
            self.ends[part - 1] as usize
        }
    }

    pub fn parts(&self) -> impl Iterator<Item = &[[i32; 2]]> {
        let mut start = 0usize;
        self.ends.iter().map(move |&end| {
            let s = &self.points[start..end as usize];
            start = end as usize;
            s
        })
    }

    pub fn part_count(&self) -> usize {
        self.ends.len()
    }
}

/// Rounds a tile coordinate to the integer grid, half away from zero, saturating at the
/// `i32` range: exactly `v.round() as i32`, without the call into `libm` that `f64::round`
/// costs on baseline x86-64 (no SSE4.1 rounding instruction). `v - trunc(v)` is exact.
#[inline]
pub(crate) fn snap(v: f64) -> i32 {
    let t = v as i32;
    let frac = v - f64::from(t);
    t.saturating_add(i32::from(frac >= 0.5))
        .saturating_sub(i32::from(frac <= -0.5))
}

/// Twice the signed area of a ring by the MVT surveyor's formula in tile coordinates
/// (y down): positive for exterior rings, negative for interior rings.
pub(crate) fn ring_area2(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    if n < 3 {
        return 0;
    }
    let mut sum = 0i64;
    let mut prev = ring[n - 1];
    for &p in ring {
        sum += i64::from(prev[0]) * i64::from(p[1]) - i64::from(p[0]) * i64::from(prev[1]);
        prev = p;
    }
    sum
}

/// [`ring_area2`] for floating-point rings, halved.
pub(crate) fn ring_area_f(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    let mut sum = 0.0;
    let mut prev = ring[n - 1];
    for &p in ring {
        sum += prev[0] * p[1] - p[0] * prev[1];
        prev = p;
    }
    sum / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exterior_rings_in_tile_space_have_positive_area() {
        // Clockwise on screen (y down): right along the top, then down.
        let ring = [[0, 0], [10, 0], [10, 10], [0, 10]];
        assert_eq!(ring_area2(&ring), 200);
        let rev: Vec<_> = ring.iter().rev().copied().collect();
        assert_eq!(ring_area2(&rev), -200);
    }

    #[test]
    fn snapping_rounds_like_f64_round() {
        let mut v = -5000.0;
        while v < 5000.0 {
            for x in [
                v,
                v + 0.5,
                v - 0.5,
                v + 0.499_999_999_999,
                v + 0.500_000_000_001,
            ] {
                assert_eq!(snap(x), x.round() as i32, "{x}");
            }
            v += 0.37;
        }
        for x in [
            0.0,
            -0.0,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            1e12,
            -1e12,
            f64::NAN,
        ] {
            assert_eq!(snap(x), x.round() as i32, "{x}");
        }
    }

    #[test]
    fn parts_are_ranges_of_one_buffer() {
        let mut g = TileGeom::default();
        g.points.extend([[0, 0], [1, 1]]);
        assert!(g.end_part(0));
        assert!(!g.end_part(2));
        g.points.push([5, 5]);
        assert!(g.end_part(2));
        let parts: Vec<_> = g.parts().collect();
        assert_eq!(parts, vec![&[[0, 0], [1, 1]][..], &[[5, 5]][..]]);
    }
}
