//! Extractors whose rejections use [`ApiError`], and query-string parsing with limits.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use super::ApiError;
use crate::app::App;

/// `axum::extract::Path` with our error body.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::Json` with our error body.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

/// The decoded query string: ordered `(name, value)` pairs, percent-decoded as UTF-8.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl FromRequestParts<Arc<App>> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let max = app.config.limits.max_query_bytes.get();
        if query.len() > max {
            return Err(ApiError::new(
                StatusCode::URI_TOO_LONG,
                "query_too_long",
                format!(
                    "the query string is {} bytes; the limit is {max}",
                    query.len()
                ),
            )
            .ja(format!(
                "URL のクエリ文字列が長すぎます（{} バイト、上限 {max} バイト）",
                query.len()
            )));
        }
        Ok(Self::parse(query))
    }
}

impl Params {
    pub fn parse(query: &str) -> Self {
        Self(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::parameter(name, "", "is required", "指定してください"))
    }

    /// A finite number, if present.
    pub fn f64(&self, name: &str) -> Result<Option<f64>, ApiError> {
        self.get(name).map(|v| parse_f64(name, v)).transpose()
    }

    /// A required finite number within `[min, max]`.
    pub fn f64_in(&self, name: &str, min: f64, max: f64) -> Result<f64, ApiError> {
        let v = parse_f64(name, self.required(name)?)?;
        if (min..=max).contains(&v) {
            Ok(v)
        } else {
            Err(ApiError::parameter(
                name,
                &v.to_string(),
                format!("must be between {min} and {max}"),
                format!("{min} から {max} までの値で指定してください"),
            ))
        }
    }

    /// An integer in `[min, max]`, or `default` when absent.
    pub fn usize_in(
        &self,
        name: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(default);
        };
        let n: usize = v.trim().parse().map_err(|_| {
            ApiError::parameter(
                name,
                v,
                "must be a non-negative integer",
                "0 以上の整数で指定してください",
            )
        })?;
        if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(ApiError::parameter(
                name,
                v,
                format!("must be between {min} and {max}"),
                format!("{min} から {max} までの値で指定してください"),
            ))
        }
    }
}

/// Parses a finite number; NaN and infinities are refused.
pub fn parse_f64(name: &str, v: &str) -> Result<f64, ApiError> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(ApiError::parameter(
            name,
            v,
            "must be a finite number",
            "有限の数値で指定してください",
        )),
    }
}

/// The external base URL for links: the configured `public_url`, or `http://{Host}`.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl FromRequestParts<Arc<App>> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        if let Some(url) = &app.config.public_url {
            return Ok(Self(url.clone()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| valid_host(h))
            .map_or_else(|| app.config.addr.to_string(), str::to_owned);
        Ok(Self(format!("http://{host}")))
    }
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_names_are_percent_decoded() {
        let p = Params::parse("%E5%90%8D%E7%A7%B0=%E9%B9%BF%E5%B3%B6&limit=5");
        assert_eq!(p.get("名称"), Some("鹿島"));
        assert_eq!(p.usize_in("limit", 10, 1, 100).unwrap(), 5);
    }

    #[test]
    fn bad_numbers_are_refused() {
        let p = Params::parse("lon=NaN&lat=abc&limit=-1&k=inf");
        assert!(p.f64("lon").is_err());
        assert!(p.f64("lat").is_err());
        assert!(p.usize_in("limit", 10, 1, 100).is_err());
        assert!(p.f64("k").is_err());
    }

    #[test]
    fn host_header_is_sanitised() {
        assert!(valid_host("localhost:8080"));
        assert!(valid_host("[::1]:8080"));
        assert!(!valid_host("evil.com/\r\nX: y"));
    }
}
