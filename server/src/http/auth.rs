//! Who is asking. The [`authenticate`] middleware resolves the session cookie or bearer
//! token of every request to a [`Principal`] once, enforces the CSRF origin check, and
//! clears dead cookies; handlers take the `Principal` extractor.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::access::{Identity, Principal};
use crate::app::App;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "kashimap_session";

impl FromRequestParts<Arc<App>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        // Without the middleware (a router built by hand), resolve here; same rules.
        Ok(principal_of(resolve(app, &parts.headers).await?.0.as_ref()))
    }
}

/// The client's address: the connection's peer, or the last `X-Forwarded-For` entry when
/// `[auth] trust_forwarded_for` is set. `unknown` when neither is known (in-process tests).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<Arc<App>> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        Ok(Self(client_ip(parts, app)))
    }
}

fn client_ip(parts: &Parts, app: &App) -> String {
    if app.config.auth.trust_forwarded_for {
        // Only the rightmost entry was written by our proxy; earlier ones are the client's.
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// Resolves the principal, checks CSRF, and runs the request. A bad bearer token is a
/// 401 (a script should learn its token is bad); a dead cookie is anonymity, and the
/// response clears it.
pub async fn authenticate(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    if !csrf_ok(req.method(), req.headers(), &app) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "a state-changing request signed in by cookie must come from this site (Origin or Referer)",
        )
        .ja("別のサイトからの変更操作は受け付けません")
        .into_response();
    }
    let (identity, stale_cookie) = match resolve(&app, req.headers()).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    req.extensions_mut().insert(principal_of(identity.as_ref()));
    if let Some(identity) = identity {
        req.extensions_mut().insert(identity);
    }
    let mut res = next.run(req).await;
    if stale_cookie && !sets_session_cookie(&res) {
        res.headers_mut()
            .append(header::SET_COOKIE, session_cookie(&app, "", 0));
    }
    res
}

fn principal_of(identity: Option<&Identity>) -> Principal {
    identity.map_or_else(Principal::anonymous, Identity::principal)
}

/// The signed-in identity of a request (`None`: anonymous), and whether it carried a
/// cookie that is no longer valid.
async fn resolve(app: &App, headers: &HeaderMap) -> Result<(Option<Identity>, bool), ApiError> {
    if bearer_header(headers) == BearerHeader::Malformed {
        return Err(invalid_token());
    }
    if let Some(token) = bearer(headers) {
        let found = app.access.bearer(token).await.map_err(ApiError::from)?;
        return match found {
            Ok(identity) => Ok((Some(identity), false)),
            Err(why) => {
                tracing::debug!(?why, "bearer token refused");
                Err(invalid_token())
            }
        };
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok((None, false));
    };
    let found = app.access.session(secret).await.map_err(ApiError::from)?;
    let stale = found.is_none();
    Ok((found, stale))
}

fn invalid_token() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "the API token is unknown, expired or revoked",
    )
    .ja("APIトークンが無効です（不明・期限切れ・失効）");
    e.details
        .push(serde_json::json!({ "header": "Authorization" }));
    e
}

/// A 401 for endpoints that need a signed-in user.
pub fn unauthenticated() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in first")
        .ja("ログインしてください")
}

/// What a request's `Authorization` header says about a bearer token.
#[derive(Debug, PartialEq, Eq)]
pub enum BearerHeader<'a> {
    /// No header, or another scheme (e.g. `Basic`).
    Absent,
    Token(&'a str),
    /// `Bearer` with nothing after it, or with bytes no token has: a 401, never anonymity.
    Malformed,
}

/// Reads the `Authorization` header's bearer token, if it has the `Bearer` scheme.
pub fn bearer_header(headers: &HeaderMap) -> BearerHeader<'_> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return BearerHeader::Absent;
    };
    let bytes = value.as_bytes();
    let scheme = bytes
        .get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case(b"bearer"));
    if !scheme || bytes.get(6).is_some_and(|b| !b.is_ascii_whitespace()) {
        return BearerHeader::Absent;
    }
    let token = bytes.get(6..).unwrap_or_default().trim_ascii();
    match std::str::from_utf8(token) {
        Ok(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()) => BearerHeader::Token(t),
        _ => BearerHeader::Malformed,
    }
}

