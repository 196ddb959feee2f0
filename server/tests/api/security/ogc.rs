//! OGC API – Features for every role: collections, queryables, items (bbox, filter, paging),
//! single items, errors naming hidden attributes, and the OpenAPI document.

use std::collections::BTreeSet;

use serde_json::Value;

use super::client::{Crawl, assert_caching, assert_same_404, assert_subset, local};
use super::expect::{Role, attributes, hidden, hidden_attributes, never_named, title, visible};
use crate::helpers::enc;

/// The town centre (鹿島駅 to the city office).
const CENTRE: &str = "130.08,33.09,130.12,33.11";

/// A filter on a public attribute of each layer that matches some but not all features.
fn public_filter(layer: &str) -> &'static str {
    match layer {
        "shelters" => "種別 = '指定避難所'",
        "zoning" => "容積率 >= 200",
        "roads" => "種別 = '市道'",
        "heritage" => "時代 LIKE '%弥生%'",
        "pipes" => "口径 >= 150",
        "chiban" => "地目 = '宅地'",
        "flood" => "浸水深ランク >= 2",
        "dosha" => "区域区分 = '土砂災害特別警戒区域'",
        "landmarks" => "種別 = '駅'",
        _ => panic!("{layer}"),
    }
}

/// The words of a text: runs of letters and digits (kana and kanji included), so `用途` is
/// not found inside `用途地域`.
pub fn words(text: &str) -> BTreeSet<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Checks a FeatureCollection page against the table; returns its ids and `numberMatched`.
fn check_page(role: Role, layer: &str, doc: &Value, what: &str) -> (Vec<u64>, u64) {
    let allowed = attributes(role, layer).unwrap();
    let features = doc["features"].as_array().unwrap();
    let mut ids = Vec::new();
    for f in features {
        let props = f["properties"].as_object().unwrap();
        assert_subset(props.keys().map(String::as_str), allowed, &what);
        ids.push(f["id"].as_u64().unwrap());
    }
    assert_eq!(doc["numberReturned"].as_u64().unwrap(), ids.len() as u64);
    (ids, doc["numberMatched"].as_u64().unwrap())
}

/// GETs an items page as `role` and as an admin: the same ids and the same count.
async fn items_as_admin_sees(crawl: &Crawl, role: Role, layer: &str, query: &str) -> u64 {
    let uri = format!("/ogc/collections/{layer}/items?{query}");
    let res = crawl.get(role, &uri).await;
    assert_eq!(res.status, 200, "{role:?} {uri}: {}", res.text());
    assert_caching(&res, role, &[layer], &uri);
    let (ids, matched) = check_page(role, layer, &res.json(), &uri);
    let admin = crawl.admin_json(&uri).await;
    let (want, want_matched) = check_page(Role::Admin, layer, &admin, &uri);
    assert_eq!((ids, matched), (want, want_matched), "{role:?} {uri}");
    matched
}

/// Follows `next` links from the first page of `query`: `numberMatched` is the same on
/// every page (and what an admin sees), and the pages hold exactly that many features.
async fn page_through(crawl: &Crawl, role: Role, layer: &str, query: &str, total: u64) {
    let limit = total.min(300) / 3 + 1;
    let mut next = Some(format!(
        "/ogc/collections/{layer}/items?{query}&limit={limit}"
    ));
    let mut all = BTreeSet::new();
    let mut pages = 0;
    while let Some(uri) = next.take() {
        let doc = crawl.json(role, &uri).await;
        let (ids, matched) = check_page(role, layer, &doc, &uri);
        assert_eq!(
            matched, total,
            "{role:?} {uri}: numberMatched changes across pages"
        );
        all.extend(ids);
        pages += 1;
        next = doc["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| local(l["href"].as_str().unwrap()).to_owned());
        if pages == 3 {
            break;
        }
    }
    let expected = total.min(3 * limit);
    assert_eq!(
        all.len() as u64,
        expected,
        "{role:?} {layer} {query}: distinct features over {pages} pages"
    );
}

/// Single items: a visible one shows only allowed attributes.
async fn single_items(crawl: &Crawl, role: Role, layer: &str) {
    let page = crawl
        .json(role, &format!("/ogc/collections/{layer}/items?limit=5"))
        .await;
    for f in page["features"].as_array().unwrap() {
        let uri = format!("/ogc/collections/{layer}/items/{}", f["id"]);
        let res = crawl.get(role, &uri).await;
        assert_eq!(res.status, 200, "{uri}");
        assert_caching(&res, role, &[layer], &uri);
        let doc = res.json();
        let props = doc["properties"].as_object().unwrap();
        assert_subset(
            props.keys().map(String::as_str),
            attributes(role, layer).unwrap(),
            &uri,
        );
    }
}

#[tokio::test]
async fn ogc_items_show_only_the_roles_attributes_and_honest_counts() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        items_of(&crawl, role).await;
    }
}

