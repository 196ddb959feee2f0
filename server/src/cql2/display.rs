//! Canonical CQL2 text. It is deterministic and parses back to an equal [`Expr`], so it
//! serves as the filter part of tile cache keys.

use std::fmt::{self, Display, Formatter, Write as _};

use geo::{Coord, LineString, Polygon};

use super::ast::{Expr, Fold, GeomLiteral, Literal, Property};
use super::lexer::{is_ident_part, is_ident_start};
use super::parser::is_reserved;

/// Function and geometry names: quoted when used as property names, for readability.
const FUNCTION_NAMES: &[&str] = &[
    "CASEI",
    "ACCENTI",
    "DATE",
    "TIMESTAMP",
    "S_INTERSECTS",
    "S_DISJOINT",
    "S_WITHIN",
    "S_CONTAINS",
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "BBOX",
    "ENVELOPE",
];

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(list) => junction(f, list, "AND", true),
            Expr::Or(list) => junction(f, list, "OR", false),
            Expr::Not(inner) => write!(f, "NOT ({inner})"),
            Expr::Literal(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Expr::Compare {
                property,
                op,
                value,
                fold,
            } => write!(
                f,
                "{} {} {}",
                Folded(*fold, property),
                op.symbol(),
                Folded(*fold, value)
            ),
            Expr::Like {
                property,
                pattern,
                negated,
                fold,
            } => {
                let pattern = Literal::String(pattern.clone());
                write!(f, "{}{} LIKE ", Folded(*fold, property), not(*negated))?;
                Folded(*fold, &pattern).fmt(f)
            }
            Expr::In {
                property,
                values,
                negated,
                fold,
            } => {
                write!(f, "{}{} IN (", Folded(*fold, property), not(*negated))?;
                for (i, v) in values.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{}", Folded(*fold, v))?;
                }
                f.write_char(')')
            }
            Expr::Between {
                property,
                low,
                high,
                negated,
            } => write!(f, "{property}{} BETWEEN {low} AND {high}", not(*negated)),
            Expr::IsNull { property, negated } => {
                write!(f, "{property} IS{} NULL", not(*negated))
            }
            Expr::Spatial {
                op,
                geometry_name,
                geometry,
            } => {
                write!(f, "{}(", op.name())?;
                write_name(f, geometry_name)?;
                write!(f, ", {geometry})")
            }
        }
    }
}

/// `AND`/`OR` lists; nested lists keep their parentheses so the structure round-trips.
fn junction(f: &mut Formatter<'_>, list: &[Expr], word: &str, empty: bool) -> fmt::Result {
    match list {
        [] => f.write_str(if empty { "TRUE" } else { "FALSE" }),
        [only] => only.fmt(f),
        _ => {
            for (i, e) in list.iter().enumerate() {
                if i > 0 {
                    write!(f, " {word} ")?;
                }
                match unwrap_single(e) {
                    e @ (Expr::And(l) | Expr::Or(l)) if l.len() > 1 => write!(f, "({e})")?,
                    e => e.fmt(f)?,
                }
            }
            Ok(())
        }
    }
}

/// What a one-element `And`/`Or` displays as.
fn unwrap_single(e: &Expr) -> &Expr {
    match e {
        Expr::And(l) | Expr::Or(l) if l.len() == 1 => unwrap_single(&l[0]),
        e => e,
    }
}

fn not(negated: bool) -> &'static str {
    if negated { " NOT" } else { "" }
}

/// Writes `CASEI(ACCENTI(x))` as the fold requires.
struct Folded<'a, T>(Fold, &'a T);

impl<T: Display> Display for Folded<'_, T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Folded(fold, inner) = self;
        match (fold.casei, fold.accenti) {
            (true, true) => write!(f, "CASEI(ACCENTI({inner}))"),
            (true, false) => write!(f, "CASEI({inner})"),
            (false, true) => write!(f, "ACCENTI({inner})"),
            (false, false) => inner.fmt(f),
        }
    }
}

impl Display for Property {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_name(f, &self.name)
    }
}

/// Bare when the name lexes as an identifier and is no keyword, else double-quoted.
fn write_name(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(is_ident_start)
        && chars.all(is_ident_part)
        && !is_reserved(name)
        && !FUNCTION_NAMES.iter().any(|k| k.eq_ignore_ascii_case(name));
    if plain {
        f.write_str(name)
    } else {
        quoted(f, name, '"')
    }
}

fn quoted(f: &mut Formatter<'_>, text: &str, quote: char) -> fmt::Result {
    f.write_char(quote)?;
    for c in text.chars() {
        if c == quote {
            f.write_char(quote)?;
        }
        f.write_char(c)?;
    }
    f.write_char(quote)
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(s) => quoted(f, s, '\''),
            Literal::Int(i) => write!(f, "{i}"),
            // Debug keeps a fraction or exponent (`1.0`, `1e300`), so it re-parses as a float.
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::Bool(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Literal::Date(s) => {
                f.write_str("DATE(")?;
                quoted(f, s, '\'')?;
                f.write_char(')')
            }
            Literal::Timestamp(s) => {
                f.write_str("TIMESTAMP(")?;
                quoted(f, s, '\'')?;
                f.write_char(')')
            }
        }
    }
}

impl Display for GeomLiteral {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            GeomLiteral::Point(p) => write!(f, "POINT({})", Xy(p.0)),
            GeomLiteral::LineString(l) => write!(f, "LINESTRING{}", Line(l)),
            GeomLiteral::Polygon(p) => write!(f, "POLYGON{}", Rings(p)),
            GeomLiteral::MultiPoint(m) => {
                f.write_str("MULTIPOINT(")?;
                list(f, m.0.iter().map(|p| format!("({})", Xy(p.0))))
            }
            GeomLiteral::MultiLineString(m) => {
                f.write_str("MULTILINESTRING(")?;
                list(f, m.0.iter().map(|l| Line(l).to_string()))
            }
            GeomLiteral::MultiPolygon(m) => {
                f.write_str("MULTIPOLYGON(")?;
                list(f, m.0.iter().map(|p| Rings(p).to_string()))
            }
            GeomLiteral::Bbox(r) => write!(
                f,
                "BBOX({:?}, {:?}, {:?}, {:?})",
                r.min().x,
                r.min().y,
                r.max().x,
                r.max().y
            ),
        }
    }
}

/// `a, b, c)`: the rest of a parenthesised list.
fn list(f: &mut Formatter<'_>, items: impl Iterator<Item = String>) -> fmt::Result {
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(&item)?;
    }
    f.write_char(')')
}

struct Xy(Coord<f64>);

impl Display for Xy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:?}", self.0.x, self.0.y)
    }
}

/// `(x y, x y, ...)`.
struct Line<'a>(&'a LineString<f64>);

impl Display for Line<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('(')?;
        list(f, self.0.0.iter().map(|c| Xy(*c).to_string()))
    }
}

/// `((exterior), (hole), ...)`.
struct Rings<'a>(&'a Polygon<f64>);

impl Display for Rings<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('(')?;
        let rings = std::iter::once(self.0.exterior()).chain(self.0.interiors());
        list(f, rings.map(|r| Line(r).to_string()))
    }
}
