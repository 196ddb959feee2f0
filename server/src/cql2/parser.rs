//! Recursive-descent parser for the CQL2-text subset: boolean structure, predicates and
//! scalar operands. Geometry literals are in `parse_geom`.
//!
//! Precedence, loosest first: `OR`, `AND`, `NOT`, then a predicate or a parenthesised
//! expression. Recursion is bounded by [`MAX_DEPTH`] so hostile input cannot overflow
//! the stack.

use super::ast::{Expr, Fold, Literal, Property};
use super::lexer::{Token, TokenKind, tokenize};
use super::parse_pred::comparison;
use super::{Cql2Error, MAX_DEPTH, MAX_FILTER_BYTES};

/// Words that are never property names unless double-quoted.
pub(super) const RESERVED: &[&str] = &[
    "AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE",
];

/// Parses a complete filter.
pub(super) fn parse(text: &str) -> Result<Expr, Cql2Error> {
    if text.len() > MAX_FILTER_BYTES {
        let position = text
            .char_indices()
            .take_while(|(i, _)| *i < MAX_FILTER_BYTES)
            .count();
        return Err(Cql2Error {
            position,
            message: format!("the filter is longer than {MAX_FILTER_BYTES} bytes"),
        });
    }
    let mut parser = Parser {
        tokens: tokenize(text)?,
        at: 0,
        depth: 0,
    };
    let expr = parser.or_expr()?;
    if parser.peek().kind != TokenKind::Eof {
        return Err(parser.expected("AND, OR or the end of the filter"));
    }
    Ok(expr)
}

/// One side of a comparison.
pub(super) enum Operand {
    Property(Property, Fold),
    Literal(Literal, Fold, usize),
}

