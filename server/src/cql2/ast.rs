//! The parsed, schema-independent form of a CQL2 filter.
//!
//! Comparisons are normalised at parse time (`5 < x` becomes `x > 5`, spatial arguments put
//! the feature geometry first), so one filter has one canonical text: the tile cache keys on it.

use std::collections::BTreeSet;

use geo::{LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Rect};

/// A parsed CQL2 expression (not yet bound to a schema).
///
/// Parsing never produces an empty or one-element `And`/`Or`; the policy builds `Or`s of
/// any length, and `Display` writes those as their meaning (`TRUE`, `FALSE`, the child).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Literal(bool),
    /// `property op value`.
    Compare {
        property: Property,
        op: CmpOp,
        value: Literal,
        fold: Fold,
    },
    /// `property [NOT] LIKE 'pattern'`, with `%`, `_` and `\` escapes.
    Like {
        property: Property,
        pattern: String,
        negated: bool,
        fold: Fold,
    },
    /// `property [NOT] IN (values)`.
    In {
        property: Property,
        values: Vec<Literal>,
        negated: bool,
        fold: Fold,
    },
    /// `property [NOT] BETWEEN low AND high` (inclusive).
    Between {
        property: Property,
        low: Literal,
        high: Literal,
        negated: bool,
    },
    /// `property IS [NOT] NULL`.
    IsNull {
        property: Property,
        negated: bool,
    },
    /// `op(geometry_name, literal)`: the name only says "the feature geometry", whatever it
    /// is called, so it is kept for display but never bound to a column.
    Spatial {
        op: SpatialOp,
        geometry_name: String,
        geometry: GeomLiteral,
    },
}

/// A property (attribute) name, with where it was written so bind errors can point at it.
///
/// Equality and hashing ignore the position: a filter re-parsed from its canonical text
/// equals the original.
#[derive(Debug, Clone, Eq)]
pub struct Property {
    pub name: String,
    /// 0-based character index in the filter text; 0 for expressions built in code.
    pub position: usize,
}

impl Property {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            position: 0,
        }
    }
}

impl PartialEq for Property {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl std::hash::Hash for Property {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// A scalar literal.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    String(String),
    Int(i64),
    /// Always finite.
    Float(f64),
    Bool(bool),
    /// `DATE('YYYY-MM-DD')`, kept as the ISO text.
    Date(String),
    /// `TIMESTAMP('YYYY-MM-DDTHH:MM:SS[.fff]Z')`, kept as the ISO text.
    Timestamp(String),
}

/// `CASEI(...)` / `ACCENTI(...)`: case- and accent-insensitive string comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Fold {
    pub casei: bool,
    pub accenti: bool,
}

impl Fold {
    pub fn is_none(self) -> bool {
        !self.casei && !self.accenti
    }

    pub(super) fn union(self, other: Fold) -> Fold {
        Fold {
            casei: self.casei || other.casei,
            accenti: self.accenti || other.accenti,
        }
    }
}

/// A binary comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            op => op,
        }
    }

    /// Whether `left op right` holds, given how `left` orders against `right`.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        match self {
            CmpOp::Eq => ord.is_eq(),
            CmpOp::Ne => ord.is_ne(),
            CmpOp::Lt => ord.is_lt(),
            CmpOp::Le => ord.is_le(),
            CmpOp::Gt => ord.is_gt(),
            CmpOp::Ge => ord.is_ge(),
        }
    }
}

/// A spatial predicate, read as `op(feature geometry, literal)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpatialOp {
    Intersects,
    Disjoint,
    /// The feature lies within the literal.
    Within,
    /// The feature contains the literal.
    Contains,
}

impl SpatialOp {
    pub fn name(self) -> &'static str {
        match self {
            SpatialOp::Intersects => "S_INTERSECTS",
            SpatialOp::Disjoint => "S_DISJOINT",
            SpatialOp::Within => "S_WITHIN",
            SpatialOp::Contains => "S_CONTAINS",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<SpatialOp> {
        [
            SpatialOp::Intersects,
            SpatialOp::Disjoint,
            SpatialOp::Within,
            SpatialOp::Contains,
        ]
        .into_iter()
        .find(|op| op.name().eq_ignore_ascii_case(name))
    }

    /// The predicate with its arguments swapped.
    pub fn swap(self) -> SpatialOp {
        match self {
            SpatialOp::Within => SpatialOp::Contains,
            SpatialOp::Contains => SpatialOp::Within,
            op => op,
        }
    }
}

/// A geometry literal in lon/lat (EPSG:4326): WKT or `BBOX(minx, miny, maxx, maxy)`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GeomLiteral {
    Point(Point<f64>),
    LineString(LineString<f64>),
    Polygon(Polygon<f64>),
    MultiPoint(MultiPoint<f64>),
    MultiLineString(MultiLineString<f64>),
    MultiPolygon(MultiPolygon<f64>),
    Bbox(Rect<f64>),
}

impl GeomLiteral {
    pub fn to_geometry(&self) -> geo::Geometry<f64> {
        match self {
            GeomLiteral::Point(g) => (*g).into(),
            GeomLiteral::LineString(g) => g.clone().into(),
            GeomLiteral::Polygon(g) => g.clone().into(),
            GeomLiteral::MultiPoint(g) => g.clone().into(),
            GeomLiteral::MultiLineString(g) => g.clone().into(),
            GeomLiteral::MultiPolygon(g) => g.clone().into(),
            GeomLiteral::Bbox(r) => (*r).into(),
        }
    }
}

impl Expr {
    /// Adds the property names the expression refers to.
    pub(super) fn collect_attributes(&self, out: &mut BTreeSet<String>) {
        match self {
            Expr::And(list) | Expr::Or(list) => {
                for e in list {
                    e.collect_attributes(out);
                }
            }
            Expr::Not(e) => e.collect_attributes(out),
            Expr::Literal(_) | Expr::Spatial { .. } => {}
            Expr::Compare { property, .. }
            | Expr::Like { property, .. }
            | Expr::In { property, .. }
            | Expr::Between { property, .. }
            | Expr::IsNull { property, .. } => {
                out.insert(property.name.clone());
            }
        }
    }
}
