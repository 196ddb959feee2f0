//! Every tile at z12–16 over the sample data, for every role, decoded: only the role's layers,
//! only its attributes, and exactly the features an admin gets for those layers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kashimap::tile::{DecodedTile, decode};

use super::client::{Crawl, assert_caching, assert_same_404, assert_subset};
use super::expect::{LAYERS, Role, attributes, hidden, never_named, visible};
use crate::helpers::TestResponse;

/// The crawl's zoom range.
const ZOOMS: std::ops::RangeInclusive<u32> = 12..=16;

/// Tile x/y of a lon/lat at zoom `z` (Web Mercator, XYZ scheme).
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1_u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let r = lat.to_radians();
    let y = (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "Kashima's tiles are small positive numbers"
    )]
    let xy = (x.floor() as u32, y.floor() as u32);
    xy
}

/// The data extent of every layer (an admin's TileJSON `bounds`).
pub async fn extent(crawl: &Crawl) -> [f64; 4] {
    let uri = format!("/tiles/{}.json", LAYERS.join(","));
    let doc = crawl.json(Role::Admin, &uri).await;
    let b: Vec<f64> = doc["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    [b[0], b[1], b[2], b[3]]
}

/// Every z/x/y at z12–16 covering the extent.
pub fn tiles_over(b: [f64; 4]) -> Vec<(u32, u32, u32)> {
    let mut out = Vec::new();
    for z in ZOOMS {
        let (x0, y0) = tile_of(b[0], b[3], z);
        let (x1, y1) = tile_of(b[2], b[1], z);
        for x in x0..=x1 {
            out.extend((y0..=y1).map(|y| (z, x, y)));
        }
    }
    out
}

/// Feature ids per MVT layer of a 200 or 204 tile.
type Ids = BTreeMap<String, BTreeSet<u64>>;

fn decoded(res: &TestResponse, what: &str) -> Option<DecodedTile> {
    match res.status.as_u16() {
        204 => None,
        200 => Some(decode(&res.body).unwrap_or_else(|e| panic!("{what}: {e}"))),
        s => panic!("{what}: {s} {}", res.text()),
    }
}

fn ids(tile: Option<&DecodedTile>) -> Ids {
    tile.map(|t| {
        t.layers
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    l.features.iter().filter_map(|f| f.id).collect(),
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The bytes of an MVT string field (`tag`, one-byte length, text) as a string to search
/// for: the layer name is field 1 (`0x0a`), each entry of the key table field 3 (`0x1a`).
/// Searching the raw tile catches a name even in a table no feature refers to.
fn mvt_field(tag: u8, text: &str) -> String {
    let len = u8::try_from(text.len()).unwrap();
    assert!(len < 0x80, "a one-byte varint");
    format!("{}{}{text}", char::from(tag), char::from(len))
}

/// No key table names an attribute the role may see in no layer, and no layer table is
/// named after a hidden layer.
fn check_raw(role: Role, body: &[u8], what: &str) {
    let raw = String::from_utf8_lossy(body);
    for name in never_named(role) {
        assert!(
            !raw.contains(&mvt_field(0x1a, name)),
            "{what}: key `{name}` in the tile"
        );
    }
    for layer in hidden(role) {
        assert!(
            !raw.contains(&mvt_field(0x0a, layer)),
            "{what}: layer `{layer}` in the tile"
        );
    }
}

/// Checks one decoded tile against the table.
fn check_tile(role: Role, tile: &DecodedTile, what: &str) {
    let shown = visible(role);
    for layer in &tile.layers {
        let allowed = attributes(role, &layer.name)
            .unwrap_or_else(|| panic!("{what}: hidden layer `{}` in the tile", layer.name));
        assert!(shown.contains(&layer.name.as_str()));
        for f in &layer.features {
            assert!(f.id.is_some(), "{what}: a feature without id");
            let keys = f.properties.iter().map(|(k, _)| k.as_str());
            assert_subset(keys, allowed, &format_args!("{what} {}", layer.name));
        }
    }
}

/// One role's crawl: every tile once, as one multi-layer request of its visible layers.
/// `reference` holds an admin's feature ids per tile and layer (empty when crawling as the
/// admin); the role must get exactly those for each layer it sees, since no starting layer
/// has a row filter. Returns the role's own ids.
async fn crawl_role(
    crawl: &Crawl,
    role: Role,
    tiles: &[(u32, u32, u32)],
    reference: &[Ids],
) -> Vec<Ids> {
    let layers = visible(role);
    let path = layers.join(",");
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(tiles.len());
    for (i, &(z, x, y)) in tiles.iter().enumerate() {
        let uri = format!("/tiles/{path}/{z}/{x}/{y}.mvt");
        let res = crawl.get(role, &uri).await;
        let tile = decoded(&res, &uri);
        assert_caching(&res, role, &layers, &uri);
        if let Some(t) = &tile {
            check_tile(role, t, &uri);
            check_raw(role, &res.body, &uri);
        }
        let got = ids(tile.as_ref());
        if let Some(admin) = reference.get(i) {
            let mut want = admin.clone();
            want.retain(|l, _| layers.contains(&l.as_str()));
            assert_eq!(got, want, "{role:?} {uri}: features differ from an admin's");
        }
        seen.extend(got.keys().cloned());
        out.push(got);
    }
    // The crawl really met every visible layer.
    let mut expected: Vec<&str> = layers.clone();
    expected.sort_unstable();
    let names: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(names, expected, "{role:?}: over {} tiles", tiles.len());
    out
}

/// One application for every role: the admin crawls first and is the reference for the
/// features; then the other roles crawl concurrently, sharing the tile cache as in
/// production (and proving concurrent callers do not mix).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tile_holds_only_the_roles_layers_attributes_and_features() {
    let crawl = Arc::new(Crawl::new().await);
    let tiles = Arc::new(tiles_over(extent(&crawl).await));
    assert!(tiles.len() > 1000, "{} tiles", tiles.len());
    let reference = Arc::new(crawl_role(&crawl, Role::Admin, &tiles, &[]).await);
    let mut tasks = tokio::task::JoinSet::new();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        let (crawl, tiles, reference) = (
            Arc::clone(&crawl),
            Arc::clone(&tiles),
            Arc::clone(&reference),
        );
        tasks.spawn(async move { crawl_role(&crawl, role, &tiles, &reference).await });
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

#[tokio::test]
async fn hidden_layers_give_the_missing_layers_404_in_tiles_and_tilejson() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        hidden_tiles_of(&crawl, role).await;
    }
}

async fn hidden_tiles_of(crawl: &Crawl, role: Role) {
    let shown = visible(role).join(",");
    for layer in hidden(role) {
        for (hidden_uri, missing_uri) in [
            (
                format!("/tiles/{layer}/14/14112/6593.mvt"),
                "/tiles/nosuch/14/14112/6593.mvt".to_owned(),
            ),
            (
                format!("/tiles/{shown},{layer}/14/14112/6593.mvt"),
                format!("/tiles/{shown},nosuch/14/14112/6593.mvt"),
            ),
            (
                format!("/tiles/{layer}.json"),
                "/tiles/nosuch.json".to_owned(),
            ),
            (
                format!("/tiles/{layer},{shown}.json"),
                format!("/tiles/nosuch,{shown}.json"),
            ),
        ] {
            let h = crawl.get(role, &hidden_uri).await;
            let m = crawl.get(role, &missing_uri).await;
            assert_same_404(
                (&h, layer),
                (&m, "nosuch"),
                &format!("{role:?} {hidden_uri}"),
            );
        }
    }
}

#[tokio::test]
async fn tilejson_fields_are_exactly_the_roles_attributes() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        tilejson_of(&crawl, role).await;
    }
}

