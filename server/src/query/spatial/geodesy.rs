//! Distances on the WGS84 ellipsoid: exact geodesic distances to features, and a proven lower
//! bound for whole lon/lat boxes that lets the R-tree search stop early.
//!
//! The distance to a line or polygon is the geodesic distance (Karney, via `geo`'s
//! [`Geodesic`]) from the query point to the feature's closest point, where "closest" is found
//! in a local equirectangular projection centred on the query point (scaled by the radii of
//! curvature there, so it is conformal at the centre). It is 0 inside or on a polygon.
//!
//! # The lower bound
//! For a lon/lat box `[λ1, λ2] × [φ1, φ2]`, [`Origin::lower_bound`] returns a value that is
//! never more than the geodesic distance from the origin to any point in the box:
//! - A geodesic is at least as long as the straight 3-D chord between its ends (ECEF).
//! - In ECEF a point is `(P cos λ, P sin λ, Z)` with `P = N(φ) cos φ`, `Z = (1-e²) N(φ) sin φ`,
//!   so `chord² = (P-Pq)² + 4 P Pq sin²(Δλ/2) + (Z-Zq)²`: three non-negative terms.
//! - Over the box, each term is bounded below on its own: `Z` is monotone in `φ`, `P` is
//!   unimodal (largest at the equator) so its range is known from the ends and the equator,
//!   `P ≥ Pmin`, and `|Δλ|` is at least the angular distance from `λq` to `[λ1, λ2]`.
//! - The bound is lowered by 1 µm (plus 1e-12 relative) to absorb rounding; Karney's
//!   algorithm is accurate to 15 nm, so a computed distance is never below the bound.
//!
//! At the scale of a city, chord and geodesic differ by nanometres, so the bound is tight and
//! the search computes exact distances for few features beyond the k it returns.

use geo::{Bearing, Coord, Distance, Geodesic, Geometry, Intersects, LineString, Point, Polygon};
use rstar::AABB;

/// WGS84 semi-major axis, metres.
const A: f64 = 6_378_137.0;
/// WGS84 flattening.
const F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared.
const E2: f64 = F * (2.0 - F);

/// `(P, Z)`: the distance from the polar axis and the height above the equatorial plane of a
/// point on the ellipsoid at latitude `lat` (degrees).
fn radii(lat: f64) -> (f64, f64) {
    let (s, c) = lat.to_radians().sin_cos();
    let n = A / (1.0 - E2 * s * s).sqrt();
    (n * c, n * (1.0 - E2) * s)
}

/// Distance from `v` to the interval `[lo, hi]` (0 inside).
fn gap(v: f64, lo: f64, hi: f64) -> f64 {
    if v < lo {
        lo - v
    } else if v > hi {
        v - hi
    } else {
        0.0
    }
}

/// Angular distance in degrees (0..=180) from longitude `lon` to the interval `[lo, hi]`.
fn lon_gap(lon: f64, lo: f64, hi: f64) -> f64 {
    if (lo..=hi).contains(&lon) {
        return 0.0;
    }
    let wrap = |d: f64| {
        let d = d.abs() % 360.0;
        if d > 180.0 { 360.0 - d } else { d }
    };
    wrap(lon - lo).min(wrap(lon - hi))
}

/// A query point with what every distance from it needs, computed once.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub lon: f64,
    pub lat: f64,
    p: f64,
    z: f64,
    /// Metres per degree of longitude and latitude at the origin (local projection).
    kx: f64,
    ky: f64,
}

/// The distance from an origin to a feature, and the feature's closest point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    pub distance_m: f64,
    pub closest: Coord<f64>,
}

impl Origin {
    pub fn new(lon: f64, lat: f64) -> Self {
        let (axis_dist, height) = radii(lat);
        let sin = lat.to_radians().sin();
        let w = 1.0 - E2 * sin * sin;
        // Radii of curvature: prime vertical (east-west) and meridional (north-south).
        let prime = A / w.sqrt();
        let meridian = A * (1.0 - E2) / (w * w.sqrt());
        Self {
            lon,
            lat,
            p: axis_dist,
            z: height,
            kx: (prime * lat.to_radians().cos()).max(1e-3).to_radians(),
            ky: meridian.to_radians(),
        }
    }

    pub fn point(&self) -> Point<f64> {
        Point::new(self.lon, self.lat)
    }

