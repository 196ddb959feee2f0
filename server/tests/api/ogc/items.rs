//! `/items`: counts, paging links, bbox, attribute equality, sorting, Japanese names and
//! what the public may never see.

use std::collections::BTreeSet;

use serde_json::Value;

use super::fixture::{self, PTS, pts_capacity, pts_kind, pts_xy};
use crate::helpers::{TestApp, enc};

fn ids(doc: &Value) -> Vec<u64> {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect()
}

fn link(doc: &Value, rel: &str) -> Option<String> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == rel)
        .map(|l| {
            let h = l["href"].as_str().unwrap();
            h.strip_prefix("http://localhost:8080").unwrap().to_owned()
        })
}

/// Follows `next` links from `start`, checking `numberMatched` on every page; returns all
/// ids in order and the number of pages.
async fn walk(app: &TestApp, start: &str, matched: usize) -> (Vec<u64>, usize) {
    let mut all = Vec::new();
    let mut pages = 0;
    let mut url = Some(start.to_owned());
    while let Some(u) = url {
        let res = app.get(&u).await;
        assert_eq!(res.status, 200, "{u}: {}", res.text());
        let doc = res.json();
        assert_eq!(doc["numberMatched"], matched, "{u}");
        assert_eq!(
            doc["numberReturned"],
            doc["features"].as_array().unwrap().len()
        );
        if pages > 0 {
            assert!(link(&doc, "prev").is_some(), "{u} has no prev link");
        }
        all.extend(ids(&doc));
        pages += 1;
        url = link(&doc, "next");
        assert!(pages < 100, "paging does not end");
    }
    (all, pages)
}

#[tokio::test]
async fn items_are_geojson_with_counts_and_default_limit_10() {
    let app = fixture::app();
    let res = app.get("/ogc/collections/pts/items").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/geo+json"));
    let doc = res.json();
    assert_eq!(doc["type"], "FeatureCollection");
    assert_eq!(doc["numberMatched"], PTS);
    assert_eq!(doc["numberReturned"], 10);
    assert_eq!(ids(&doc), (1..=10).collect::<Vec<u64>>());
    assert!(doc["timeStamp"].as_str().unwrap().ends_with('Z'));
    assert!(link(&doc, "self").is_some() && link(&doc, "collection").is_some());
    assert!(link(&doc, "prev").is_none());
    assert_eq!(
        link(&doc, "next").unwrap(),
        "/ogc/collections/pts/items?offset=10"
    );
}

#[tokio::test]
async fn paging_with_bbox_and_attribute_visits_every_match_once() {
    let app = fixture::app();
    // Columns 2..=6 and rows 1..=6 of the grid, of the kind 指定避難所.
    let bbox = "130.015,33.005,130.065,33.065";
    let expected: Vec<u64> = (1..=PTS)
        .filter(|&i| {
            let (x, y) = pts_xy(i);
            (130.015..=130.065).contains(&x)
                && (33.005..=33.065).contains(&y)
                && pts_kind(i) == "指定避難所"
        })
        .map(|i| i as u64)
        .collect();
    assert!(expected.len() > 7, "the case needs several pages");
    let start = format!(
        "/ogc/collections/pts/items?bbox={bbox}&{}={}&limit=3",
        enc("種別"),
        enc("指定避難所")
    );
    let (got, pages) = walk(&app, &start, expected.len()).await;
    assert_eq!(got, expected);
    assert_eq!(pages, expected.len().div_ceil(3));
}

#[tokio::test]
async fn sortby_descending_with_japanese_names_breaks_ties_by_id() {
    let app = fixture::app();
    let mut expected: Vec<usize> = (1..=PTS).collect();
    expected.sort_by(|&a, &b| pts_capacity(b).cmp(&pts_capacity(a)).then(a.cmp(&b)));
    let expected: Vec<u64> = expected.into_iter().map(|i| i as u64).collect();
    let start = format!(
        "/ogc/collections/pts/items?sortby=-{}&limit=50",
        enc("収容人数")
    );
    let (got, _) = walk(&app, &start, PTS).await;
    assert_eq!(got, expected);
}

