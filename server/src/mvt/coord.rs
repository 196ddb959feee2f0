//! Tile coordinates (XYZ, y down from the north) and their bounds.

use super::TileError;
use crate::model::{MERCATOR_HALF, merc_to_lonlat};

/// The deepest zoom the server answers.
pub const MAX_ZOOM: u32 = 24;

/// One tile of the Web Mercator pyramid. Build it with [`TileCoord::new_checked`] at the
/// edge so that every coordinate inside the pipeline is in range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileCoord {
    /// Checks `z <= 24` and `x, y < 2^z`; the error names the part that is out of range.
    pub fn new_checked(z: u32, x: u32, y: u32) -> Result<Self, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::CoordOutOfRange {
                part: "z",
                value: z,
                max: u64::from(MAX_ZOOM),
            });
        }
        let max = (1u64 << z) - 1;
        for (part, value) in [("x", x), ("y", y)] {
            if u64::from(value) > max {
                return Err(TileError::CoordOutOfRange { part, value, max });
            }
        }
        Ok(Self { z: z as u8, x, y })
    }

    /// Width of the tile in EPSG:3857 metres.
    pub fn size_m(self) -> f64 {
        2.0 * MERCATOR_HALF / f64::from(1u32 << self.z.min(31))
    }

    /// `[min_x, min_y, max_x, max_y]` in EPSG:3857 metres.
    pub fn merc_bounds(self) -> [f64; 4] {
        let size = self.size_m();
        let min_x = -MERCATOR_HALF + f64::from(self.x) * size;
        let max_y = MERCATOR_HALF - f64::from(self.y) * size;
        [min_x, max_y - size, min_x + size, max_y]
    }

    /// `[west, south, east, north]` in degrees.
    pub fn lonlat_bounds(self) -> [f64; 4] {
        let [x0, y0, x1, y1] = self.merc_bounds();
        let (w, s) = merc_to_lonlat(x0, y0);
        let (e, n) = merc_to_lonlat(x1, y1);
        [w, s, e, n]
    }

    /// The tile one zoom up that contains this one; `None` at zoom 0.
    pub fn parent(self) -> Option<Self> {
        (self.z > 0).then(|| Self {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }

    /// The four tiles one zoom down, in row order; `None` at the deepest zoom.
    pub fn children(self) -> Option<[Self; 4]> {
        if u32::from(self.z) >= MAX_ZOOM {
            return None;
        }
        let (z, x, y) = (self.z + 1, self.x * 2, self.y * 2);
        Some([
            Self { z, x, y },
            Self { z, x: x + 1, y },
            Self { z, x, y: y + 1 },
            Self {
                z,
                x: x + 1,
                y: y + 1,
            },
        ])
    }
}

impl std::fmt::Display for TileCoord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Maps EPSG:3857 metres to the tile's coordinate space (`extent` units, y down).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TileTransform {
    origin_x: f64,
    origin_y: f64,
    scale: f64,
}

impl TileTransform {
    pub(crate) fn new(coord: TileCoord, extent: u32) -> Self {
        let [min_x, _, _, max_y] = coord.merc_bounds();
        Self {
            origin_x: min_x,
            origin_y: max_y,
            scale: f64::from(extent) / coord.size_m(),
        }
    }

    #[inline]
    pub(crate) fn apply(&self, x: f64, y: f64) -> [f64; 2] {
        [
            (x - self.origin_x) * self.scale,
            (self.origin_y - y) * self.scale,
        ]
    }
}

#[cfg(test)]
#[expect(clippy::many_single_char_names, reason = "corner names")]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(25, 0, 0, "z=25")]
    #[case(3, 8, 0, "x=8")]
    #[case(3, 0, 8, "y=8")]
    #[case(0, 1, 0, "x=1")]
    fn out_of_range_coordinates_name_the_bad_part(
        #[case] z: u32,
        #[case] x: u32,
        #[case] y: u32,
        #[case] part: &str,
    ) {
        let e = TileCoord::new_checked(z, x, y).unwrap_err().to_string();
        assert!(e.contains(part), "{e}");
    }

    #[rstest]
    #[case(0, 0, 0)]
    #[case(24, (1 << 24) - 1, (1 << 24) - 1)]
    #[case(14, 14_308, 6_624)]
    fn in_range_coordinates_are_accepted(#[case] z: u32, #[case] x: u32, #[case] y: u32) {
        let c = TileCoord::new_checked(z, x, y).unwrap();
        assert_eq!((u32::from(c.z), c.x, c.y), (z, x, y));
    }

    #[test]
    fn bounds_of_the_world_tile_cover_mercator() {
        let c = TileCoord::new_checked(0, 0, 0).unwrap();
        let [x0, y0, x1, y1] = c.merc_bounds();
        assert!((x0 + MERCATOR_HALF).abs() < 1e-6 && (y1 - MERCATOR_HALF).abs() < 1e-6);
        assert!((x1 - MERCATOR_HALF).abs() < 1e-6 && (y0 + MERCATOR_HALF).abs() < 1e-6);
        let [w, s, e, n] = c.lonlat_bounds();
        assert!((w + 180.0).abs() < 1e-9 && (e - 180.0).abs() < 1e-9);
        assert!(s < -85.0 && n > 85.0);
    }

    #[test]
    fn children_tile_their_parent() {
        let c = TileCoord::new_checked(12, 3528, 1648).unwrap();
        let kids = c.children().unwrap();
        assert!(kids.iter().all(|k| k.parent() == Some(c)));
        let [px0, py0, px1, py1] = c.merc_bounds();
        let [kx0, _, _, ky1] = kids[0].merc_bounds();
        let [_, ky0, kx1, _] = kids[3].merc_bounds();
        assert!((px0 - kx0).abs() < 1e-6 && (py1 - ky1).abs() < 1e-6);
        assert!((px1 - kx1).abs() < 1e-6 && (py0 - ky0).abs() < 1e-6);
        assert!(
            TileCoord::new_checked(24, 0, 0)
                .unwrap()
                .children()
                .is_none()
        );
        assert!(TileCoord::new_checked(0, 0, 0).unwrap().parent().is_none());
    }

    #[test]
    fn transform_maps_tile_corners_to_extent() {
        let c = TileCoord::new_checked(14, 14_308, 6_624).unwrap();
        let t = TileTransform::new(c, 4096);
        let [x0, y0, x1, y1] = c.merc_bounds();
        let a = t.apply(x0, y1);
        let b = t.apply(x1, y0);
        assert!(a[0].abs() < 1e-6 && a[1].abs() < 1e-6);
        assert!((b[0] - 4096.0).abs() < 1e-6 && (b[1] - 4096.0).abs() < 1e-6);
    }
}
