//! `/api/nearest` and `/api/at`: exact agreement with brute force, filters, policy, bad input.
#![expect(
    clippy::float_cmp,
    reason = "exact agreement with brute force is the point"
)]

use geo::{Distance, Geodesic, Geometry, Point};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rstest::rstest;
use serde_json::Value as Json;

use crate::helpers::{TestApp, enc};
use crate::synthetic::{self, SHRINE};

fn ids(features: &Json) -> Vec<u64> {
    features
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect()
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[tokio::test]
async fn nearest_agrees_with_brute_force_geodesic_on_random_points() {
    let app = synthetic::app();
    let points = synthetic::points();
    let mut rng = StdRng::seed_from_u64(99);
    for round in 0..40 {
        let (lon, lat) = (
            129.95 + rng.random::<f64>() * 0.3,
            32.95 + rng.random::<f64>() * 0.25,
        );
        let k = [1, 5, 20, 100][round % 4];
        let res = app
            .get(&format!(
                "/api/nearest?layer=points&lon={lon}&lat={lat}&k={k}"
            ))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        let mut expected: Vec<(f64, u64)> = points
            .iter()
            .map(|f| {
                let Geometry::Point(p) = f.geometry else {
                    unreachable!()
                };
                (Geodesic.distance(Point::new(lon, lat), p), f.id)
            })
            .collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        expected.truncate(k);
        assert_eq!(
            ids(&body["features"]),
            expected.iter().map(|e| e.1).collect::<Vec<_>>()
        );
        for (f, (d, _)) in body["features"].as_array().unwrap().iter().zip(&expected) {
            assert_eq!(f["distance_m"].as_f64().unwrap(), round1(*d));
        }
    }
}

#[tokio::test]
async fn nearest_reports_distance_bearing_and_label() {
    let app = synthetic::app();
    let res = app
        .get(&format!(
            "/api/nearest?layer=shelters&lon={}&lat={}&k=2",
            SHRINE.0, SHRINE.1
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["type"], "FeatureCollection");
    let first = &body["features"][0];
    assert_eq!(first["properties"]["名称"], "祐徳稲荷神社参集殿");
    assert_eq!(first["label"], "祐徳稲荷神社参集殿");
    assert_eq!(first["distance_m"], 0.0);
    assert!(first["bearing_deg"].is_null());
    let second = &body["features"][1];
    let bearing = second["bearing_deg"].as_f64().unwrap();
    assert!((0.0..360.0).contains(&bearing), "{bearing}");
    assert!(second["distance_m"].as_f64().unwrap() > 0.0);
}

#[rstest]
#[case("hazard=地震", "地震")]
#[case("hazard=土砂", "土砂災害")]
#[case(&format!("{}=true", enc("津波")), "津波")]
#[case("hazard=洪水,地震", "地震")]
#[tokio::test]
async fn hazard_and_attribute_filters_keep_only_designated_shelters(
    #[case] query: &str,
    #[case] attribute: &str,
) {
    let app = synthetic::app();
    let uri = format!(
        "/api/nearest?layer=shelters&lon={}&lat={}&k=10&{}",
        SHRINE.0,
        SHRINE.1,
        query
            .replace("地震", &enc("地震"))
            .replace("土砂", &enc("土砂"))
            .replace("洪水", &enc("洪水"))
    );
    let res = app.get(&uri).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let features = res.json()["features"].as_array().unwrap().clone();
    assert!(!features.is_empty() && features.len() <= 10);
    for f in &features {
        assert_eq!(f["properties"][attribute], true, "{f}");
    }
    let d: Vec<f64> = features
        .iter()
        .map(|f| f["distance_m"].as_f64().unwrap())
        .collect();
    assert!(
        d.windows(2).all(|w| w[0] <= w[1]),
        "sorted by distance: {d:?}"
    );
}

#[tokio::test]
async fn at_the_shrine_lists_the_covering_zone_near_road_and_shelters() {
    let app = synthetic::app();
    let res = app
        .get(&format!("/api/at?lon={}&lat={}", SHRINE.0, SHRINE.1))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["lon"], SHRINE.0);
    let layers = body["layers"].as_array().unwrap();
    let ids: Vec<&str> = layers.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["points", "roads", "shelters", "zoning"],
        "the hidden layer is absent"
    );
    let zoning = &layers[3];
    assert_eq!(zoning["title"]["ja"], "用途地域");
    assert_eq!(zoning["features"].as_array().unwrap().len(), 1, "{zoning}");
    assert_eq!(zoning["features"][0]["distance_m"], 0.0);
    let roads = &layers[1]["features"];
    assert_eq!(
        ids_of(roads),
        [1],
        "the road 10 m away, not the one 30 m away"
    );
    assert!((roads[0]["distance_m"].as_f64().unwrap() - 10.0).abs() < 0.2);
    let shelters = body["nearest_shelters"].as_array().unwrap();
    assert_eq!(shelters.len(), 3);
    assert_eq!(shelters[0]["properties"]["名称"], "祐徳稲荷神社参集殿");
    assert_eq!(shelters[0]["distance_m"], 0.0);
    assert_eq!(shelters[0]["layer"], "shelters");
}

