//! `/api/at` hazards: the flood depth class and landslide zones at a point, the shelters
//! designated for them, and the policy (a hidden hazard layer is left out).

use std::sync::OnceLock;

use geo::{Geometry, LineString, Polygon};
use kashimap::model::{Feature, Field, FieldType, Value};
use serde_json::Value as Json;

use crate::helpers::{LayerSpec, PASSWORD, TestApp, enc};
use crate::synthetic::{self, SHELTERS_TOML, SHRINE};

/// The pinned sample lot 高津原1248-2 (in the sample flood area, 0.5〜3m, 鹿島川).
pub const LOT_1248_2: (f64, f64) = (130.0950, 33.1015);
/// On the steep slope beside 祐徳稲荷神社 (a sample 急傾斜地の崩壊 zone).
pub const SHRINE_SLOPE: (f64, f64) = (130.1060, 33.0735);
/// In the western hills: neither hazard.
const HILLS: (f64, f64) = (130.0600, 33.0600);

fn sample() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(TestApp::sample)
}

async fn at(app: &TestApp, (lon, lat): (f64, f64)) -> Json {
    let res = app.get(&format!("/api/at?lon={lon}&lat={lat}")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

fn ids(features: &Json) -> Vec<u64> {
    features
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect()
}

async fn nearest_ids(app: &TestApp, (lon, lat): (f64, f64), hazard: &str) -> Vec<u64> {
    let res = app
        .get(&format!(
            "/api/nearest?layer=shelters&lon={lon}&lat={lat}&k=3&hazard={}",
            enc(hazard)
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    ids(&res.json()["features"])
}

#[tokio::test]
async fn a_flooded_lot_states_its_depth_class_and_the_flood_shelters() {
    let app = sample();
    let body = at(app, LOT_1248_2).await;
    let flood = &body["hazards"]["flood"];
    assert_eq!(flood["layer"], "flood");
    assert_eq!(flood["in_area"], true, "{flood}");
    assert_eq!(flood["depth_class"], "0.5〜3m");
    assert_eq!(flood["depth_rank"], 2);
    assert_eq!(flood["river"], "鹿島川");
    assert_eq!(
        flood["message"]["ja"],
        "この場所は洪水時に 0.5〜3m 浸水する想定です"
    );
    assert_eq!(
        flood["message"]["en"],
        "In the largest assumed flood, this place is expected to be under 0.5–3 m of water"
    );
    let shelters = flood["shelters"].as_array().unwrap();
    assert_eq!(shelters.len(), 3);
    for s in shelters {
        assert_eq!(s["properties"]["洪水"], true, "{s}");
        assert_eq!(s["layer"], "shelters");
        assert!(s["distance_m"].as_f64().is_some());
    }
    assert_eq!(
        ids(&flood["shelters"]),
        nearest_ids(app, LOT_1248_2, "洪水").await
    );
    // The lot itself is listed among the layers at the point.
    let chiban = body["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "chiban")
        .unwrap();
    assert_eq!(chiban["features"][0]["properties"]["所在"], "高津原1248-2");
}

#[tokio::test]
async fn a_slope_lists_its_landslide_zones_and_the_landslide_shelters() {
    let app = sample();
    let body = at(app, SHRINE_SLOPE).await;
    let dosha = &body["hazards"]["dosha"];
    assert_eq!(dosha["layer"], "dosha");
    assert_eq!(dosha["in_area"], true, "{dosha}");
    let zones = dosha["zones"].as_array().unwrap();
    assert!(!zones.is_empty());
    assert!(
        zones.iter().all(|z| z["現象の種類"] == "急傾斜地の崩壊"),
        "{zones:?}"
    );
    let special = zones
        .iter()
        .any(|z| z["区域区分"] == "土砂災害特別警戒区域");
    let expected = if special {
        "この場所は土砂災害特別警戒区域（急傾斜地の崩壊）の中です"
    } else {
        "この場所は土砂災害警戒区域（急傾斜地の崩壊）の中です"
    };
    assert_eq!(dosha["message"]["ja"], expected);
    if special {
        assert_eq!(
            zones[0]["区域区分"], "土砂災害特別警戒区域",
            "special first"
        );
    }
    for s in dosha["shelters"].as_array().unwrap() {
        assert_eq!(s["properties"]["土砂災害"], true, "{s}");
    }
    assert_eq!(
        ids(&dosha["shelters"]),
        nearest_ids(app, SHRINE_SLOPE, "土砂災害").await
    );
}

#[tokio::test]
async fn outside_every_area_says_so() {
    let body = at(sample(), HILLS).await;
    let flood = &body["hazards"]["flood"];
    assert_eq!(flood["in_area"], false);
    assert_eq!(flood["depth_class"], Json::Null);
    assert_eq!(flood["depth_rank"], 0);
    assert_eq!(flood["river"], Json::Null);
    assert_eq!(
        flood["message"]["ja"],
        "この場所は洪水浸水想定区域（想定最大規模）の外です"
    );
    let dosha = &body["hazards"]["dosha"];
    assert_eq!(dosha["in_area"], false);
    assert_eq!(dosha["zones"], serde_json::json!([]));
    assert_eq!(dosha["message"]["ja"], "この場所は土砂災害警戒区域の外です");
    // Shelters are still offered: where to go if it comes to that.
    assert_eq!(flood["shelters"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn english_hazard_keys_mean_the_japanese_ones() {
    let app = sample();
    for (en, ja) in [
        ("flood", "洪水"),
        ("dosha", "土砂災害"),
        ("jishin", "地震"),
        ("tsunami", "津波"),
        ("takashio", "高潮"),
    ] {
        assert_eq!(
            nearest_ids(app, SHRINE, en).await,
            nearest_ids(app, SHRINE, ja).await,
            "{en}"
        );
        let res = app
            .get(&format!(
                "/api/at?lon={}&lat={}&hazard={en}",
                SHRINE.0, SHRINE.1
            ))
            .await;
        assert_eq!(res.status, 200, "{en}: {}", res.text());
    }
    let res = app
        .get("/api/nearest?layer=shelters&lon=130.1&lat=33.1&hazard=kaji2")
        .await;
    assert_eq!(res.status, 400);
    assert!(res.text().contains("takashio"), "{}", res.text());
}

const FLOOD_TOML: &str = r#"
id = "flood"
title = { ja = "洪水浸水想定区域", en = "Flood areas" }
department = "総務課"
source = "data/flood.fgb"
geometry = "Polygon"
attribution = "テスト用"
[access]
view = ["bousai"]
"#;

fn square(lon: f64, lat: f64, d: f64) -> Geometry {
    Geometry::Polygon(Polygon::new(
        LineString::from(vec![
            (lon - d, lat - d),
            (lon + d, lat - d),
            (lon + d, lat + d),
            (lon - d, lat + d),
            (lon - d, lat - d),
        ]),
        vec![],
    ))
}

#[tokio::test]
async fn a_hidden_hazard_layer_is_left_out_and_shown_to_its_role() {
    let s = |v: &str| Value::String(v.into());
    let flood = vec![
        Feature::new(
            1,
            square(SHRINE.0, SHRINE.1, 0.01),
            vec![s("0.5〜3m"), s("浜川")].into(),
        ),
        Feature::new(
            2,
            square(SHRINE.0, SHRINE.1, 0.001),
            vec![s("3〜5m"), s("浜川")].into(),
        ),
    ];
    let app = TestApp::with_layers(&[
        LayerSpec {
            toml: SHELTERS_TOML,
            id: "shelters",
            fields: synthetic::shelter_fields(),
            features: synthetic::shelters(),
        },
        LayerSpec {
            toml: FLOOD_TOML,
            id: "flood",
            fields: vec![
                Field::new("浸水深", FieldType::String),
                Field::new("河川名", FieldType::String),
            ],
            features: flood,
        },
    ]);
    let uri = format!("/api/at?lon={}&lat={}", SHRINE.0, SHRINE.1);
    let public = app.get(&uri).await.json();
    assert_eq!(public["hazards"], serde_json::json!({}), "{public}");
    app.add_user("bousai1", &["bousai"], true);
    let cookie = app.login("bousai1", PASSWORD).await;
    let staff = app.get_as(&cookie, &uri).await.json();
    let flood = &staff["hazards"]["flood"];
    // The deeper of the two covering polygons, its rank read from the class text.
    assert_eq!(flood["depth_class"], "3〜5m", "{staff}");
    assert_eq!(flood["depth_rank"], 3);
    assert_eq!(flood["river"], "浜川");
    assert!(staff["hazards"].get("dosha").is_none(), "no dosha layer");
    // Flood shelters come from what the caller may see of the shelters (staff: all rows).
    assert_eq!(flood["shelters"].as_array().unwrap().len(), 3);
}
