//! Bad input to the OGC API gives a 400, 404 or 414 with the JSON error body: never a 500.

use rstest::rstest;

use super::fixture;
use crate::helpers::enc;

#[rstest]
#[case::bbox_three_numbers("bbox=130,33,131", "bbox")]
#[case::bbox_five_numbers("bbox=130,33,131,34,5", "bbox")]
#[case::bbox_six_numbers("bbox=130,33,0,131,34,10", "bbox")]
#[case::bbox_lat_out_of_range("bbox=130,-181,131,34", "bbox")]
#[case::bbox_lon_out_of_range("bbox=130,33,181,34", "bbox")]
#[case::bbox_text("bbox=a,b,c,d", "bbox")]
#[case::bbox_nan("bbox=NaN,33,131,34", "bbox")]
#[case::bbox_crs("bbox=130,33,131,34&bbox-crs=EPSG:4326", "bbox-crs")]
#[case::limit_text("limit=ten", "limit")]
#[case::limit_negative("limit=-5", "limit")]
#[case::limit_zero("limit=0", "limit")]
#[case::limit_fraction("limit=1.5", "limit")]
#[case::offset_text("offset=x", "offset")]
#[case::offset_negative("offset=-1", "offset")]
#[case::filter_lang("filter=a&filter-lang=cql2-json", "filter-lang")]
#[case::format_html("f=html", "f")]
#[case::format_other("f=xml", "f")]
#[case::unknown_parameter("colour=red", "colour")]
#[case::repeated("limit=1&limit=2", "limit")]
#[case::sortby_empty_key("sortby=,", "sortby")]
#[case::datetime_words("datetime=yesterday", "datetime")]
#[case::datetime_both_open("datetime=../..", "datetime")]
#[case::datetime_no_zone("datetime=2024-04-01T09:00:00", "datetime")]
#[case::datetime_bad_end("datetime=2024-04-01/soon", "datetime")]
#[case::datetime_no_such_day("datetime=2023-02-29", "datetime")]
#[case::unknown_sortby("sortby=nosuch", "sortby")]
#[case::unknown_property("properties=nosuch", "properties")]
#[case::properties_only_a_comma("properties=,", "properties")]
#[case::properties_empty_name("properties=a,,b", "properties")]
#[tokio::test]
async fn bad_items_parameters_give_400_naming_the_parameter(
    #[case] query: &str,
    #[case] parameter: &str,
) {
    let app = fixture::app();
    let res = app
        .get(&format!("/ogc/collections/pts/items?{query}"))
        .await;
    assert_eq!(res.status, 400, "{query}: {}", res.text());
    let body = res.json();
    assert_eq!(body["error"], "invalid_parameter", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("`{parameter}`")),
        "{query}: {body}"
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    // The Japanese message is Japanese throughout: the English reason is not pasted in.
    let ja = body["message_ja"].as_str().unwrap();
    let english = body["message"].as_str().unwrap();
    let reason = english.split_once("`: ").map_or(english, |(_, r)| r);
    assert!(!ja.contains(reason), "{query}: {ja}");
    assert!(
        ja.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
        "{query}: {ja}"
    );
}

#[rstest]
#[case::unknown_collection("/ogc/collections/nosuch")]
#[case::unknown_collection_items("/ogc/collections/nosuch/items")]
#[case::unknown_feature("/ogc/collections/pts/items/999999")]
#[case::zero_feature("/ogc/collections/pts/items/0")]
#[case::text_feature("/ogc/collections/pts/items/abc")]
#[case::negative_feature("/ogc/collections/pts/items/-1")]
#[case::huge_feature("/ogc/collections/pts/items/99999999999999999999999")]
#[case::traversal("/ogc/collections/..%2F..%2Fetc%2Fpasswd/items")]
#[case::traversal_dots("/ogc/collections/../items")]
#[case::encoded_dots("/ogc/collections/%2E%2E/items")]
#[case::uppercase("/ogc/collections/PTS")]
#[case::trailing_slash("/ogc/collections/pts/")]
#[tokio::test]
async fn unknown_collections_and_features_give_404(#[case] path: &str) {
    let app = fixture::app();
    let res = app.get(path).await;
    assert_eq!(res.status, 404, "{path}: {}", res.text());
    assert_eq!(res.json()["error"], "not_found");
}

#[tokio::test]
async fn features_with_the_same_404_whatever_the_id() {
    let app = fixture::app();
    let a = app.get("/ogc/collections/pts/items/999999").await;
    let b = app.get("/ogc/collections/pts/items/abc").await;
    assert_eq!(a.body, b.body);
}

#[tokio::test]
async fn very_long_query_strings_give_414() {
    let app = fixture::app();
    let long = "a".repeat(10_000);
    let res = app
        .get(&format!("/ogc/collections/pts/items?filter={long}"))
        .await;
    assert_eq!(res.status, 414);
    assert_eq!(res.json()["error"], "query_too_long");
}

#[rstest]
#[case::non_utf8("/ogc/collections/pts/items?%FF%FE=1")]
#[case::non_utf8_value("/ogc/collections/pts/items?sortby=%FF")]
#[case::deep_offset("/ogc/collections/pts/items?offset=100000000")]
#[case::weird_bbox("/ogc/collections/pts/items?bbox=1e400,0,1,1")]
#[tokio::test]
async fn odd_input_never_gives_a_server_error(#[case] path: &str) {
    let app = fixture::app();
    let res = app.get(path).await;
    assert!(
        res.status.is_success() || res.status.is_client_error(),
        "{path}: {}",
        res.status
    );
}

#[rstest]
#[case::unclosed_string("名称 = 'abc", 5)]
#[case::dangling_and("名称 = 'a' AND", 13)]
#[case::bad_operator("名称 === 'a'", 5)]
#[tokio::test]
async fn malformed_cql2_gives_400_with_the_position(#[case] filter: &str, #[case] near: usize) {
    let app = fixture::app();
    let res = app
        .get(&format!(
            "/ogc/collections/pts/items?filter={}",
            enc(filter)
        ))
        .await;
    assert_eq!(res.status, 400, "{filter}");
    let body = res.json();
    assert_eq!(body["error"], "invalid_filter");
    let position = body["details"][0]["position"].as_u64().unwrap() as usize;
    assert!(position.abs_diff(near) <= 3, "{filter}: {body}");
}
