//! The API contract: what the OpenAPI document at `/ogc/api` says is what the server does.
//! Each test pins one place where they once disagreed (found by schemathesis, OWSLib or the
//! OGC standard); every answer here is checked against the document's own response schema.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use geo::{Geometry, point};
use kashimap::model::{Feature, Field, FieldType, Value as FieldValue};
use rstest::rstest;
use serde_json::Value;

use super::fixture;
use super::schema_check::violations;
use crate::helpers::{LayerSpec, TestApp, TestResponse, enc};

/// The operation of the OpenAPI document that serves `path` (under `/ogc`), and its
/// response schema for `status` and the response's media type.
fn response_schema<'a>(doc: &'a Value, path: &str, res: &TestResponse) -> &'a Value {
    let path = path.split('?').next().unwrap();
    let path = path.strip_prefix("/ogc").unwrap();
    let template = match path.split('/').collect::<Vec<_>>().as_slice() {
        ["", "collections", id, "items", _] => format!("/collections/{id}/items/{{featureId}}"),
        [""] | [] => "/".to_owned(),
        _ => path.to_owned(),
    };
    let operation = &doc["paths"][&template]["get"];
    assert!(operation.is_object(), "no operation for {template}");
    let mut response = &operation["responses"][res.status.as_str()];
    assert!(
        response.is_object(),
        "{template} does not declare {}",
        res.status
    );
    if let Some(r) = response["$ref"].as_str() {
        response = doc.pointer(r.trim_start_matches('#')).unwrap();
    }
    let media = res.header("content-type").unwrap();
    let schema = &response["content"][media]["schema"];
    assert!(
        schema.is_object(),
        "{template} {} does not declare {media}",
        res.status
    );
    schema
}

async fn document(app: &TestApp) -> Value {
    app.get("/ogc/api").await.json()
}

/// Asks for `path` and checks the answer's status and its body against the document.
async fn conforms(app: &TestApp, doc: &Value, path: &str, status: u16) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status.as_u16(), status, "{path}: {}", res.text());
    let body = res.json();
    let wrong = violations(doc, response_schema(doc, path, &res), &body);
    assert!(wrong.is_empty(), "{path}: {wrong:#?}\n{body}");
    body
}

#[rstest]
#[case::landing("/ogc", 200)]
#[case::landing_slash("/ogc/", 200)]
#[case::conformance("/ogc/conformance", 200)]
#[case::collections("/ogc/collections", 200)]
#[case::collection("/ogc/collections/pts", 200)]
#[case::collection_with_row_policy("/ogc/collections/rowpol", 200)]
#[case::queryables("/ogc/collections/pts/queryables", 200)]
#[case::items("/ogc/collections/pts/items?limit=5", 200)]
#[case::items_paged("/ogc/collections/pts/items?limit=5&offset=5", 200)]
#[case::items_some_properties("/ogc/collections/pts/items?properties=名称", 200)]
#[case::items_no_properties("/ogc/collections/pts/items?properties=", 200)]
#[case::items_polygons("/ogc/collections/zones/items", 200)]
#[case::items_booleans("/ogc/collections/rowpol/items", 200)]
#[case::item("/ogc/collections/pts/items/7", 200)]
#[case::bad_parameter("/ogc/collections/pts/items?limit=0", 400)]
#[case::bad_filter("/ogc/collections/pts/items?filter=%3D%3D", 400)]
#[case::no_feature("/ogc/collections/pts/items/999999", 404)]
#[case::too_long("/ogc/collections/pts/items?filter=TOO_LONG", 414)]
#[tokio::test]
async fn real_answers_validate_against_the_documents_schemas(
    #[case] path: &str,
    #[case] status: u16,
) {
    let app = fixture::app();
    let doc = document(&app).await;
    let path = path
        .replace("TOO_LONG", &"a".repeat(10_000))
        .replace("名称", &enc("名称"));
    conforms(&app, &doc, &path, status).await;
}