    /// A lower bound on the geodesic distance to any point of the box (see the module docs).
    pub fn lower_bound(&self, lower: [f64; 2], upper: [f64; 2]) -> f64 {
        let (p1, z1) = radii(lower[1]);
        let (p2, z2) = radii(upper[1]);
        let p_max = if lower[1] <= 0.0 && upper[1] >= 0.0 {
            A
        } else {
            p1.max(p2)
        };
        let p_min = p1.min(p2).max(0.0);
        let d_p = gap(self.p, p_min, p_max);
        let d_z = gap(self.z, z1.min(z2), z1.max(z2));
        let half = (lon_gap(self.lon, lower[0], upper[0]) / 2.0)
            .to_radians()
            .sin();
        let chord = (d_p * d_p + d_z * d_z + 4.0 * p_min * self.p * half * half).sqrt();
        (chord - 1e-6 - chord * 1e-12).max(0.0)
    }

    /// [`Self::lower_bound`] for an R-tree envelope.
    pub fn lower_bound_aabb(&self, env: &AABB<[f64; 2]>) -> f64 {
        self.lower_bound(env.lower(), env.upper())
    }

    /// The geodesic distance to a point, metres.
    pub fn distance_to_point(&self, c: Coord<f64>) -> f64 {
        Geodesic.distance(self.point(), Point(c))
    }

    /// The geodesic bearing (0..360, north = 0) towards a point; `None` at the origin itself.
    pub fn bearing_to(&self, c: Coord<f64>) -> Option<f64> {
        (c != Coord::from((self.lon, self.lat))).then(|| Geodesic.bearing(self.point(), Point(c)))
    }

    /// The distance to a geometry and its closest point; `None` for an empty geometry.
    pub fn reach(&self, g: &Geometry<f64>) -> Option<Reach> {
        let closest = self.closest(g)?;
        Some(Reach {
            distance_m: self.distance_to_point(closest),
            closest,
        })
    }

    /// The closest point of a geometry in the local projection (the origin itself when a
    /// polygon covers it).
    fn closest(&self, g: &Geometry<f64>) -> Option<Coord<f64>> {
        let mut best = Best::default();
        self.visit(g, &mut best);
        best.at
    }

    fn visit(&self, g: &Geometry<f64>, best: &mut Best) {
        match g {
            Geometry::Point(p) => best.offer(self, p.0),
            Geometry::MultiPoint(mp) => mp.iter().for_each(|p| best.offer(self, p.0)),
            Geometry::Line(l) => self.segment(l.start, l.end, best),
            Geometry::LineString(l) => self.line(l, best),
            Geometry::MultiLineString(ml) => ml.iter().for_each(|l| self.line(l, best)),
            Geometry::Polygon(p) => self.polygon(p, best),
            Geometry::MultiPolygon(mp) => mp.iter().for_each(|p| self.polygon(p, best)),
            Geometry::Rect(r) => self.polygon(&r.to_polygon(), best),
            Geometry::Triangle(t) => self.polygon(&t.to_polygon(), best),
            Geometry::GeometryCollection(gc) => gc.iter().for_each(|g| self.visit(g, best)),
        }
    }

    fn polygon(&self, p: &Polygon<f64>, best: &mut Best) {
        if p.intersects(&self.point()) {
            let o = Coord::from((self.lon, self.lat));
            best.offer(self, o);
            return;
        }
        self.line(p.exterior(), best);
        p.interiors().iter().for_each(|r| self.line(r, best));
    }

    fn line(&self, l: &LineString<f64>, best: &mut Best) {
        match l.0.as_slice() {
            [] => {}
            [only] => best.offer(self, *only),
            coords => coords
                .windows(2)
                .for_each(|w| self.segment(w[0], w[1], best)),
        }
    }

    /// Offers the point of segment `ab` closest to the origin in the local projection.
    fn segment(&self, a: Coord<f64>, b: Coord<f64>, best: &mut Best) {
        let (pa, pb) = (self.project(a), self.project(b));
        let d = pb - pa;
        let len2 = d.x * d.x + d.y * d.y;
        let t = if len2 > 0.0 {
            (-(pa.x * d.x + pa.y * d.y) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let closest = if t <= 0.0 {
            a
        } else if t >= 1.0 {
            b
        } else {
            self.unproject(pa + d * t)
        };
        best.offer(self, closest);
    }

    /// Local projection: metres east and north of the origin (longitudes wrapped).
    fn project(&self, c: Coord<f64>) -> Coord<f64> {
        let dlon = (c.x - self.lon + 540.0).rem_euclid(360.0) - 180.0;
        Coord {
            x: dlon * self.kx,
            y: (c.y - self.lat) * self.ky,
        }
    }

    fn unproject(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.lon + c.x / self.kx,
            y: self.lat + c.y / self.ky,
        }
    }
}

/// The running closest point, compared by squared projected distance; the first wins ties.
#[derive(Debug, Default)]
struct Best {
    at: Option<Coord<f64>>,
    d2: f64,
}

impl Best {
    fn offer(&mut self, origin: &Origin, at: Coord<f64>) {
        let p = origin.project(at);
        let d2 = p.x * p.x + p.y * p.y;
        if self.at.is_none() || d2 < self.d2 {
            self.at = Some(at);
            self.d2 = d2;
        }
    }
}

#[cfg(test)]
#[expect(clippy::float_cmp, reason = "exact values are what these tests check")]
mod tests {
    use super::*;
    use geo::{line_string, point, polygon};
    use rand::{Rng, SeedableRng};

