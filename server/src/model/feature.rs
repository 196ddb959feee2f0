//! Features: geometry in EPSG:4326 with its Web Mercator projection, and attribute values.

use geo::{Geometry, MapCoords};

use super::Value;

/// Half the circumference of the Web Mercator square, in metres.
pub const MERCATOR_HALF: f64 = 20_037_508.342_789_244;
/// Web Mercator is undefined at the poles; latitudes are clamped to this.
pub const MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_59;

/// A feature: geometry in EPSG:4326 (lon/lat), the same pre-projected to EPSG:3857 for
/// tiles, and attribute values in schema order.
#[derive(Debug, Clone)]
pub struct Feature {
    /// The feature id: stable within a version, used by OGC `items/{fid}` and MVT ids.
    pub id: u64,
    pub geometry: Geometry<f64>,
    pub merc: Geometry<f64>,
    pub properties: Box<[Value]>,
}

impl Feature {
    /// Builds a feature from lon/lat geometry, projecting it to Web Mercator once.
    pub fn new(id: u64, geometry: Geometry<f64>, properties: Box<[Value]>) -> Self {
        let merc = geometry.map_coords(|c| {
            let (x, y) = lonlat_to_merc(c.x, c.y);
            geo::coord! { x: x, y: y }
        });
        Self {
            id,
            geometry,
            merc,
            properties,
        }
    }

    pub fn property(&self, index: usize) -> &Value {
        self.properties.get(index).unwrap_or(&Value::Null)
    }
}

/// Projects lon/lat (degrees) to Web Mercator metres.
pub fn lonlat_to_merc(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MERCATOR_MAX_LAT, MERCATOR_MAX_LAT);
    let x = lon * MERCATOR_HALF / 180.0;
    let y = (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
        .tan()
        .ln()
        * MERCATOR_HALF
        / std::f64::consts::PI;
    (x, y)
}

/// Inverse of [`lonlat_to_merc`].
pub fn merc_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 180.0 / MERCATOR_HALF;
    let lat = (2.0 * (y * std::f64::consts::PI / MERCATOR_HALF).exp().atan()
        - std::f64::consts::FRAC_PI_2)
        .to_degrees();
    (lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mercator_round_trips() {
        let (x, y) = lonlat_to_merc(130.108_483, 33.074_408);
        let (lon, lat) = merc_to_lonlat(x, y);
        assert!((lon - 130.108_483).abs() < 1e-9);
        assert!((lat - 33.074_408).abs() < 1e-9);
        assert!((lonlat_to_merc(180.0, 0.0).0 - MERCATOR_HALF).abs() < 1e-6);
    }
}
