//! GeoJSON geometry objects, read as they stream past and then turned into geo geometries,
//! noticing unclosed and short rings. No `serde_json::Value` is built for a geometry: see
//! [`super::coords`] for how coordinates are held until the `type` is known.

use std::fmt;

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::coords::{Coords, Token};
use crate::ingest::validate::{GeomProblem, note_ring};

/// The geometry types of RFC 7946.
pub const TYPES: [&str; 7] = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

/// (Japanese, English) description of a structural error.
type Bad = (String, String);

fn bad(what: &str) -> Bad {
    (
        format!("ジオメトリの形式が正しくありません: {what}"),
        format!("malformed geometry: {what}"),
    )
}

fn not_an_array() -> Bad {
    bad("`coordinates` is not an array")
}

fn not_a_position() -> Bad {
    bad("a position is not [x, y] numbers")
}

/// A geometry member as read: an object, or any other value (which has no `type`).
#[derive(Debug)]
pub enum Slot {
    Object(Raw),
    Other,
}

/// The members of a geometry object that matter, in whatever order they came.
#[derive(Debug, Default)]
pub struct Raw {
    /// `None` when absent or not a string.
    pub ty: Option<String>,
    /// `None` when absent or null.
    pub coordinates: Option<Coords>,
    /// `None` when absent or not an array.
    pub geometries: Option<Vec<Slot>>,
}

/// Converts a GeoJSON geometry; the problems are those only visible in the raw
/// coordinates (unclosed rings).
pub fn convert(g: Slot) -> Result<(Option<Geometry<f64>>, Vec<GeomProblem>), Bad> {
    let mut issues = Vec::new();
    let geometry = convert_at(g, &mut issues, 0)?;
    Ok((geometry, issues))
}

fn convert_at(
    g: Slot,
    issues: &mut Vec<GeomProblem>,
    depth: usize,
) -> Result<Option<Geometry<f64>>, Bad> {
    let Slot::Object(g) = g else {
        return Err(bad("no `type`"));
    };
    let ty = g.ty.ok_or_else(|| bad("no `type`"))?;
    if ty == "GeometryCollection" {
        if depth > 8 {
            return Err(bad("GeometryCollection nested too deeply"));
        }
        let parts = g.geometries.ok_or_else(|| bad("no `geometries`"))?;
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            out.extend(convert_at(p, issues, depth + 1)?);
        }
        return Ok(Some(Geometry::GeometryCollection(geo::GeometryCollection(
            out,
        ))));
    }
    let Some(c) = g.coordinates else {
        return Ok(None);
    };
    Ok(Some(match ty.as_str() {
        "LineString" | "MultiPoint" => flat(c, &ty)?,
        "Point" => Geometry::Point(Point(Cursor::new(&c).position()?)),
        "MultiLineString" => {
            Geometry::MultiLineString(MultiLineString(Cursor::new(&c).array(Cursor::line)?))
        }
        "Polygon" => Geometry::Polygon(Cursor::new(&c).polygon(issues)?),
        "MultiPolygon" => {
            Geometry::MultiPolygon(MultiPolygon(Cursor::new(&c).array(|p| p.polygon(issues))?))
        }
        other => return Err(bad(&format!("unknown type `{other}`"))),
    }))
}

/// A LineString or MultiPoint: one array of positions, taken without copying when well
/// formed.
fn flat(c: Coords, ty: &str) -> Result<Geometry<f64>, Bad> {
    let points = match c.into_flat_positions() {
        Ok(points) => points,
        Err(c) => Cursor::new(&c).line()?.0,
    };
    Ok(if ty == "LineString" {
        Geometry::LineString(LineString(points))
    } else {
        Geometry::MultiPoint(MultiPoint(points.into_iter().map(Point).collect()))
    })
}

/// Walks the tokens of [`Coords`] as a given nesting of arrays and positions; the first
/// thing out of place is the error, as a walk over the JSON value would find it.
struct Cursor<'a> {
    shape: &'a [Token],
    points: &'a [Coord<f64>],
    /// The next token and the next point.
    at: usize,
    point: usize,
}

