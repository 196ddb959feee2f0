//! `Accept-Encoding` (RFC 9110 §12.5.3): whether a response may be sent gzip-compressed.
//!
//! Each element is a coding name (case-insensitive; `x-gzip` is `gzip`, §8.4.1.3) or `*`,
//! with an optional weight `q=` from 0 to 1 (three decimals at most); `q=0` means "not
//! acceptable". `*` stands for every coding the header does not name. Identity (no
//! coding) is acceptable unless `identity;q=0`, or `*;q=0` without an `identity` element.
//! An element whose weight does not parse is ignored; a coding named twice takes its
//! lower weight, so a refusal is never overridden.

use axum::http::{HeaderMap, header};

/// A weight in thousandths: 0 (not acceptable) to 1000.
type Weight = u16;

/// What a request's `Accept-Encoding` says about gzip and identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AcceptEncoding {
    /// Whether the request had the header at all.
    present: bool,
    gzip: Option<Weight>,
    identity: Option<Weight>,
    any: Option<Weight>,
}

impl AcceptEncoding {
    /// Reads every `Accept-Encoding` header of a request (a list may span several lines).
    /// A value that is not visible ASCII is ignored.
    pub fn of(headers: &HeaderMap) -> Self {
        Self::parse(
            headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        )
    }

    /// Parses the header's field lines.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Self {
        let mut accept = Self::default();
        for line in lines {
            accept.present = true;
            for element in line.split(',') {
                let Some((name, weight)) = element_of(element) else {
                    continue;
                };
                if let Some(slot) = accept.slot(name) {
                    *slot = Some(slot.map_or(weight, |w| w.min(weight)));
                }
            }
        }
        accept
    }

    /// Where the weight of a coding is kept; `None` for codings the server never uses.
    fn slot(&mut self, name: &str) -> Option<&mut Option<Weight>> {
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            Some(&mut self.gzip)
        } else if name.eq_ignore_ascii_case("identity") {
            Some(&mut self.identity)
        } else if name == "*" {
            Some(&mut self.any)
        } else {
            None
        }
    }

    /// True when the response should be gzip-compressed: gzip is acceptable, and identity
    /// is not weighted above it. Without the header, or with an empty one, it is not (an
    /// empty header asks for no coding; without one, identity is the safe answer).
    pub fn gzip(&self) -> bool {
        if !self.present {
            return false;
        }
        let gzip = self.gzip.or(self.any).unwrap_or(0);
        // Identity without a weight of its own is acceptable but not preferred.
        let identity = self.identity.or(self.any).unwrap_or(0);
        gzip > 0 && gzip >= identity
    }
}

/// One list element: its coding name and weight; `None` for an empty element or one whose
/// weight does not parse. Parameters other than `q` are ignored.
fn element_of(element: &str) -> Option<(&str, Weight)> {
    let mut parts = element.split(';');
    let name = parts.next()?.trim();
    if name.is_empty() {
        return None;
    }
    let mut weight = 1000;
    for param in parts {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("q") {
            weight = qvalue(value.trim())?;
        }
    }
    Some((name, weight))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn qvalue(s: &str) -> Option<Weight> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |n, b| n * 10 + Weight::from(b - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::plain("gzip", true)]
    #[case::browser("gzip, deflate, br, zstd", true)]
    #[case::upper_case("GZIP", true)]
    #[case::x_gzip("x-gzip", true)]
    #[case::no_spaces("deflate,gzip", true)]
    #[case::spaces_around_weight("gzip ; q = 0.5", true)]
    #[case::upper_case_q("gzip;Q=0.5", true)]
    #[case::refused("gzip;q=0", false)]
    #[case::refused_long_form("gzip;q=0.000", false)]
    #[case::refused_then_star("gzip;q=0, *", false)]
    #[case::refused_twice_named("gzip, gzip;q=0", false)]
    #[case::star("*", true)]
    #[case::star_weighted("*;q=0.5", true)]
    #[case::star_refused("*;q=0", false)]
    #[case::low_but_only_choice("deflate, gzip;q=0.1", true)]
    #[case::identity_preferred("gzip;q=0.1, identity", false)]
    #[case::identity_tied("gzip;q=0.5, identity;q=0.5", true)]
    #[case::identity_refused("identity;q=0, gzip;q=0.2", true)]
    #[case::identity_refused_only("identity;q=0", false)]
    #[case::star_refused_but_gzip_named("*;q=0, gzip", true)]
    #[case::other_codings_only("br, deflate", false)]
    #[case::identity_only("identity", false)]
    #[case::empty("", false)]
    #[case::empty_elements(" , ,gzip,", true)]
    #[case::weight_too_high("gzip;q=2", false)]
    #[case::weight_too_precise("gzip;q=0.0001", false)]
    #[case::weight_not_a_number("gzip;q=abc", false)]
    #[case::weight_one_long_form("gzip;q=1.000", true)]
    #[case::weight_one_point_five("gzip;q=1.5", false)]
    #[case::other_parameter("gzip;level=9", true)]
    #[case::prefix_is_not_gzip("gzipx", false)]
    fn gzip_is_negotiated(#[case] header: &str, #[case] gzip: bool) {
        assert_eq!(AcceptEncoding::parse([header]).gzip(), gzip, "{header:?}");
    }

    #[test]
    fn no_header_means_identity_and_lines_are_one_list() {
        let mut h = HeaderMap::new();
        assert!(!AcceptEncoding::of(&h).gzip());
        h.append(header::ACCEPT_ENCODING, HeaderValue::from_static("br"));
        assert!(!AcceptEncoding::of(&h).gzip());
        h.append(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(AcceptEncoding::of(&h).gzip());
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0"),
        );
        assert!(!AcceptEncoding::of(&h).gzip());
    }

    #[rstest]
    #[case("0", Some(0))]
    #[case("0.", Some(0))]
    #[case("0.5", Some(500))]
    #[case("0.25", Some(250))]
    #[case("0.125", Some(125))]
    #[case("1", Some(1000))]
    #[case("1.0", Some(1000))]
    #[case("1.01", None)]
    #[case(".5", None)]
    #[case("0.-1", None)]
    #[case("", None)]
    fn qvalues_follow_the_grammar(#[case] s: &str, #[case] want: Option<Weight>) {
        assert_eq!(qvalue(s), want);
    }
}