    const SHRINE: (f64, f64) = (130.108_483, 33.074_408);

    #[test]
    fn distance_matches_karney_reference() {
        let o = Origin::new(-74.006, 40.7128);
        let d = o.distance_to_point(Coord {
            x: -0.1278,
            y: 51.5074,
        });
        assert_eq!(d.round(), 5_585_234.0);
    }

    #[test]
    fn inside_a_polygon_is_zero_and_outside_is_to_the_edge() {
        let o = Origin::new(SHRINE.0, SHRINE.1);
        let square = Geometry::Polygon(polygon![
            (x: 130.108, y: 33.074), (x: 130.109, y: 33.074),
            (x: 130.109, y: 33.075), (x: 130.108, y: 33.075)
        ]);
        assert_eq!(o.reach(&square).unwrap().distance_m, 0.0);
        let east = Origin::new(130.110, 33.0745);
        let r = east.reach(&square).unwrap();
        let edge = east.distance_to_point(Coord {
            x: 130.109,
            y: 33.0745,
        });
        assert!((r.distance_m - edge).abs() < 1e-3, "{r:?} vs {edge}");
    }

    #[test]
    fn line_distance_is_to_the_foot_of_the_perpendicular() {
        let o = Origin::new(130.1, 33.1005);
        let l = Geometry::LineString(line_string![(x: 130.09, y: 33.1), (x: 130.11, y: 33.1)]);
        let r = o.reach(&l).unwrap();
        assert!((r.closest.x - 130.1).abs() < 1e-9 && (r.closest.y - 33.1).abs() < 1e-12);
        assert!((r.distance_m - 55.45).abs() < 0.1, "{r:?}");
    }

    #[test]
    fn bearing_is_none_at_the_origin_and_east_is_90() {
        let o = Origin::new(130.0, 33.0);
        assert_eq!(o.bearing_to(Coord { x: 130.0, y: 33.0 }), None);
        let b = o.bearing_to(point!(x: 130.01, y: 33.0).0).unwrap();
        assert!((b - 90.0).abs() < 0.01, "{b}");
    }

    /// The bound must hold for every point of a box, including across the antimeridian and
    /// the equator; sampled on random boxes and points.
    #[test]
    fn lower_bound_never_exceeds_a_geodesic_distance() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let (lon, lat) = (
                rng.random_range(-180.0..180.0),
                rng.random_range(-89.0..89.0),
            );
            let o = Origin::new(lon, lat);
            let size = 10f64.powf(rng.random_range(-5.0..1.5));
            let x0 = (lon + rng.random_range(-3.0..3.0) * size).clamp(-180.0, 180.0 - size);
            let y0 = (lat + rng.random_range(-3.0..3.0) * size).clamp(-90.0, 90.0 - size);
            let lb = o.lower_bound([x0, y0], [x0 + size, y0 + size]);
            let p = Coord {
                x: x0 + rng.random::<f64>() * size,
                y: y0 + rng.random::<f64>() * size,
            };
            let d = o.distance_to_point(p);
            assert!(lb <= d, "bound {lb} > distance {d} from {o:?} to {p:?}");
        }
    }

    #[test]
    fn lower_bound_is_tight_at_city_scale() {
        let o = Origin::new(SHRINE.0, SHRINE.1);
        let p = Coord {
            x: 130.112,
            y: 33.077,
        };
        let d = o.distance_to_point(p);
        let lb = o.lower_bound([p.x, p.y], [p.x, p.y]);
        assert!(d - lb < 1e-5, "{d} vs {lb}");
        assert_eq!(o.lower_bound([130.0, 33.0], [130.2, 33.2]), 0.0);
    }
}
