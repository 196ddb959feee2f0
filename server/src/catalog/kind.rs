//! The geometry kinds a layer holds: usually one (`geometry = "Point"`), or several for a
//! record layer whose records may be a spot or an area (`geometry = ["Point", "Polygon"]`,
//! e.g. 農地パトロール: a point where the field is unclear, the field's outline where it is).
//!
//! Everything that depends on the kind (tile thinning, overviews, the default style, the
//! OGC schema, exports, edit checks) asks the feature's own kind, [`GeometryKind::of`], and
//! the layer's set, [`Geometries`], for what it may hold.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One geometry kind. Multi-geometries count as their kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GeometryKind {
    Point,
    LineString,
    Polygon,
}

impl GeometryKind {
    pub const ALL: [Self; 3] = [Self::Point, Self::LineString, Self::Polygon];

    /// The kind of a geometry; `None` for a collection (no layer holds those).
    pub fn of(g: &geo::Geometry<f64>) -> Option<Self> {
        use geo::Geometry as G;
        match g {
            G::Point(_) | G::MultiPoint(_) => Some(Self::Point),
            G::Line(_) | G::LineString(_) | G::MultiLineString(_) => Some(Self::LineString),
            G::Polygon(_) | G::MultiPolygon(_) | G::Rect(_) | G::Triangle(_) => Some(Self::Polygon),
            G::GeometryCollection(_) => None,
        }
    }

    /// The kind a layer file names: the simple or the multi- form.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "Point" | "MultiPoint" => Some(Self::Point),
            "LineString" | "MultiLineString" => Some(Self::LineString),
            "Polygon" | "MultiPolygon" => Some(Self::Polygon),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Point => "Point",
            Self::LineString => "LineString",
            Self::Polygon => "Polygon",
        }
    }

    /// The kind in words, (English, Japanese), for error messages.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::Point => ("a Point", "点（Point）"),
            Self::LineString => ("a LineString", "線（LineString）"),
            Self::Polygon => ("a Polygon", "面（Polygon）"),
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Point => 1,
            Self::LineString => 2,
            Self::Polygon => 4,
        }
    }
}

impl fmt::Display for GeometryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The non-empty set of kinds a layer may hold. Serialized as the kind's name when there is
/// one (the form every layer file and manifest had before sets existed) and as a list when
/// there are several.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Geometries(u8);

impl Geometries {
    pub const fn one(kind: GeometryKind) -> Self {
        Self(kind.bit())
    }

    /// The set of `kinds`; `None` when empty.
    pub fn of(kinds: impl IntoIterator<Item = GeometryKind>) -> Option<Self> {
        let bits = kinds.into_iter().fold(0, |b, k| b | k.bit());
        (bits != 0).then_some(Self(bits))
    }

    pub fn contains(self, kind: GeometryKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The kinds, in the order Point, LineString, Polygon.
    pub fn iter(self) -> impl Iterator<Item = GeometryKind> {
        GeometryKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }

    /// The kind when the layer holds only one.
    pub fn single(self) -> Option<GeometryKind> {
        let mut it = self.iter();
        match (it.next(), it.next()) {
            (Some(k), None) => Some(k),
            _ => None,
        }
    }

    /// True when a geometry is of one of these kinds (or its multi- form).
    pub fn accepts(self, g: &geo::Geometry<f64>) -> bool {
        GeometryKind::of(g).is_some_and(|k| self.contains(k))
    }

    /// The kinds in words joined by "or" / 「または」, (English, Japanese).
    pub fn words(self) -> (String, String) {
        let (en, ja): (Vec<_>, Vec<_>) = self.iter().map(GeometryKind::words).unzip();
        (en.join(" or "), ja.join("または"))
    }
}

impl fmt::Debug for Geometries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Display for Geometries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.iter().map(GeometryKind::name).collect();
        f.write_str(&names.join(", "))
    }
}

impl From<GeometryKind> for Geometries {
    fn from(kind: GeometryKind) -> Self {
        Self::one(kind)
    }
}

impl Serialize for Geometries {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.single() {
            Some(k) => k.serialize(s),
            None => s.collect_seq(self.iter()),
        }
    }
}

impl<'de> Deserialize<'de> for Geometries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(GeometryKind),
            Many(Vec<GeometryKind>),
        }
        match Raw::deserialize(d)? {
            Raw::One(k) => Ok(Self::one(k)),
            Raw::Many(ks) => {
                Self::of(ks).ok_or_else(|| serde::de::Error::custom("no geometry kind"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GeometryKind::{LineString, Point, Polygon};

    #[test]
    fn a_set_holds_its_kinds_in_order() {
        let s = Geometries::of([Polygon, Point, Polygon]).unwrap();
        assert_eq!(s.iter().collect::<Vec<_>>(), [Point, Polygon]);
        assert!(s.contains(Point) && !s.contains(LineString));
        assert_eq!(s.single(), None);
        assert_eq!(Geometries::one(LineString).single(), Some(LineString));
        assert_eq!(Geometries::of([]), None);
        assert_eq!(s.words().1, "点（Point）または面（Polygon）");
    }

    #[test]
    fn accepts_by_the_geometry_kind() {
        let s = Geometries::of([Point, Polygon]).unwrap();
        let pt = geo::Geometry::Point(geo::Point::new(130.1, 33.1));
        let line = geo::Geometry::LineString(geo::LineString::from(vec![(0.0, 0.0), (1.0, 1.0)]));
        let rect = geo::Geometry::Rect(geo::Rect::new((0.0, 0.0), (1.0, 1.0)));
        let coll = geo::Geometry::GeometryCollection(geo::GeometryCollection(vec![pt.clone()]));
        assert!(s.accepts(&pt) && s.accepts(&rect));
        assert!(!s.accepts(&line) && !s.accepts(&coll));
    }

    #[test]
    fn one_kind_serializes_as_before_and_several_as_a_list() {
        let one = serde_json::to_value(Geometries::one(Point)).unwrap();
        assert_eq!(one, serde_json::json!("Point"));
        let two = Geometries::of([Point, Polygon]).unwrap();
        let v = serde_json::to_value(two).unwrap();
        assert_eq!(v, serde_json::json!(["Point", "Polygon"]));
        assert_eq!(serde_json::from_value::<Geometries>(v).unwrap(), two);
        assert_eq!(
            serde_json::from_value::<Geometries>(one).unwrap(),
            Geometries::one(Point)
        );
        assert!(serde_json::from_value::<Geometries>(serde_json::json!([])).is_err());
    }
}
