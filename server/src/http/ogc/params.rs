//! Query parameters of the OGC API, parsed and validated at the edge.
//!
//! An optional parameter given with an empty value (`filter=`) is treated as absent, as the
//! OpenAPI document declares (`allowEmptyValue`). `properties=` is the exception: an empty
//! list there asks for no properties at all.

use std::num::IntErrorKind;

use crate::cql2::Expr;
use crate::http::ApiError;
use crate::http::extract::{Params, parse_f64};
use crate::query::items::{ItemsQuery, SortKey};

/// The largest page: a larger `limit` is lowered to it (/req/core/fc-limit-response-1).
pub const MAX_LIMIT: usize = 10_000;
/// `limit` when absent.
pub const DEFAULT_LIMIT: usize = 10;
/// Deeper offsets are refused rather than scanned: no layer holds this many features.
pub const MAX_OFFSET: usize = 100_000_000;

/// The only CRS accepted for `bbox-crs` and `filter-crs`: lon/lat on WGS 84.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// Parameters of `/items` with a fixed meaning; any other name is an attribute (`attr=value`).
pub const ITEMS_PARAMS: &[&str] = &[
    "bbox",
    "bbox-crs",
    "datetime",
    "limit",
    "offset",
    "properties",
    "sortby",
    "filter",
    "filter-lang",
    "filter-crs",
    "f",
];

/// The `/items` query. Attribute names are resolved later, against the caller's view.
pub fn items_query(p: &Params) -> Result<ItemsQuery, ApiError> {
    no_repeats(p)?;
    let p = &without_empty(p, ITEMS_PARAMS);
    format(p)?;
    crs(p, "bbox-crs")?;
    crs(p, "filter-crs")?;
    if let Some(v) = p.get("datetime") {
        datetime(v)?;
    }
    Ok(ItemsQuery {
        bbox: p.get("bbox").map(bbox).transpose()?,
        filter: filter(p)?,
        equals: p
            .0
            .iter()
            .filter(|(k, _)| !ITEMS_PARAMS.contains(&k.as_str()))
            .cloned()
            .collect(),
        sortby: p.get("sortby").map(sortby).transpose()?.unwrap_or_default(),
        offset: p.usize_in("offset", 0, 0, MAX_OFFSET)?,
        limit: limit(p)?,
        properties: p.get("properties").map(names).transpose()?,
    })
}

/// Checks a request that takes no parameters but `f` (and, with `allowed`, a few more).
pub fn only(p: &Params, allowed: &[&str]) -> Result<(), ApiError> {
    no_repeats(p)?;
    format(&without_empty(p, &["f"]))?;
    match p
        .0
        .iter()
        .find(|(k, _)| k != "f" && !allowed.contains(&k.as_str()))
    {
        Some((k, v)) => Err(ApiError::parameter(
            k,
            v,
            "unknown parameter",
            "このリソースにはないパラメータです",
        )),
        None => Ok(()),
    }
}

/// The parameters without those of `fixed` given an empty value, except `properties`.
fn without_empty(p: &Params, fixed: &[&str]) -> Params {
    Params(
        p.0.iter()
            .filter(|(k, v)| !(v.is_empty() && k != "properties" && fixed.contains(&k.as_str())))
            .cloned()
            .collect(),
    )
}

fn no_repeats(p: &Params) -> Result<(), ApiError> {
    for (i, (k, v)) in p.0.iter().enumerate() {
        if p.0[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(ApiError::parameter(
                k,
                v,
                "given more than once",
                "同じパラメータが複数回指定されています",
            ));
        }
    }
    Ok(())
}

/// `f=json` is accepted and ignored: every answer here is JSON.
fn format(p: &Params) -> Result<(), ApiError> {
    match p.get("f") {
        None | Some("json" | "geojson") => Ok(()),
        Some(other) => Err(ApiError::parameter(
            "f",
            other,
            "only `json` is served here",
            "json のみ対応しています",
        )),
    }
}

fn crs(p: &Params, name: &str) -> Result<(), ApiError> {
    match p.get(name) {
        None => Ok(()),
        Some(v) if v == CRS84 || v == "[OGC:CRS84]" => Ok(()),
        Some(v) => Err(ApiError::parameter(
            name,
            v,
            format!("only {CRS84} (lon/lat) is supported"),
            format!("{CRS84}（経度・緯度）のみ対応しています"),
        )),
    }
}

/// `limit`: at least 1; a larger value than [`MAX_LIMIT`] (however large) is lowered to it.
fn limit(p: &Params) -> Result<usize, ApiError> {
    let Some(v) = p.get("limit") else {
        return Ok(DEFAULT_LIMIT);
    };
    match v.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n.min(MAX_LIMIT)),
        Err(e) if *e.kind() == IntErrorKind::PosOverflow => Ok(MAX_LIMIT),
        _ => Err(ApiError::parameter(
            "limit",
            v,
            "must be a positive integer",
            "1 以上の整数で指定してください",
        )),
    }
}

