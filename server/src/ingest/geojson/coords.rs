//! A GeoJSON `coordinates` member read straight from the token stream, before the
//! geometry's `type` is known (JSON objects are unordered, and `type` may come last).
//!
//! Positions go into one flat list of coordinates (16 bytes each) and the nesting into one
//! byte per array, so a line of a million vertices costs about 17 MB while it is read,
//! not a `serde_json::Value` tree of about 110 bytes per vertex. What is kept is exactly
//! what [`super::geometry`] needs to build the geometry, or to name what is malformed, for
//! any `type`:
//! - an array whose first two elements are numbers is a position (`Pos`): as a position it
//!   is `[x, y]` (further elements are ignored, as RFC 7946 allows altitude), and where an
//!   array of positions is expected its first element is not an array;
//! - an array whose first element is any other scalar is `BadLeaf`: not a position, and
//!   where an array is expected its first element is not an array either;
//! - any other array (empty, or starting with an array) is `Open` … `Close`;
//! - any other value is `Scalar`.

use std::fmt;

use geo::Coord;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The shape of one value of `coordinates`, in document order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// A position; its coordinate is the next of [`Coords::points`].
    Pos,
    /// An array starting with a scalar that is not followed by a second number.
    BadLeaf,
    /// A value that is not an array.
    Scalar,
    Open,
    Close,
}

/// A `coordinates` value: its shape, and its positions in order.
#[derive(Debug, Default)]
pub struct Coords {
    pub shape: Vec<Token>,
    pub points: Vec<Coord<f64>>,
}

impl Coords {
    /// The positions when the value is exactly one array of positions (a LineString's or
    /// MultiPoint's), so that they can be taken without copying.
    pub fn into_flat_positions(self) -> Result<Vec<Coord<f64>>, Self> {
        let n = self.points.len();
        let flat = self.shape.len() == n + 2
            && self.shape.first() == Some(&Token::Open)
            && self.shape.last() == Some(&Token::Close)
            && self.shape[1..=n].iter().all(|t| *t == Token::Pos);
        if flat { Ok(self.points) } else { Err(self) }
    }
}

impl<'de> de::Deserialize<'de> for Coords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut c = Self::default();
        if let Element::Number(_) | Element::Scalar = Element::read(d, &mut c)? {
            c.shape.push(Token::Scalar);
        }
        c.shape.shrink_to_fit();
        c.points.shrink_to_fit();
        Ok(c)
    }
}

/// One element as its parent array sees it. Arrays have pushed their own tokens; scalars
/// push nothing, since what they mean depends on their siblings.
enum Element {
    Number(f64),
    Scalar,
    Array,
}

impl Element {
    fn read<'de, D: Deserializer<'de>>(d: D, into: &mut Coords) -> Result<Self, D::Error> {
        d.deserialize_any(ElementVisitor(into))
    }
}

struct ElementSeed<'a>(&'a mut Coords);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Element;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Element, D::Error> {
        Element::read(d, self.0)
    }
}

struct ElementVisitor<'a>(&'a mut Coords);

impl ElementVisitor<'_> {
    /// The rest of an array whose kind is already decided, read and dropped.
    fn skip_rest<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    /// An array whose first element is a number: a position when the second is one too.
    fn leaf<'de, A: SeqAccess<'de>>(
        self,
        x: f64,
        mut seq: A,
        start: usize,
    ) -> Result<(), A::Error> {
        let points = self.0.points.len();
        if let Some(Element::Number(y)) = seq.next_element_seed(ElementSeed(&mut *self.0))? {
            self.0.shape[start] = Token::Pos;
            self.0.points.push(Coord { x, y });
        } else {
            self.0.shape.truncate(start);
            self.0.points.truncate(points);
            self.0.shape.push(Token::BadLeaf);
        }
        Self::skip_rest(&mut seq)
    }
}

impl<'de> Visitor<'de> for ElementVisitor<'_> {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GeoJSON coordinates")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Element, E> {
        Ok(Element::Number(v))
    }

    #[expect(clippy::cast_precision_loss, reason = "as serde_json's as_f64")]
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Element, E> {
        Ok(Element::Number(v as f64))
    }

    #[expect(clippy::cast_precision_loss, reason = "as serde_json's as_f64")]
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Element, E> {
        Ok(Element::Number(v as f64))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Element, E> {
        Ok(Element::Scalar)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Element, E> {
        Ok(Element::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Scalar)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Element::Scalar)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        let start = self.0.shape.len();
        self.0.shape.push(Token::Open);
        match seq.next_element_seed(ElementSeed(&mut *self.0))? {
            None => self.0.shape.push(Token::Close),
            Some(Element::Number(x)) => self.leaf(x, seq, start)?,
            Some(Element::Scalar) => {
                self.0.shape[start] = Token::BadLeaf;
                Self::skip_rest(&mut seq)?;
            }
            Some(Element::Array) => {
                while let Some(e) = seq.next_element_seed(ElementSeed(&mut *self.0))? {
                    if !matches!(e, Element::Array) {
                        self.0.shape.push(Token::Scalar);
                    }
                }
                self.0.shape.push(Token::Close);
            }
        }
        Ok(Element::Array)
    }
}

#[cfg(test)]
mod tests {
    use super::Token::{BadLeaf, Close, Open, Pos, Scalar};
    use super::*;

    fn read(text: &str) -> Coords {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn positions_are_flat_and_nesting_is_one_byte_per_array() {
        let c = read("[[[1,2],[3,4.5,9]],[]]");
        assert_eq!(
            c.shape,
            vec![Open, Open, Pos, Pos, Close, Open, Close, Close]
        );
        assert_eq!(
            c.points,
            vec![Coord { x: 1.0, y: 2.0 }, Coord { x: 3.0, y: 4.5 }]
        );
    }

    #[test]
    fn arrays_that_are_not_positions_keep_what_makes_them_wrong() {
        assert_eq!(read("[1]").shape, vec![BadLeaf]);
        assert_eq!(read("[1,[2,3]]").shape, vec![BadLeaf]);
        assert_eq!(read("[\"a\",1,2]").shape, vec![BadLeaf]);
        assert_eq!(
            read("[[1,2],3,{}]").shape,
            vec![Open, Pos, Scalar, Scalar, Close]
        );
        assert_eq!(read("7").shape, vec![Scalar]);
        assert!(read("[1,[2,3]]").points.is_empty());
    }

    #[test]
    fn a_single_array_of_positions_is_taken_whole() {
        let points = read("[[1,2],[3,4]]").into_flat_positions().unwrap();
        assert_eq!(points.len(), 2);
        assert!(read("[[[1,2]]]").into_flat_positions().is_err());
    }
}
