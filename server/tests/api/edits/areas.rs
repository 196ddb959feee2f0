//! A record layer of two kinds: `farmland` holds points and field outlines
//! (`geometry = ["Point", "Polygon"]`). Either is created and changed into the other; other
//! kinds and broken outlines are refused naming the geometry; the schema, queryables, tiles
//! and exports say and show both.

use kashimap::mvt::decode::{DecodedGeometry, decode};
use serde_json::{Value as Json, json};

use super::{app_with, count, create, eventually, send, tile_of};
use crate::helpers::TestApp;

/// A field's outline around 高津原1248 (inside the city), corners in order.
fn outline() -> Json {
    json!({ "type": "Polygon", "coordinates": [[
        [130.0945, 33.1010], [130.0955, 33.1010], [130.0955, 33.1020], [130.0945, 33.1020], [130.0945, 33.1010]
    ]] })
}

fn record(geometry: &Json, note: &str) -> Json {
    json!({ "type": "Feature", "geometry": geometry, "properties": { "状況": "遊休農地", "備考": note } })
}

async fn nougyou() -> (TestApp, String) {
    let (app, c) = app_with(&[("nakamura", &["nougyou"], true)]).await;
    (app, c[0].clone())
}

#[tokio::test]
async fn a_farmland_record_is_a_point_or_a_fields_outline() {
    let (app, c) = nougyou().await;
    let schema = app
        .get_as(&c, "/ogc/collections/farmland/schema")
        .await
        .json();
    assert_eq!(schema["geometries"], json!(["Point", "Polygon"]));
    let q = app
        .get_as(&c, "/ogc/collections/farmland/queryables")
        .await
        .json();
    assert_eq!(q["properties"]["geometry"]["format"], "geometry-any");
    assert_eq!(
        q["properties"]["geometry"]["oneOf"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let area = create(&app, &c, "farmland", &record(&outline(), "区画の記録")).await;
    assert_eq!(area.status, 201, "{}", area.text());
    let area = area.json();
    assert_eq!(area["geometry"], outline());
    assert_eq!(area["properties"]["調査者"], "nakamura");
    let spot = json!({ "type": "Point", "coordinates": [130.0950, 33.1015] });
    let res = create(&app, &c, "farmland", &record(&spot, "地点の記録")).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (id, etag) = (
        res.json()["id"].as_u64().unwrap(),
        res.header("etag").unwrap().to_owned(),
    );

    // The spot becomes the field's outline: both kinds belong to the layer.
    let uri = format!("/ogc/collections/farmland/items/{id}");
    let merge = [
        ("if-match", etag.as_str()),
        ("content-type", "application/merge-patch+json"),
    ];
    let patch = json!({ "geometry": outline() });
    let res = send(&app, "PATCH", &uri, Some(&c), &merge, Some(&patch)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["geometry"]["type"], "Polygon");
    let history = app.get_as(&c, &format!("{uri}/history")).await.json();
    let ops: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["update", "create"], "newest first");
}

#[tokio::test]
async fn other_kinds_and_broken_outlines_are_refused_by_name() {
    let (app, c) = nougyou().await;
    let line =
        json!({ "type": "LineString", "coordinates": [[130.0945, 33.1010], [130.0955, 33.1020]] });
    let bow_tie = json!({ "type": "Polygon", "coordinates": [[
        [130.0945, 33.1010], [130.0955, 33.1020], [130.0955, 33.1010], [130.0945, 33.1020], [130.0945, 33.1010]
    ]] });
    let flat = json!({ "type": "Polygon", "coordinates": [[
        [130.0945, 33.1010], [130.0950, 33.1015], [130.0955, 33.1020], [130.0945, 33.1010]
    ]] });
    let cases = [
        (
            line,
            "a Point or a Polygon",
            "点（Point）または面（Polygon）",
        ),
        (bow_tie, "crosses itself", "交差"),
        (flat, "no area", "面積"),
    ];
    let before = count(&app, &c, "farmland").await;
    for (geometry, en, ja) in cases {
        let res = create(&app, &c, "farmland", &record(&geometry, "不正")).await;
        assert_eq!(res.status, 422, "{geometry}: {}", res.text());
        let e = res.json();
        assert_eq!(e["details"][0]["field"], "geometry", "{e}");
        assert!(e["message"].as_str().unwrap().contains(en), "{e}");
        assert!(e["message_ja"].as_str().unwrap().contains(ja), "{e}");
    }
    app.app.editor().flush().unwrap();
    assert_eq!(
        count(&app, &c, "farmland").await,
        before,
        "nothing was created"
    );

    // A point-only layer still says so.
    let (app, c) = app_with(&[("tanaka", &["suido"], true)]).await;
    let mut leak = super::leak();
    leak["geometry"] = outline();
    let res = create(&app, &c[0], "leaks", &leak).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let e = res.json();
    assert!(
        e["message"].as_str().unwrap().contains("must be a Point"),
        "{e}"
    );
    assert!(
        e["message_ja"]
            .as_str()
            .unwrap()
            .contains("点（Point）です"),
        "{e}"
    );
}

#[tokio::test]
async fn tiles_and_exports_carry_both_kinds() {
    let (app, c) = nougyou().await;
    let made = create(&app, &c, "farmland", &record(&outline(), "タイル確認")).await;
    assert_eq!(made.status, 201, "{}", made.text());
    let id = made.json()["id"].as_u64().unwrap();
    let (app, c) = (&app, &c);
    let (x, y) = tile_of(130.0950, 33.1015, 16);
    eventually(|| async move {
        let t = app
            .get_as(c, &format!("/tiles/farmland/16/{x}/{y}.mvt"))
            .await;
        t.status == 200
            && decode(&t.body).unwrap().layer("farmland").is_some_and(|l| {
                l.features
                    .iter()
                    .any(|f| f.id == Some(id) && matches!(f.geometry, DecodedGeometry::Polygons(_)))
            })
    })
    .await;
    // Across the city at z12, the sample's outlines are areas and its spots points.
    let ((x0, y0), (x1, y1)) = (tile_of(129.95, 33.20, 12), tile_of(130.25, 32.98, 12));
    let mut kinds = std::collections::BTreeSet::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            let t = app
                .get_as(c, &format!("/tiles/farmland/12/{x}/{y}.mvt"))
                .await;
            assert!(matches!(t.status.as_u16(), 200 | 204), "{}", t.status);
            let Some(l) = decode(&t.body).unwrap().layers.into_iter().next() else {
                continue;
            };
            kinds.extend(l.features.iter().map(|f| match f.geometry {
                DecodedGeometry::Points(_) => "point",
                DecodedGeometry::Polygons(_) => "polygon",
                _ => "other",
            }));
        }
    }
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["point", "polygon"]);
    let csv = app
        .get_as(c, "/api/layers/farmland/export.csv")
        .await
        .text();
    assert!(
        csv.starts_with("\u{feff}id,WKT") || csv.starts_with("id,WKT"),
        "{csv:.80}"
    );
    assert!(
        csv.contains("POLYGON ((") && csv.contains("POINT ("),
        "{csv:.400}"
    );
    let geojson = app
        .get_as(c, "/api/layers/farmland/export.geojson")
        .await
        .json();
    let types: std::collections::BTreeSet<&str> = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["geometry"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.into_iter().collect::<Vec<_>>(), ["Point", "Polygon"]);
}

