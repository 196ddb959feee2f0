//! The real city boundary, and a local metric frame to generate in.
//!
//! Generating in metres keeps sizes and spacings meaningful. The frame is affine
//! (equirectangular about Kashima), so straight edges stay straight and a shape inside the
//! boundary in metres is inside it in lon/lat too.

use std::path::Path;

use geo::{Coord, LineString, Polygon, coord};
use serde_json::Value as Json;

use super::GenError;

/// Origin of the local frame, near the city's centre.
const LON0: f64 = 130.1;
const LAT0: f64 = 33.07;
/// WGS84 semi-major axis and first eccentricity squared.
const A: f64 = 6_378_137.0;
const E2: f64 = 0.006_694_379_990_14;

/// The city polygon in local metres, with the transform to and from lon/lat.
#[derive(Debug, Clone)]
pub(crate) struct Boundary {
    /// Closed exterior ring in metres.
    ring: Vec<Coord>,
    /// Metres per degree of longitude and latitude at the origin.
    kx: f64,
    ky: f64,
}

impl Boundary {
    /// Reads the boundary polygon from a GeoJSON FeatureCollection, Feature or geometry.
    /// A MultiPolygon contributes its largest part; holes are ignored (Kashima has none).
    pub(crate) fn load(path: &Path) -> Result<Self, GenError> {
        let json = super::read_json(path)?;
        let bad = |message: &str| GenError::Source {
            path: path.to_path_buf(),
            message: message.to_owned(),
        };
        let geometry = json
            .pointer("/features/0/geometry")
            .or_else(|| json.get("geometry"))
            .unwrap_or(&json);
        let exterior = match geometry.get("type").and_then(Json::as_str) {
            Some("Polygon") => geometry.pointer("/coordinates/0"),
            Some("MultiPolygon") => largest_part(geometry),
            _ => None,
        }
        .ok_or_else(|| bad("expected a Polygon or MultiPolygon boundary"))?;
        let ring = parse_ring(exterior).ok_or_else(|| bad("ring needs 4+ [lon, lat] pairs"))?;
        Ok(Self::from_lonlat_ring(&ring))
    }

    pub(crate) fn from_lonlat_ring(lonlat: &[Coord]) -> Self {
        let phi = LAT0.to_radians();
        let w = (1.0 - E2 * phi.sin().powi(2)).sqrt();
        let kx = A * phi.cos() / w * std::f64::consts::PI / 180.0;
        let ky = A * (1.0 - E2) / w.powi(3) * std::f64::consts::PI / 180.0;
        let mut b = Self {
            ring: Vec::new(),
            kx,
            ky,
        };
        b.ring = lonlat.iter().map(|&c| b.to_local(c)).collect();
        b
    }

    /// The boundary in lon/lat, for the tests' containment checks.
    #[cfg(test)]
    pub(crate) fn polygon(&self) -> Polygon {
        Polygon::new(self.line_lonlat(&self.ring), vec![])
    }

    pub(crate) fn to_local(&self, c: Coord) -> Coord {
        coord! { x: (c.x - LON0) * self.kx, y: (c.y - LAT0) * self.ky }
    }

    pub(crate) fn to_lonlat(&self, c: Coord) -> Coord {
        coord! { x: LON0 + c.x / self.kx, y: LAT0 + c.y / self.ky }
    }

    /// A local polyline as a lon/lat `LineString`.
    pub(crate) fn line_lonlat(&self, pts: &[Coord]) -> LineString {
        LineString::new(pts.iter().map(|&c| self.to_lonlat(c)).collect())
    }

    /// A local ring (open or closed) as a lon/lat polygon.
    pub(crate) fn polygon_lonlat(&self, ring: &[Coord]) -> Polygon {
        Polygon::new(self.line_lonlat(ring), vec![])
    }

    /// Local position of a lon/lat pair.
    pub(crate) fn at(&self, lon: f64, lat: f64) -> Coord {
        self.to_local(coord! { x: lon, y: lat })
    }

    /// Bounding box of the boundary in metres: (min, max).
    pub(crate) fn bounds(&self) -> (Coord, Coord) {
        self.ring.iter().fold(
            (
                coord! { x: f64::MAX, y: f64::MAX },
                coord! { x: f64::MIN, y: f64::MIN },
            ),
            |(lo, hi), c| {
                (
                    coord! { x: lo.x.min(c.x), y: lo.y.min(c.y) },
                    coord! { x: hi.x.max(c.x), y: hi.y.max(c.y) },
                )
            },
        )
    }

