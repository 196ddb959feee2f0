//! Coordinate reference systems an upload may be in, and their transform to EPSG:4326.
//!
//! Accepted: EPSG:4326 (and OGC:CRS84), EPSG:3857, JGD2011 (EPSG:6668) and JGD2000
//! (EPSG:4612) geographic, and the 19 Japan Plane Rectangular zones of both datums
//! (JGD2011 EPSG:6669–6687, JGD2000 EPSG:2443–2461). JGD2000 and JGD2011 share GRS80 and,
//! as PROJ does without grids, are transformed without a datum shift.

mod tmerc;
mod wkt;

use std::fmt;

pub use tmerc::{TmParams, TransverseMercator};
pub use wkt::from_wkt;

/// GRS80 semi-major axis and inverse flattening (JGD2000 and JGD2011).
const GRS80_A: f64 = 6_378_137.0;
const GRS80_RF: f64 = 298.257_222_101;

/// Origins (latitude, longitude in degrees) of the 19 plane-rectangular zones, from the
/// 国土地理院 table (平成14年国土交通省告示第9号).
pub const ZONE_ORIGINS: [(f64, f64); 19] = [
    (33.0, 129.5),
    (33.0, 131.0),
    (36.0, 132.0 + 10.0 / 60.0),
    (33.0, 133.5),
    (36.0, 134.0 + 20.0 / 60.0),
    (36.0, 136.0),
    (36.0, 137.0 + 10.0 / 60.0),
    (36.0, 138.5),
    (36.0, 139.0 + 50.0 / 60.0),
    (40.0, 140.0 + 50.0 / 60.0),
    (44.0, 140.25),
    (44.0, 142.25),
    (44.0, 144.25),
    (26.0, 142.0),
    (26.0, 127.5),
    (26.0, 124.0),
    (26.0, 131.0),
    (20.0, 136.0),
    (26.0, 154.0),
];

const ROMAN: [&str; 19] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
    "XVI", "XVII", "XVIII", "XIX",
];

/// The geodetic datum of a Japanese CRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    Jgd2011,
    Jgd2000,
}

impl Datum {
    fn first_zone_code(self) -> u32 {
        match self {
            Datum::Jgd2011 => 6669,
            Datum::Jgd2000 => 2443,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Datum::Jgd2011 => "JGD2011",
            Datum::Jgd2000 => "JGD2000",
        }
    }
}

/// An accepted coordinate reference system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// WGS 84 longitude/latitude (EPSG:4326 in GIS axis order, or OGC:CRS84).
    Wgs84,
    /// WGS 84 / Pseudo-Mercator.
    WebMercator,
    /// JGD2011 or JGD2000 longitude/latitude.
    Geographic(Datum),
    /// A Japan Plane Rectangular zone, 1..=19.
    Plane(Datum, u8),
}

impl Crs {
    /// The CRS of an EPSG code, if accepted.
    pub fn from_epsg(code: u32) -> Option<Self> {
        Some(match code {
            4326 => Crs::Wgs84,
            3857 | 900_913 | 3785 | 102_100 => Crs::WebMercator,
            6668 => Crs::Geographic(Datum::Jgd2011),
            4612 => Crs::Geographic(Datum::Jgd2000),
            6669..=6687 => Crs::Plane(Datum::Jgd2011, (code - 6668) as u8),
            2443..=2461 => Crs::Plane(Datum::Jgd2000, (code - 2442) as u8),
            _ => return None,
        })
    }

    pub fn epsg(self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::WebMercator => 3857,
            Crs::Geographic(Datum::Jgd2011) => 6668,
            Crs::Geographic(Datum::Jgd2000) => 4612,
            Crs::Plane(d, z) => d.first_zone_code() + u32::from(z) - 1,
        }
    }

    /// The EPSG name, e.g. `JGD2011 / Japan Plane Rectangular CS II`.
    pub fn name(self) -> String {
        match self {
            Crs::Wgs84 => "WGS 84".into(),
            Crs::WebMercator => "WGS 84 / Pseudo-Mercator".into(),
            Crs::Geographic(d) => d.name().into(),
            Crs::Plane(d, z) => format!(
                "{} / Japan Plane Rectangular CS {}",
                d.name(),
                ROMAN[usize::from(z) - 1]
            ),
        }
    }

    /// True for longitude/latitude systems.
    pub fn is_geographic(self) -> bool {
        matches!(self, Crs::Wgs84 | Crs::Geographic(_))
    }

    /// The transform of this CRS's coordinates to EPSG:4326 longitude/latitude.
    pub fn to_lonlat(self) -> Transform {
        match self {
            Crs::Wgs84 | Crs::Geographic(_) => Transform::Identity,
            Crs::WebMercator => Transform::WebMercator,
            Crs::Plane(_, zone) => Transform::Tm(Box::new(plane_zone(zone))),
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{} ({})", self.epsg(), self.name())
    }
}