#[tokio::test]
async fn a_record_without_a_lot_number_gets_the_lots_from_the_map() {
    let (app, c) = nougyou().await;
    // Inside 高津原1248-2, the sample's pinned lot: a spot, and an outline around it.
    let spot = json!({ "type": "Point", "coordinates": [130.0950, 33.1015] });
    let small = json!({ "type": "Polygon", "coordinates": [[
        [130.09495, 33.10145], [130.09505, 33.10145], [130.09505, 33.10155], [130.09495, 33.10155], [130.09495, 33.10145]
    ]] });
    let lot = app
        .get_as(
            &c,
            "/ogc/collections/chiban/items?bbox=130.09499,33.10149,130.09501,33.10151",
        )
        .await
        .json()["features"][0]["properties"]["地番"]
        .clone();
    assert!(lot.as_str().is_some_and(|l| l.starts_with("1248")), "{lot}");
    for geometry in [&spot, &small] {
        let res = create(&app, &c, "farmland", &record(geometry, "地番なし")).await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.json()["properties"]["地番"], lot, "{geometry}");
    }
    // A number the surveyor gives is kept.
    let mut given = record(&spot, "地番あり");
    given["properties"]["地番"] = json!("999");
    let res = create(&app, &c, "farmland", &given).await;
    assert_eq!(res.json()["properties"]["地番"], "999");
}
