//! GeoJSON output of features as a view allows: every JSON output path (OGC items, spatial
//! questions, search, exports) builds features here, so hidden attributes cannot slip out
//! through one of them.

use geo::{Coord, Geometry, LineString, Polygon};
use serde_json::{Map, Value as Json, json};

use crate::access::LayerView;
use crate::model::Feature;

/// Coordinates are written with 7 decimals (about 1 cm), like GDAL's default for GeoJSON.
fn round(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn coord(c: Coord<f64>) -> Json {
    json!([round(c.x), round(c.y)])
}

fn line(l: &LineString<f64>) -> Json {
    Json::Array(l.0.iter().map(|c| coord(*c)).collect())
}

fn polygon(p: &Polygon<f64>) -> Json {
    let mut rings = vec![line(p.exterior())];
    rings.extend(p.interiors().iter().map(line));
    Json::Array(rings)
}

/// A GeoJSON geometry object.
pub fn geometry(g: &Geometry<f64>) -> Json {
    match g {
        Geometry::Point(p) => json!({ "type": "Point", "coordinates": coord(p.0) }),
        Geometry::MultiPoint(mp) => json!({
            "type": "MultiPoint",
            "coordinates": mp.0.iter().map(|p| coord(p.0)).collect::<Vec<_>>(),
        }),
        Geometry::LineString(l) => json!({ "type": "LineString", "coordinates": line(l) }),
        Geometry::MultiLineString(ml) => json!({
            "type": "MultiLineString",
            "coordinates": ml.0.iter().map(line).collect::<Vec<_>>(),
        }),
        Geometry::Polygon(p) => json!({ "type": "Polygon", "coordinates": polygon(p) }),
        Geometry::MultiPolygon(mp) => json!({
            "type": "MultiPolygon",
            "coordinates": mp.0.iter().map(polygon).collect::<Vec<_>>(),
        }),
        Geometry::Rect(r) => geometry(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => geometry(&Geometry::Polygon(t.to_polygon())),
        Geometry::Line(l) => geometry(&Geometry::LineString(LineString::from(vec![
            l.start, l.end,
        ]))),
        Geometry::GeometryCollection(gc) => json!({
            "type": "GeometryCollection",
            "geometries": gc.0.iter().map(geometry).collect::<Vec<_>>(),
        }),
    }
}

/// The visible properties of a feature. `only` narrows them further (OGC `properties=`);
/// it can never widen them.
pub fn properties(view: &LayerView, f: &Feature, only: Option<&[usize]>) -> Map<String, Json> {
    view.fields()
        .filter(|(i, _)| only.is_none_or(|o| o.contains(i)))
        .map(|(i, field)| (field.name.clone(), f.property(i).to_json(field.ty)))
        .collect()
}

/// A GeoJSON Feature with its id, geometry and visible properties.
pub fn feature(view: &LayerView, f: &Feature, only: Option<&[usize]>) -> Json {
    json!({
        "type": "Feature",
        "id": f.id,
        "geometry": geometry(&f.geometry),
        "properties": properties(view, f, only),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn polygons_keep_rings_and_round_to_7_decimals() {
        let p = polygon![(x: 130.123_456_789, y: 33.0), (x: 130.2, y: 33.0), (x: 130.2, y: 33.1)];
        let g = geometry(&Geometry::Polygon(p));
        assert_eq!(g["type"], "Polygon");
        assert_eq!(g["coordinates"][0][0][0], 130.123_456_8);
        assert_eq!(
            g["coordinates"][0].as_array().unwrap().len(),
            4,
            "closed ring"
        );
    }
}
