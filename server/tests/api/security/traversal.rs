//! Path traversal and odd bytes in layer ids, on every route family that takes one: always
//! a 400 or 404, never a 500 and never the content of a file.

use super::client::Crawl;
use super::expect::Role;

/// Layer ids an attacker might try, already percent-encoded for the path.
const IDS: [&str; 14] = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "..%2F..%2FCargo.toml",
    "..%2Flayers%2Fpipes",
    "%2e%2e",
    "%2e%2e%2f%2e%2e%2fCargo.toml",
    "%2E%2E%5C%2E%2E%5CCargo.toml",
    "..%5C..%5Cetc%5Cpasswd",
    "pipes%00",
    "%00",
    "pipes%2F..%2Fpipes",
    "shelters%2F..%2Fpipes",
    "PIPES",
    "pipes%20",
    "%C0%AE%C0%AE%2F",
];

/// Route families with `{}` for the layer id.
const ROUTES: [&str; 13] = [
    "/tiles/{}/14/14112/6593.mvt",
    "/tiles/{}.json",
    "/tiles/shelters,{}/14/14112/6593.mvt",
    "/styles/{}.json",
    "/ogc/collections/{}",
    "/ogc/collections/{}/queryables",
    "/ogc/collections/{}/items",
    "/ogc/collections/{}/items/1",
    "/api/layers/{}/export.geojson",
    "/api/layers/{}/export.csv",
    "/api/layers/{}/export.fgb",
    "/api/layers/{}/versions",
    "/api/nearest?layer={}&lon=130.1&lat=33.1",
];

/// Text that would show a file (or a layer it should not) was served.
const SIGNS: [&str; 6] = [
    "root:",
    "[package]",
    "[workspace",
    "[access]",
    "土被り",
    "fgb",
];

#[tokio::test]
async fn traversal_in_layer_ids_is_a_400_or_404_on_every_route() {
    let crawl = Crawl::new().await;
    for role in [Role::Anonymous, Role::Contractor, Role::Admin] {
        for route in ROUTES {
            for id in IDS {
                let uri = route.replace("{}", id);
                let res = crawl.get(role, &uri).await;
                let status = res.status.as_u16();
                assert!(
                    matches!(status, 400 | 404)
                        || (status == 401 && role == Role::Anonymous)
                        || status == 403,
                    "{role:?} {uri}: {status} {}",
                    res.text()
                );
                let text = res.text();
                for sign in SIGNS {
                    assert!(
                        !text.contains(sign),
                        "{role:?} {uri} shows `{sign}`: {text}"
                    );
                }
            }
        }
    }
}