/// The token of a well-formed `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    match bearer_header(headers) {
        BearerHeader::Token(t) => Some(t),
        BearerHeader::Absent | BearerHeader::Malformed => None,
    }
}

/// True when a request carries neither a bearer token (good or bad) nor a session cookie:
/// [`authenticate`] makes it the anonymous principal without looking anything up.
pub fn is_anonymous(headers: &HeaderMap) -> bool {
    bearer_header(headers) == BearerHeader::Absent && cookie(headers, SESSION_COOKIE).is_none()
}

/// The first value of a cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The session cookie: HttpOnly, SameSite=Strict, Path=/, and Secure behind TLS.
/// An empty value with `max_age` 0 clears it.
pub fn session_cookie(app: &App, value: &str, max_age: i64) -> HeaderValue {
    cookie_header(value, max_age, app.config.secure_cookies)
}

fn cookie_header(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("kashimap_session=; Max-Age=0"))
}

fn sets_session_cookie(res: &Response) -> bool {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(SESSION_COOKIE.as_bytes()))
}

/// CSRF: a state-changing request must not be signed in by cookie from another site.
/// Bearer requests are exempt (browsers never add that header by themselves). Any
/// `Origin` or `Referer` present must be this site, which also guards sign-in itself.
fn csrf_ok(method: &Method, headers: &HeaderMap, app: &App) -> bool {
    let changes_state = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !changes_state || bearer(headers).is_some() {
        return true;
    }
    match request_origin(headers) {
        Some(origin) => same_origin(&origin, headers, app.config.public_url.as_deref()),
        None => cookie(headers, SESSION_COOKIE).is_none(),
    }
}

/// `scheme://host[:port]` from `Origin`, else from `Referer`. `Origin: null` counts as a
/// foreign origin.
fn request_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(o) = headers.get(header::ORIGIN) {
        return Some(o.to_str().unwrap_or("null").to_owned());
    }
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    Some(origin_of(referer).to_owned())
}

fn origin_of(url: &str) -> &str {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url;
    };
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    &url[..end]
}

fn same_origin(origin: &str, headers: &HeaderMap, public_url: Option<&str>) -> bool {
    if public_url.is_some_and(|u| origin_of(u).eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    matches!(scheme, "http" | "https") && host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[rstest]
    #[case::same_host("http://map.example:8080", None, true)]
    #[case::other_host("http://evil.example", None, false)]
    #[case::null("null", None, false)]
    #[case::public_url("https://map.city.example", Some("https://map.city.example"), true)]
    #[case::public_url_with_path(
        "https://map.city.example",
        Some("https://map.city.example/kashimap"),
        true
    )]
    #[case::port_differs("http://map.example:8081", None, false)]
    fn origins_are_compared_with_host_and_public_url(
        #[case] origin: &str,
        #[case] public_url: Option<&str>,
        #[case] ok: bool,
    ) {
        let h = headers(&[("host", "map.example:8080")]);
        assert_eq!(same_origin(origin, &h, public_url), ok);
    }

    #[test]
    fn cookies_are_strict_httponly_and_secure_when_configured() {
        let plain = cookie_header("abc", 60, false);
        assert_eq!(
            plain.to_str().unwrap(),
            "kashimap_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60"
        );
        let tls = cookie_header("abc", 60, true);
        assert!(tls.to_str().unwrap().ends_with("; Secure"));
    }

    #[test]
    fn referer_gives_an_origin() {
        let h = headers(&[("referer", "http://map.example:8080/staff?x=1")]);
        assert_eq!(
            request_origin(&h).as_deref(),
            Some("http://map.example:8080")
        );
    }

    #[test]
    fn cookies_and_bearer_tokens_are_parsed() {
        let h = headers(&[
            ("cookie", "a=1; kashimap_session=abc ; b=2"),
            ("authorization", "Bearer  kmap_x"),
        ]);
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(bearer(&h), Some("kmap_x"));
        assert_eq!(bearer(&headers(&[("authorization", "Basic eDp5")])), None);
    }
}
