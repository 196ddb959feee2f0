//! One sweep of every output kind for every role, made once and shared by the tests that
//! read it (the raw-byte property tests and the export checks).

use std::sync::OnceLock;

use super::client::Crawl;
use super::expect::{Role, visible};
use crate::helpers::{TestResponse, enc};

/// One answer: the URI, the response, and its text for searching (see [`sweep`]).
pub struct Output {
    pub uri: String,
    pub res: TestResponse,
    pub text: String,
}

/// One role's outputs.
pub type Outputs = Vec<Output>;

/// Every output kind for `role`: tiles, TileJSON, OGC items, single
/// items, queryables and the OpenAPI document, styles, at, nearest, search and exports.
/// For searching, layer descriptions name restricted attributes in prose ("土被りは水道課のみ"), which is
/// no leak, so they are cut out of every body first; so is the search's echo of `q`.
async fn sweep(crawl: &Crawl, role: Role) -> Outputs {
    let layers = visible(role);
    let path = layers.join(",");
    let prose = descriptions(crawl);
    let mut uris = vec![
        format!("/tiles/{path}/14/14112/6593.mvt"),
        format!("/tiles/{path}/12/3528/1648.mvt"),
        format!("/tiles/{path}.json"),
        "/ogc/api".to_owned(),
        "/styles/public.json".to_owned(),
        "/styles/staff.json".to_owned(),
        "/api/at?lon=130.1&lat=33.1".to_owned(),
        "/ogc/collections".to_owned(),
        "/readyz".to_owned(),
        "/metrics".to_owned(),
    ];
    for q in ["KR-00001", "W00001", "確認調査", "鹿島"] {
        uris.push(format!("/api/search?q={}", enc(q)));
    }
    for layer in &layers {
        uris.push(format!("/ogc/collections/{layer}"));
        uris.push(format!("/ogc/collections/{layer}/items?limit=20"));
        uris.push(format!("/ogc/collections/{layer}/items/1"));
        uris.push(format!("/ogc/collections/{layer}/queryables"));
        uris.push(format!(
            "/api/nearest?layer={layer}&lon=130.1&lat=33.1&k=20"
        ));
        for ext in ["geojson", "csv", "fgb"] {
            uris.push(format!("/api/layers/{layer}/export.{ext}"));
        }
    }
    let mut out = Vec::new();
    for uri in uris {
        let res = crawl.get(role, &uri).await;
        assert!(
            res.status == 200 || res.status == 204,
            "{role:?} {uri}: {}",
            res.status
        );
        // Binary bodies (MVT, FlatGeobuf) keep their UTF-8 strings intact when read lossily;
        // std's string search is fast even in a debug build.
        let mut body = String::from_utf8_lossy(&res.body).into_owned();
        if uri.starts_with("/api/search") {
            let mut doc = res.json();
            doc["q"] = serde_json::Value::Null;
            body = doc.to_string();
        }
        for prose in &prose {
            body = body.replace(prose.as_str(), "");
        }
        out.push(Output {
            uri,
            res,
            text: body,
        });
    }
    out
}

/// Every layer's description, in both languages.
fn descriptions(crawl: &Crawl) -> Vec<String> {
    let mut out = Vec::new();
    for layer in crawl.app.app.layers.current_all() {
        if let Some(d) = &layer.def.description {
            out.extend([d.ja.clone(), d.en.clone()]);
        }
    }
    out
}

/// Every role's sweep, made once for all the tests here (on a runtime of its own, so any
/// test may be the one that makes it).
pub fn sweeps() -> &'static [(Role, Outputs)] {
    static SWEEPS: OnceLock<Vec<(Role, Outputs)>> = OnceLock::new();
    SWEEPS.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let crawl = Crawl::new().await;
                let mut out = Vec::new();
                for role in Role::ALL {
                    out.push((role, sweep(&crawl, role).await));
                }
                out
            })
        })
        .join()
        .unwrap()
    })
}
