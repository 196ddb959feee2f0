//! CQL2-text subset (OGC API – Features Part 3). INTERFACE STUB: being implemented.

use std::collections::BTreeSet;
use std::fmt;

use crate::layer::{Feature, Schema};

/// A parse or bind error, with the 0-based character position in the filter text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct Cql2Error {
    pub position: usize,
    pub message: String,
}

/// A parsed CQL2 expression (not yet bound to a schema).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Literal(bool),
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, Cql2Error> {
        let _ = text;
        Ok(Expr::Literal(true))
    }

    /// The property names the expression refers to.
    pub fn attributes(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }

    /// Resolves property names to schema columns and checks literal types.
    pub fn bind(&self, schema: &Schema) -> Result<Filter, Cql2Error> {
        let _ = schema;
        Ok(Filter {})
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TRUE")
    }
}

/// A bound filter, ready to evaluate against features of one schema.
#[derive(Debug, Clone)]
pub struct Filter {}

impl Filter {
    /// A filter that admits no feature.
    pub fn nothing() -> Filter {
        Filter {}
    }

    pub fn matches(&self, feature: &Feature) -> bool {
        let _ = feature;
        true
    }

    /// A lon/lat box `[minx, miny, maxx, maxy]` that every matching feature intersects,
    /// when the filter's spatial predicates imply one.
    pub fn envelope(&self) -> Option<[f64; 4]> {
        None
    }
}
