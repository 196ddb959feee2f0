//! The open operational routes and `/auth/me`: a caller learns the ids, sizes and versions
//! of the layers it may see, and nothing of the others.

use std::collections::BTreeSet;

use super::client::Crawl;
use super::expect::{Role, attributes, hidden, visible};
use super::ogc::words;

async fn ops_of(crawl: &Crawl, role: Role) {
    for uri in ["/readyz", "/metrics"] {
        let res = crawl.get(role, uri).await;
        let control = res.header("cache-control").unwrap_or_default();
        assert!(
            control.starts_with("private"),
            "{role:?} {uri}: `{control}`"
        );
    }
    let ready = crawl.json(role, "/readyz").await;
    let listed: BTreeSet<&str> = ready["layers"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        listed,
        visible(role).into_iter().collect(),
        "{role:?} /readyz"
    );
    let metrics = crawl.get(role, "/metrics").await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    for layer in visible(role) {
        assert!(
            text.contains(&format!("{{layer=\"{layer}\"}}")),
            "{role:?} /metrics lacks {layer}"
        );
    }
    for page in ["/metrics", "/readyz", "/healthz", "/", "/staff"] {
        let text = crawl.get(role, page).await.text();
        for layer in hidden(role) {
            assert!(
                !words(&text).contains(layer),
                "{role:?} {page} names `{layer}`"
            );
        }
    }
}

/// The audit log is the admin's alone.
async fn audit_of(crawl: &Crawl, role: Role) {
    for uri in ["/api/audit", "/api/audit.csv"] {
        let status = crawl.get(role, uri).await.status.as_u16();
        match role {
            Role::Admin => assert_eq!(status, 200, "{uri}"),
            Role::Anonymous => assert_eq!(status, 401, "{uri}"),
            _ => assert_eq!(status, 403, "{role:?} {uri}"),
        }
    }
}

async fn me_of(crawl: &Crawl, role: Role) {
    let res = crawl.get(role, "/auth/me").await;
    if role == Role::Anonymous {
        assert_eq!(res.status, 401);
        return;
    }
    assert_eq!(res.status, 200, "{role:?}");
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let me = res.json();
    let layers = me["layers"].as_object().unwrap();
    let ids: BTreeSet<&str> = layers.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        visible(role).into_iter().collect(),
        "{role:?} /auth/me"
    );
    for (id, layer) in layers {
        let shown: BTreeSet<&str> = layer["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let want: BTreeSet<&str> = attributes(role, id).unwrap().iter().copied().collect();
        assert_eq!(shown, want, "{role:?} /auth/me {id}");
    }
}

#[tokio::test]
async fn readiness_metrics_and_pages_name_only_the_roles_layers() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        ops_of(&crawl, role).await;
    }
}

#[tokio::test]
async fn me_lists_exactly_the_roles_layers_and_attributes() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        me_of(&crawl, role).await;
    }
}

#[tokio::test]
async fn only_an_admin_reads_the_audit_log() {
    let crawl = Crawl::new().await;
    for role in Role::ALL {
        audit_of(&crawl, role).await;
    }
}