#[tokio::test]
async fn properties_selects_japanese_attributes() {
    let app = fixture::app();
    let url = format!(
        "/ogc/collections/pts/items?properties={}&limit=2",
        enc("名称")
    );
    let doc = app.get(&url).await.json();
    for f in doc["features"].as_array().unwrap() {
        let keys: Vec<&String> = f["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["名称"]);
    }
}

#[tokio::test]
async fn attribute_equality_is_typed() {
    let app = fixture::app();
    let url = format!("/ogc/collections/pts/items?{}=0&limit=100", enc("収容人数"));
    let doc = app.get(&url).await.json();
    let expected = (1..=PTS).filter(|&i| pts_capacity(i) == 0).count();
    assert_eq!(doc["numberMatched"], expected);
    let bad = app
        .get(&format!(
            "/ogc/collections/pts/items?{}=many",
            enc("収容人数")
        ))
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn bbox_keeps_polygons_that_intersect_not_those_whose_envelope_does() {
    let app = fixture::app();
    // Inside the L's envelope, but in its empty top-left part.
    let miss = app
        .get("/ogc/collections/zones/items?bbox=130.12,33.15,130.15,33.18")
        .await;
    assert_eq!(miss.json()["numberMatched"], 0);
    let hit = app
        .get("/ogc/collections/zones/items?bbox=130.195,33.15,130.25,33.18")
        .await;
    assert_eq!(ids(&hit.json()), vec![2]);
}

#[tokio::test]
async fn a_single_item_has_links_and_visible_properties_only() {
    let app = fixture::app();
    let res = app.get("/ogc/collections/pts/items/5").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/geo+json"));
    let doc = res.json();
    assert_eq!(doc["id"], 5);
    assert_eq!(doc["properties"]["名称"], "避難所5");
    assert!(doc["properties"].get("secret").is_none());
    assert_eq!(doc["geometry"]["type"], "Point");
}

#[tokio::test]
async fn hidden_attributes_never_appear_in_items() {
    let app = fixture::app();
    let doc = app.get("/ogc/collections/pts/items?limit=200").await.json();
    let visible: BTreeSet<&str> = ["名称", "収容人数", "種別"].into();
    for f in doc["features"].as_array().unwrap() {
        for k in f["properties"].as_object().unwrap().keys() {
            assert!(visible.contains(k.as_str()), "{k} leaks");
        }
    }
    assert!(
        !app.get("/ogc/collections/pts/items?limit=200")
            .await
            .text()
            .contains("秘密")
    );
}

/// Naming a hidden attribute must read exactly like naming a nonexistent one.
#[rstest::rstest]
#[case::properties("properties={}")]
#[case::sortby("sortby={}")]
#[case::sortby_descending("sortby=-{}")]
#[case::equality("{}=x")]
#[tokio::test]
async fn hidden_attributes_are_errors_like_missing_ones(#[case] template: &str) {
    let app = fixture::app();
    let ask = |name: &str| {
        format!(
            "/ogc/collections/pts/items?{}",
            template.replace("{}", name)
        )
    };
    let hidden = app.get(&ask("secret")).await;
    let missing = app.get(&ask("nosuch")).await;
    assert_eq!(hidden.status, 400);
    assert_eq!(
        hidden.text().replace("secret", "X"),
        missing.text().replace("nosuch", "X")
    );
}

// ---- These need the CQL2 implementation (the `cql2` branch): the stub in `query/cql2.rs`
// ---- admits everything and parses anything.

#[tokio::test]
async fn filter_with_japanese_names_and_paging() {
    let app = fixture::app();
    let filter = enc("種別 = '指定緊急避難場所' AND 収容人数 >= 200");
    let expected: Vec<u64> = (1..=PTS)
        .filter(|&i| pts_kind(i) == "指定緊急避難場所" && pts_capacity(i) >= 200)
        .map(|i| i as u64)
        .collect();
    let start = format!(
        "/ogc/collections/pts/items?filter={filter}&filter-lang=cql2-text&bbox=129,32,131,34&limit=4"
    );
    let (got, _) = walk(&app, &start, expected.len()).await;
    assert_eq!(got, expected);
}

#[tokio::test]
async fn a_filter_on_a_hidden_attribute_reads_like_a_missing_one() {
    let app = fixture::app();
    let ask = |name: &str| {
        format!(
            "/ogc/collections/pts/items?filter={}",
            enc(&format!("{name} = 'x'"))
        )
    };
    let hidden = app.get(&ask("secret")).await;
    let missing = app.get(&ask("nosuch")).await;
    assert_eq!(hidden.status, 400);
    assert_eq!(
        hidden.text().replace("secret", "X"),
        missing.text().replace("nosuch", "X")
    );
}

#[tokio::test]
async fn the_row_filter_limits_counts_items_and_single_features() {
    let app = fixture::app();
    let doc = app
        .get("/ogc/collections/rowpol/items?limit=100")
        .await
        .json();
    assert_eq!(doc["numberMatched"], fixture::ROWPOL / 2);
    assert!(ids(&doc).iter().all(|id| id % 2 == 0));
    assert_eq!(app.get("/ogc/collections/rowpol/items/2").await.status, 200);
    let hidden = app.get("/ogc/collections/rowpol/items/3").await;
    let missing = app.get("/ogc/collections/rowpol/items/999").await;
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.body, missing.body);
    // The row filter's own attribute is not a way around it.
    let url = format!("/ogc/collections/rowpol/items?{}=false", enc("公開"));
    assert_eq!(app.get(&url).await.json()["numberMatched"], 0);
}