async fn tilejson_of(crawl: &Crawl, role: Role) {
    let layers = visible(role);
    for layer in &layers {
        let uri = format!("/tiles/{layer}.json");
        let res = crawl.get(role, &uri).await;
        assert_eq!(res.status, 200, "{uri}");
        assert_caching(&res, role, &[layer], &uri);
        let doc = res.json();
        let vl = doc["vector_layers"].as_array().unwrap();
        assert_eq!(vl.len(), 1, "{uri}");
        assert_eq!(vl[0]["id"], *layer);
        let fields: BTreeSet<&str> = vl[0]["fields"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let want: BTreeSet<&str> = attributes(role, layer).unwrap().iter().copied().collect();
        assert_eq!(fields, want, "{role:?} {uri}");
    }
    let all = crawl
        .json(role, &format!("/tiles/{}.json", layers.join(",")))
        .await;
    let ids: Vec<&str> = all["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, layers);
}

/// The raw search of [`check_raw`] finds names that are there (so its silence means
/// something): an admin's pipes tile has the `土被り` key and the `pipes` layer.
#[tokio::test]
async fn the_raw_tile_search_finds_what_is_there() {
    let crawl = Crawl::new().await;
    let res = crawl
        .get(Role::Admin, "/tiles/pipes/14/14112/6593.mvt")
        .await;
    assert_eq!(res.status, 200);
    let raw = String::from_utf8_lossy(&res.body);
    assert!(raw.contains(&mvt_field(0x1a, "土被り")));
    assert!(raw.contains(&mvt_field(0x0a, "pipes")));
    assert!(!raw.contains(&mvt_field(0x1a, "用途地域")));
}
