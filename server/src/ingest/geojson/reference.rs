//! The Value-based geometry reader that the streaming one replaced, kept as a test oracle:
//! the streaming reader must give the same geometry, problems and message for any input.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::Value as Json;

use crate::ingest::validate::{GeomProblem, note_ring};

/// (Japanese, English) description of a structural error.
type Bad = (String, String);

fn bad(what: &str) -> Bad {
    (
        format!("ジオメトリの形式が正しくありません: {what}"),
        format!("malformed geometry: {what}"),
    )
}

/// Converts a GeoJSON geometry; the problems are those only visible in the raw
/// coordinates (unclosed rings).
pub fn from_json(g: &Json) -> Result<(Option<Geometry<f64>>, Vec<GeomProblem>), Bad> {
    let mut issues = Vec::new();
    let geometry = convert(g, &mut issues, 0)?;
    Ok((geometry, issues))
}

fn convert(
    g: &Json,
    issues: &mut Vec<GeomProblem>,
    depth: usize,
) -> Result<Option<Geometry<f64>>, Bad> {
    let ty = g["type"].as_str().ok_or_else(|| bad("no `type`"))?;
    if ty == "GeometryCollection" {
        if depth > 8 {
            return Err(bad("GeometryCollection nested too deeply"));
        }
        let parts = g["geometries"]
            .as_array()
            .ok_or_else(|| bad("no `geometries`"))?;
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            out.extend(convert(p, issues, depth + 1)?);
        }
        return Ok(Some(Geometry::GeometryCollection(geo::GeometryCollection(
            out,
        ))));
    }
    let c = &g["coordinates"];
    if c.is_null() {
        return Ok(None);
    }
    Ok(Some(match ty {
        "Point" => Geometry::Point(Point(position(c)?)),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            array(c)?
                .iter()
                .map(|p| position(p).map(Point))
                .collect::<Result<_, _>>()?,
        )),
        "LineString" => Geometry::LineString(line(c)?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            array(c)?.iter().map(line).collect::<Result<_, _>>()?,
        )),
        "Polygon" => Geometry::Polygon(polygon(c, issues)?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            array(c)?
                .iter()
                .map(|p| polygon(p, issues))
                .collect::<Result<_, _>>()?,
        )),
        other => return Err(bad(&format!("unknown type `{other}`"))),
    }))
}

fn array(v: &Json) -> Result<&Vec<Json>, Bad> {
    v.as_array()
        .ok_or_else(|| bad("`coordinates` is not an array"))
}

fn position(v: &Json) -> Result<Coord<f64>, Bad> {
    let a = array(v)?;
    match (
        a.first().and_then(Json::as_f64),
        a.get(1).and_then(Json::as_f64),
    ) {
        (Some(x), Some(y)) => Ok(Coord { x, y }),
        _ => Err(bad("a position is not [x, y] numbers")),
    }
}

fn line(v: &Json) -> Result<LineString<f64>, Bad> {
    Ok(LineString(
        array(v)?.iter().map(position).collect::<Result<_, _>>()?,
    ))
}

fn polygon(v: &Json, issues: &mut Vec<GeomProblem>) -> Result<Polygon<f64>, Bad> {
    let mut rings = array(v)?.iter().map(line).collect::<Result<Vec<_>, _>>()?;
    for r in &rings {
        note_ring(&r.0, issues);
    }
    if rings.is_empty() {
        return Ok(Polygon::new(LineString(Vec::new()), Vec::new()));
    }
    let exterior = rings.remove(0);
    Ok(Polygon::new(exterior, rings))
}
