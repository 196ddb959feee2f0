//! `/api/search` over the sample data, as citizens type: 地番 in every common form, names by
//! their reading, landmarks, the city name and 大字 prefixes, several words; shelters first,
//! duplicates folded with their kind shown, a total and paging.

use std::sync::OnceLock;

use rstest::rstest;
use serde_json::Value as Json;

use crate::helpers::{TestApp, enc};

fn sample() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(TestApp::sample)
}

async fn search(q: &str, extra: &str) -> Json {
    let res = sample()
        .get(&format!("/api/search?q={}{extra}", enc(q)))
        .await;
    assert_eq!(res.status, 200, "{q}: {}", res.text());
    res.json()
}

fn features(body: &Json) -> &Vec<Json> {
    body["features"].as_array().unwrap()
}

fn labels(body: &Json) -> Vec<String> {
    features(body)
        .iter()
        .map(|f| f["label"].as_str().unwrap().to_owned())
        .collect()
}

#[rstest]
#[case("高津原1248-2")]
#[case("大字高津原 1248番2")]
#[case("大字高津原1248番地2")]
#[case("高津原１２４８－２")]
#[case("高津原1248の2")]
#[case("1248の2")]
#[case("1248-2")]
#[case("１２４８番２")]
#[case("鹿島市高津原1248-2")]
#[case("佐賀県鹿島市大字高津原1248番2")]
#[tokio::test]
async fn every_form_of_a_lot_number_finds_the_lot_first(#[case] q: &str) {
    let body = search(q, "").await;
    let first = &features(&body)[0];
    assert_eq!(first["layer"], "chiban", "{q}: {body}");
    assert_eq!(first["label"], "高津原1248-2", "{q}");
    assert_eq!(first["properties"]["地番"], "1248-2");
    assert_eq!(first["matched"]["rank"], "exact", "{q}");
    assert_eq!(first["kind"], "字図・地番");
}

#[tokio::test]
async fn a_main_number_lists_its_branches() {
    let body = search("高津原1248", "").await;
    let lots: Vec<String> = labels(&body).into_iter().take(3).collect();
    assert_eq!(lots, ["高津原1248-1", "高津原1248-2", "高津原1248-3"]);
}

#[tokio::test]
async fn duplicate_records_are_one_row_and_kinds_tell_the_rest_apart() {
    // The GSI data has 生涯学習センター (納富分2700-1) once as an emergency site and twice
    // as a shelter.
    let body = search("納富分2700", "").await;
    let rows: Vec<(String, String)> = features(&body)
        .iter()
        .filter(|f| f["layer"] == "shelters")
        .map(|f| {
            (
                f["label"].as_str().unwrap().to_owned(),
                f["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("生涯学習センター".to_owned(), "指定緊急避難場所".to_owned()),
            ("生涯学習センター".to_owned(), "指定避難所".to_owned()),
        ],
        "{body}"
    );
    let shelter = &features(&body)[1];
    assert_eq!(shelter["also"].as_array().unwrap().len(), 1, "{shelter}");
    // No two rows the same anywhere in a long list either.
    let body = search("体育館", "&limit=100").await;
    let mut seen = std::collections::HashSet::new();
    for f in features(&body) {
        let key = (
            f["layer"].to_string(),
            f["label"].to_string(),
            f["kind"].to_string(),
            f["geometry"].to_string(),
        );
        assert!(seen.insert(key), "twice: {f}");
    }
    assert!(
        features(&body).iter().all(|f| f["layer"] == "shelters"),
        "{body}"
    );
}

#[tokio::test]
async fn shelters_come_first_and_the_total_counts_the_rest() {
    let body = search("高津原", "").await;
    let first = &features(&body)[0];
    assert_eq!(first["layer"], "shelters", "{body}");
    let total = body["numberMatched"].as_u64().unwrap();
    assert!(total > 100, "{total}: shelters, lots and more");
    assert_eq!(body["numberReturned"], 20);
    assert_eq!(body["next"], 20);
    // The next page continues where this one stopped, without repeats.
    let next = search("高津原", "&offset=20").await;
    assert_eq!(next["offset"], 20);
    assert_eq!(next["numberMatched"], total);
    let ids = |b: &Json| -> Vec<(String, u64)> {
        features(b)
            .iter()
            .map(|f| {
                (
                    f["layer"].as_str().unwrap().to_owned(),
                    f["id"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let (a, b) = (ids(&body), ids(&next));
    assert!(a.iter().all(|x| !b.contains(x)));
    let last = search("高津原", &format!("&offset={}", total - 1)).await;
    assert_eq!(last["numberReturned"], 1);
    assert_eq!(last["next"], Json::Null);
}

#[rstest]
#[case("めいりん", "明倫小学校")]
#[case("メイリン", "明倫小学校")]
#[case("ｶﾞﾘｭｳｶﾞｵｶ", "臥竜ヶ岡体育館")]
#[case("明倫 体育館", "明倫小学校　体育館")]
#[case("体育館　明倫", "明倫小学校　体育館")]
#[case("鹿島市役所", "鹿島市役所")]
#[case("しやくしょ", "鹿島市役所")]
#[case("肥前鹿島駅", "肥前鹿島駅")]
#[case("ひぜんかしま", "肥前鹿島駅")]
#[tokio::test]
async fn readings_landmarks_and_several_words_are_found(#[case] q: &str, #[case] label: &str) {
    let body = search(q, "").await;
    assert!(labels(&body).contains(&label.to_owned()), "{q}: {body}");
    assert!(
        ["shelters", "landmarks"].contains(&features(&body)[0]["layer"].as_str().unwrap()),
        "{q}: {body}"
    );
}

#[tokio::test]
async fn the_city_name_and_oaza_prefix_are_optional() {
    let body = search("鹿島市納富分", "").await;
    let shelters: Vec<String> = features(&body)
        .iter()
        .filter(|f| f["layer"] == "shelters")
        .map(|f| f["label"].as_str().unwrap().to_owned())
        .collect();
    assert!(shelters.contains(&"明倫小学校".to_owned()), "{body}");
    assert!(
        features(&body).iter().any(|f| f["layer"] == "chiban"),
        "lots of 納富分 too"
    );
    let plain = search("大字納富分", "").await;
    assert_eq!(
        plain["numberMatched"],
        search("納富分", "").await["numberMatched"]
    );
}

#[rstest]
#[case("offset=-1")]
#[case("offset=1001")]
#[case("offset=x")]
#[tokio::test]
async fn a_bad_offset_is_a_400_naming_it(#[case] param: &str) {
    let res = sample()
        .get(&format!("/api/search?q={}&{param}", enc("高津原")))
        .await;
    assert_eq!(res.status, 400, "{param}");
    assert!(res.text().contains("offset"), "{}", res.text());
}
