//! Cache mixing: what one caller was served never reaches another, nor the same caller after
//! its grant has ended — neither as a cached body nor as a 304 to an old ETag.

use std::io::Read as _;

use axum::body::Body;
use axum::http::Request;
use kashimap::tile::decode;
use serde_json::json;

use super::client::{Crawl, Credential};
use super::expect::Role;
use crate::helpers::{PASSWORD, TestApp, TestResponse};

/// z14 over the town centre: roads and pipes both have features here.
const TILE: &str = "14/14112/6593";

/// The tile's bytes, gunzipped when the server sent gzip.
fn tile_bytes(res: &TestResponse) -> Vec<u8> {
    if res.header("content-encoding") == Some("gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(res.body.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        res.body.clone()
    }
}

/// Every attribute key of a tile's MVT layer.
fn keys(res: &TestResponse, layer: &str) -> Vec<String> {
    assert_eq!(res.status, 200, "{}", res.text());
    let tile = decode(&tile_bytes(res)).unwrap();
    let mut keys: Vec<String> = tile
        .layer(layer)
        .unwrap_or_else(|| panic!("no `{layer}` in the tile"))
        .features
        .iter()
        .flat_map(|f| f.properties.iter().map(|(k, _)| k.clone()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn etag(res: &TestResponse) -> String {
    res.header("etag").expect("an ETag").to_owned()
}

#[tokio::test]
async fn a_kensetsu_roads_tile_never_reaches_anonymous_or_other_staff() {
    let crawl = Crawl::new().await;
    let uri = format!("/tiles/roads/{TILE}.mvt");
    let ledger = crawl.get(Role::Kensetsu, &uri).await;
    assert!(keys(&ledger, "roads").contains(&"台帳番号".to_owned()));
    let tag = etag(&ledger);
    for role in [Role::Anonymous, Role::Staff, Role::Suido, Role::Contractor] {
        let res = crawl.get(role, &uri).await;
        assert!(
            !keys(&res, "roads").contains(&"台帳番号".to_owned()),
            "{role:?}"
        );
        assert_ne!(etag(&res), tag, "{role:?} shares kensetsu's ETag");
        let revalidated = crawl.get_with(role, &uri, &[("if-none-match", &tag)]).await;
        assert_eq!(
            revalidated.status, 200,
            "{role:?}: a 304 to kensetsu's ETag"
        );
        assert!(!keys(&revalidated, "roads").contains(&"台帳番号".to_owned()));
    }
    // The other order: a public tile cached first does not stop kensetsu seeing the ledger.
    let other = format!("/tiles/roads,zoning/{TILE}.mvt");
    let public = crawl.get(Role::Anonymous, &other).await;
    assert!(!keys(&public, "roads").contains(&"台帳番号".to_owned()));
    let res = crawl.get(Role::Kensetsu, &other).await;
    assert!(keys(&res, "roads").contains(&"台帳番号".to_owned()));
}

#[tokio::test]
async fn ledger_items_etags_do_not_revalidate_for_the_public() {
    let crawl = Crawl::new().await;
    let uri = "/ogc/collections/roads/items?limit=5";
    let ledger = crawl.get(Role::Kensetsu, uri).await;
    assert!(ledger.text().contains("台帳番号"));
    let tag = etag(&ledger);
    let res = crawl
        .get_with(Role::Anonymous, uri, &[("if-none-match", &tag)])
        .await;
    assert_eq!(res.status, 200);
    assert!(!res.text().contains("台帳番号"));
}

/// A contractor asks for 土被り on pipes for one day; suido approves.
async fn grant_cover_depth(app: &TestApp, contractor: &str) {
    let body = json!({ "layer": "pipes", "attributes": ["土被り"], "reason": "布設替え工事の設計", "days": 1 });
    let res = app
        .post_json_as(Some(contractor), "/api/access-requests", &body)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_i64().unwrap();
    let suido = app.login("suido", PASSWORD).await;
    let uri = format!("/api/access-requests/{id}/approve");
    let res = app
        .post_json_as(Some(&suido), &uri, &json!({ "comment": "承認" }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[tokio::test]
async fn cover_depth_granted_to_a_contractor_ends_with_the_grant_in_tiles_items_and_etags() {
    let mut crawl = Crawl::new().await;
    crawl.app.add_user("contractor2", &["contractor"], false);
    let tile = format!("/tiles/pipes/{TILE}.mvt");
    let items = "/ogc/collections/pipes/items?limit=5";
    let Credential::Cookie(cookie) = crawl.credential(Role::Contractor).clone() else {
        panic!("the contractor signs in with a cookie");
    };
    assert!(
        !keys(&crawl.get(Role::Contractor, &tile).await, "pipes").contains(&"土被り".to_owned())
    );
    grant_cover_depth(&crawl.app, &cookie).await;

    let granted = crawl.get(Role::Contractor, &tile).await;
    assert!(
        keys(&granted, "pipes").contains(&"土被り".to_owned()),
        "the grant shows at once"
    );
    assert!(
        granted
            .header("cache-control")
            .unwrap()
            .starts_with("private")
    );
    let (tile_tag, granted_items) = (etag(&granted), crawl.get(Role::Contractor, items).await);
    assert!(granted_items.text().contains("土被り"));
    let items_tag = etag(&granted_items);
    let export = "/api/layers/pipes/export.geojson";
    let granted_export = crawl.get(Role::Contractor, export).await;
    assert!(granted_export.text().contains("土被り"));
    let export_tag = etag(&granted_export);

    // Another contractor, meanwhile, gets neither the body nor a 304.
    let other = crawl.app.login("contractor2", PASSWORD).await;
    let res = crawl.app.get_as(&other, &tile).await;
    assert!(!keys(&res, "pipes").contains(&"土被り".to_owned()));
    let req = Request::get(&tile)
        .header("host", "localhost:8080")
        .header("cookie", &other)
        .header("if-none-match", &tile_tag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        crawl.app.send(req).await.status,
        200,
        "a 304 to another's grant"
    );

    // Two days later the grant has ended by itself; so has the session: sign in again.
    crawl.app.app.access.clock.advance(2 * 86_400);
    let again = crawl.app.login("contractor", PASSWORD).await;
    crawl.set_credential(Role::Contractor, Credential::Cookie(again));
    let res = crawl
        .get_with(Role::Contractor, &tile, &[("if-none-match", &tile_tag)])
        .await;
    assert_eq!(res.status, 200, "a 304 to the granted tile's ETag");
    assert!(!keys(&res, "pipes").contains(&"土被り".to_owned()));
    for (uri, tag) in [(items, &items_tag), (export, &export_tag)] {
        let res = crawl
            .get_with(Role::Contractor, uri, &[("if-none-match", tag)])
            .await;
        assert_eq!(res.status, 200, "a 304 to the granted ETag of {uri}");
        assert!(!res.text().contains("土被り"), "{uri}");
    }
}

/// Restricted outputs of pipes, to ask with an ended credential.
const PIPES_OUTPUTS: [&str; 5] = [
    "/tiles/pipes/14/14112/6593.mvt",
    "/tiles/pipes.json",
    "/ogc/collections/pipes/items",
    "/api/layers/pipes/export.csv",
    "/api/nearest?layer=pipes&lon=130.1&lat=33.1",
];

/// A cookie that no longer signs in is anonymous (404 for pipes); a token that no longer
/// works is refused outright (401).
async fn assert_ended(app: &TestApp, cookie: &str, token: &str, why: &str) {
    for uri in PIPES_OUTPUTS {
        let by_cookie = app.get_as(cookie, uri).await;
        assert_eq!(by_cookie.status, 404, "{why} cookie is anonymous: {uri}");
        let by_token = app.get_bearer(token, uri).await;
        assert_eq!(by_token.status, 401, "{why} token is refused: {uri}");
        assert!(!by_token.text().contains("土被り"));
    }
}

async fn suido_credentials(app: &TestApp, days: Option<u32>) -> (String, String, i64) {
    let cookie = app.login("suido", PASSWORD).await;
    let (token, info) = app.app.access.create_token("suido", "qgis", days).unwrap();
    for uri in PIPES_OUTPUTS {
        assert_eq!(app.get_as(&cookie, uri).await.status, 200, "{uri}");
        assert_eq!(app.get_bearer(&token, uri).await.status, 200, "{uri}");
    }
    (cookie, token, info.id)
}

#[tokio::test]
async fn logged_out_sessions_and_revoked_tokens_see_nothing_restricted() {
    let crawl = Crawl::new().await;
    let (cookie, token, id) = suido_credentials(&crawl.app, None).await;
    let res = crawl
        .app
        .post_json_as(Some(&cookie), "/auth/logout", &json!({}))
        .await;
    assert_eq!(res.status, 204);
    crawl.app.app.access.revoke_token(id).unwrap();
    assert_ended(&crawl.app, &cookie, &token, "a logged-out / revoked").await;
}

#[tokio::test]
async fn expired_sessions_and_tokens_see_nothing_restricted() {
    let crawl = Crawl::new().await;
    let (cookie, token, _) = suido_credentials(&crawl.app, Some(1)).await;
    crawl.app.app.access.clock.advance(2 * 86_400);
    assert_ended(&crawl.app, &cookie, &token, "an expired").await;
}