/// `west,south,east,north` in lon/lat: four finite numbers, each within ±180 (the range
/// the OpenAPI document gives every item, as OpenAPI 3.0 cannot bound them one by one).
///
/// A west edge greater than the east edge is a box across the antimeridian; a south edge
/// greater than the north edge is an empty box; latitudes beyond ±90 reach past the pole.
/// [`crate::query::items`] gives each its meaning. The six-number form with heights is for
/// a CRS with a vertical axis, which `bbox-crs` (CRS84 only) never names.
pub fn bbox(v: &str) -> Result<[f64; 4], ApiError> {
    let parts: Vec<&str> = v.split(',').collect();
    let Ok(picked) = <[&str; 4]>::try_from(parts.as_slice()) else {
        return Err(ApiError::parameter(
            "bbox",
            v,
            format!(
                "needs 4 numbers `west,south,east,north`, got {}",
                parts.len()
            ),
            format!(
                "4 つの数値（西端の経度,南端の緯度,東端の経度,北端の緯度）で指定してください（{} 個あります）",
                parts.len()
            ),
        ));
    };
    let mut n = [0.0; 4];
    for (slot, s) in n.iter_mut().zip(picked) {
        *slot = parse_f64("bbox", s)?;
    }
    if n.iter().any(|x| !(-180.0..=180.0).contains(x)) {
        return Err(ApiError::parameter(
            "bbox",
            v,
            "each number must be within ±180",
            "各数値は -180 から 180 の範囲で指定してください",
        ));
    }
    Ok(n)
}

/// `datetime`: an RFC 3339 instant (or date), or an interval `start/end` whose ends are
/// instants or open (`..` or empty), not both open.
///
/// Kashimap's collections have no temporal property, so a valid value matches every
/// feature (/req/core/fc-time-definition): only the value's syntax is checked, which is
/// also all the OpenAPI document's pattern can state (an interval that ends before it
/// starts is well-formed, and changes nothing here either).
pub fn datetime(v: &str) -> Result<(), ApiError> {
    let bad = |why: &str, why_ja: &str| Err(ApiError::parameter("datetime", v, why, why_ja));
    let instant = |s: &str| crate::time::parse_rfc3339(s);
    let Some((start, end)) = v.split_once('/') else {
        return match instant(v) {
            Some(_) => Ok(()),
            None => bad(
                "must be an RFC 3339 date-time (2024-04-01T09:00:00+09:00), a date, or an interval start/end with `..` for an open end",
                "RFC 3339 の日時（2024-04-01T09:00:00+09:00）、日付、または start/end の期間（開いた端は ..）で指定してください",
            ),
        };
    };
    let open = |s: &str| s.is_empty() || s == "..";
    let end_of = |s: &str| {
        if open(s) {
            Some(None)
        } else {
            instant(s).map(Some)
        }
    };
    match (end_of(start), end_of(end)) {
        (Some(None), Some(None)) => bad(
            "an interval needs at least one closed end",
            "期間の両端を開くことはできません",
        ),
        (Some(_), Some(_)) => Ok(()),
        _ => bad(
            "each end of an interval must be an RFC 3339 date-time, a date, or `..`",
            "期間の両端は RFC 3339 の日時、日付、または .. で指定してください",
        ),
    }
}

fn filter(p: &Params) -> Result<Option<Expr>, ApiError> {
    match p.get("filter-lang") {
        // `cql-text` is the draft name older GDAL sends.
        None | Some("cql2-text" | "cql-text") => {}
        Some(other) => {
            return Err(ApiError::parameter(
                "filter-lang",
                other,
                "only `cql2-text` is supported",
                "cql2-text のみ対応しています",
            ));
        }
    }
    let Some(text) = p.get("filter") else {
        return Ok(None);
    };
    Ok(Some(Expr::parse(text)?))
}

/// `sortby=name,-other,+third`. A `+` arrives as a space after form decoding.
fn sortby(v: &str) -> Result<Vec<SortKey>, ApiError> {
    v.split(',')
        .map(|term| {
            let t = term.trim();
            let (descending, name) = match t.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, t.strip_prefix('+').unwrap_or(t)),
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(ApiError::parameter(
                    "sortby",
                    v,
                    "each key is a property name, optionally prefixed by + or -",
                    "並べ替えのキーは属性名で、前に + か - を付けられます",
                ));
            }
            Ok(SortKey {
                name: name.to_owned(),
                descending,
            })
        })
        .collect()
}