    /// Point in polygon by crossing number.
    pub(crate) fn contains(&self, p: Coord) -> bool {
        let mut inside = false;
        for w in self.ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y) {
                inside = !inside;
            }
        }
        inside
    }

    /// Distance from `p` to the nearest boundary edge, in metres.
    pub(crate) fn edge_distance(&self, p: Coord) -> f64 {
        self.ring
            .windows(2)
            .map(|w| segment_distance(p, w[0], w[1]))
            .fold(f64::INFINITY, f64::min)
    }

    /// True when `p` is inside and at least `margin` metres from the boundary, so the
    /// whole disc of radius `margin` around it is inside.
    pub(crate) fn inside_by(&self, p: Coord, margin: f64) -> bool {
        self.contains(p) && self.edge_distance(p) >= margin
    }

    /// True when the polyline lies inside with `extra` metres to spare: every point of an
    /// edge is within half the edge's length of one of its ends, and both ends keep that
    /// much clearance.
    pub(crate) fn holds_polyline(&self, pts: &[Coord], extra: f64) -> bool {
        pts.len() >= 2
            && pts.windows(2).all(|w| {
                let need = dist(w[0], w[1]) / 2.0 + extra;
                self.inside_by(w[0], need) && self.inside_by(w[1], need)
            })
    }

    /// True when a closed ring lies inside with `margin` metres to spare at its vertices
    /// and no boundary edge crosses it.
    pub(crate) fn holds_ring(&self, ring: &[Coord], margin: f64) -> bool {
        ring.iter().all(|&p| self.inside_by(p, margin))
            && ring.windows(2).all(|e| {
                self.ring
                    .windows(2)
                    .all(|b| !segments_cross(e[0], e[1], b[0], b[1]))
            })
    }
}

fn largest_part(geometry: &Json) -> Option<&Json> {
    geometry
        .get("coordinates")?
        .as_array()?
        .iter()
        .filter_map(|poly| poly.get(0))
        .max_by_key(|ring| ring.as_array().map_or(0, Vec::len))
}

fn parse_ring(ring: &Json) -> Option<Vec<Coord>> {
    let pts: Option<Vec<Coord>> = ring
        .as_array()?
        .iter()
        .map(|p| Some(coord! { x: p.get(0)?.as_f64()?, y: p.get(1)?.as_f64()? }))
        .collect();
    pts.filter(|p| p.len() >= 4)
}

pub(crate) fn dist(a: Coord, b: Coord) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

pub(crate) fn segment_distance(p: Coord, a: Coord, b: Coord) -> f64 {
    let ab = b - a;
    let len2 = ab.x * ab.x + ab.y * ab.y;
    let t = if len2 > 0.0 {
        (((p - a).x * ab.x + (p - a).y * ab.y) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    dist(p, a + ab * t)
}

fn cross(o: Coord, a: Coord, b: Coord) -> f64 {
    (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
}

/// True when segments `ab` and `cd` touch or cross.
pub(crate) fn segments_cross(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let (d1, d2) = (cross(c, d, a), cross(c, d, b));
    let (d3, d4) = (cross(a, b, c), cross(a, b, d));
    d1 * d2 <= 0.0 && d3 * d4 <= 0.0 && {
        let overlap = |p: f64, q: f64, r: f64, s: f64| p.min(q) <= r.max(s) && r.min(s) <= p.max(q);
        overlap(a.x, b.x, c.x, d.x) && overlap(a.y, b.y, c.y, d.y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn square() -> Boundary {
        let ring: Vec<Coord> = [
            (130.09, 33.06),
            (130.11, 33.06),
            (130.11, 33.08),
            (130.09, 33.08),
        ]
        .iter()
        .chain(&[(130.09, 33.06)])
        .map(|&(x, y)| coord! { x: x, y: y })
        .collect();
        Boundary::from_lonlat_ring(&ring)
    }

    #[test]
    fn frame_round_trips_and_has_plausible_scale() {
        let b = square();
        let c = coord! { x: 130.1234, y: 33.0987 };
        let back = b.to_lonlat(b.to_local(c));
        assert!((back.x - c.x).abs() < 1e-12 && (back.y - c.y).abs() < 1e-12);
        // One degree of latitude is about 110.9 km here, of longitude about 93.4 km.
        assert!((b.ky - 110_900.0).abs() < 200.0, "{}", b.ky);
        assert!((b.kx - 93_400.0).abs() < 200.0, "{}", b.kx);
    }

    #[rstest]
    #[case(130.10, 33.07, 0.0, true)]
    #[case(130.10, 33.07, 900.0, true)]
    #[case(130.10, 33.07, 1200.0, false)]
    #[case(130.12, 33.07, 0.0, false)]
    fn inside_by_respects_margin(
        #[case] lon: f64,
        #[case] lat: f64,
        #[case] margin: f64,
        #[case] expected: bool,
    ) {
        let b = square();
        assert_eq!(b.inside_by(b.at(lon, lat), margin), expected);
    }

    #[test]
    fn polyline_crossing_the_edge_is_not_held() {
        let b = square();
        let inside = [b.at(130.097, 33.07), b.at(130.103, 33.07)];
        let out = [b.at(130.095, 33.07), b.at(130.115, 33.07)];
        assert!(b.holds_polyline(&inside, 1.0));
        assert!(!b.holds_polyline(&out, 1.0));
    }

    #[rstest]
    #[case((0.0, 0.0), (2.0, 2.0), (0.0, 2.0), (2.0, 0.0), true)]
    #[case((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0), false)]
    #[case((0.0, 0.0), (2.0, 0.0), (1.0, 0.0), (3.0, 0.0), true)]
    fn segment_crossing(
        #[case] a: (f64, f64),
        #[case] b: (f64, f64),
        #[case] c: (f64, f64),
        #[case] d: (f64, f64),
        #[case] expected: bool,
    ) {
        let p = |(x, y): (f64, f64)| coord! { x: x, y: y };
        assert_eq!(segments_cross(p(a), p(b), p(c), p(d)), expected);
    }
}