async fn items_of(crawl: &Crawl, role: Role) {
    for layer in visible(role) {
        let uri = format!("/ogc/collections/{layer}/queryables");
        let res = crawl.get(role, &uri).await;
        assert_caching(&res, role, &[layer], &uri);
        let q = res.json();
        let mut props: BTreeSet<&str> = q["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        props.remove("geometry");
        let want: BTreeSet<&str> = attributes(role, layer).unwrap().iter().copied().collect();
        assert_eq!(props, want, "{role:?} {uri}");

        let all = items_as_admin_sees(crawl, role, layer, "limit=1").await;
        let centre = format!("bbox={CENTRE}");
        let in_bbox = items_as_admin_sees(crawl, role, layer, &format!("{centre}&limit=50")).await;
        assert!(
            in_bbox > 0 && in_bbox < all,
            "{layer}: {in_bbox} of {all} in the centre"
        );
        let filter = format!("filter={}", enc(public_filter(layer)));
        let filtered = items_as_admin_sees(crawl, role, layer, &format!("{filter}&limit=50")).await;
        assert!(
            filtered > 0 && filtered < all,
            "{layer}: the filter matched {filtered} of {all}"
        );
        page_through(crawl, role, layer, &centre, in_bbox).await;
        page_through(crawl, role, layer, &filter, filtered).await;
        single_items(crawl, role, layer).await;
    }
}

#[tokio::test]
async fn ogc_documents_name_only_the_roles_collections() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        documents_of(&crawl, role).await;
    }
}

async fn documents_of(crawl: &Crawl, role: Role) {
    let layers = visible(role);
    let res = crawl.get(role, "/ogc/collections").await;
    assert_caching(&res, role, &layers, "/ogc/collections");
    let doc = res.json();
    let mut ids: Vec<&str> = doc["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = layers.clone();
    want.sort_unstable();
    assert_eq!(ids, want, "{role:?}");
    for layer in &layers {
        let uri = format!("/ogc/collections/{layer}");
        let res = crawl.get(role, &uri).await;
        assert_eq!(res.status, 200, "{uri}");
        assert_caching(&res, role, &[layer], &uri);
    }
    for uri in ["/ogc/api", "/ogc/api?f=html", "/ogc/collections"] {
        let res = crawl.get(role, uri).await;
        assert_eq!(res.status, 200, "{uri}");
        assert_caching(&res, role, &layers, uri);
        let text = res.text();
        for layer in hidden(role) {
            for needle in [
                format!("\"{layer}\""),
                format!("/{layer}"),
                title(layer).to_owned(),
            ] {
                assert!(!text.contains(&needle), "{role:?} {uri} names `{needle}`");
            }
        }
        if uri.starts_with("/ogc/api") {
            let words = words(&text);
            for name in never_named(role) {
                assert!(
                    !words.contains(name),
                    "{role:?} {uri} names the hidden attribute `{name}`"
                );
            }
            // The check can see a name: the JSON document names every queryable.
            for name in (uri == "/ogc/api")
                .then_some(&layers)
                .into_iter()
                .flatten()
                .flat_map(|l| attributes(role, l).unwrap())
            {
                assert!(
                    words.contains(name),
                    "{role:?} {uri} does not name `{name}`"
                );
            }
        }
    }
}

#[tokio::test]
async fn hidden_collections_give_the_missing_collections_404() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        hidden_collections_of(&crawl, role).await;
    }
}

async fn hidden_collections_of(crawl: &Crawl, role: Role) {
    for layer in hidden(role) {
        for tail in [
            "",
            "/queryables",
            "/items",
            "/items?limit=1&bbox=130,33,130.2,33.2",
            "/items/1",
            "/items/999999",
        ] {
            let h = crawl
                .get(role, &format!("/ogc/collections/{layer}{tail}"))
                .await;
            let m = crawl
                .get(role, &format!("/ogc/collections/nosuch{tail}"))
                .await;
            assert_same_404(
                (&h, layer),
                (&m, "nosuch"),
                &format!("{role:?} {layer}{tail}"),
            );
        }
    }
}

/// The requests that name an attribute, with `{}` for the name.
const NAMING: [&str; 5] = [
    "filter={} = 1",
    "filter={} IS NULL",
    "sortby={}",
    "properties={}",
    "{}=1",
];

#[tokio::test]
async fn naming_a_hidden_attribute_is_the_error_of_a_missing_one() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        hidden_attribute_errors_of(&crawl, role).await;
    }
}

async fn hidden_attribute_errors_of(crawl: &Crawl, role: Role) {
    let missing = "存在しない属性";
    let mut checked = 0;
    for layer in visible(role) {
        for name in hidden_attributes(role, layer) {
            for template in NAMING {
                let query = |n: &str| {
                    let (k, v) = template
                        .replace("{}", n)
                        .split_once('=')
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .unwrap();
                    format!("/ogc/collections/{layer}/items?{}={}", enc(&k), enc(&v))
                };
                let h = crawl.get(role, &query(name)).await;
                let m = crawl.get(role, &query(missing)).await;
                let what = format!("{role:?} {layer} {template} with {name}");
                assert_eq!(h.status, 400, "{what}: {}", h.text());
                assert_eq!(h.text().replace(name, missing), m.text(), "{what}");
                checked += 1;
            }
        }
    }
    let expected_hidden: usize = visible(role)
        .iter()
        .map(|l| hidden_attributes(role, l).len())
        .sum();
    assert_eq!(checked, expected_hidden * NAMING.len());
}