/// `properties=a,b`; an empty value asks for no properties at all, but an empty name in a
/// list (`properties=a,,b` or `properties=,`) is refused.
fn names(v: &str) -> Result<Vec<String>, ApiError> {
    if v.is_empty() {
        return Ok(Vec::new());
    }
    v.split(',')
        .map(|name| match name.trim() {
            "" => Err(ApiError::parameter(
                "properties",
                v,
                "each name in the list must be a property name",
                "一覧の各項目に属性名を指定してください",
            )),
            name => Ok(name.to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::three_numbers("1,2,3")]
    #[case::five_numbers("1,2,3,4,5")]
    #[case::text("a,2,3,4")]
    #[case::nan("NaN,2,3,4")]
    #[case::infinite("1,2,inf,4")]
    #[case::six_numbers("130,33,0,130.2,33.1,10")]
    #[case::lon_out_of_range("-181,2,3,4")]
    #[case::lat_far_out_of_range("1,-181,3,4")]
    #[case::empty("")]
    fn bad_bboxes_are_refused(#[case] v: &str) {
        let e = bbox(v).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("bbox"), "{}", e.message);
    }

    #[rstest]
    #[case::plain("130,33,130.2,33.1", [130.0, 33.0, 130.2, 33.1])]
    #[case::spaces(" 130, 33 ,130.2,33.1", [130.0, 33.0, 130.2, 33.1])]
    #[case::across_the_antimeridian("170,-10,-170,10", [170.0, -10.0, -170.0, 10.0])]
    #[case::south_over_north("1,4,3,2", [1.0, 4.0, 3.0, 2.0])]
    #[case::past_the_pole("1,-95,3,100", [1.0, -95.0, 3.0, 100.0])]
    fn good_bboxes(#[case] v: &str, #[case] want: [f64; 4]) {
        assert_eq!(bbox(v).unwrap().map(f64::to_bits), want.map(f64::to_bits));
    }

    #[test]
    fn sortby_reads_signs_and_decoded_plus() {
        let keys = sortby(" 名称,-n,+x").unwrap();
        let got: Vec<(&str, bool)> = keys
            .iter()
            .map(|k| (k.name.as_str(), k.descending))
            .collect();
        assert_eq!(got, vec![("名称", false), ("n", true), ("x", false)]);
        assert!(sortby("a,,b").is_err());
        assert!(sortby("-").is_err());
    }

    #[rstest]
    #[case::other_language("filter=a%3D1&filter-lang=cql2-json")]
    #[case::other_crs("bbox=1,2,3,4&bbox-crs=EPSG:6670")]
    #[case::html("f=html")]
    #[case::repeated("limit=1&limit=2")]
    #[case::limit_zero("limit=0")]
    #[case::limit_negative("limit=-1")]
    #[case::offset_text("offset=ten")]
    #[case::properties_only_a_comma("properties=,")]
    #[case::properties_empty_name("properties=a,,b")]
    fn bad_items_parameters_are_refused(#[case] query: &str) {
        assert!(items_query(&Params::parse(query)).is_err(), "{query}");
    }

    #[rstest]
    #[case::over_the_maximum("limit=10001", MAX_LIMIT)]
    #[case::beyond_any_integer("limit=99999999999999999999999", MAX_LIMIT)]
    #[case::the_maximum("limit=10000", MAX_LIMIT)]
    #[case::one("limit=1", 1)]
    #[case::empty_is_the_default("limit=", DEFAULT_LIMIT)]
    fn large_limits_are_lowered_to_the_maximum(#[case] query: &str, #[case] want: usize) {
        assert_eq!(items_query(&Params::parse(query)).unwrap().limit, want);
    }

    #[test]
    fn empty_fixed_parameters_are_absent_but_empty_properties_is_none() {
        let q = items_query(&Params::parse(
            "bbox=&bbox-crs=&datetime=&limit=&offset=&sortby=&filter=&filter-lang=&filter-crs=&f=",
        ))
        .unwrap();
        assert_eq!(q, ItemsQuery::default());
        let q = items_query(&Params::parse("properties=")).unwrap();
        assert_eq!(q.properties, Some(Vec::new()));
    }

    #[rstest]
    #[case::instant("2024-04-01T09:00:00+09:00")]
    #[case::date("2024-04-01")]
    #[case::utc_fraction("2024-04-01T00:00:00.5Z")]
    #[case::closed("2024-04-01T00:00:00Z/2024-05-01T00:00:00Z")]
    #[case::one_instant_interval("2024-04-01/2024-04-01")]
    #[case::open_start("../2024-05-01T00:00:00Z")]
    #[case::empty_start("/2024-05-01")]
    #[case::open_end("2024-04-01T00:00:00Z/..")]
    #[case::empty_end("2024-04-01/")]
    #[case::offsets_compared_as_instants("2024-04-01T09:00:00+09:00/2024-04-01T00:00:00Z")]
    #[case::ending_before_it_starts("2024-05-01/2024-04-01")]
    fn valid_datetimes(#[case] v: &str) {
        assert!(datetime(v).is_ok(), "{v}");
    }

    #[rstest]
    #[case::words("yesterday")]
    #[case::no_zone("2024-04-01T09:00:00")]
    #[case::no_such_day("2023-02-29")]
    #[case::both_open("../..")]
    #[case::bare_slash("/")]
    #[case::three_parts("2024-01-01/2024-02-01/2024-03-01")]
    #[case::bad_end("2024-04-01/soon")]
    fn malformed_datetimes_are_refused(#[case] v: &str) {
        let e = datetime(v).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("`datetime`"), "{}", e.message);
    }

    #[test]
    fn other_names_become_attribute_equalities() {
        let q = items_query(&Params::parse("%E5%90%8D%E7%A7%B0=a&limit=5&f=json")).unwrap();
        assert_eq!(q.equals, vec![("名称".to_owned(), "a".to_owned())]);
        assert_eq!(q.limit, 5);
    }
}
