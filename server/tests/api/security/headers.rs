//! Security headers on every response, and a malformed bearer token is a 401 everywhere:
//! every output of every role's sweep, the tile lane, the viewer pages, errors of each kind,
//! sign-in, uploads and exports.

use axum::body::Body;
use axum::http::Request;
use rstest::rstest;

use super::client::Crawl;
use super::expect::Role;
use super::sweep::sweeps;
use crate::helpers::{TestApp, TestResponse};

fn assert_secure(res: &TestResponse, what: &str) {
    let csp = res
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP ({})", res.status));
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("script-src 'self';"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        res.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        res.header("referrer-policy"),
        Some("strict-origin-when-cross-origin"),
        "{what}"
    );
}

#[test]
fn every_swept_output_of_every_role_has_the_security_headers() {
    let mut n = 0;
    for (role, outputs) in sweeps() {
        for o in outputs {
            assert_secure(&o.res, &format!("{role:?} {}", o.uri));
            n += 1;
        }
    }
    assert!(n > 100, "{n} outputs");
}

#[tokio::test]
async fn errors_pages_the_tile_lane_and_sign_in_have_the_security_headers() {
    let crawl = Crawl::new().await;
    let anon = Role::Anonymous;
    for uri in [
        "/",
        "/staff",
        "/tiles/shelters/14/14112/6593.mvt",
        "/tiles/shelters/0/5/5.mvt",
        "/tiles/shelters/14/14112/6593.png",
        "/no/such/path",
        "/ogc/collections/nope/items",
        "/ogc/collections/shelters/items?limit=abc",
        "/api/layers/shelters/export.geojson",
        "/auth/me",
        "/healthz",
    ] {
        let res = crawl.get(anon, uri).await;
        assert_secure(&res, uri);
    }
    let app = &crawl.app;
    let res = app
        .send(
            Request::delete("/healthz")
                .header("host", "localhost:8080")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, 405);
    assert_secure(&res, "405");
    let res = app.login_response("nobody", "wrong").await;
    assert_secure(&res, "sign-in 401");
    let res = app
        .get_bearer("kmap_0000", "/tiles/shelters/14/14112/6593.mvt")
        .await;
    assert_secure(&res, "bad token on the tile lane");
}

/// A bad token is never anonymity: a script must learn its token is broken.
#[rstest]
#[case::empty("Bearer ")]
#[case::only_scheme("Bearer")]
#[case::spaces("Bearer    ")]
#[case::non_ascii("Bearer kmap_あ")]
#[case::control("Bearer kmap_\t1")]
#[tokio::test]
async fn a_malformed_bearer_token_is_401_invalid_token_on_every_lane(#[case] value: &str) {
    let app = TestApp::sample();
    for uri in [
        "/tiles/shelters/14/14112/6593.mvt",
        "/tiles/shelters.json",
        "/ogc/collections",
        "/api/layers/shelters/export.geojson",
        "/",
    ] {
        let res = app
            .send(
                Request::get(uri)
                    .header("host", "localhost:8080")
                    .header("authorization", value.as_bytes())
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, 401, "{value:?} {uri}: {}", res.text());
        assert_eq!(res.json()["error"], "invalid_token", "{uri}");
        assert_secure(&res, uri);
    }
}
