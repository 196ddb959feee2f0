//! Security headers on every response: the router's, the tile lane's, errors, exports and
//! the listener's own refusals. Set here once, so no route family can forget them.
//!
//! The policy allows no inline script: the viewer and the staff view load only their own
//! modules. Images and fetches may also go to the GSI tile hosts (basemaps and the hazard
//! overlay); MapLibre's workers are same-origin files (`blob:` kept for its fallback).

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use sha2::{Digest, Sha256};

/// The hosts of the GSI tiles the viewer draws (地理院タイル and ハザードマップポータル).
const GSI_HOSTS: &str = "https://cyberjapandata.gsi.go.jp https://disaportaldata.gsi.go.jp";

/// The `Content-Security-Policy` value; the placeholder page's one style block is allowed
/// by its hash.
static CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    let style = super::web::placeholder_style();
    let hash = <base64ct::Base64 as base64ct::Encoding>::encode_string(&Sha256::digest(style));
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'sha256-{hash}'; \
         img-src 'self' data: blob: {GSI_HOSTS}; connect-src 'self' {GSI_HOSTS}; \
         worker-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"))
});

/// Adds the security headers (keeping any a handler set itself).
pub fn secure(headers: &mut HeaderMap) {
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        set(headers, name, HeaderValue::from_static(value));
    }
    set(headers, header::CONTENT_SECURITY_POLICY, CSP.clone());
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    headers.entry(name).or_insert(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_forbids_inline_script_and_framing() {
        let mut h = HeaderMap::new();
        secure(&mut h);
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("https://disaportaldata.gsi.go.jp"), "{csp}");
        assert!(csp.contains("style-src 'self' 'sha256-"), "{csp}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
