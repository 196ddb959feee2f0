//! Responses of the OGC API: media types, caching headers and ETags.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub const JSON: &str = "application/json";
pub const GEOJSON: &str = "application/geo+json";
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
pub const SCHEMA: &str = "application/schema+json";
pub const HTML: &str = "text/html; charset=utf-8";

/// How a response may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Built only from what an anonymous caller sees: any cache may keep it this long (s).
    Public(u64),
    /// Depends on who asked.
    Private,
}

impl Caching {
    /// `Public` when every view the output was built from is public.
    pub fn of(public: bool, max_age: u64) -> Self {
        if public {
            Self::Public(max_age)
        } else {
            Self::Private
        }
    }

    /// Sets `Cache-Control` and `Vary`.
    ///
    /// `Vary` is sent on public answers too: the same URL gives a signed-in caller a wider
    /// view, so a shared cache must key on the credentials (anonymous requests, which carry
    /// none, still share one entry).
    fn apply(self, headers: &mut HeaderMap) {
        let control = match self {
            Self::Public(age) => format!("public, max-age={age}"),
            Self::Private => "private, max-age=0, must-revalidate".to_owned(),
        };
        if let Ok(v) = HeaderValue::from_str(&control) {
            headers.insert(header::CACHE_CONTROL, v);
        }
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Cookie, Authorization"),
        );
    }
}

/// A 200 response with a body, a media type and caching headers.
pub fn body(body: impl Into<axum::body::Body>, media: &'static str, caching: Caching) -> Response {
    let mut res = (StatusCode::OK, body.into()).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    caching.apply(headers);
    res
}

/// A JSON document (any JSON media type).
pub fn json(doc: &serde_json::Value, media: &'static str, caching: Caching) -> Response {
    body(doc.to_string(), media, caching)
}

/// A strong ETag over the parts that determine a response: the policy class (layer,
/// version and what the view shows), the base URL in its links, and the request.
pub fn etag(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("\"{}\"", hex::encode(&h.finalize()[..16]))
}

/// True when the request's `If-None-Match` names this ETag (or `*`).
pub fn not_modified(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// The 304 answer to a matching `If-None-Match`, with the headers a 200 would carry.
pub fn unchanged(etag: &str, caching: Caching) -> Response {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    with_etag(&mut res, etag);
    caching.apply(res.headers_mut());
    res
}

pub fn with_etag(res: &mut Response, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
}

/// The media type of a JSON Schema answer: `application/schema+json`, unless the request's
/// `Accept` rules it out and takes `application/json` (GDAL up to 3.6 sends
/// `application/geo+json, application/json` and refuses anything else).
pub fn schema_media_type(request: &HeaderMap) -> &'static str {
    let ranges: Vec<&str> = request
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|m| m.split(';').next().unwrap_or("").trim())
        .collect();
    let takes = |media: &str| ranges.iter().any(|r| r.eq_ignore_ascii_case(media));
    if !ranges.is_empty()
        && !takes(SCHEMA)
        && !takes("application/*")
        && !takes("*/*")
        && takes(JSON)
    {
        JSON
    } else {
        SCHEMA
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(not_modified(&h, "\"b\""));
        assert!(!not_modified(&h, "\"c\""));
    }

    #[test]
    fn json_schema_is_served_as_such_unless_only_json_is_accepted() {
        let with = |accept: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            schema_media_type(&h)
        };
        assert_eq!(schema_media_type(&HeaderMap::new()), SCHEMA);
        assert_eq!(with("*/*"), SCHEMA);
        assert_eq!(with("application/schema+json"), SCHEMA);
        assert_eq!(with("application/json, application/*;q=0.5"), SCHEMA);
        assert_eq!(with("application/geo+json, application/json"), JSON);
        assert_eq!(with("text/html"), SCHEMA);
    }

    #[test]
    fn etags_differ_by_any_part() {
        assert_ne!(etag(&["a", "bc"]), etag(&["ab", "c"]));
        assert_eq!(etag(&["a"]), etag(&["a"]));
    }
}