pub(super) struct Parser {
    /// Always ends with `Eof`, and `at` never moves past it.
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    pub(super) fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    pub(super) fn peek_at(&self, ahead: usize) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[(self.at + ahead).min(last)]
    }

    pub(super) fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.at += 1;
        }
        token
    }

    /// True if the next token is the keyword (any case).
    pub(super) fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident(s) if s.eq_ignore_ascii_case(keyword))
    }

    pub(super) fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.is_keyword(keyword);
        if found {
            self.bump();
        }
        found
    }

    /// True if the next tokens are `name (`, a function call.
    pub(super) fn is_call(&self) -> bool {
        matches!(self.peek().kind, TokenKind::Ident(_)) && self.peek_at(1).kind == TokenKind::LParen
    }

    /// An error at the next token: "expected {what} but found {token}".
    pub(super) fn expected(&self, what: &str) -> Cql2Error {
        let token = self.peek();
        Cql2Error {
            position: token.pos,
            message: format!("expected {what} but found {}", token.describe()),
        }
    }

    pub(super) fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<Token, Cql2Error> {
        if &self.peek().kind == kind {
            Ok(self.bump())
        } else {
            Err(self.expected(what))
        }
    }

    /// Counts one level of nesting; fails past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), Cql2Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Cql2Error {
                position: self.peek().pos,
                message: format!("the filter nests deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn or_expr(&mut self) -> Result<Expr, Cql2Error> {
        let mut terms = vec![self.and_expr()?];
        while self.eat_keyword("OR") {
            terms.push(self.and_expr()?);
        }
        Ok(single_or(terms, Expr::Or))
    }

    fn and_expr(&mut self) -> Result<Expr, Cql2Error> {
        let mut factors = vec![self.not_expr()?];
        while self.eat_keyword("AND") {
            factors.push(self.not_expr()?);
        }
        Ok(single_or(factors, Expr::And))
    }

    fn not_expr(&mut self) -> Result<Expr, Cql2Error> {
        if !self.eat_keyword("NOT") {
            return self.primary();
        }
        // `NOT (x = 1)` counts its level at the parenthesis, `NOT x = 1` here: the
        // canonical text always writes the parentheses and must parse under the same limit.
        if self.peek().kind == TokenKind::LParen {
            return Ok(Expr::Not(Box::new(self.primary()?)));
        }
        self.enter()?;
        let inner = self.not_expr()?;
        self.leave();
        Ok(Expr::Not(Box::new(inner)))
    }

    fn primary(&mut self) -> Result<Expr, Cql2Error> {
        if self.peek().kind == TokenKind::LParen {
            let open = self.bump();
            self.enter()?;
            let inner = self.or_expr()?;
            let close = format!("')' to close the '(' at position {}", open.pos);
            self.expect(&TokenKind::RParen, &close)?;
            self.leave();
            return Ok(inner);
        }
        if self.is_call() && self.is_spatial_call() {
            return self.spatial();
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, Cql2Error> {
        let left = self.operand("a predicate, a property or '('")?;
        let token = self.peek().clone();
        match (&token.kind, left) {
            (TokenKind::Cmp(op), left) => {
                let op = *op;
                self.bump();
                let right = self.operand(&format!("a value after '{}'", op.symbol()))?;
                comparison(left, op, right)
            }
            (TokenKind::Ident(word), Operand::Property(property, fold))
                if ["NOT", "LIKE", "IN", "BETWEEN", "IS"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(word)) =>
            {
                self.keyword_predicate(property, fold)
            }
            (_, Operand::Literal(Literal::Bool(b), fold, _)) if fold.is_none() => {
                Ok(Expr::Literal(b))
            }
            (_, Operand::Property(p, _)) => Err(self.expected(&format!(
                "a comparison operator, LIKE, IN, BETWEEN or IS after `{}`",
                p.name
            ))),
            (_, Operand::Literal(..)) => Err(self.expected("a comparison operator")),
        }
    }

    fn keyword_predicate(&mut self, property: Property, fold: Fold) -> Result<Expr, Cql2Error> {
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("LIKE") {
            self.like(property, fold, negated)
        } else if self.eat_keyword("IN") {
            self.in_list(property, fold, negated)
        } else if self.eat_keyword("BETWEEN") {
            self.between(property, fold, negated)
        } else if !negated && self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            if !self.eat_keyword("NULL") {
                return Err(self.expected("NULL after IS"));
            }
            Ok(Expr::IsNull { property, negated })
        } else {
            Err(self.expected("LIKE, IN or BETWEEN after NOT"))
        }
    }

    /// A property, a literal, or `CASEI`/`ACCENTI`/`DATE`/`TIMESTAMP` around one.
    pub(super) fn operand(&mut self, what: &str) -> Result<Operand, Cql2Error> {
        if self.is_call() {
            return self.call_operand(what);
        }
        let token = self.peek().clone();
        let operand = match token.kind {
            TokenKind::Ident(word) if word.eq_ignore_ascii_case("TRUE") => {
                Operand::Literal(Literal::Bool(true), Fold::default(), token.pos)
            }
            TokenKind::Ident(word) if word.eq_ignore_ascii_case("FALSE") => {
                Operand::Literal(Literal::Bool(false), Fold::default(), token.pos)
            }
            TokenKind::Ident(word) if is_reserved(&word) => return Err(self.expected(what)),
            TokenKind::Ident(name) | TokenKind::Quoted(name) => Operand::Property(
                Property {
                    name,
                    position: token.pos,
                },
                Fold::default(),
            ),
            TokenKind::Str(s) => Operand::Literal(Literal::String(s), Fold::default(), token.pos),
            TokenKind::Number(n) => {
                Operand::Literal(number(&n, token.pos)?, Fold::default(), token.pos)
            }
            _ => return Err(self.expected(what)),
        };
        self.bump();
        Ok(operand)
    }

    fn call_operand(&mut self, what: &str) -> Result<Operand, Cql2Error> {
        let name = self.bump();
        let TokenKind::Ident(word) = &name.kind else {
            return Err(self.expected(what));
        };
        let word = word.to_ascii_uppercase();
        self.bump();
        match word.as_str() {
            "CASEI" | "ACCENTI" => {
                self.enter()?;
                let inner = self.operand(what)?;
                self.expect(&TokenKind::RParen, &format!("')' to close {word}("))?;
                self.leave();
                let add = Fold {
                    casei: word == "CASEI",
                    accenti: word == "ACCENTI",
                };
                Ok(match inner {
                    Operand::Property(p, f) => Operand::Property(p, f.union(add)),
                    Operand::Literal(l, f, pos) => Operand::Literal(l, f.union(add), pos),
                })
            }
            "DATE" | "TIMESTAMP" => {
                let lit = self.instant(&word)?;
                Ok(Operand::Literal(lit, Fold::default(), name.pos))
            }
            _ => Err(Cql2Error {
                position: name.pos,
                message: format!(
                    "unknown function `{}`: expected {what}",
                    name.describe().trim_matches('`')
                ),
            }),
        }
    }
}

/// One item stays itself; several become `And`/`Or`.
fn single_or(mut items: Vec<Expr>, make: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1 {
        items.remove(0)
    } else {
        make(items)
    }
}

pub(super) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// An integer when it fits `i64` and has no fraction or exponent, else a finite float.
fn number(text: &str, position: usize) -> Result<Literal, Cql2Error> {
    if !text.contains(['.', 'e', 'E'])
        && let Ok(i) = text.parse::<i64>()
    {
        return Ok(Literal::Int(i));
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Literal::Float(f)),
        _ => Err(Cql2Error {
            position,
            message: format!("the number {text} is out of range"),
        }),
    }
}
