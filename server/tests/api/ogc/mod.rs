//! OGC API – Features: documents, access, items, bad input.

mod bad_input;
mod contract;
mod fixture;
mod items;
mod schema_check;

use rstest::rstest;
use serde_json::Value;

fn rels(doc: &Value) -> Vec<(String, String)> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["rel"].as_str().unwrap().to_owned(),
                l["href"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn href<'a>(links: &'a [(String, String)], rel: &str) -> &'a str {
    links
        .iter()
        .find_map(|(r, h)| (r == rel).then_some(h.as_str()))
        .unwrap_or_else(|| panic!("no `{rel}` link in {links:?}"))
}

#[tokio::test]
async fn landing_page_links_the_api_definition_conformance_and_data() {
    let app = fixture::app();
    let res = app.get("/ogc").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let doc = res.json();
    let links = rels(&doc);
    assert_eq!(href(&links, "self"), "http://localhost:8080/ogc");
    assert_eq!(
        href(&links, "conformance"),
        "http://localhost:8080/ogc/conformance"
    );
    assert_eq!(
        href(&links, "data"),
        "http://localhost:8080/ogc/collections"
    );
    assert_eq!(
        href(&links, "service-desc"),
        "http://localhost:8080/ogc/api"
    );
    let desc = doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .unwrap();
    assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");
    let doc_link = href(&links, "service-doc");
    let html = app
        .get(doc_link.trim_start_matches("http://localhost:8080"))
        .await;
    assert_eq!(html.status, 200);
    assert!(html.text().contains("/collections/pts/items"));
}

