//! Spatial predicates and their geometry literals: WKT and `BBOX(...)`, in lon/lat.

use geo::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Rect};
use geo::{Validation, coord};

use super::Cql2Error;
use super::ast::{Expr, GeomLiteral, SpatialOp};
use super::lexer::TokenKind;
use super::parser::{Parser, is_reserved};

/// One argument of a spatial function.
enum GeomArg {
    /// Any identifier: the feature geometry, whatever the caller calls it.
    Name(String, usize),
    Literal(GeomLiteral, usize),
}

impl Parser {
    pub(super) fn is_spatial_call(&self) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident(w) if SpatialOp::from_name(w).is_some())
    }

    /// `S_XXX(geometry, literal)` or `S_XXX(literal, geometry)`, after `is_spatial_call`.
    pub(super) fn spatial(&mut self) -> Result<Expr, Cql2Error> {
        let name = self.bump();
        let op = match &name.kind {
            TokenKind::Ident(w) => SpatialOp::from_name(w),
            _ => None,
        };
        let Some(op) = op else {
            return Err(self.expected("a spatial function"));
        };
        self.bump();
        let first = self.geom_arg()?;
        self.expect(
            &TokenKind::Comma,
            &format!("',' between the arguments of {}", op.name()),
        )?;
        let second = self.geom_arg()?;
        self.expect(&TokenKind::RParen, &format!("')' to close {}(", op.name()))?;
        let (op, geometry_name, geometry) = match (first, second) {
            (GeomArg::Name(n, _), GeomArg::Literal(g, _)) => (op, n, g),
            (GeomArg::Literal(g, _), GeomArg::Name(n, _)) => (op.swap(), n, g),
            (GeomArg::Name(_, pos), GeomArg::Name(..)) | (GeomArg::Literal(_, pos), _) => {
                return Err(Cql2Error {
                    position: pos,
                    message: format!(
                        "{} needs the feature geometry and one geometry literal",
                        op.name()
                    ),
                });
            }
        };
        Ok(Expr::Spatial {
            op,
            geometry_name,
            geometry,
        })
    }

    fn geom_arg(&mut self) -> Result<GeomArg, Cql2Error> {
        let token = self.peek().clone();
        match token.kind {
            TokenKind::Ident(word) if self.is_call() => {
                let literal = self.geom_literal(&word.to_ascii_uppercase(), token.pos)?;
                check_valid(&literal, token.pos)?;
                Ok(GeomArg::Literal(literal, token.pos))
            }
            TokenKind::Ident(name) | TokenKind::Quoted(name) if !is_reserved(&name) => {
                self.bump();
                Ok(GeomArg::Name(name, token.pos))
            }
            _ => Err(self.expected("the geometry property or a geometry such as POINT(130 33)")),
        }
    }

    fn geom_literal(&mut self, word: &str, pos: usize) -> Result<GeomLiteral, Cql2Error> {
        self.bump();
        Ok(match word {
            "POINT" => GeomLiteral::Point(Point(self.point_body()?)),
            "LINESTRING" => GeomLiteral::LineString(self.line_body()?),
            "POLYGON" => GeomLiteral::Polygon(self.polygon_body()?),
            "MULTIPOINT" => GeomLiteral::MultiPoint(self.multipoint_body()?),
            "MULTILINESTRING" => {
                GeomLiteral::MultiLineString(MultiLineString(self.list(Self::line_body)?))
            }
            "MULTIPOLYGON" => {
                GeomLiteral::MultiPolygon(MultiPolygon(self.list(Self::polygon_body)?))
            }
            "BBOX" | "ENVELOPE" => GeomLiteral::Bbox(self.bbox_body(pos)?),
            _ => {
                return Err(Cql2Error {
                    position: pos,
                    message: format!(
                        "unknown geometry type `{word}`: use POINT, LINESTRING, POLYGON, \
                         MULTIPOINT, MULTILINESTRING, MULTIPOLYGON or BBOX"
                    ),
                });
            }
        })
    }

    /// `( item, item, ... )`.
    fn list<T>(
        &mut self,
        item: fn(&mut Self) -> Result<T, Cql2Error>,
    ) -> Result<Vec<T>, Cql2Error> {
        self.expect(&TokenKind::LParen, "'('")?;
        let mut items = vec![item(self)?];
        while self.peek().kind == TokenKind::Comma {
            self.bump();
            items.push(item(self)?);
        }
        self.expect(&TokenKind::RParen, "',' or ')'")?;
        Ok(items)
    }

    fn number_value(&mut self, what: &str) -> Result<f64, Cql2Error> {
        let token = self.peek().clone();
        let value = match &token.kind {
            TokenKind::Number(text) => text.parse::<f64>().ok().filter(|v| v.is_finite()),
            _ => None,
        };
        let Some(value) = value else {
            return Err(self.expected(what));
        };
        self.bump();
        Ok(value)
    }

    /// `x y`, longitude then latitude.
    fn coord(&mut self) -> Result<Coord<f64>, Cql2Error> {
        let x = self.number_value("a longitude")?;
        let y = self.number_value("a latitude after the longitude")?;
        Ok(coord! { x: x, y: y })
    }

    fn point_body(&mut self) -> Result<Coord<f64>, Cql2Error> {
        self.expect(&TokenKind::LParen, "'(' after POINT")?;
        let c = self.coord()?;
        self.expect(&TokenKind::RParen, "')' after the point's two coordinates")?;
        Ok(c)
    }

    fn line_body(&mut self) -> Result<LineString<f64>, Cql2Error> {
        let pos = self.peek().pos;
        let coords = self.list(Self::coord)?;
        if coords.len() < 2 {
            return Err(geometry_error(pos, "a line needs at least 2 points"));
        }
        Ok(LineString(coords))
    }

    fn ring(&mut self) -> Result<LineString<f64>, Cql2Error> {
        let pos = self.peek().pos;
        let mut ring = LineString(self.list(Self::coord)?);
        ring.close();
        if ring.0.len() < 4 {
            return Err(geometry_error(
                pos,
                "a polygon ring needs at least 3 points",
            ));
        }
        Ok(ring)
    }

    fn polygon_body(&mut self) -> Result<Polygon<f64>, Cql2Error> {
        let mut rings = self.list(Self::ring)?;
        let exterior = rings.remove(0);
        Ok(Polygon::new(exterior, rings))
    }

    /// Both `MULTIPOINT((1 2), (3 4))` and `MULTIPOINT(1 2, 3 4)`.
    fn multipoint_body(&mut self) -> Result<MultiPoint<f64>, Cql2Error> {
        let points = self.list(|p| {
            if p.peek().kind == TokenKind::LParen {
                p.point_body()
            } else {
                p.coord()
            }
        })?;
        Ok(MultiPoint(points.into_iter().map(Point).collect()))
    }

    /// `(minx, miny, maxx, maxy)`, or six numbers with heights, which are ignored.
    fn bbox_body(&mut self, pos: usize) -> Result<Rect<f64>, Cql2Error> {
        let n = self.list(|p| p.number_value("a number in BBOX"))?;
        let (min, max) = match n.as_slice() {
            [x0, y0, x1, y1] | [x0, y0, _, x1, y1, _] => ((*x0, *y0), (*x1, *y1)),
            _ => {
                return Err(geometry_error(
                    pos,
                    "BBOX takes 4 numbers: minx, miny, maxx, maxy",
                ));
            }
        };
        if min.0 > max.0 || min.1 > max.1 {
            return Err(geometry_error(
                pos,
                "BBOX is minx, miny, maxx, maxy: a minimum exceeds its maximum",
            ));
        }
        Ok(Rect::new(
            coord! { x: min.0, y: min.1 },
            coord! { x: max.0, y: max.1 },
        ))
    }
}

fn geometry_error(position: usize, message: &str) -> Cql2Error {
    Cql2Error {
        position,
        message: message.to_owned(),
    }
}

/// Refuses self-intersecting polygons and the like: spatial predicates on them are
/// meaningless, and some algorithms misbehave on them.
fn check_valid(literal: &GeomLiteral, pos: usize) -> Result<(), Cql2Error> {
    literal
        .to_geometry()
        .check_validation()
        .map_err(|e| geometry_error(pos, &format!("invalid geometry: {e}")))
}
