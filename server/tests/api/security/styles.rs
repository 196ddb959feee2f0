//! MapLibre styles for every role: no source, style layer or attribute the role cannot see.

use serde_json::Value;

use super::client::{Crawl, assert_caching};
use super::expect::{Role, hidden, never_named, visible};
use super::ogc::words;

/// The layer a source draws, from its `/tiles/{layer}.json` URL.
fn source_layer(src: &Value) -> Option<String> {
    let url = src["url"].as_str()?;
    let path = url.split("/tiles/").nth(1)?;
    Some(path.strip_suffix(".json")?.to_owned())
}

async fn styles_of(crawl: &Crawl, role: Role) {
    let shown = visible(role);
    for name in ["public", "staff"] {
        let uri = format!("/styles/{name}.json?basemap=none");
        let res = crawl.get(role, &uri).await;
        assert_eq!(res.status, 200, "{role:?} {uri}");
        // Styles are the same for every signed-in role that sees the layers they draw.
        let drawn: Vec<&str> = if name == "public" {
            vec![
                "shelters",
                "zoning",
                "roads",
                "heritage",
                "flood",
                "dosha",
                "chiban",
                "landmarks",
            ]
        } else {
            shown.clone()
        };
        assert_caching(&res, role, &drawn, &uri);
        let style = res.json();
        let sources = style["sources"].as_object().unwrap();
        for (id, src) in sources {
            if let Some(layers) = source_layer(src) {
                for l in layers.split(',') {
                    assert!(
                        shown.contains(&l),
                        "{role:?} {uri}: source `{id}` draws `{l}`"
                    );
                }
            }
        }
        for layer in style["layers"].as_array().unwrap() {
            if let Some(src) = layer["source"].as_str() {
                assert!(
                    sources.contains_key(src),
                    "{role:?} {uri}: dangling `{src}`"
                );
            }
            if let Some(l) = layer["source-layer"].as_str() {
                assert!(
                    shown.contains(&l),
                    "{role:?} {uri}: style layer draws `{l}`"
                );
            }
        }
        let text = res.text();
        let words = words(&text);
        for layer in hidden(role) {
            assert!(!words.contains(layer), "{role:?} {uri} names `{layer}`");
        }
        for attr in never_named(role) {
            assert!(!words.contains(attr), "{role:?} {uri} names `{attr}`");
        }
        if name == "staff" {
            // The crawl can see a drawn layer: every visible one is in the staff style.
            for l in &shown {
                assert!(words.contains(l), "{role:?} {uri} lacks `{l}`");
            }
        }
    }
}

#[tokio::test]
async fn styles_never_name_what_the_role_cannot_see() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        styles_of(&crawl, role).await;
    }
}
