//! A layer created or removed at run time on one server is followed by the others without a
//! restart: a public replica (through the signed push), and another primary on the same
//! PostgreSQL database and store folder (LISTEN/NOTIFY; only with `KASHIMAP_TEST_POSTGRES`,
//! as scripts/test runs it).

use std::future::Future;
use std::time::{Duration, Instant};

use kashimap::app::App;
use kashimap::config::Config;
use serde_json::json;

use crate::edits::{create, send};
use crate::helpers::{PASSWORD, TestApp};
use crate::layer_defs::{base, farmland};

/// Waits (up to 15 s) until `check` holds; returns how long it took.
async fn until<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(15) {
        if check().await {
            return t.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: never happened");
}

async fn remove(t: &TestApp, cookie: &str, id: &str) {
    let uri = format!("/api/admin/layers/{id}");
    let res = send(t, "DELETE", &uri, Some(cookie), &[], None).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[tokio::test]
async fn a_layer_created_on_the_primary_reaches_its_replica_and_leaves_it_when_removed() {
    let keys = tempfile::tempdir().unwrap();
    let push = keys.path().join("push");
    let (private, public) = kashimap::push::keygen(&keys.path().join("key")).unwrap();
    let target = format!("file://{}", push.display());
    let t = TestApp::with_layers_and(&[base()], |c| {
        c.public_push = Some(target.clone());
        c.push_key = Some(private);
    });
    t.add_user("kanri", &["admin"], true);
    let admin = t.login("kanri", PASSWORD).await;
    until("the first push", || async {
        push.join("manifest.json").is_file()
    })
    .await;
    let replica = TestApp::from_app(
        App::start_replica(Config {
            data_dir: keys.path().join("replica"),
            replica_of: Some(target.clone()),
            replica_key: Some(public),
            replica_poll_secs: std::num::NonZeroU64::MIN,
            ..t.app.config.clone()
        })
        .unwrap(),
    );
    assert_eq!(replica.get("/ogc/collections/nouchi").await.status, 404);

    let mut def = farmland();
    def["access"]["view"] = json!("public");
    let res = t
        .post_json_as(Some(&admin), "/api/admin/layers", &def)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let replica = &replica;
    until("the replica serves the new layer", || async {
        replica.get("/ogc/collections/nouchi").await.status == 200
    })
    .await;
    let tilejson = replica.get("/tiles/nouchi.json").await;
    assert_eq!(tilejson.status, 200, "{}", tilejson.text());

    remove(&t, &admin, "nouchi").await;
    until("the replica drops the removed layer", || async {
        replica.get("/ogc/collections/nouchi").await.status == 404
    })
    .await;
    assert_eq!(replica.get("/ogc/collections/base").await.status, 200);
}

#[tokio::test]
async fn a_layer_defined_on_one_primary_is_served_and_edited_on_the_other_at_once() {
    let Some(database) = kashimap::access::Db::test_database().unwrap() else {
        eprintln!("skipped: set KASHIMAP_TEST_POSTGRES (scripts/test does)");
        return;
    };
    let shared = tempfile::tempdir().unwrap();
    let store = format!("file://{}", shared.path().display());
    let a = TestApp::with_layers_and(&[base()], |c| {
        c.database = Some(database);
        c.store = Some(store);
    });
    let b = TestApp::from_app(
        App::start(Config {
            data_dir: shared.path().join("b"),
            ..a.app.config.clone()
        })
        .unwrap(),
    );
    a.add_user("kanri", &["admin"], true);
    a.add_user("sato", &["nogyo"], true);
    let (admin_a, sato_b) = (
        a.login("kanri", PASSWORD).await,
        b.login("sato", PASSWORD).await,
    );

    // Created on A: B serves it (the definition from the shared catalog) and takes edits.
    let mut def = farmland();
    def["geometry"] = json!("Point");
    def["access"]["edit"] = json!(["nogyo"]);
    let started = Instant::now();
    let res = a
        .post_json_as(Some(&admin_a), "/api/admin/layers", &def)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (b, sato) = (&b, &sato_b);
    until("B serves the layer created on A", || async {
        b.get_as(sato, "/ogc/collections/nouchi").await.status == 200
    })
    .await;
    eprintln!(
        "created on A, served on B after {} ms",
        started.elapsed().as_millis()
    );
    let record = json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [130.1, 33.1] },
        "properties": { "地番": "高津原1", "状況": "耕作中" }
    });
    let res = create(b, sato, "nouchi", &record).await;
    assert_eq!(res.status, 201, "B opened the edit log: {}", res.text());

    // Removed on A: B stops serving it, folds nothing away (its edit stays in its log).
    remove(&a, &admin_a, "nouchi").await;
    until("B drops the layer removed on A", || async {
        b.get_as(sato, "/ogc/collections/nouchi").await.status == 404
    })
    .await;
    assert!(!b.app.editor().pending().contains_key("nouchi"));

    // Created again on B: A serves it again.
    let admin_b = b.login("kanri", PASSWORD).await;
    let res = b
        .post_json_as(Some(&admin_b), "/api/admin/layers", &def)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let a = &a;
    until("A serves the layer created again on B", || async {
        a.get_as(&admin_a, "/ogc/collections/nouchi").await.status == 200
    })
    .await;
}
