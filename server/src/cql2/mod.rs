//! CQL2-text filters (OGC API – Features Part 3, OGC 21-065): the subset Kashimap needs
//! for `filter=` queries and for the row filters in `layers/*.toml`.
//!
//! A filter goes through three stages:
//! - [`Expr::parse`] reads untrusted text into an [`Expr`], refusing anything longer than
//!   [`MAX_FILTER_BYTES`] or nested deeper than [`MAX_DEPTH`], with errors that name the
//!   character position and what was expected there.
//! - [`Expr::bind`] resolves property names against a layer [`Schema`] and converts each
//!   literal once into the form its column compares with.
//! - [`Filter::matches`] evaluates per feature in SQL three-valued logic, without
//!   allocating; [`Filter::envelope`] gives a box for an R-tree query first.
//!
//! Supported: `= <> < <= > >=`, `AND`/`OR`/`NOT`, `[NOT] LIKE` (`%`, `_`, `\`),
//! `[NOT] IN`, `[NOT] BETWEEN`, `IS [NOT] NULL`, `CASEI`/`ACCENTI`, `DATE`/`TIMESTAMP`,
//! and `S_INTERSECTS`/`S_DISJOINT`/`S_WITHIN`/`S_CONTAINS` with WKT or `BBOX` in lon/lat.
//! Property names may be Japanese (`用途地域名 = '商業地域'`) or double-quoted.

mod ast;
mod bind;
mod display;
mod eval;
mod lexer;
mod like;
mod parse_geom;
mod parse_pred;
mod parser;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

pub use ast::{CmpOp, Expr, Fold, GeomLiteral, Literal, Property, SpatialOp};
pub use eval::Filter;

use crate::model::Schema;

/// The longest filter text accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 16 * 1024;
/// The deepest nesting of parentheses, `NOT`s and functions accepted.
pub const MAX_DEPTH: usize = 100;

/// A parse or bind error, with the 0-based character position in the filter text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct Cql2Error {
    pub position: usize,
    pub message: String,
}

impl Expr {
    /// Parses CQL2 text. Never panics, whatever the input.
    pub fn parse(text: &str) -> Result<Expr, Cql2Error> {
        parser::parse(text)
    }

    /// The property names the expression refers to (the geometry is not one of them).
    pub fn attributes(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect_attributes(&mut out);
        out
    }

    /// Resolves property names to schema columns and checks literal types.
    ///
    /// Fails on an unknown property and on a literal its column can never match.
    pub fn bind(&self, schema: &Schema) -> Result<Filter, Cql2Error> {
        Ok(Filter {
            root: self.bind_node(schema)?,
        })
    }
}
