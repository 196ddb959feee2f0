//! Layers created and removed at run time by an administrator: validated like a layer file,
//! served at once (collections, TileJSON, styles), filled by the normal upload flow, stored
//! in the data folder so a restart reads them back, removed without losing their versions.

use axum::body::Body;
use axum::http::Request;
use kashimap::app::App;
use serde_json::{Value, json};

use crate::helpers::{LayerSpec, ORIGIN, PASSWORD, TestApp, TestResponse};
use crate::uploads::support::Form;

const BASE: &str = r#"
id = "base"
title = { ja = "基図", en = "Base" }
department = "総務課"
source = "data/base.fgb"
geometry = "Point"
attribution = "test"
[access]
view = "public"
"#;

/// The one layer file of these tests: an empty public layer.
pub fn base() -> LayerSpec<'static> {
    LayerSpec {
        toml: BASE,
        id: "base",
        fields: vec![],
        features: vec![],
    }
}

fn app() -> TestApp {
    let t = TestApp::with_layers(&[base()]);
    t.add_user("kanri", &["admin"], true);
    t.add_user("nogyo", &["nogyo"], true);
    t
}

/// 農地 (farmland) as the 農業委員会 would define it.
pub fn farmland() -> Value {
    json!({
        "id": "nouchi",
        "title": { "ja": "農地台帳", "en": "Farmland register" },
        "department": "農業委員会",
        "geometry": "Polygon",
        "attribution": "鹿島市 農業委員会",
        "label": "地番",
        "fields": {
            "地番": { "en": "Lot number", "type": "string", "required": true },
            "状況": { "en": "State", "type": "string", "choices": ["耕作中", "遊休農地"] },
            "面積": { "en": "Area", "type": "float", "unit": "m²" }
        },
        "access": { "view": "staff", "upload": ["nogyo"] }
    })
}

async fn send(
    t: &TestApp,
    method: &str,
    uri: &str,
    cookie: &str,
    body: Body,
    ct: &str,
) -> TestResponse {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost:8080")
        .header("origin", ORIGIN)
        .header("cookie", cookie)
        .header("content-type", ct)
        .body(body)
        .unwrap();
    t.send(req).await
}

async fn create(t: &TestApp, cookie: &str, def: &Value) -> TestResponse {
    t.post_json_as(Some(cookie), "/api/admin/layers", def).await
}

const SQUARES: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"地番":"高津原1","状況":"耕作中","面積":120.5},
  "geometry":{"type":"Polygon","coordinates":[[[130.10,33.10],[130.101,33.10],[130.101,33.101],[130.10,33.101],[130.10,33.10]]]}},
 {"type":"Feature","properties":{"地番":"高津原2","状況":"遊休農地","面積":80},
  "geometry":{"type":"Polygon","coordinates":[[[130.102,33.10],[130.103,33.10],[130.103,33.101],[130.102,33.101],[130.102,33.10]]]}}]}"#;

#[tokio::test]
async fn an_admin_creates_a_layer_that_is_served_at_once_and_filled_by_upload() {
    let t = app();
    let admin = t.login("kanri", PASSWORD).await;
    let res = create(&t, &admin, &farmland()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["version"], 0);

    // Served at once, to those its rules admit.
    let staff = t.login("nogyo", PASSWORD).await;
    let collections = t.get_as(&staff, "/ogc/collections").await.json();
    let ids: Vec<&str> = collections["collections"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.contains(&"nouchi"), "{ids:?}");
    assert_eq!(
        t.get("/ogc/collections/nouchi").await.status,
        404,
        "staff only"
    );
    let tilejson = t.get_as(&staff, "/tiles/nouchi.json").await;
    assert_eq!(tilejson.status, 200, "{}", tilejson.text());
    let style = t.get_as(&staff, "/styles/staff.json").await.json();
    let fill = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "nouchi-fill")
        .expect("a default style from the definition")
        .clone();
    assert_eq!(fill["paint"]["fill-color"][2], "耕作中");

    // Its department uploads and publishes the first version through the normal flow.
    let (ct, body) = Form::file("nouchi.geojson", SQUARES.as_bytes().to_vec()).body();
    let up = send(
        &t,
        "POST",
        "/api/layers/nouchi/uploads",
        &staff,
        Body::from(body),
        &ct,
    )
    .await;
    assert_eq!(up.status, 201, "{}", up.text());
    let publish = up.json()["publish"].as_str().unwrap().to_owned();
    let res = send(&t, "POST", &publish, &staff, Body::empty(), "text/plain").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let items = t
        .get_as(&staff, "/ogc/collections/nouchi/items")
        .await
        .json();
    assert_eq!(items["features"].as_array().unwrap().len(), 2);
    assert_eq!(items["features"][1]["properties"]["状況"], "遊休農地");

    // Audited.
    let audit = t.get_as(&admin, "/api/audit?kind=layer").await.json();
    assert_eq!(
        audit["entries"][0]["detail"]["action"], "layer.created",
        "{audit}"
    );
}

