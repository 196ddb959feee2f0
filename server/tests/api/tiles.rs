//! Tiles over HTTP on the real sample layers, decoded with the crate's strict decoder.
//! (The independent decoder check — Python's mapbox-vector-tile and shapely — is in
//! `tests/python/`.)

use axum::body::Body;
use axum::http::Request;
use kashimap::tile::{DecodedTile, decode};

use crate::helpers::{TestApp, TestResponse};

/// z14 tile over 鹿島駅 / the town centre.
const CENTRE_Z14: &str = "14/14112/6593";

fn decoded(res: &TestResponse) -> DecodedTile {
    assert_eq!(res.status, 200, "{}", res.text());
    decode(&res.body).expect("tile decodes")
}

async fn get_with(app: &TestApp, uri: &str, header: (&str, &str)) -> TestResponse {
    app.send(
        Request::get(uri)
            .header("host", "localhost:8080")
            .header(header.0, header.1)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_public_tile_decodes_with_its_layer_and_public_attributes_only() {
    let app = TestApp::sample();
    let res = app.get(&format!("/tiles/roads/{CENTRE_Z14}.mvt")).await;
    let tile = decoded(&res);
    assert_eq!(tile.layers.len(), 1);
    let roads = &tile.layers[0];
    assert_eq!(roads.name, "roads");
    assert!(!roads.features.is_empty());
    for f in &roads.features {
        for (key, _) in &f.properties {
            assert!(
                ["路線番号", "路線名", "種別", "幅員", "延長", "認定年月日"]
                    .contains(&key.as_str()),
                "ledger-only attribute {key} leaked to the public"
            );
        }
    }
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.mapbox-vector-tile")
    );
    assert!(res.header("cache-control").unwrap().starts_with("public"));
    assert!(res.header("etag").is_some());
}

#[tokio::test]
async fn comma_separated_layers_give_one_mvt_layer_each() {
    let app = TestApp::sample();
    let tile = decoded(
        &app.get(&format!("/tiles/zoning,roads,shelters/{CENTRE_Z14}.mvt"))
            .await,
    );
    let names: Vec<&str> = tile.layers.iter().map(|l| l.name.as_str()).collect();
    assert!(
        names.contains(&"zoning") && names.contains(&"roads"),
        "{names:?}"
    );
}

#[tokio::test]
async fn hidden_layers_are_the_same_404_as_missing_ones() {
    let app = TestApp::sample();
    let hidden = app.get(&format!("/tiles/pipes/{CENTRE_Z14}.mvt")).await;
    let missing = app.get(&format!("/tiles/nosuch/{CENTRE_Z14}.mvt")).await;
    assert_eq!(hidden.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(hidden.json()["error"], missing.json()["error"]);
    assert_eq!(
        app.get(&format!("/tiles/roads,pipes/{CENTRE_Z14}.mvt"))
            .await
            .status,
        404
    );
    assert_eq!(app.get("/tiles/pipes.json").await.status, 404);
    assert_eq!(
        app.get("/tiles/..%2F..%2Fetc%2Fpasswd/1/0/0.mvt")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn an_empty_tile_is_204() {
    let app = TestApp::sample();
    // Far out in the Pacific.
    let res = app.get("/tiles/roads/14/16000/7000.mvt").await;
    assert_eq!(res.status, 204);
    assert!(res.body.is_empty());
}

#[tokio::test]
async fn etag_gives_304_and_gzip_is_negotiated() {
    let app = TestApp::sample();
    let uri = format!("/tiles/zoning/{CENTRE_Z14}.mvt");
    let first = app.get(&uri).await;
    let etag = first.header("etag").unwrap().to_owned();
    let again = get_with(&app, &uri, ("if-none-match", &etag)).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let gz = get_with(&app, &uri, ("accept-encoding", "gzip")).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gz.body.as_slice()),
        &mut plain,
    )
    .unwrap();
    assert_eq!(plain, first.body);
    assert!(
        gz.header("vary")
            .unwrap_or_default()
            .contains("Accept-Encoding")
            || gz
                .headers
                .get_all("vary")
                .iter()
                .any(|v| v == "Accept-Encoding")
    );
}

#[tokio::test]
async fn bad_tile_coordinates_are_400_json() {
    let app = TestApp::sample();
    for path in [
        "25/0/0.mvt",
        "-1/0/0.mvt",
        "a/0/0.mvt",
        "2/4/0.mvt",
        "2/0/4.mvt",
        "2/0/0.png",
        "99999999999/0/0.mvt",
    ] {
        let res = app.get(&format!("/tiles/roads/{path}")).await;
        assert_eq!(res.status, 400, "{path}: {}", res.text());
        assert!(res.json()["message"].is_string(), "{path}");
    }
}

#[tokio::test]
async fn the_cache_serves_repeats_and_counts_hits() {
    let app = TestApp::sample();
    let uri = format!("/tiles/roads/{CENTRE_Z14}.mvt");
    let a = app.get(&uri).await;
    let b = app.get(&uri).await;
    assert_eq!(a.body, b.body);
    let metrics = app.get("/metrics").await.text();
    assert!(
        metrics.contains("kashimap_tile_cache_hits_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kashimap_tile_cache_misses_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_public_lane_answers_as_the_router_does() {
    // Anonymous tile requests are answered before routing (`http::tiles::public_lane`); a
    // percent-encoded path is left to the router. Both must give the same answer, count in
    // the same metrics, and negotiate gzip and 304 alike.
    let app = TestApp::sample();
    let uri = format!("/tiles/roads/{CENTRE_Z14}.mvt");
    let lane = app.get(&uri).await;
    let routed = app.get(&format!("/tiles/road%73/{CENTRE_Z14}.mvt")).await;
    assert_eq!(lane.status, 200, "{}", lane.text());
    assert_eq!(routed.status, 200, "{}", routed.text());
    assert_eq!(lane.body, routed.body);
    for name in ["etag", "cache-control", "content-type", "vary"] {
        let all = |r: &TestResponse| -> Vec<String> {
            r.headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(all(&lane), all(&routed), "{name}");
    }
    let etag = lane.header("etag").unwrap().to_owned();
    assert_eq!(
        get_with(&app, &uri, ("if-none-match", &etag)).await.status,
        304
    );
    let gz = get_with(&app, &uri, ("accept-encoding", "gzip")).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    // Credentials of any kind take the router: a bad bearer token is refused there.
    let refused = get_with(&app, &uri, ("authorization", "Bearer nope")).await;
    assert_eq!(refused.status, 401, "{}", refused.text());
    let metrics = app.get("/metrics").await.text();
    let route = r#"route="/tiles/{layers}/{z}/{x}/{y}""#;
    assert!(
        metrics.contains(&format!(
            "kashimap_requests_total{{{route},status=\"2xx\"}} 3"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "kashimap_requests_total{{{route},status=\"3xx\"}} 1"
        )),
        "{metrics}"
    );
}

#[tokio::test]
async fn accept_encoding_weights_decide_gzip_in_the_lane_and_the_router() {
    let app = TestApp::sample();
    let lane = format!("/tiles/roads/{CENTRE_Z14}.mvt");
    let routed = format!("/tiles/road%73/{CENTRE_Z14}.mvt");
    let plain = app.get(&lane).await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    for (accept, gzip) in [
        ("GZIP", true),
        ("*;q=0.5", true),
        ("deflate, gzip;q=0.1", true),
        ("gzip;q=0", false),
        ("gzip;q=0, *", false),
        ("gzip;q=0.5, identity", false),
        ("br", false),
    ] {
        for uri in [&lane, &routed] {
            let res = get_with(&app, uri, ("accept-encoding", accept)).await;
            assert_eq!(res.status, 200, "{uri} {accept}: {}", res.text());
            let encoding = res.header("content-encoding");
            assert_eq!(encoding == Some("gzip"), gzip, "{uri} {accept}");
            assert_eq!(res.body == plain.body, !gzip, "{uri} {accept}");
            assert!(
                res.headers
                    .get_all("vary")
                    .iter()
                    .any(|v| v == "Accept-Encoding"),
                "{uri} {accept}"
            );
        }
    }
}

#[tokio::test]
async fn the_public_lane_never_serves_a_restricted_layer() {
    // A layer the public may not see is the same 404 from the lane's fallback as from the
    // router, and a staff member's cached tile is not served to an anonymous caller.
    let app = TestApp::sample();
    let uri = format!("/tiles/pipes/{CENTRE_Z14}.mvt");
    app.add_user("suido1", &["suido"], true);
    let cookie = app.login("suido1", crate::helpers::PASSWORD).await;
    assert_eq!(app.get_as(&cookie, &uri).await.status, 200);
    let anonymous = app.get(&uri).await;
    assert_eq!(anonymous.status, 404, "{}", anonymous.text());
    let missing = app.get(&format!("/tiles/nosuch/{CENTRE_Z14}.mvt")).await;
    assert_eq!(anonymous.body, missing.body);
}

#[tokio::test]
async fn tilejson_lists_visible_fields_bounds_and_attribution() {
    let app = TestApp::sample();
    let tj = app.get("/tiles/roads.json").await.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "http://localhost:8080/tiles/roads/{z}/{x}/{y}.mvt?v=1"
    );
    let fields = tj["vector_layers"][0]["fields"].as_object().unwrap();
    assert!(fields.contains_key("路線名"));
    assert!(
        !fields.contains_key("台帳番号"),
        "ledger-only field listed for the public"
    );
    let b = tj["bounds"].as_array().unwrap();
    assert!(b[0].as_f64().unwrap() > 129.9 && b[2].as_f64().unwrap() < 130.3);
    assert!(tj["attribution"].as_str().unwrap().contains("サンプル"));
    assert!(tj["minzoom"].is_number() && tj["maxzoom"].is_number());
}

#[tokio::test]
async fn public_style_names_no_restricted_layer() {
    let app = TestApp::sample();
    let res = app.get("/styles/staff.json?basemap=none").await;
    assert_eq!(res.status, 200);
    let text = res.text();
    assert!(
        !text.contains("pipes"),
        "anonymous staff style still names pipes"
    );
    assert!(!text.contains("cyberjapandata"));
    let style = res.json();
    assert_eq!(
        style["sources"]["roads"]["url"],
        "http://localhost:8080/tiles/roads.json"
    );
    assert_eq!(app.get("/styles/public.json").await.status, 200);
    assert_eq!(app.get("/styles/..%2Fsecret.json").await.status, 404);
    assert_eq!(app.get("/styles/nosuch.json").await.status, 404);
}

#[tokio::test]
async fn staff_tiles_are_private_and_restricted_views_are_audited_once() {
    let app = TestApp::sample();
    app.add_user("suido1", &["suido"], true);
    let cookie = app.login("suido1", crate::helpers::PASSWORD).await;
    for _ in 0..3 {
        let res = app
            .get_as(&cookie, &format!("/tiles/pipes/{CENTRE_Z14}.mvt"))
            .await;
        let tile = decoded(&res);
        assert_eq!(tile.layers[0].name, "pipes");
        assert!(
            tile.layers[0]
                .features
                .iter()
                .any(|f| f.properties.iter().any(|(k, _)| k == "土被り"))
        );
        assert!(res.header("cache-control").unwrap().starts_with("private"));
    }
    let audit = &app.app.access.audit;
    assert_eq!(
        audit.flush_views().unwrap(),
        1,
        "three tiles, one aggregated audit row"
    );
    // Public roads tiles are not restricted views: nothing to audit.
    app.get_as(&cookie, &format!("/tiles/shelters/{CENTRE_Z14}.mvt"))
        .await;
    assert_eq!(audit.flush_views().unwrap(), 0);
}
