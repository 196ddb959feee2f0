//! Well-Known Text for the CSV export's geometry column (GDAL's CSV driver reads a `WKT`
//! column as the geometry).

use std::fmt::Write as _;

use geo::{Coord, Geometry, LineString, Polygon};

/// Coordinates with 7 decimals (about 1 cm), as in the GeoJSON output.
fn coord(out: &mut String, c: Coord<f64>) {
    let r = |v: f64| (v * 1e7).round() / 1e7;
    let _ = write!(out, "{} {}", r(c.x), r(c.y));
}

fn list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    out.push('(');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        each(out, item);
    }
    out.push(')');
}

fn line(out: &mut String, l: &LineString<f64>) {
    list(out, &l.0, |o, c| coord(o, *c));
}

fn polygon(out: &mut String, p: &Polygon<f64>) {
    let rings: Vec<&LineString<f64>> = std::iter::once(p.exterior()).chain(p.interiors()).collect();
    list(out, &rings, |o, r| line(o, r));
}

/// Appends the WKT of a geometry.
pub fn write(out: &mut String, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => {
            out.push_str("POINT (");
            coord(out, p.0);
            out.push(')');
        }
        Geometry::MultiPoint(mp) => {
            out.push_str("MULTIPOINT ");
            list(out, &mp.0, |o, p| {
                o.push('(');
                coord(o, p.0);
                o.push(')');
            });
        }
        Geometry::LineString(l) => {
            out.push_str("LINESTRING ");
            line(out, l);
        }
        Geometry::MultiLineString(ml) => {
            out.push_str("MULTILINESTRING ");
            list(out, &ml.0, line);
        }
        Geometry::Polygon(p) => {
            out.push_str("POLYGON ");
            polygon(out, p);
        }
        Geometry::MultiPolygon(mp) => {
            out.push_str("MULTIPOLYGON ");
            list(out, &mp.0, polygon);
        }
        Geometry::Line(l) => write(
            out,
            &Geometry::LineString(LineString::from(vec![l.start, l.end])),
        ),
        Geometry::Rect(r) => write(out, &Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => write(out, &Geometry::Polygon(t.to_polygon())),
        Geometry::GeometryCollection(gc) => {
            out.push_str("GEOMETRYCOLLECTION ");
            list(out, &gc.0, write);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, point, polygon};
    use rstest::rstest;

    #[rstest]
    #[case(Geometry::Point(point!(x: 130.108_483, y: 33.074_408)), "POINT (130.108483 33.074408)")]
    #[case(Geometry::LineString(line_string![(x: 130.0, y: 33.0), (x: 130.1, y: 33.05)]), "LINESTRING (130 33, 130.1 33.05)")]
    #[case(
        Geometry::Polygon(polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)]),
        "POLYGON ((0 0, 1 0, 1 1, 0 0))"
    )]
    fn geometries_are_written_as_wkt(#[case] g: Geometry<f64>, #[case] expected: &str) {
        let mut s = String::new();
        write(&mut s, &g);
        assert_eq!(s, expected);
    }
}