/// The projection of a plane-rectangular zone (1..=19).
pub fn plane_zone(zone: u8) -> TransverseMercator {
    let (lat0, lon0) = ZONE_ORIGINS[usize::from(zone.clamp(1, 19)) - 1];
    TransverseMercator::new(TmParams {
        a: GRS80_A,
        rf: GRS80_RF,
        lat0,
        lon0,
        k0: 0.9999,
        false_easting: 0.0,
        false_northing: 0.0,
    })
}

/// A coordinate transform to EPSG:4326 longitude/latitude.
#[derive(Debug, Clone)]
pub enum Transform {
    Identity,
    WebMercator,
    Tm(Box<TransverseMercator>),
}

impl Transform {
    /// Transforms (x, y) in the source CRS's GIS axis order (easting/longitude first).
    /// Non-finite results (or input out of the projection's domain) give NaN.
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        match self {
            Transform::Identity => (x, y),
            Transform::WebMercator => crate::model::merc_to_lonlat(x, y),
            Transform::Tm(tm) => tm.inverse(x, y).unwrap_or((f64::NAN, f64::NAN)),
        }
    }
}

/// Every accepted CRS, for error messages: `EPSG:4326, EPSG:3857, …`.
pub fn accepted_list() -> String {
    "EPSG:4326 (WGS 84), EPSG:3857 (Web Mercator), EPSG:6668 (JGD2011), EPSG:4612 (JGD2000), \
     EPSG:6669–6687 (JGD2011 平面直角座標系 I–XIX), EPSG:2443–2461 (JGD2000 平面直角座標系 I–XIX)"
        .to_owned()
}

/// Why a CRS text could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrsProblem {
    /// A recognisable CRS that is not accepted (e.g. EPSG:30169, Tokyo datum).
    NotAccepted(String),
    /// Text that names no CRS we can recognise.
    Unrecognised(String),
}

/// Parses a CRS reference: `EPSG:6670`, `6670`, `urn:ogc:def:crs:EPSG::6670`,
/// `http://www.opengis.net/def/crs/EPSG/0/6670`, `OGC:CRS84`, or a WKT string.
pub fn parse(text: &str) -> Result<Crs, CrsProblem> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    if upper.ends_with("CRS84") {
        return Ok(Crs::Wgs84);
    }
    if t.contains('[') {
        return from_wkt(t);
    }
    let code = upper
        .rsplit([':', '/'])
        .next()
        .map(str::trim)
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        .filter(|_| upper.contains("EPSG") || upper.bytes().all(|b| b.is_ascii_digit()));
    match code.and_then(|c| c.parse::<u32>().ok()) {
        Some(c) => Crs::from_epsg(c).ok_or_else(|| CrsProblem::NotAccepted(format!("EPSG:{c}"))),
        None => Err(CrsProblem::Unrecognised(t.chars().take(120).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("EPSG:6670", Crs::Plane(Datum::Jgd2011, 2))]
    #[case("epsg:2444", Crs::Plane(Datum::Jgd2000, 2))]
    #[case("6687", Crs::Plane(Datum::Jgd2011, 19))]
    #[case("urn:ogc:def:crs:EPSG::4612", Crs::Geographic(Datum::Jgd2000))]
    #[case(
        "http://www.opengis.net/def/crs/EPSG/0/6668",
        Crs::Geographic(Datum::Jgd2011)
    )]
    #[case("urn:ogc:def:crs:OGC:1.3:CRS84", Crs::Wgs84)]
    #[case("EPSG:3857", Crs::WebMercator)]
    fn references_parse(#[case] text: &str, #[case] crs: Crs) {
        assert_eq!(parse(text), Ok(crs));
        assert_eq!(Crs::from_epsg(crs.epsg()), Some(crs));
    }

    #[rstest]
    #[case("EPSG:30169")]
    #[case("EPSG:32653")]
    fn other_codes_are_not_accepted(#[case] text: &str) {
        assert!(matches!(parse(text), Err(CrsProblem::NotAccepted(_))));
    }

    #[test]
    fn garbage_is_unrecognised() {
        assert!(matches!(parse("my crs"), Err(CrsProblem::Unrecognised(_))));
    }

    #[test]
    fn zone_names_follow_epsg() {
        assert_eq!(
            Crs::Plane(Datum::Jgd2011, 2).name(),
            "JGD2011 / Japan Plane Rectangular CS II"
        );
        assert_eq!(Crs::Plane(Datum::Jgd2000, 19).epsg(), 2461);
    }
}