/// A collection that does not exist has no path in the document; its 404 still carries the
/// error body the document describes for every 404.
#[tokio::test]
async fn an_unknown_collection_answers_with_the_documented_error_body() {
    let app = fixture::app();
    let doc = document(&app).await;
    let res = app.get("/ogc/collections/nosuch/items").await;
    assert_eq!(res.status, 404);
    let not_found = &doc["components"]["responses"]["notFound"]["content"]["application/json"];
    let wrong = violations(&doc, &not_found["schema"], &res.json());
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn the_schemas_are_not_vacuous() {
    let app = fixture::app();
    let doc = document(&app).await;
    let res = app.get("/ogc/collections/pts/items?limit=2").await;
    let schema = response_schema(&doc, "/ogc/collections/pts/items", &res);
    let good = res.json();
    assert!(violations(&doc, schema, &good).is_empty());
    let mut no_count = good.clone();
    no_count.as_object_mut().unwrap().remove("numberMatched");
    assert_eq!(violations(&doc, schema, &no_count).len(), 1);
    let mut hidden = good.clone();
    hidden["features"][0]["properties"]["secret"] = "秘密1".into();
    assert_eq!(violations(&doc, schema, &hidden).len(), 1);
    let mut wrong_type = good;
    wrong_type["features"][0]["properties"]["収容人数"] = "many".into();
    assert_eq!(violations(&doc, schema, &wrong_type).len(), 1);
    let error = &doc["components"]["schemas"]["error"];
    let body = serde_json::json!({ "error": "x", "message": "m" });
    assert_eq!(
        violations(&doc, error, &body).len(),
        1,
        "message_ja is required"
    );
}

#[rstest]
#[case::filter("filter=")]
#[case::sortby("sortby=")]
#[case::bbox("bbox=")]
#[case::bbox_crs("bbox-crs=")]
#[case::datetime("datetime=")]
#[case::limit("limit=")]
#[case::offset("offset=")]
#[case::filter_lang("filter-lang=")]
#[case::filter_crs("filter-crs=")]
#[case::format("f=")]
#[case::all_at_once("filter=&sortby=&bbox=&datetime=&limit=&offset=")]
#[tokio::test]
async fn an_empty_optional_parameter_counts_as_absent(#[case] query: &str) {
    let app = fixture::app();
    let doc = document(&app).await;
    let body = conforms(
        &app,
        &doc,
        &format!("/ogc/collections/pts/items?{query}"),
        200,
    )
    .await;
    let plain = app.get("/ogc/collections/pts/items").await.json();
    assert_eq!(body["numberMatched"], fixture::PTS);
    assert_eq!(body["features"], plain["features"], "{query}");
}

#[rstest]
#[case::no_accept(None, "application/schema+json")]
#[case::any(Some("*/*"), "application/schema+json")]
#[case::by_name(Some("application/schema+json"), "application/schema+json")]
#[case::browser(
    Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    "application/schema+json"
)]
#[case::gdal_up_to_3_6(Some("application/geo+json, application/json"), "application/json")]
#[tokio::test]
async fn queryables_are_served_as_json_schema(#[case] accept: Option<&str>, #[case] want: &str) {
    let app = fixture::app();
    let doc = document(&app).await;
    let mut req = Request::get("/ogc/collections/pts/queryables").header("host", "localhost:8080");
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some(want));
    let schema = response_schema(&doc, "/ogc/collections/pts/queryables", &res);
    assert!(violations(&doc, schema, &res.json()).is_empty());
}

