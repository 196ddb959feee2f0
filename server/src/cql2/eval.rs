//! The bound filter and its evaluation, in SQL three-valued logic: a comparison with a
//! NULL property is unknown, `NOT unknown` is unknown, and only a true filter admits.

use std::cmp::Ordering;
use std::panic::{AssertUnwindSafe, catch_unwind};

use geo::{Contains, Geometry, Intersects, Within};

use super::ast::{CmpOp, Fold, SpatialOp};
use super::like::{Pattern, folded};
use crate::model::{Feature, Value};

/// A bound filter, ready to evaluate against features of one schema.
#[derive(Debug, Clone)]
pub struct Filter {
    pub(super) root: Node,
}

/// A literal converted for the column it is compared with.
#[derive(Debug, Clone)]
pub(super) enum Scalar {
    /// `i` is set for integer literals, so integer columns compare exactly past 2^53.
    Num {
        f: f64,
        i: Option<i64>,
    },
    Text(Box<str>),
    Bool(bool),
}

impl Scalar {
    pub(super) fn int(i: i64) -> Scalar {
        Scalar::Num {
            f: i as f64,
            i: Some(i),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    Const(bool),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Compare {
        column: usize,
        op: CmpOp,
        value: Scalar,
        fold: Fold,
    },
    In {
        column: usize,
        values: Vec<Scalar>,
        negated: bool,
        fold: Fold,
    },
    Between {
        column: usize,
        low: Scalar,
        high: Scalar,
        negated: bool,
    },
    Like {
        column: usize,
        pattern: Pattern,
        negated: bool,
    },
    IsNull {
        column: usize,
        negated: bool,
    },
    Spatial {
        op: SpatialOp,
        geometry: Geometry<f64>,
        /// lon/lat bounds of `geometry`; `None` for an empty one.
        envelope: Option<[f64; 4]>,
    },
}

/// True, false, or unknown (`None`).
type Truth = Option<bool>;

/// How a value compares with a literal.
enum Cmp {
    Ordered(Ordering),
    /// The value is NULL: the comparison is unknown.
    Null,
    /// Different kinds (text that is not a number, against a number): never equal.
    Incomparable,
}

impl Filter {
    /// A filter that admits no feature.
    pub fn nothing() -> Filter {
        Filter {
            root: Node::Const(false),
        }
    }

    /// A filter that admits every feature.
    pub fn everything() -> Filter {
        Filter {
            root: Node::Const(true),
        }
    }

    /// True if the filter holds for the feature; unknown (NULL) counts as not matching.
    pub fn matches(&self, feature: &Feature) -> bool {
        self.root.eval(feature) == Some(true)
    }

    /// A lon/lat box `[minx, miny, maxx, maxy]` that every matching feature intersects,
    /// when the filter's spatial predicates imply one, so callers can query the R-tree first.
    pub fn envelope(&self) -> Option<[f64; 4]> {
        self.root.envelope()
    }
}

impl Node {
    fn eval(&self, feature: &Feature) -> Truth {
        match self {
            Node::Const(b) => Some(*b),
            Node::And(list) => and(list, feature),
            Node::Or(list) => or(list, feature),
            Node::Not(inner) => inner.eval(feature).map(|b| !b),
            Node::Compare {
                column,
                op,
                value,
                fold,
            } => match compare(feature.property(*column), value, *fold) {
                Cmp::Ordered(ord) => Some(op.holds(ord)),
                Cmp::Null => None,
                Cmp::Incomparable => Some(*op == CmpOp::Ne),
            },
            Node::In {
                column,
                values,
                negated,
                fold,
            } => in_list(feature.property(*column), values, *fold).map(|b| b != *negated),
            Node::Between {
                column,
                low,
                high,
                negated,
            } => between(feature.property(*column), low, high).map(|b| b != *negated),
            Node::Like {
                column,
                pattern,
                negated,
            } => match feature.property(*column) {
                Value::Null => None,
                Value::String(s) => Some(pattern.matches(s) != *negated),
                _ => Some(*negated),
            },
            Node::IsNull { column, negated } => {
                Some(feature.property(*column).is_null() != *negated)
            }
            Node::Spatial { op, geometry, .. } => Some(spatial(*op, &feature.geometry, geometry)),
        }
    }

    fn envelope(&self) -> Option<[f64; 4]> {
        match self {
            Node::Spatial {
                op: SpatialOp::Intersects | SpatialOp::Within | SpatialOp::Contains,
                envelope,
                ..
            } => *envelope,
            Node::And(list) => list
                .iter()
                .filter_map(Node::envelope)
                .reduce(|a, b| intersection(a, b).unwrap_or(a)),
            Node::Or(list) => list
                .iter()
                .map(Node::envelope)
                .reduce(|a, b| Some(union(a?, b?)))
                .flatten(),
            _ => None,
        }
    }
}

/// False wins over unknown, unknown over true.
fn and(list: &[Node], feature: &Feature) -> Truth {
    let mut unknown = false;
    for node in list {
        match node.eval(feature) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

/// True wins over unknown, unknown over false.
fn or(list: &[Node], feature: &Feature) -> Truth {
    let mut unknown = false;
    for node in list {
        match node.eval(feature) {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown { None } else { Some(false) }
}

fn in_list(value: &Value, values: &[Scalar], fold: Fold) -> Truth {
    if value.is_null() {
        return None;
    }
    Some(
        values
            .iter()
            .any(|v| matches!(compare(value, v, fold), Cmp::Ordered(Ordering::Equal))),
    )
}

fn between(value: &Value, low: &Scalar, high: &Scalar) -> Truth {
    let plain = Fold::default();
    match (compare(value, low, plain), compare(value, high, plain)) {
        (Cmp::Null, _) | (_, Cmp::Null) => None,
        (Cmp::Ordered(lo), Cmp::Ordered(hi)) => Some(lo.is_ge() && hi.is_le()),
        _ => Some(false),
    }
}

fn compare(value: &Value, literal: &Scalar, fold: Fold) -> Cmp {
    match (value, literal) {
        (Value::Null, _) => Cmp::Null,
        (Value::Int(v), Scalar::Num { i: Some(i), .. }) => Cmp::Ordered(v.cmp(i)),
        (Value::Int(v), Scalar::Num { f, .. }) => numbers(*v as f64, *f),
        (Value::Float(v), Scalar::Num { f, .. }) => numbers(*v, *f),
        (Value::String(s), Scalar::Num { f, .. }) => match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => numbers(v, *f),
            _ => Cmp::Incomparable,
        },
        (Value::Bool(b), Scalar::Num { f, .. }) => numbers(f64::from(u8::from(*b)), *f),
        (Value::String(s), Scalar::Text(t)) if fold.is_none() => {
            Cmp::Ordered(s.as_ref().cmp(t.as_ref()))
        }
        (Value::String(s), Scalar::Text(t)) => Cmp::Ordered(folded(s, fold).cmp(t.chars())),
        (value, Scalar::Bool(want)) => match as_bool(value) {
            Some(b) => Cmp::Ordered(b.cmp(want)),
            None => Cmp::Incomparable,
        },
        _ => Cmp::Incomparable,
    }
}

fn numbers(a: f64, b: f64) -> Cmp {
    a.partial_cmp(&b).map_or(Cmp::Incomparable, Cmp::Ordered)
}

/// Booleans as stored by sources without a boolean type: `true`/`false`, 1/0.
fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Int(0) => Some(false),
        Value::Int(1) => Some(true),
        Value::String(s) => parse_bool(s),
        _ => None,
    }
}

pub(super) fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") || s == "1" {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") || s == "0" {
        Some(false)
    } else {
        None
    }
}

/// `Within` and `Contains` go through geo's DE-9IM `relate`, which has panicked on invalid
/// input; a feature geometry we cannot judge does not match rather than taking the server down.
fn spatial(op: SpatialOp, feature: &Geometry<f64>, literal: &Geometry<f64>) -> bool {
    match op {
        SpatialOp::Intersects => feature.intersects(literal),
        SpatialOp::Disjoint => !feature.intersects(literal),
        SpatialOp::Within => {
            catch_unwind(AssertUnwindSafe(|| feature.is_within(literal))).unwrap_or(false)
        }
        SpatialOp::Contains => {
            catch_unwind(AssertUnwindSafe(|| feature.contains(literal))).unwrap_or(false)
        }
    }
}

fn intersection(a: [f64; 4], b: [f64; 4]) -> Option<[f64; 4]> {
    let r = [
        a[0].max(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].min(b[3]),
    ];
    (r[0] <= r[2] && r[1] <= r[3]).then_some(r)
}

fn union(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}
