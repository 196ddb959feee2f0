//! `/api/at`, `/api/nearest`, `/api/search` and the exports for every role: only the role's
//! layers and attributes, and exactly the features an admin gets for those layers.

use serde_json::Value;

use super::client::{Crawl, assert_caching, assert_same_404, assert_subset};
use super::expect::{LAYERS, Role, attributes, hidden, hidden_attributes, visible};
use super::sweep::{Output, sweeps};
use crate::helpers::{TestResponse, enc};

/// The first coordinate of a GeoJSON geometry.
fn first_position(geometry: &Value) -> (f64, f64) {
    let mut c = &geometry["coordinates"];
    while c[0].is_array() {
        c = &c[0];
    }
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

/// Points on the data: a vertex of the first features of every layer (pipes included, so
/// roles that may not see pipes are asked exactly where pipes are).
async fn probe_points(crawl: &Crawl) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for layer in LAYERS {
        let uri = format!("/ogc/collections/{layer}/items?limit=2");
        for f in crawl.admin_json(&uri).await["features"].as_array().unwrap() {
            out.push(first_position(&f["geometry"]));
        }
    }
    out
}

/// (layer, id) of features, checking each one's properties against the table.
fn checked(role: Role, layer: Option<&str>, features: &Value, what: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for f in features.as_array().unwrap() {
        let layer = layer.map_or_else(|| f["layer"].as_str().unwrap().to_owned(), str::to_owned);
        let allowed =
            attributes(role, &layer).unwrap_or_else(|| panic!("{what}: hidden `{layer}`"));
        let keys = f["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str);
        assert_subset(keys, allowed, &format_args!("{what} {layer}"));
        if let Some(name) = f["matched"]["attribute"].as_str() {
            assert!(
                allowed.contains(&name),
                "{what}: matched on hidden `{name}`"
            );
        }
        out.push((layer, f["id"].as_u64().unwrap()));
    }
    out
}

/// `/api/at` at one point: the role's layers only, each with an admin's features.
async fn at(crawl: &Crawl, role: Role, (lon, lat): (f64, f64)) {
    let uri = format!("/api/at?lon={lon}&lat={lat}");
    let res = crawl.get(role, &uri).await;
    assert_eq!(res.status, 200, "{role:?} {uri}: {}", res.text());
    let layers = visible(role);
    assert_caching(&res, role, &layers, &uri);
    let admin = crawl.admin_json(&uri).await;
    let body = res.json();
    let got: Vec<&Value> = body["layers"].as_array().unwrap().iter().collect();
    let mut ids: Vec<&str> = got.iter().map(|l| l["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut want_ids = layers.clone();
    want_ids.sort_unstable();
    assert_eq!(ids, want_ids, "{role:?} {uri}");
    for l in got {
        let id = l["id"].as_str().unwrap();
        let mine = checked(role, Some(id), &l["features"], &uri);
        let theirs = admin["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap();
        assert_eq!(
            mine,
            checked(Role::Admin, Some(id), &theirs["features"], &uri),
            "{role:?} {uri}"
        );
    }
    let shelters = checked(role, Some("shelters"), &body["nearest_shelters"], &uri);
    assert_eq!(shelters.len(), 3, "{uri}");
}

/// `/api/nearest` for each visible layer; hidden layers are the 404 of a missing one, and a
/// filter on a hidden attribute is the error of a missing attribute.
async fn nearest(crawl: &Crawl, role: Role, (lon, lat): (f64, f64)) {
    for layer in visible(role) {
        let uri = format!("/api/nearest?layer={layer}&lon={lon}&lat={lat}&k=10");
        let res = crawl.get(role, &uri).await;
        assert_eq!(res.status, 200, "{role:?} {uri}: {}", res.text());
        assert_caching(&res, role, &[layer], &uri);
        let features = &res.json()["features"];
        assert!(
            features
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["distance_m"].is_number())
        );
        let admin = crawl.admin_json(&uri).await;
        assert_eq!(
            checked(role, Some(layer), features, &uri),
            checked(Role::Admin, Some(layer), &admin["features"], &uri)
        );
        for name in hidden_attributes(role, layer) {
            let ask = |n: &str| format!("{uri}&filter={}", enc(&format!("{n} IS NULL")));
            let h = crawl.get(role, &ask(name)).await;
            let m = crawl.get(role, &ask("存在しない属性")).await;
            assert_eq!(h.status, 400, "{role:?} {layer} filter on {name}");
            assert_eq!(
                h.text().replace(name, "存在しない属性"),
                m.text(),
                "{role:?} {layer} {name}"
            );
        }
    }
    for layer in hidden(role) {
        let h = crawl
            .get(
                role,
                &format!("/api/nearest?layer={layer}&lon={lon}&lat={lat}"),
            )
            .await;
        let m = crawl
            .get(
                role,
                &format!("/api/nearest?layer=nosuch&lon={lon}&lat={lat}"),
            )
            .await;
        assert_same_404(
            (&h, layer),
            (&m, "nosuch"),
            &format!("{role:?} nearest {layer}"),
        );
    }
}

#[tokio::test]
async fn at_and_nearest_answer_only_with_the_roles_layers_and_attributes() {
    let crawl = Crawl::new().await;
    let points = probe_points(&crawl).await;
    for role in Role::ALL {
        for &p in &points {
            at(&crawl, role, p).await;
            nearest(&crawl, role, p).await;
        }
    }
}

/// Searches: names and numbers that match public attributes, and values of hidden ones
/// (a ledger number, a survey result, a pipe number, a paving type) that must match nothing
/// for a role that may not see them.
const QUERIES: [&str; 8] = [
    "鹿島",
    "207",
    "祐徳",
    "遺跡",
    "KR-00001",
    "確認調査",
    "W00001",
    "アスファルト",
];

#[tokio::test]
async fn search_finds_only_what_the_role_may_see() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        for q in QUERIES {
            let uri = format!("/api/search?q={}&limit=100", enc(q));
            let res = crawl.get(role, &uri).await;
            assert_eq!(res.status, 200, "{role:?} {uri}: {}", res.text());
            let layers = visible(role);
            assert_caching(&res, role, &layers, &uri);
            let mine = checked(role, None, &res.json()["features"], &uri);
            let admin = crawl.admin_json(&uri).await;
            let mut theirs = checked(Role::Admin, None, &admin["features"], &uri);
            theirs.retain(|(l, _)| layers.contains(&l.as_str()));
            assert_eq!(mine, theirs, "{role:?} {uri}");
        }
    }
}

/// The attribute columns of a CSV export's header (without id and geometry columns).
fn csv_columns(text: &str) -> Vec<String> {
    let header = text
        .trim_start_matches('\u{FEFF}')
        .split("\r\n")
        .next()
        .unwrap();
    header
        .split(',')
        .filter(|c| !matches!(*c, "id" | "lon" | "lat" | "WKT"))
        .map(str::to_owned)
        .collect()
}

/// One output of the shared sweep (every export of every visible layer is in it).
fn swept<'a>(outputs: &'a [Output], uri: &str) -> &'a TestResponse {
    &outputs
        .iter()
        .find(|o| o.uri == uri)
        .unwrap_or_else(|| panic!("{uri} not swept"))
        .res
}