fn ids_of(features: &Json) -> Vec<u64> {
    ids(features)
}

#[tokio::test]
async fn at_includes_layers_without_hits_as_empty_lists() {
    let app = synthetic::app();
    let res = app.get("/api/at?lon=130.3&lat=33.3").await;
    assert_eq!(res.status, 200);
    let body = res.json();
    for l in body["layers"].as_array().unwrap() {
        assert_eq!(l["features"], serde_json::json!([]), "{l}");
    }
    assert_eq!(body["nearest_shelters"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn at_with_hazard_lists_only_designated_shelters() {
    let app = synthetic::app();
    let res = app
        .get(&format!(
            "/api/at?lon={}&lat={}&hazard={}",
            SHRINE.0,
            SHRINE.1,
            enc("地震")
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    for s in res.json()["nearest_shelters"].as_array().unwrap() {
        assert_eq!(s["properties"]["地震"], true);
        assert_ne!(s["properties"]["名称"], "祐徳稲荷神社参集殿");
    }
}

#[tokio::test]
async fn hidden_attributes_never_appear_and_cannot_be_filtered_on() {
    let app = synthetic::app();
    let near = app
        .get(&format!(
            "/api/nearest?layer=shelters&lon={}&lat={}&k=50",
            SHRINE.0, SHRINE.1
        ))
        .await;
    let at = app
        .get(&format!("/api/at?lon={}&lat={}", SHRINE.0, SHRINE.1))
        .await;
    for res in [&near, &at] {
        assert_eq!(res.status, 200);
        let text = res.text();
        assert!(
            !text.contains("\"備考\"") && !text.contains("\"公開\"") && !text.contains("秘密メモ"),
            "{text}"
        );
    }
    let by_param = app
        .get(&format!(
            "/api/nearest?layer=shelters&lon=130.1&lat=33.1&{}=x",
            enc("備考")
        ))
        .await;
    assert_eq!(by_param.status, 400);
}

#[tokio::test]
async fn a_filter_on_a_hidden_attribute_is_refused_like_a_missing_one() {
    let app = synthetic::app();
    let by_filter = app
        .get(&format!(
            "/api/nearest?layer=shelters&lon=130.1&lat=33.1&filter={}",
            enc("備考 = '秘密メモ'")
        ))
        .await;
    let by_unknown = app
        .get(&format!(
            "/api/nearest?layer=shelters&lon=130.1&lat=33.1&filter={}",
            enc("無い = '秘密メモ'")
        ))
        .await;
    assert_eq!(by_filter.status, 400);
    assert_eq!(by_unknown.status, 400);
    assert_eq!(
        by_filter.json()["message"]
            .as_str()
            .unwrap()
            .replace("備考", "X"),
        by_unknown.json()["message"]
            .as_str()
            .unwrap()
            .replace("無い", "X"),
        "a hidden attribute is refused exactly like a missing one"
    );
}

#[tokio::test]
async fn rows_the_policy_hides_never_appear() {
    let app = synthetic::app();
    let near = app
        .get(&format!(
            "/api/nearest?layer=shelters&lon={}&lat={}&k=100",
            SHRINE.0 + 0.000_05,
            SHRINE.1
        ))
        .await;
    assert!(!ids(&near.json()["features"]).contains(&3));
    let at = app
        .get(&format!(
            "/api/at?lon={}&lat={}",
            SHRINE.0 + 0.000_05,
            SHRINE.1
        ))
        .await;
    assert!(!at.text().contains("非公開の避難所"), "{}", at.text());
}

#[tokio::test]
async fn a_hidden_layer_gets_the_same_404_as_a_missing_one() {
    let app = synthetic::app();
    let hidden = app
        .get("/api/nearest?layer=secret&lon=130.1&lat=33.1")
        .await;
    let missing = app.get("/api/nearest?layer=nope&lon=130.1&lat=33.1").await;
    assert_eq!(hidden.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(
        hidden.text().replace("secret", "X"),
        missing.text().replace("nope", "X")
    );
}

#[rstest]
#[case("/api/nearest?layer=points&lat=33.1", 400)]
#[case("/api/nearest?layer=points&lon=abc&lat=33.1", 400)]
#[case("/api/nearest?layer=points&lon=NaN&lat=33.1", 400)]
#[case("/api/nearest?layer=points&lon=inf&lat=33.1", 400)]
#[case("/api/nearest?layer=points&lon=180.5&lat=33.1", 400)]
#[case("/api/nearest?layer=points&lon=130&lat=-90.01", 400)]
#[case("/api/nearest?layer=points&lon=130&lat=33&k=0", 400)]
#[case("/api/nearest?layer=points&lon=130&lat=33&k=101", 400)]
#[case("/api/nearest?layer=points&lon=130&lat=33&k=-1", 400)]
#[case("/api/nearest?layer=points&lon=130&lat=33&k=1e3", 400)]
#[case("/api/nearest?lon=130&lat=33", 400)]
#[case("/api/nearest?layer=nope&lon=130&lat=33", 404)]
#[case("/api/nearest?layer=shelters&lon=130&lat=33&hazard=foo", 400)]
#[case(
    "/api/nearest?layer=points&lon=130&lat=33&hazard=%E6%B4%AA%E6%B0%B4",
    400
)]
#[case(
    "/api/nearest?layer=points&lon=130&lat=33&filter-lang=cql2-json&filter=n%3D1",
    400
)]
#[case("/api/nearest?layer=points&lon=130&lat=33&n=abc", 400)]
#[case("/api/nearest?layer=points&lon=130&lat=33&nope=1", 400)]
#[case("/api/at?lon=130", 400)]
#[case("/api/at?lon=130&lat=NaN", 400)]
#[case("/api/at?lon=-181&lat=33", 400)]
#[case("/api/at?lon=130&lat=33&hazard=foo", 400)]
#[tokio::test]
async fn bad_input_gets_a_json_4xx_never_a_500(#[case] uri: &str, #[case] status: u16) {
    let app = synthetic::app();
    let res = app.get(uri).await;
    assert_eq!(res.status, status, "{uri}: {}", res.text());
    let body = res.json();
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn a_malformed_filter_is_a_400_naming_the_position() {
    let app = synthetic::app();
    let res = app
        .get(&format!(
            "/api/nearest?layer=points&lon=130&lat=33&filter={}",
            enc("n = = 1")
        ))
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"], "invalid_filter");
}

#[tokio::test]
async fn at_the_real_shrine_returns_its_zone_and_the_shelter_at_distance_zero() {
    let app = TestApp::sample();
    let res = app
        .get(&format!("/api/at?lon={}&lat={}", SHRINE.0, SHRINE.1))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    let zoning = body["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "zoning")
        .unwrap();
    assert_eq!(zoning["features"].as_array().unwrap().len(), 1, "{zoning}");
    assert!(zoning["features"][0]["properties"]["用途地域"].is_string());
    let shelters = body["nearest_shelters"].as_array().unwrap();
    assert_eq!(shelters.len(), 3);
    assert_eq!(shelters[0]["properties"]["名称"], "祐徳稲荷神社参集殿");
    assert_eq!(shelters[0]["distance_m"], 0.0);
    assert!(shelters[1]["distance_m"].as_f64().unwrap() > 0.0);
}