#[rstest]
#[case::core("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core")]
#[case::geojson("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson")]
#[case::oas30("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30")]
#[case::filter("http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter")]
#[case::features_filter("http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter")]
#[case::queryables("http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables")]
#[case::cql2_text("http://www.opengis.net/spec/cql2/1.0/conf/cql2-text")]
#[case::basic_cql2("http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2")]
#[tokio::test]
async fn conformance_declares(#[case] class: &str) {
    let app = fixture::app();
    let doc = app.get("/ogc/conformance").await.json();
    let classes: Vec<&str> = doc["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(classes.contains(&class), "{classes:?}");
}

#[tokio::test]
async fn openapi_describes_only_visible_collections_and_attributes() {
    let app = fixture::app();
    let res = app.get("/ogc/api").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.oai.openapi+json;version=3.0")
    );
    let doc = res.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0"));
    assert_eq!(doc["servers"][0]["url"], "http://localhost:8080/ogc");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/collections/pts/items"));
    assert!(paths.contains_key("/collections/pts/items/{featureId}"));
    let text = res.text();
    assert!(
        !text.contains("closed"),
        "a hidden collection leaks: {text}"
    );
    assert!(!text.contains("secret"), "a hidden attribute leaks");
    let params = paths["/collections/pts/items"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(params.iter().any(|p| p["name"] == "名称"));
    let lang = &doc["components"]["parameters"]["filter-lang"]["schema"]["enum"];
    assert!(lang.as_array().unwrap().contains(&"cql-text".into()));
}

#[tokio::test]
async fn collections_list_only_what_the_caller_may_see() {
    let app = fixture::app();
    let res = app.get("/ogc/collections").await;
    assert_eq!(res.status, 200);
    let doc = res.json();
    let ids: Vec<&str> = doc["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["pts", "rowpol", "zones"]);
}

#[tokio::test]
async fn a_collection_has_extent_crs_and_links() {
    let app = fixture::app();
    let doc = app.get("/ogc/collections/pts").await.json();
    assert_eq!(doc["id"], "pts");
    assert_eq!(doc["title"], "テストpts");
    let bbox = &doc["extent"]["spatial"]["bbox"][0];
    assert_eq!(bbox[0], 130.0);
    assert_eq!(bbox[1], 33.0);
    assert!((bbox[2].as_f64().unwrap() - 130.11).abs() < 1e-9);
    assert_eq!(
        doc["crs"][0],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    assert_eq!(
        doc["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    let links = rels(&doc);
    assert_eq!(
        href(&links, "items"),
        "http://localhost:8080/ogc/collections/pts/items"
    );
    assert_eq!(
        href(&links, "queryables"),
        "http://localhost:8080/ogc/collections/pts/queryables"
    );
    assert_eq!(
        href(&links, "tiles"),
        "http://localhost:8080/tiles/pts.json"
    );
}

#[tokio::test]
async fn queryables_are_the_geometry_and_visible_attributes() {
    let app = fixture::app();
    let res = app.get("/ogc/collections/pts/queryables").await;
    assert_eq!(res.status, 200);
    let doc = res.json();
    let mut names: Vec<&String> = doc["properties"].as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, vec!["geometry", "収容人数", "名称", "種別"]);
    assert_eq!(doc["properties"]["収容人数"]["type"], "integer");
    assert_eq!(
        doc["properties"]["geometry"]["x-ogc-role"],
        "primary-geometry"
    );
}

/// The viewer labels popups from the queryables: English title, unit and the label attribute.
#[rstest]
#[case::zoning_ratio("zoning", "容積率", "Floor area ratio", Some("%"), "用途地域")]
#[case::road_width("roads", "幅員", "Width", Some("m"), "路線名")]
#[case::shelter_name("shelters", "名称", "Name", None, "名称")]
#[tokio::test]
async fn queryables_give_titles_units_and_the_label(
    #[case] layer: &str,
    #[case] field: &str,
    #[case] title: &str,
    #[case] unit: Option<&str>,
    #[case] label: &str,
) {
    let app = crate::helpers::TestApp::sample();
    let doc = app
        .get(&format!("/ogc/collections/{layer}/queryables"))
        .await
        .json();
    let prop = &doc["properties"][field];
    assert_eq!(prop["title"], title);
    assert_eq!(prop["x-ogc-unit"].as_str(), unit);
    assert_eq!(doc["x-kashimap-label"], label);
}

/// Every path under a collection answers a hidden collection with the body of a
/// nonexistent one, byte for byte.
#[rstest]
#[case::collection("")]
#[case::queryables("/queryables")]
#[case::items("/items")]
#[case::items_with_query("/items?limit=1&bbox=0,0,1,1")]
#[case::item("/items/1")]
#[tokio::test]
async fn hidden_collections_answer_like_missing_ones(#[case] suffix: &str) {
    let app = fixture::app();
    let hidden = app.get(&format!("/ogc/collections/closed{suffix}")).await;
    let missing = app.get(&format!("/ogc/collections/nosuch{suffix}")).await;
    assert_eq!(hidden.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(hidden.body, missing.body);
    assert_eq!(hidden.json()["error"], "not_found");
}

#[tokio::test]
async fn public_documents_are_publicly_cacheable() {
    let app = fixture::app();
    for path in [
        "/ogc",
        "/ogc/collections",
        "/ogc/collections/pts/items",
        "/ogc/api",
    ] {
        let res = app.get(path).await;
        let cc = res.header("cache-control").unwrap();
        assert!(cc.starts_with("public, max-age="), "{path}: {cc}");
    }
}

#[tokio::test]
async fn items_carry_an_etag_and_answer_304_when_it_matches() {
    let app = fixture::app();
    let first = app.get("/ogc/collections/pts/items?limit=3").await;
    let etag = first.header("etag").unwrap().to_owned();
    let req = axum::http::Request::get("/ogc/collections/pts/items?limit=3")
        .header("host", "localhost:8080")
        .header("if-none-match", &etag)
        .body(axum::body::Body::empty())
        .unwrap();
    let again = app.send(req).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let other = app.get("/ogc/collections/pts/items?limit=4").await;
    assert_ne!(other.header("etag").unwrap(), etag);
}

#[tokio::test]
async fn f_json_is_accepted() {
    let app = fixture::app();
    assert_eq!(app.get("/ogc?f=json").await.status, 200);
    assert_eq!(
        app.get("/ogc/collections/pts/items?f=json").await.status,
        200
    );
}