impl<'a> Cursor<'a> {
    fn new(c: &'a Coords) -> Self {
        Self {
            shape: &c.shape,
            points: &c.points,
            at: 0,
            point: 0,
        }
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.shape.get(self.at).copied();
        self.at += 1;
        t
    }

    fn position(&mut self) -> Result<Coord<f64>, Bad> {
        match self.next() {
            Some(Token::Pos) => {
                let c = self.points[self.point];
                self.point += 1;
                Ok(c)
            }
            Some(Token::BadLeaf | Token::Open) => Err(not_a_position()),
            _ => Err(not_an_array()),
        }
    }

    /// An array whose every element is read by `each`.
    fn array<T>(
        &mut self,
        mut each: impl FnMut(&mut Self) -> Result<T, Bad>,
    ) -> Result<Vec<T>, Bad> {
        if self.next() != Some(Token::Open) {
            // A scalar, or an array whose first element is a scalar where an array was
            // expected: either way, not an array.
            return Err(not_an_array());
        }
        let mut out = Vec::new();
        while self.shape.get(self.at) != Some(&Token::Close) {
            out.push(each(self)?);
        }
        self.at += 1;
        Ok(out)
    }

    fn line(&mut self) -> Result<LineString<f64>, Bad> {
        let run = self.shape[self.at.min(self.shape.len())..]
            .iter()
            .skip(1)
            .take_while(|t| **t == Token::Pos)
            .count();
        let whole = self.shape.get(self.at) == Some(&Token::Open)
            && self.shape.get(self.at + 1 + run) == Some(&Token::Close);
        if !whole {
            return self.array(Self::position).map(LineString);
        }
        let points = self.points[self.point..self.point + run].to_vec();
        self.at += run + 2;
        self.point += run;
        Ok(LineString(points))
    }

    fn polygon(&mut self, issues: &mut Vec<GeomProblem>) -> Result<Polygon<f64>, Bad> {
        let mut rings = self.array(Self::line)?;
        for r in &rings {
            note_ring(&r.0, issues);
        }
        if rings.is_empty() {
            return Ok(Polygon::new(LineString(Vec::new()), Vec::new()));
        }
        let exterior = rings.remove(0);
        Ok(Polygon::new(exterior, rings))
    }
}

impl<'de> de::Deserialize<'de> for Slot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SlotVisitor)
    }
}

struct SlotVisitor;

/// Any value other than an object is read and dropped: it cannot be a geometry.
macro_rules! other_scalars {
    ($out:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($out)
        }
    };
}

impl<'de> Visitor<'de> for SlotVisitor {
    type Value = Slot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON geometry")
    }

    other_scalars!(Slot::Other);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slot, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Slot::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slot, A::Error> {
        let mut raw = Raw::default();
        while let Some(key) = map.next_key::<String>()? {
            if !raw.member(&key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Slot::Object(raw))
    }
}

impl Raw {
    /// Reads the value of `key` when it is a geometry member; false leaves it unread.
    pub fn member<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match key {
            "type" => self.ty = map.next_value::<Text>()?.0,
            "coordinates" => self.coordinates = map.next_value()?,
            "geometries" => self.geometries = map.next_value::<Parts>()?.0,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A string, or `None` for any other value.
struct Text(Option<String>);

impl<'de> de::Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a geometry type")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
        Ok(Text(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Text, E> {
        Ok(Text(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Text, E> {
        Ok(Text(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text, E> {
        Ok(Text(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text(Some(v.to_owned())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

/// A GeometryCollection's `geometries`: the members of an array, or `None` for any other
/// value.
struct Parts(Option<Vec<Slot>>);

impl<'de> de::Deserialize<'de> for Parts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PartsVisitor)
    }
}

struct PartsVisitor;

impl<'de> Visitor<'de> for PartsVisitor {
    type Value = Parts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GeoJSON geometries")
    }

    other_scalars!(Parts(None));

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Parts, A::Error> {
        let mut parts = Vec::new();
        while let Some(p) = seq.next_element::<Slot>()? {
            parts.push(p);
        }
        Ok(Parts(Some(parts)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Parts(None))
    }
}
