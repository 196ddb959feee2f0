//! The predicates after a property: comparisons, `LIKE`, `IN`, `BETWEEN`, and the
//! `DATE`/`TIMESTAMP` literals they compare with.

use super::Cql2Error;
use super::ast::{CmpOp, Expr, Fold, Literal, Property};
use super::lexer::TokenKind;
use super::like::check_pattern;
use super::parser::{Operand, Parser};

/// Puts the property on the left: `5 < x` becomes `x > 5`.
pub(super) fn comparison(left: Operand, op: CmpOp, right: Operand) -> Result<Expr, Cql2Error> {
    match (left, right) {
        (Operand::Property(property, f1), Operand::Literal(value, f2, _)) => Ok(Expr::Compare {
            property,
            op,
            value,
            fold: f1.union(f2),
        }),
        (Operand::Literal(value, f1, _), Operand::Property(property, f2)) => Ok(Expr::Compare {
            property,
            op: op.flip(),
            value,
            fold: f1.union(f2),
        }),
        (Operand::Property(left, _), Operand::Property(right, _)) => Err(Cql2Error {
            position: right.position,
            message: format!(
                "comparing two properties (`{}` and `{}`) is not supported: compare with a value",
                left.name, right.name
            ),
        }),
        (Operand::Literal(_, _, position), Operand::Literal(..)) => Err(Cql2Error {
            position,
            message: "a comparison needs a property on one side".to_owned(),
        }),
    }
}

impl Parser {
    /// A literal operand; a property here is an error pointing at it.
    fn literal(&mut self, what: &str) -> Result<(Literal, Fold, usize), Cql2Error> {
        match self.operand(what)? {
            Operand::Literal(value, fold, pos) => Ok((value, fold, pos)),
            Operand::Property(p, _) => Err(Cql2Error {
                position: p.position,
                message: format!("expected {what} but found the property `{}`", p.name),
            }),
        }
    }

    pub(super) fn like(
        &mut self,
        property: Property,
        fold: Fold,
        negated: bool,
    ) -> Result<Expr, Cql2Error> {
        let what = "a 'pattern' string after LIKE";
        let (value, pattern_fold, position) = self.literal(what)?;
        let Literal::String(pattern) = value else {
            return Err(Cql2Error {
                position,
                message: format!("expected {what}"),
            });
        };
        check_pattern(&pattern).map_err(|message| Cql2Error { position, message })?;
        Ok(Expr::Like {
            property,
            pattern,
            negated,
            fold: fold.union(pattern_fold),
        })
    }

    pub(super) fn in_list(
        &mut self,
        property: Property,
        mut fold: Fold,
        negated: bool,
    ) -> Result<Expr, Cql2Error> {
        self.expect(&TokenKind::LParen, "'(' after IN")?;
        let mut values = Vec::new();
        loop {
            let (value, item_fold, _) = self.literal("a value in the IN list")?;
            values.push(value);
            fold = fold.union(item_fold);
            match self.peek().kind {
                TokenKind::Comma => {
                    self.bump();
                }
                TokenKind::RParen => {
                    self.bump();
                    break;
                }
                _ => return Err(self.expected("',' or ')' in the IN list")),
            }
        }
        Ok(Expr::In {
            property,
            values,
            negated,
            fold,
        })
    }

    pub(super) fn between(
        &mut self,
        property: Property,
        fold: Fold,
        negated: bool,
    ) -> Result<Expr, Cql2Error> {
        if !fold.is_none() {
            return Err(Cql2Error {
                position: property.position,
                message: "CASEI and ACCENTI do not apply to BETWEEN".to_owned(),
            });
        }
        let (low, _, _) = self.literal("a lower bound after BETWEEN")?;
        if !self.eat_keyword("AND") {
            return Err(self.expected("AND between the BETWEEN bounds"));
        }
        let (high, _, _) = self.literal("an upper bound after AND")?;
        Ok(Expr::Between {
            property,
            low,
            high,
            negated,
        })
    }

    /// The body of `DATE('…')` or `TIMESTAMP('…')`, after the opening parenthesis.
    pub(super) fn instant(&mut self, word: &str) -> Result<Literal, Cql2Error> {
        let is_date = word == "DATE";
        let shape = if is_date {
            "'YYYY-MM-DD'"
        } else {
            "'YYYY-MM-DDTHH:MM:SSZ'"
        };
        let token = self.peek().clone();
        let TokenKind::Str(text) = token.kind else {
            return Err(self.expected(&format!("a {shape} string in {word}(…)")));
        };
        let valid = if is_date {
            is_date_text(&text)
        } else {
            is_timestamp_text(&text)
        };
        if !valid {
            return Err(Cql2Error {
                position: token.pos,
                message: format!("'{text}' is not a valid {word}: write it as {shape}"),
            });
        }
        self.bump();
        self.expect(&TokenKind::RParen, &format!("')' to close {word}("))?;
        Ok(if is_date {
            Literal::Date(text)
        } else {
            Literal::Timestamp(text)
        })
    }
}

/// Reads fixed-width ASCII digits at `at..at+len` as a number within `range`.
fn digits(s: &[u8], at: usize, len: usize, range: std::ops::RangeInclusive<u32>) -> bool {
    let Some(part) = s.get(at..at + len) else {
        return false;
    };
    if !part.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    range.contains(&n)
}

/// `YYYY-MM-DD`.
pub(super) fn is_date_text(s: &str) -> bool {
    is_date_bytes(s.as_bytes())
}

fn is_date_bytes(b: &[u8]) -> bool {
    b.len() == 10
        && digits(b, 0, 4, 0..=9999)
        && b[4] == b'-'
        && digits(b, 5, 2, 1..=12)
        && b[7] == b'-'
        && digits(b, 8, 2, 1..=31)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
pub(super) fn is_timestamp_text(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(date), Some(time), Some(zone)) = (b.get(..10), b.get(10..19), b.get(19..)) else {
        return false;
    };
    let time_ok = time[0] == b'T'
        && digits(time, 1, 2, 0..=23)
        && time[3] == b':'
        && digits(time, 4, 2, 0..=59)
        && time[6] == b':'
        && digits(time, 7, 2, 0..=60);
    let zone_ok = match zone {
        [b'Z'] => true,
        [b'.', frac @ .., b'Z'] => !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    is_date_bytes(date) && time_ok && zone_ok
}
