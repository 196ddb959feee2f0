//! The city's area: edited geometries must lie inside it. It is the city boundary
//! (`data/source/<boundary>.geojson` under the repository root, the file the sample data is
//! generated from) when present, and otherwise the box around every layer's data, widened
//! by about a kilometre.

use std::path::Path;

use geo::{BoundingRect, Coord, CoordsIter, Geometry, Intersects, MultiPolygon, Polygon, Rect};

use crate::r#gen::BOUNDARY_FILE;
use crate::layer::LayerVersion;

/// About one kilometre, in degrees, around the data when there is no boundary file.
const MARGIN_DEG: f64 = 0.01;

#[derive(Debug, Clone)]
pub enum CityArea {
    Boundary(MultiPolygon<f64>),
    Box(Rect<f64>),
    /// No boundary and no data: nothing to compare with, so anything is inside.
    Anywhere,
}

impl CityArea {
    /// The boundary under `root`, or the box around the loaded layers.
    pub fn load(root: &Path, layers: &[std::sync::Arc<LayerVersion>]) -> Self {
        let path = root.join("data/source").join(BOUNDARY_FILE);
        if let Some(b) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|j| boundary(&j))
        {
            return Self::Boundary(b);
        }
        let rect = layers.iter().filter_map(|l| l.bbox).reduce(|a, b| {
            Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        });
        match rect {
            Some(r) => Self::Box(Rect::new(
                Coord {
                    x: r.min().x - MARGIN_DEG,
                    y: r.min().y - MARGIN_DEG,
                },
                Coord {
                    x: r.max().x + MARGIN_DEG,
                    y: r.max().y + MARGIN_DEG,
                },
            )),
            None => Self::Anywhere,
        }
    }

    /// True when every position of `g` is inside (on the edge counts).
    pub fn holds(&self, g: &Geometry<f64>) -> bool {
        match self {
            Self::Anywhere => true,
            Self::Box(r) => g
                .bounding_rect()
                .is_some_and(|b| r.intersects(&b.min()) && r.intersects(&b.max())),
            Self::Boundary(b) => g.coords_iter().all(|c| b.intersects(&c)),
        }
    }
}

/// Every polygon of the first feature (or geometry) of a GeoJSON document.
fn boundary(j: &serde_json::Value) -> Option<MultiPolygon<f64>> {
    let g = j
        .get("features")
        .and_then(|f| f.get(0))
        .map_or(j, |f| &f["geometry"]);
    let g = if g.get("geometry").is_some() {
        &g["geometry"]
    } else {
        g
    };
    let polys: Vec<Polygon<f64>> = match super::check::geometry(g).ok()? {
        Geometry::Polygon(p) => vec![p],
        Geometry::MultiPolygon(m) => m.0,
        _ => return None,
    };
    Some(MultiPolygon(polys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_boundary_holds_the_shrine_and_not_tokyo() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let area = CityArea::load(&root, &[]);
        assert!(matches!(area, CityArea::Boundary(_)));
        let at = |x: f64, y: f64| Geometry::Point(geo::Point::new(x, y));
        assert!(area.holds(&at(130.108_483, 33.074_408)));
        assert!(!area.holds(&at(139.767, 35.681)));
    }
}
