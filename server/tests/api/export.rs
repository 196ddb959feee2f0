//! `/api/layers/{layer}/export.{geojson,csv,fgb}`: what the caller may see, and nothing else.

use std::io::Cursor;

use flatgeobuf::{FallibleStreamingIterator, FgbReader};
use rstest::rstest;

use crate::helpers::TestApp;
use crate::synthetic;

/// Shelters an anonymous caller may see: all but the one with `公開 = false`.
const PUBLIC_SHELTERS: usize = 47;

#[tokio::test]
async fn geojson_export_has_visible_attributes_and_admitted_rows_only() {
    let app = synthetic::app();
    let res = app.get("/api/layers/shelters/export.geojson").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("content-type"), Some("application/geo+json"));
    let body = res.json();
    assert_eq!(body["type"], "FeatureCollection");
    assert_eq!(body["name"], "shelters");
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), PUBLIC_SHELTERS);
    for f in features {
        let props = f["properties"].as_object().unwrap();
        assert!(
            !props.contains_key("備考") && !props.contains_key("公開"),
            "{f}"
        );
        assert_ne!(f["properties"]["名称"], "非公開の避難所");
    }
}

#[tokio::test]
async fn files_are_named_after_the_layer_in_ascii_and_japanese() {
    let app = synthetic::app();
    let res = app.get("/api/layers/shelters/export.csv").await;
    assert_eq!(
        res.header("content-disposition"),
        Some(
            "attachment; filename=\"shelters.csv\"; filename*=UTF-8''%E9%81%BF%E9%9B%A3%E6%89%80.csv"
        )
    );
}

#[tokio::test]
async fn csv_export_has_a_bom_lon_lat_for_points_and_one_row_per_feature() {
    let app = synthetic::app();
    let res = app.get("/api/layers/shelters/export.csv").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        res.body.starts_with("\u{FEFF}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let text = res.text();
    let lines: Vec<&str> = text
        .trim_start_matches('\u{FEFF}')
        .split_terminator("\r\n")
        .collect();
    assert_eq!(
        lines[0],
        "id,lon,lat,名称,住所,洪水,土砂災害,高潮,地震,津波"
    );
    assert_eq!(lines.len(), PUBLIC_SHELTERS + 1);
    assert!(lines.contains(&"1,130.108483,33.074408,祐徳稲荷神社参集殿,佐賀県鹿島市古枝1番地,true,true,true,false,false"), "{text}");
    assert!(!text.contains("秘密メモ") && !text.contains("非公開の避難所"));
}

#[tokio::test]
async fn csv_export_of_polygons_has_a_wkt_column() {
    let app = synthetic::app();
    let text = app.get("/api/layers/zoning/export.csv").await.text();
    let mut lines = text.trim_start_matches('\u{FEFF}').split_terminator("\r\n");
    assert_eq!(lines.next(), Some("id,WKT,用途地域,容積率"));
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("1,\"POLYGON ((130.05 33.03, 130.06 33.03,"),
        "{first}"
    );
    assert_eq!(lines.count(), 99);
}

#[tokio::test]
async fn flatgeobuf_export_is_indexed_and_holds_only_what_is_visible() {
    let app = synthetic::app();
    let res = app.get("/api/layers/shelters/export.fgb").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/flatgeobuf"));
    let (schema, features) = kashimap::fgb::read(res.body.as_slice()).unwrap();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["名称", "住所", "洪水", "土砂災害", "高潮", "地震", "津波"]
    );
    assert_eq!(features.len(), PUBLIC_SHELTERS);
    let reader = FgbReader::open(Cursor::new(res.body.clone())).unwrap();
    assert!(
        reader.header().index_node_size() > 0,
        "written with a spatial index"
    );
    let mut near_shrine = reader
        .select_bbox(130.108, 33.074, 130.109, 33.075)
        .unwrap();
    let mut n = 0;
    while near_shrine.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(
        n, 1,
        "the index finds the shrine, and not the hidden shelter beside it"
    );
}

#[rstest]
#[case("geojson")]
#[case("csv")]
#[case("fgb")]
#[tokio::test]
async fn hidden_and_unknown_layers_get_the_same_404(#[case] ext: &str) {
    let app = synthetic::app();
    let hidden = app.get(&format!("/api/layers/secret/export.{ext}")).await;
    let missing = app.get(&format!("/api/layers/nope/export.{ext}")).await;
    assert_eq!(hidden.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(
        hidden.text().replace("secret", "X"),
        missing.text().replace("nope", "X")
    );
}

#[tokio::test]
async fn unknown_formats_are_404() {
    let app = synthetic::app();
    let res = app.get("/api/layers/shelters/export.xlsx").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.json()["error"], "not_found");
}

#[tokio::test]
async fn a_matching_etag_gets_304() {
    let app = synthetic::app();
    let first = app.get("/api/layers/zoning/export.geojson").await;
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(first.header("cache-control"), Some("public, max-age=300"));
    let again = app
        .send(
            axum::http::Request::get("/api/layers/zoning/export.geojson")
                .header("if-none-match", &etag)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, 304);
    let csv = app.get("/api/layers/zoning/export.csv").await;
    assert_ne!(csv.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn real_heritage_export_leaves_out_the_survey_history() {
    let app = TestApp::sample();
    for ext in ["geojson", "csv"] {
        let res = app.get(&format!("/api/layers/heritage/export.{ext}")).await;
        assert_eq!(res.status, 200);
        let text = res.text();
        assert!(
            text.contains("遺跡名") && !text.contains("調査履歴"),
            "{ext}"
        );
    }
    let shelters = app.get("/api/layers/shelters/export.csv").await.text();
    assert_eq!(shelters.split_terminator("\r\n").count(), 59 + 1);
    let pipes = app.get("/api/layers/pipes/export.fgb").await;
    assert_eq!(pipes.status, 404);
}