#[tokio::test]
async fn a_created_layer_survives_a_restart_and_removal_keeps_its_versions() {
    let t = app();
    let admin = t.login("kanri", PASSWORD).await;
    let def = farmland();
    assert_eq!(create(&t, &admin, &def).await.status, 201);
    let file = t.app.config.data_dir.join("catalog/nouchi.toml");
    assert!(file.is_file(), "stored in the data folder");

    // A layer file of the installation cannot be removed over the API.
    let res = send(
        &t,
        "DELETE",
        "/api/admin/layers/base",
        &admin,
        Body::empty(),
        "text/plain",
    )
    .await;
    assert_eq!(res.status, 409, "{}", res.text());
    assert_eq!(res.json()["error"], "layer_from_file");

    // Read back by a fresh start of the same data folder (as after a restart).
    let config = t.app.config.clone();
    let read_only = App::open_read_only(config.clone()).unwrap();
    assert!(read_only.catalog().get("nouchi").is_some());
    drop(read_only);

    let res = send(
        &t,
        "DELETE",
        "/api/admin/layers/nouchi",
        &admin,
        Body::empty(),
        "text/plain",
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let nogyo = t.login("nogyo", PASSWORD).await;
    assert_eq!(
        t.get_as(&nogyo, "/ogc/collections/nouchi").await.status,
        404
    );
    assert_eq!(t.get_as(&nogyo, "/tiles/nouchi.json").await.status, 404);
    assert!(!file.exists());
    let list = t.get_as(&admin, "/api/admin/layers").await.json();
    assert_eq!(list["removed"][0]["id"], "nouchi", "{list}");

    // Created again: served again.
    assert_eq!(create(&t, &admin, &def).await.status, 201);
    assert_eq!(
        t.get_as(&nogyo, "/ogc/collections/nouchi").await.status,
        200
    );
    let audit = t.get_as(&admin, "/api/audit?kind=layer").await.json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["detail"]["action"].as_str())
        .collect();
    assert_eq!(actions, ["layer.created", "layer.removed", "layer.created"]);
}

/// What is wrong, how to break the definition, and the key the answer must name.
type Case = (&'static str, fn(&mut Value), &'static str);

#[tokio::test]
async fn a_bad_definition_is_a_400_naming_the_key_and_changes_nothing() {
    let t = app();
    let admin = t.login("kanri", PASSWORD).await;
    let cases: [Case; 6] = [
        ("unknown key", |d| d["colour"] = json!("red"), "colour"),
        (
            "unknown field type",
            |d| d["fields"]["面積"]["type"] = json!("decimal"),
            "fields.面積.type",
        ),
        (
            "bad geometry",
            |d| d["geometry"] = json!("Blob"),
            "geometry",
        ),
        ("reserved id", |d| d["id"] = json!("tiles"), "id"),
        (
            "a source file",
            |d| d["source"] = json!("/etc/passwd"),
            "source",
        ),
        (
            "a label that is no field",
            |d| d["label"] = json!("名前"),
            "label",
        ),
    ];
    for (what, edit, key) in cases {
        let mut def = farmland();
        edit(&mut def);
        let res = create(&t, &admin, &def).await;
        assert_eq!(res.status, 400, "{what}: {}", res.text());
        let body = res.json();
        assert_eq!(body["error"], "invalid_layer_definition", "{what}");
        assert!(
            body["message_ja"]
                .as_str()
                .unwrap()
                .contains("レイヤー定義")
        );
        let keys: Vec<String> = body["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["key"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(keys.iter().any(|k| k == key), "{what}: {body}");
    }
    assert!(!t.app.config.data_dir.join("catalog/nouchi.toml").exists());
    assert!(t.app.catalog().get("nouchi").is_none());

    // Only administrators; an existing id is a 409.
    let nogyo = t.login("nogyo", PASSWORD).await;
    assert_eq!(create(&t, &nogyo, &farmland()).await.status, 403);
    let mut dup = farmland();
    dup["id"] = json!("base");
    assert_eq!(create(&t, &admin, &dup).await.status, 409);
}
