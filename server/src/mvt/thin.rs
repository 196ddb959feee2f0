//! Thinning: which features a low-zoom tile shows, decided per feature so that it never
//! depends on who asks (a view shows its admitted features ∩ the kept ones) and never on
//! which tile is rendered (neighbouring tiles agree). See docs/tiles.md.

use geo::{Area, Geometry, LineString};

use crate::model::MERCATOR_HALF;

/// The thinning cell, in tile units: 32 of 4096 is 4 px of a 512 px tile.
pub const THIN_CELL: u32 = 32;

/// Escalation steps of the byte budget; each one shows about 4× fewer features.
pub(crate) const MAX_LEVEL: u32 = 4;

/// A feature's deterministic draw in `[0, 1)` (`SplitMix64` of its id).
pub(crate) fn unit(id: u64) -> f64 {
    let mut z = id.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Tile units per EPSG:3857 metre at zoom `z`.
pub(crate) fn units_per_metre(z: u8) -> f64 {
    f64::from(super::EXTENT) * f64::from(1u32 << z.min(31)) / (2.0 * MERCATOR_HALF)
}

/// The size that thinning compares: the area of polygons' exteriors (m²) or the length of
/// lines (m), in EPSG:3857 metres; 0 for points.
pub(crate) fn size_of(g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Polygon(p) => ring_area(p.exterior()),
        Geometry::MultiPolygon(mp) => mp.iter().map(|p| ring_area(p.exterior())).sum(),
        Geometry::Rect(r) => r.unsigned_area(),
        Geometry::Triangle(t) => t.unsigned_area(),
        Geometry::LineString(l) => length(l),
        Geometry::MultiLineString(ml) => ml.iter().map(length).sum(),
        Geometry::Line(l) => (l.end - l.start).x.hypot((l.end - l.start).y),
        _ => 0.0,
    }
}

/// Unsigned area of a ring, relative to its first point for precision in metres.
fn ring_area(l: &LineString<f64>) -> f64 {
    let Some(o) = l.0.first() else {
        return 0.0;
    };
    let sum: f64 = l
        .lines()
        .map(|s| (s.start.x - o.x) * (s.end.y - o.y) - (s.end.x - o.x) * (s.start.y - o.y))
        .sum();
    sum.abs() / 2.0
}

fn length(l: &LineString<f64>) -> f64 {
    l.lines()
        .map(|s| (s.end.x - s.start.x).hypot(s.end.y - s.start.y))
        .sum()
}

/// What to draw of a polygon or line feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    Drop,
    /// Its own (simplified) geometry.
    Real,
    /// A small polygon that stands for its neighbours: drawn as a square (see [`Thinning`]).
    Square,
}

/// The thinning rule at one zoom and budget level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thinning {
    /// Off at and above the layer's max zoom, unless the byte budget forces it.
    pub active: bool,
    pub level: u32,
    pub z: u8,
}

impl Thinning {
    pub(crate) fn new(z: u8, max_zoom: u8, level: u32) -> Self {
        Self {
            active: z < max_zoom || level > 0,
            level,
            z,
        }
    }

    fn factor(self) -> f64 {
        f64::from(1u32 << (2 * self.level))
    }

    /// Side of a square that stands for small polygons, in tile units.
    pub(crate) fn square_side(self) -> i32 {
        (THIN_CELL << self.level) as i32
    }

    /// Polygons: weight = area / cell² at level 0. Smaller ones are kept with probability
    /// `weight / 4^level` and drawn as a square of the (scaled) cell, so the covered area
    /// stays right on average and nothing becomes a sliver.
    pub(crate) fn polygon(self, size_m2: f64, id: u64) -> Keep {
        let cell = f64::from(THIN_CELL);
        let w = size_m2 * units_per_metre(self.z).powi(2) / (cell * cell);
        self.decide(w, id, Keep::Square)
    }

    /// Lines: weight = length / cell; short ones are kept with probability `weight / 4^level`.
    pub(crate) fn line(self, length_m: f64, id: u64) -> Keep {
        let w = length_m * units_per_metre(self.z) / f64::from(THIN_CELL);
        self.decide(w, id, Keep::Real)
    }

    fn decide(self, weight: f64, id: u64, small: Keep) -> Keep {
        if !self.active || weight >= self.factor() {
            Keep::Real
        } else if unit(id) < weight / self.factor() {
            small
        } else {
            Keep::Drop
        }
    }

    /// Points: one per cell, the one with the lowest draw. `appear` is the lowest zoom at
    /// which the point wins its cell; at budget level `l` the cells are those of zoom `z - l`.
    pub(crate) fn point(self, appear: u8) -> bool {
        !self.active || i32::from(appear) <= i32::from(self.z) - self.level as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_enough() {
        let n = 100_000u64;
        let below = (0..n).filter(|&i| unit(i) < 0.25).count() as f64 / n as f64;
        assert!((below - 0.25).abs() < 0.01, "{below}");
    }

    #[test]
    fn nothing_is_thinned_at_max_zoom() {
        let t = Thinning::new(16, 16, 0);
        assert_eq!(t.polygon(1e-6, 1), Keep::Real);
        assert!(t.point(200));
    }

    #[test]
    fn small_polygons_are_kept_in_proportion_to_their_area() {
        let t = Thinning::new(12, 20, 0);
        let cell_m = f64::from(THIN_CELL) / units_per_metre(12);
        let size = 0.1 * cell_m * cell_m;
        let kept = (0..10_000u64)
            .filter(|&id| t.polygon(size, id) == Keep::Square)
            .count();
        assert!((900..1100).contains(&kept), "{kept}");
        assert_eq!(t.polygon(4.0 * cell_m * cell_m, 1), Keep::Real);
    }
}
