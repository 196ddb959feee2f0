//! Binding: property names become column indices and literals are converted once to the
//! form each column compares with, so evaluation does no parsing or allocation.

use geo::BoundingRect;

use super::Cql2Error;
use super::ast::{Expr, Fold, Literal, Property};
use super::eval::{Node, Scalar};
use super::like::{Pattern, folded};
use crate::model::{Field, FieldType, Schema};

impl Expr {
    pub(super) fn bind_node(&self, schema: &Schema) -> Result<Node, Cql2Error> {
        Ok(match self {
            Expr::And(list) => Node::And(bind_all(list, schema)?),
            Expr::Or(list) => Node::Or(bind_all(list, schema)?),
            Expr::Not(inner) => Node::Not(Box::new(inner.bind_node(schema)?)),
            Expr::Literal(b) => Node::Const(*b),
            Expr::Compare {
                property,
                op,
                value,
                fold,
            } => {
                let (column, field) = column(schema, property)?;
                let value = scalar(value, field, *fold, property)?;
                Node::Compare {
                    column,
                    op: *op,
                    value,
                    fold: *fold,
                }
            }
            Expr::Like {
                property,
                pattern,
                negated,
                fold,
            } => {
                let (column, field) = column(schema, property)?;
                if !matches!(field.ty, FieldType::String | FieldType::Date) {
                    return Err(type_error(property, field, "LIKE needs a text property"));
                }
                Node::Like {
                    column,
                    pattern: Pattern::new(pattern, *fold),
                    negated: *negated,
                }
            }
            Expr::In {
                property,
                values,
                negated,
                fold,
            } => {
                let (column, field) = column(schema, property)?;
                let values = values
                    .iter()
                    .map(|v| scalar(v, field, *fold, property))
                    .collect::<Result<_, _>>()?;
                Node::In {
                    column,
                    values,
                    negated: *negated,
                    fold: *fold,
                }
            }
            Expr::Between {
                property,
                low,
                high,
                negated,
            } => {
                let (column, field) = column(schema, property)?;
                Node::Between {
                    column,
                    low: scalar(low, field, Fold::default(), property)?,
                    high: scalar(high, field, Fold::default(), property)?,
                    negated: *negated,
                }
            }
            Expr::IsNull { property, negated } => Node::IsNull {
                column: column(schema, property)?.0,
                negated: *negated,
            },
            Expr::Spatial { op, geometry, .. } => {
                let geometry = geometry.to_geometry();
                let envelope = geometry.bounding_rect().map(|r| {
                    let (min, max) = (r.min(), r.max());
                    [min.x, min.y, max.x, max.y]
                });
                Node::Spatial {
                    op: *op,
                    geometry,
                    envelope,
                }
            }
        })
    }
}

fn bind_all(list: &[Expr], schema: &Schema) -> Result<Vec<Node>, Cql2Error> {
    list.iter().map(|e| e.bind_node(schema)).collect()
}

fn column<'a>(schema: &'a Schema, property: &Property) -> Result<(usize, &'a Field), Cql2Error> {
    match schema.index_of(&property.name) {
        Some(i) => Ok((i, schema.field(i))),
        None => Err(Cql2Error {
            position: property.position,
            message: format!("unknown property `{}`", property.name),
        }),
    }
}

fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Bool => "booleans",
        FieldType::Int => "integers",
        FieldType::Float => "numbers",
        FieldType::String => "text",
        FieldType::Date => "dates",
        FieldType::Json => "JSON",
    }
}

fn type_error(property: &Property, field: &Field, what: &str) -> Cql2Error {
    Cql2Error {
        position: property.position,
        message: format!(
            "{what}, but `{}` holds {}",
            property.name,
            type_name(field.ty)
        ),
    }
}

/// Converts a literal to what the column compares with, or explains why it never could.
fn scalar(
    literal: &Literal,
    field: &Field,
    fold: Fold,
    property: &Property,
) -> Result<Scalar, Cql2Error> {
    let converted = match field.ty {
        FieldType::Int | FieldType::Float => number_scalar(literal),
        FieldType::String => Some(text_scalar(literal)),
        FieldType::Date => match literal {
            Literal::String(s) | Literal::Date(s) | Literal::Timestamp(s) => {
                Some(Scalar::Text(s.as_str().into()))
            }
            _ => None,
        },
        FieldType::Bool => bool_scalar(literal),
        FieldType::Json => {
            return Err(type_error(property, field, "only IS NULL applies to JSON"));
        }
    };
    let Some(converted) = converted else {
        return Err(type_error(
            property,
            field,
            &format!("{literal} can never match"),
        ));
    };
    match converted {
        Scalar::Text(t) if !fold.is_none() => Ok(Scalar::Text(folded(&t, fold).collect())),
        _ if !fold.is_none() => Err(type_error(
            property,
            field,
            "CASEI and ACCENTI apply only to text",
        )),
        s => Ok(s),
    }
}

fn number_scalar(literal: &Literal) -> Option<Scalar> {
    match literal {
        Literal::Int(i) => Some(Scalar::int(*i)),
        Literal::Float(f) => Some(Scalar::Num { f: *f, i: None }),
        Literal::String(s) => parse_number(s),
        _ => None,
    }
}

/// A text column compares numerically with number literals, as text otherwise.
fn text_scalar(literal: &Literal) -> Scalar {
    match literal {
        Literal::Int(i) => Scalar::int(*i),
        Literal::Float(f) => Scalar::Num { f: *f, i: None },
        Literal::Bool(b) => Scalar::Bool(*b),
        Literal::String(s) | Literal::Date(s) | Literal::Timestamp(s) => {
            Scalar::Text(s.as_str().into())
        }
    }
}

fn bool_scalar(literal: &Literal) -> Option<Scalar> {
    match literal {
        Literal::Bool(b) => Some(Scalar::Bool(*b)),
        Literal::Int(0) => Some(Scalar::Bool(false)),
        Literal::Int(1) => Some(Scalar::Bool(true)),
        Literal::String(s) => super::eval::parse_bool(s).map(Scalar::Bool),
        _ => None,
    }
}

/// A number written as text, such as `'100'` against a number column.
fn parse_number(s: &str) -> Option<Scalar> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(Scalar::int(i));
    }
    let f = s.parse::<f64>().ok().filter(|f| f.is_finite())?;
    Some(Scalar::Num { f, i: None })
}
