//! Kashima's real 大字, read from the addresses of the GSI shelter records.
//!
//! Every GSI record's 住所 reads `佐賀県鹿島市[大字]<大字><甲乙…><番地>`, so the 大字 names
//! are the real ones. Each name's anchor is the mean position of the records in it: a
//! point inside that 大字, not its boundary (no 大字 boundaries are available), so the
//! samples that take "the nearest 大字" only approximate the real districts.

use geo::{Coord, Geometry};

use super::Layer;
use super::boundary::{Boundary, dist};

/// One 大字 and where its records are.
#[derive(Debug, Clone)]
pub(crate) struct Oaza {
    pub name: String,
    pub at: Coord,
}

/// The 大字 of an address in 鹿島市: `佐賀県鹿島市大字高津原253` → `高津原`.
pub(crate) fn of_address(address: &str) -> Option<&str> {
    let rest = address.split_once("鹿島市")?.1;
    let rest = rest.strip_prefix("大字").unwrap_or(rest);
    let end = rest
        .char_indices()
        .find(|&(_, c)| !c.is_alphabetic() || "甲乙丙丁戊".contains(c))
        .map_or(rest.len(), |(i, _)| i);
    let name = &rest[..end];
    (!name.is_empty()).then_some(name)
}

/// The 大字 named in the shelter layer's addresses, in order of first appearance, each at
/// the mean local position of its records.
pub(crate) fn from_shelters(b: &Boundary, shelters: &Layer) -> Vec<Oaza> {
    let Some(address) = shelters.schema.index_of("住所") else {
        return Vec::new();
    };
    let mut sums: Vec<(String, Coord, f64)> = Vec::new();
    for f in &shelters.features {
        let (Some(text), Geometry::Point(p)) = (f.property(address).as_str(), &f.geometry) else {
            continue;
        };
        let Some(name) = of_address(text) else {
            continue;
        };
        let at = b.at(p.x(), p.y());
        match sums.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, sum, n)) => {
                *sum = *sum + at;
                *n += 1.0;
            }
            None => sums.push((name.to_owned(), at, 1.0)),
        }
    }
    sums.into_iter()
        .map(|(name, sum, n)| Oaza { name, at: sum / n })
        .collect()
}

/// The index of the 大字 whose anchor is nearest to `p`.
pub(crate) fn nearest(oaza: &[Oaza], p: Coord) -> usize {
    oaza.iter()
        .enumerate()
        .min_by(|a, b| dist(a.1.at, p).total_cmp(&dist(b.1.at, p)))
        .map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("佐賀県鹿島市大字高津原253", Some("高津原"))]
    #[case("佐賀県鹿島市大字高津原２３１－イ", Some("高津原"))]
    #[case("佐賀県鹿島市古枝乙1855", Some("古枝"))]
    #[case("佐賀県鹿島市浜町甲4020", Some("浜町"))]
    #[case("佐賀県鹿島市大字納富分甲59", Some("納富分"))]
    #[case("佐賀県鹿島市大字音成戊1922-19", Some("音成"))]
    #[case("佐賀県佐賀市城内1", None)]
    fn the_oaza_is_read_from_an_address(#[case] address: &str, #[case] oaza: Option<&str>) {
        assert_eq!(of_address(address), oaza);
    }
}
