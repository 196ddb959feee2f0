//! One immutable, fully indexed version of a layer.

use std::sync::Arc;

use geo::{BoundingRect, Geometry, MapCoords, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};
use serde::Serialize;

use super::{Schema, Value};
use crate::catalog::LayerDef;

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

/// An R-tree entry: a feature's lon/lat envelope and its index in `features`.
pub type IndexEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// What a store version says about itself; shown by the versions API and `/metrics`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VersionInfo {
    pub version: u64,
    /// RFC 3339 time the version was written.
    pub created: String,
    pub feature_count: usize,
    /// SHA-256 of the uploaded or imported source file.
    pub source_sha256: String,
    pub source_name: String,
    pub created_by: String,
}

/// One immutable layer version. Readers hold an `Arc` to it; a publish swaps in a new one.
#[derive(Debug)]
pub struct LayerVersion {
    pub def: Arc<LayerDef>,
    pub info: VersionInfo,
    pub schema: Schema,
    pub features: Vec<Feature>,
    /// lon/lat bounds of all features; `None` for an empty layer.
    pub bbox: Option<Rect<f64>>,
    tree: RTree<IndexEntry>,
}

impl LayerVersion {
    /// Indexes the features with an R-tree built by `bulk_load`.
    pub fn new(
        def: Arc<LayerDef>,
        info: VersionInfo,
        schema: Schema,
        features: Vec<Feature>,
    ) -> Self {
        let entries: Vec<IndexEntry> = features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let r = f.geometry.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i as u32,
                ))
            })
            .collect();
        let bbox = entries.iter().fold(None::<Rect<f64>>, |acc, e| {
            let env = e.geom().envelope();
            let r = Rect::new(env.lower(), env.upper());
            Some(acc.map_or(r, |a| union_rect(a, r)))
        });
        let tree = RTree::bulk_load(entries);
        Self {
            def,
            info,
            schema,
            features,
            bbox,
            tree,
        }
    }

    pub fn id(&self) -> &str {
        &self.def.id
    }

    pub fn version(&self) -> u64 {
        self.info.version
    }

    pub fn tree(&self) -> &RTree<IndexEntry> {
        &self.tree
    }

    /// Features whose envelope intersects a lon/lat box, in index order.
    pub fn in_envelope(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = &Feature> {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .map(|e| &self.features[e.data as usize])
    }

    /// Looks a feature up by id. Ids are usually dense and ascending, so try the slot first.
    pub fn feature_by_id(&self, id: u64) -> Option<&Feature> {
        let guess = usize::try_from(id).ok().and_then(|i| i.checked_sub(1));
        if let Some(f) = guess.and_then(|i| self.features.get(i)) {
            if f.id == id {
                return Some(f);
            }
        }
        self.features.iter().find(|f| f.id == id)
    }
}

fn union_rect(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
        geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
    )
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
