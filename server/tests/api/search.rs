//! `/api/search`: normalisation, ranking, the policy, bad input.

use rstest::rstest;
use serde_json::Value as Json;

use crate::helpers::{TestApp, enc};
use crate::synthetic;

async fn search(app: &TestApp, q: &str) -> Json {
    let res = app.get(&format!("/api/search?q={}", enc(q))).await;
    assert_eq!(res.status, 200, "{q}: {}", res.text());
    res.json()
}

fn names(body: &Json) -> Vec<String> {
    body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["label"].as_str().unwrap().to_owned())
        .collect()
}

#[rstest]
#[case("霞ヶ関公民館", "霞ヶ関公民館", "exact")]
#[case("霞が関公民館", "霞ヶ関公民館", "exact")]
#[case("霞ケ関", "霞ヶ関公民館", "prefix")]
#[case("霞ガ関", "霞ヶ関公民館", "prefix")]
#[case("霞ヵ関", "霞ヶ関公民館", "prefix")]
#[case("1丁目1248-2", "霞ヶ関公民館", "substring")]
#[case("一丁目1248−2", "霞ヶ関公民館", "substring")]
#[case("１丁目１２４８－２", "霞ヶ関公民館", "substring")]
#[case("一ノ瀬", "一之瀬集会所", "prefix")]
#[case("一の瀬集会所", "一之瀬集会所", "exact")]
#[case("高津原23番地", "一之瀬集会所", "substring")]
#[case("高津原 二十三番地", "一之瀬集会所", "substring")]
#[case("kashima", "ＫＡＳＨＩＭＡセンター", "prefix")]
#[case("ｋａｓｈｉｍａ　センタ－", "ＫＡＳＨＩＭＡセンター", "exact")]
#[case("乙1855", "ＫＡＳＨＩＭＡセンター", "substring")]
#[tokio::test]
async fn spelling_variants_find_the_same_feature(
    #[case] q: &str,
    #[case] label: &str,
    #[case] rank: &str,
) {
    let app = synthetic::app();
    let body = search(&app, q).await;
    let first = &body["features"][0];
    assert_eq!(first["label"], label, "{q}: {body}");
    assert_eq!(first["matched"]["rank"], rank, "{q}: {body}");
    assert_eq!(first["layer"], "shelters");
    assert_eq!(first["type"], "Feature");
    assert!(first["geometry"]["coordinates"].is_array());
}

#[tokio::test]
async fn exact_first_then_shelters_by_rank_then_the_other_layers() {
    let app = synthetic::app();
    let body = search(&app, "鹿島").await;
    let features = body["features"].as_array().unwrap();
    let ranks: Vec<&str> = features
        .iter()
        .map(|f| f["matched"]["rank"].as_str().unwrap())
        .collect();
    assert_eq!(&ranks[..3], ["exact", "prefix", "substring"], "{body}");
    assert_eq!(
        names(&body)[..3],
        ["鹿島", "鹿島市民会館", "祐徳稲荷神社参集殿"]
    );
    // Shelters (whose addresses all hold 鹿島) before the substring match in roads.
    let layers: Vec<&str> = features
        .iter()
        .map(|f| f["layer"].as_str().unwrap())
        .collect();
    let first_road = layers.iter().position(|l| *l == "roads");
    assert!(
        first_road.is_none_or(|i| layers[i..].iter().all(|l| *l == "roads")),
        "{layers:?}"
    );
    assert_eq!(features.len(), 20, "default limit");
    assert!(body["numberMatched"].as_u64().unwrap() > 20);
    let mut seen = std::collections::HashSet::new();
    assert!(
        features
            .iter()
            .all(|f| seen.insert((f["layer"].to_string(), f["id"].to_string()))),
        "each feature once"
    );
}

#[tokio::test]
async fn limit_caps_the_results() {
    let app = synthetic::app();
    let res = app
        .get(&format!("/api/search?q={}&limit=5", enc("避難所")))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["features"].as_array().unwrap().len(), 5);
}

#[rstest]
#[case("秘密メモ")]
#[case("非公開")]
#[case("配水管")]
#[tokio::test]
async fn hidden_attributes_rows_and_layers_are_never_searched(#[case] q: &str) {
    let app = synthetic::app();
    let body = search(&app, q).await;
    assert_eq!(body["features"], serde_json::json!([]), "{body}");
}

#[tokio::test]
async fn results_show_only_visible_attributes() {
    let app = synthetic::app();
    let text = app
        .get(&format!("/api/search?q={}", enc("避難所")))
        .await
        .text();
    assert!(
        !text.contains("\"備考\"") && !text.contains("\"公開\""),
        "{text}"
    );
}

#[rstest]
#[case("/api/search", 400)]
#[case("/api/search?q=", 400)]
#[case("/api/search?q=%20%E3%80%80", 400)]
#[case("/api/search?q=a&limit=0", 400)]
#[case("/api/search?q=a&limit=101", 400)]
#[case("/api/search?q=a&limit=x", 400)]
#[tokio::test]
async fn bad_queries_get_a_400(#[case] uri: &str, #[case] status: u16) {
    let app = synthetic::app();
    let res = app.get(uri).await;
    assert_eq!(res.status, status, "{}", res.text());
    assert_eq!(res.json()["error"], "invalid_parameter");
}

#[tokio::test]
async fn a_query_over_200_characters_is_refused() {
    let app = synthetic::app();
    let res = app
        .get(&format!("/api/search?q={}", enc(&"鹿".repeat(201))))
        .await;
    assert_eq!(res.status, 400, "{}", res.text());
    let ok = app
        .get(&format!("/api/search?q={}", enc(&"鹿".repeat(200))))
        .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn the_real_shrine_is_found_by_name() {
    let app = TestApp::sample();
    let body = search(&app, "祐徳稲荷").await;
    let first = &body["features"][0];
    assert_eq!(first["layer"], "shelters");
    assert_eq!(first["label"], "祐徳稲荷神社参集殿");
    assert_eq!(first["matched"]["attribute"], "名称");
}
