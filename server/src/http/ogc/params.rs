//! Query parameters of the OGC API, parsed and validated at the edge.

use crate::cql2::Expr;
use crate::http::ApiError;
use crate::http::extract::{Params, parse_f64};
use crate::query::items::{ItemsQuery, SortKey};

/// The largest page (`limit`).
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
    format(p)?;
    crs(p, "bbox-crs")?;
    crs(p, "filter-crs")?;
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
        limit: p.usize_in("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?,
        properties: p.get("properties").map(names),
    })
}

/// Checks a request that takes no parameters but `f` (and, with `allowed`, a few more).
pub fn only(p: &Params, allowed: &[&str]) -> Result<(), ApiError> {
    no_repeats(p)?;
    format(p)?;
    match p
        .0
        .iter()
        .find(|(k, _)| k != "f" && !allowed.contains(&k.as_str()))
    {
        Some((k, v)) => Err(ApiError::parameter(k, v, "unknown parameter")),
        None => Ok(()),
    }
}

fn no_repeats(p: &Params) -> Result<(), ApiError> {
    for (i, (k, v)) in p.0.iter().enumerate() {
        if p.0[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(ApiError::parameter(k, v, "given more than once"));
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
        )),
    }
}

/// `minLon,minLat,maxLon,maxLat` (or the 6-number form with heights, which are ignored).
pub fn bbox(v: &str) -> Result<[f64; 4], ApiError> {
    let parts: Vec<&str> = v.split(',').collect();
    let picked: [&str; 4] = match parts.as_slice() {
        [min_x, min_y, max_x, max_y] | [min_x, min_y, _, max_x, max_y, _] => {
            [min_x, min_y, max_x, max_y]
        }
        _ => {
            return Err(ApiError::parameter(
                "bbox",
                v,
                format!(
                    "needs 4 numbers `minLon,minLat,maxLon,maxLat`, got {}",
                    parts.len()
                ),
            ));
        }
    };
    let mut n = [0.0; 4];
    for (slot, s) in n.iter_mut().zip(picked) {
        *slot = parse_f64("bbox", s)?;
    }
    let [x0, y0, x1, y1] = n;
    let lon = -180.0..=180.0;
    let lat = -90.0..=90.0;
    if !(lon.contains(&x0) && lon.contains(&x1) && lat.contains(&y0) && lat.contains(&y1)) {
        return Err(ApiError::parameter(
            "bbox",
            v,
            "longitudes must be within ±180 and latitudes within ±90",
        ));
    }
    if x0 > x1 || y0 > y1 {
        return Err(ApiError::parameter(
            "bbox",
            v,
            "the minimum must not exceed the maximum",
        ));
    }
    Ok(n)
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
                ));
            }
            Ok(SortKey {
                name: name.to_owned(),
                descending,
            })
        })
        .collect()
}

/// `properties=a,b`; an empty value asks for no properties at all.
fn names(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
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
    #[case::min_over_max("3,2,1,4")]
    #[case::lon_out_of_range("-181,2,3,4")]
    #[case::lat_out_of_range("1,-91,3,4")]
    #[case::empty("")]
    fn bad_bboxes_are_refused(#[case] v: &str) {
        let e = bbox(v).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("bbox"), "{}", e.message);
    }

    #[rstest]
    #[case::plain("130,33,130.2,33.1", [130.0, 33.0, 130.2, 33.1])]
    #[case::with_heights("130,33,0,130.2,33.1,10", [130.0, 33.0, 130.2, 33.1])]
    #[case::spaces(" 130, 33 ,130.2,33.1", [130.0, 33.0, 130.2, 33.1])]
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
    #[case::limit_over_max("limit=10001")]
    #[case::limit_negative("limit=-1")]
    #[case::offset_text("offset=ten")]
    fn bad_items_parameters_are_refused(#[case] query: &str) {
        assert!(items_query(&Params::parse(query)).is_err(), "{query}");
    }

    #[test]
    fn other_names_become_attribute_equalities() {
        let q = items_query(&Params::parse("%E5%90%8D%E7%A7%B0=a&limit=5&f=json")).unwrap();
        assert_eq!(q.equals, vec![("名称".to_owned(), "a".to_owned())]);
        assert_eq!(q.limit, 5);
    }
}