/// Every export of one layer as `role`: only allowed attributes, an admin's features.
fn exports_of(role: Role, layer: &str, mine: &[Output], admin: &[Output]) {
    let allowed = attributes(role, layer).unwrap();
    let base = format!("/api/layers/{layer}/export");
    let geojson = swept(mine, &format!("{base}.geojson"));
    assert_eq!(geojson.status, 200, "{role:?} {base}.geojson");
    assert_caching(geojson, role, &[layer], &base);
    let reference = swept(admin, &format!("{base}.geojson")).json();
    let ids = checked(role, Some(layer), &geojson.json()["features"], &base);
    let want = checked(Role::Admin, Some(layer), &reference["features"], &base);
    assert_eq!(ids, want, "{role:?} {base}.geojson");
    let csv = swept(mine, &format!("{base}.csv"));
    assert_eq!(csv.status, 200, "{role:?} {base}.csv");
    assert_caching(csv, role, &[layer], &base);
    let columns = csv_columns(&csv.text());
    let what = format!("{role:?} {base}.csv");
    assert_subset(columns.iter().map(String::as_str), allowed, &what);
    let fgb = swept(mine, &format!("{base}.fgb"));
    assert_eq!(fgb.status, 200, "{role:?} {base}.fgb");
    assert_caching(fgb, role, &[layer], &base);
    let (schema, features) = kashimap::fgb::read(fgb.body.as_slice()).unwrap();
    let names = schema.fields().iter().map(|f| f.name.as_str());
    assert_subset(names, allowed, &format_args!("{role:?} {base}.fgb"));
    assert_eq!(features.len(), ids.len(), "{role:?} {base}.fgb");
}

#[tokio::test]
async fn exports_hold_only_the_roles_attributes_and_hidden_layers_do_not_export() {
    let sweeps = sweeps();
    let admin = &sweeps.iter().find(|(r, _)| *r == Role::Admin).unwrap().1;
    for (role, mine) in sweeps {
        for layer in visible(*role) {
            exports_of(*role, layer, mine, admin);
        }
    }
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        for layer in hidden(role) {
            for ext in ["geojson", "csv", "fgb"] {
                let h = crawl
                    .get(role, &format!("/api/layers/{layer}/export.{ext}"))
                    .await;
                let m = crawl
                    .get(role, &format!("/api/layers/nosuch/export.{ext}"))
                    .await;
                assert_same_404(
                    (&h, layer),
                    (&m, "nosuch"),
                    &format!("{role:?} export {layer}.{ext}"),
                );
            }
        }
    }
}