#[rstest]
#[case::trace_landing("TRACE", "/ogc/")]
#[case::post_landing("POST", "/ogc")]
#[case::put_api("PUT", "/ogc/api")]
#[case::delete_items("DELETE", "/ogc/collections/pts/items")]
#[case::post_feature("POST", "/ogc/collections/pts/items/1")]
#[case::post_queryables("POST", "/ogc/collections/pts/queryables")]
#[tokio::test]
async fn an_undeclared_method_gives_405_with_allow_and_the_error_body(
    #[case] method: &str,
    #[case] path: &str,
) {
    let app = fixture::app();
    let doc = document(&app).await;
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost:8080")
        .body(Body::empty())
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(
        res.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{method} {path}"
    );
    let allow = res.header("allow").unwrap_or_default();
    assert!(allow.contains("GET"), "{method} {path}: Allow {allow:?}");
    assert!(!allow.contains(method), "{method} {path}: Allow {allow:?}");
    assert_eq!(res.header("content-type"), Some("application/json"));
    let body = res.json();
    assert_eq!(body["error"], "method_not_allowed");
    let wrong = violations(&doc, &doc["components"]["schemas"]["error"], &body);
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn the_landing_page_is_also_served_at_the_trailing_slash() {
    let app = fixture::app();
    let plain = app.get("/ogc").await;
    let slash = app.get("/ogc/").await;
    assert_eq!(slash.status, 200);
    assert_eq!(slash.header("content-type"), Some("application/json"));
    assert_eq!(slash.body, plain.body);
    // The document's server is `…/ogc` and its landing page the path `/`: the same place.
    let doc = document(&app).await;
    assert_eq!(doc["servers"][0]["url"], "http://localhost:8080/ogc");
    assert!(doc["paths"]["/"]["get"].is_object());
}

/// The collections have no temporal property: a valid `datetime` matches every feature
/// (/req/core/fc-time-definition); malformed ones are refused (see `bad_input`).
#[rstest]
#[case::instant("2024-04-01T09:00:00+09:00")]
#[case::date("2024-04-01")]
#[case::utc_with_fraction("2024-04-01T00:00:00.250Z")]
#[case::closed_interval("2024-04-01T00:00:00Z/2024-05-01T00:00:00Z")]
#[case::open_start("../2024-05-01")]
#[case::empty_start("/2024-05-01")]
#[case::open_end("2024-04-01T00:00:00Z/..")]
#[case::leap_day("2024-02-29")]
#[tokio::test]
async fn a_valid_datetime_matches_every_feature(#[case] datetime: &str) {
    let app = fixture::app();
    let doc = document(&app).await;
    let body = conforms(
        &app,
        &doc,
        &format!("/ogc/collections/pts/items?datetime={}", enc(datetime)),
        200,
    )
    .await;
    assert_eq!(body["numberMatched"], fixture::PTS, "{datetime}");
    // The document's pattern admits the value too.
    let pattern = doc["components"]["parameters"]["datetime"]["schema"]["pattern"]
        .as_str()
        .unwrap();
    assert!(regex::Regex::new(pattern).unwrap().is_match(datetime));
}

#[tokio::test]
async fn the_datetime_parameter_is_documented_on_every_items_operation() {
    let app = fixture::app();
    let doc = document(&app).await;
    for id in ["pts", "rowpol", "zones"] {
        let params = doc["paths"][format!("/collections/{id}/items")]["get"]["parameters"]
            .as_array()
            .unwrap();
        assert!(
            params.contains(&serde_json::json!({ "$ref": "#/components/parameters/datetime" })),
            "{id}"
        );
    }
    let datetime = &doc["components"]["parameters"]["datetime"];
    assert_eq!(datetime["in"], "query");
    assert_eq!(datetime["schema"]["type"], "string");
}

/// A layer with more features than the largest page.
fn big_app(n: usize) -> TestApp {
    let toml = r#"
id = "many"
title = { ja = "多数", en = "Many" }
department = "総務課"
source = "data/many.fgb"
geometry = "Point"
attribution = "synthetic test data"
sample = true
[access]
view = "public"
"#;
    let features = (1..=n)
        .map(|i| {
            let (x, y) = (
                130.0 + (i % 100) as f64 * 0.001,
                33.0 + (i / 100) as f64 * 0.001,
            );
            let props = vec![FieldValue::Int(i as i64)];
            Feature::new(i as u64, Geometry::Point(point!(x: x, y: y)), props.into())
        })
        .collect();
    TestApp::with_layers(&[LayerSpec {
        toml,
        id: "many",
        fields: vec![Field::new("n", FieldType::Int)],
        features,
    }])
}

#[rstest]
#[case::just_over("10001")]
#[case::far_over("50000")]
#[case::beyond_any_integer("99999999999999999999999")]
#[tokio::test]
async fn a_limit_over_the_maximum_is_lowered_to_it(#[case] limit: &str) {
    let max = 10_000;
    let app = big_app(max + 50);
    let res = app
        .get(&format!("/ogc/collections/many/items?limit={limit}"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["numberMatched"], max + 50);
    assert_eq!(body["numberReturned"], max);
    assert_eq!(body["features"].as_array().unwrap().len(), max);
    let next = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap();
    assert!(
        next["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("offset={max}")),
        "{next}"
    );
    // The document says so, and sets no maximum a client could trip over.
    let doc = document(&app).await;
    let limit = &doc["components"]["parameters"]["limit"]["schema"];
    assert_eq!(limit["minimum"], 1);
    assert!(limit.get("maximum").is_none(), "{limit}");
}

/// The 12 × 10 grid of `pts` spans 130.00..130.11 × 33.00..33.09.
#[rstest]
#[case::across_the_antimeridian_reaching_the_grid("170,-90,130.05,90", 60)]
#[case::across_the_antimeridian_elsewhere("179,-10,-179,10", 0)]
#[case::across_the_antimeridian_whole_grid("0.5,-90,0.4,90", fixture::PTS)]
#[case::south_above_north("129,34,131,32", 0)]
#[case::past_the_poles("129,-120,131,150", fixture::PTS)]
#[tokio::test]
async fn unusual_but_valid_bboxes_are_answered(#[case] bbox: &str, #[case] matched: usize) {
    let app = fixture::app();
    let doc = document(&app).await;
    let body = conforms(
        &app,
        &doc,
        &format!("/ogc/collections/pts/items?bbox={bbox}&limit=100"),
        200,
    )
    .await;
    assert_eq!(body["numberMatched"], matched, "{bbox}");
    if matched == 60 {
        for f in body["features"].as_array().unwrap() {
            let x = f["geometry"]["coordinates"][0].as_f64().unwrap();
            assert!(x <= 130.05 + 1e-9, "{f}");
        }
    }
}

#[tokio::test]
async fn every_operation_declares_400_and_414_with_the_error_body() {
    let app = fixture::app();
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 4 + 3 * 4, "{:?}", paths.keys());
    for (path, item) in paths {
        let responses = &item["get"]["responses"];
        for status in ["400", "414"] {
            let r = responses[status]["$ref"].as_str().unwrap_or_default();
            let response = doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null);
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/error",
                "{path} {status}"
            );
        }
    }
    let error = &doc["components"]["schemas"]["error"];
    assert_eq!(
        error["required"],
        serde_json::json!(["error", "message", "message_ja"])
    );
    for key in ["error", "message", "message_ja", "details"] {
        assert!(error["properties"][key].is_object(), "{key}");
    }
}
