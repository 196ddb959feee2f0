//! An editable record layer created at run time: its edit log is opened when it is
//! defined, it takes checked, durable edits at once (no restart), its removal folds them
//! into the version the store keeps, and a restart (the real binary) reopens it.

use serde_json::{Value, json};

use crate::edits::crash::{prepared, request};
use crate::edits::{create, eventually, send};
use crate::helpers::{PASSWORD, TestApp};
use crate::process::{add_user, serve, token};

/// 巡回記録 (patrol records) as the 農業委員会 would define them, editable by `nougyou`.
fn patrols() -> Value {
    json!({
        "id": "junkai",
        "title": { "ja": "巡回記録", "en": "Patrol records" },
        "department": "農業委員会",
        "geometry": "Point",
        "attribution": "鹿島市 農業委員会",
        "label": "状況",
        "searchable": ["備考"],
        "fields": {
            "状況": { "en": "State", "required": true, "choices": ["異常なし", "要確認"] },
            "調査者": { "en": "Surveyor", "fill": "user" },
            "調査日": { "en": "Survey date", "type": "date", "fill": "today" },
            "備考": { "en": "Note" },
            "写真": { "en": "Photos", "type": "json", "photos": true }
        },
        "access": { "view": "staff", "edit": ["nougyou"] }
    })
}

fn record(state: &str, note: &str) -> Value {
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [130.108_483, 33.074_408] },
        "properties": { "状況": state, "備考": note }
    })
}

async fn delete_layer(t: &TestApp, cookie: &str) -> axum::http::StatusCode {
    send(
        t,
        "DELETE",
        "/api/admin/layers/junkai",
        Some(cookie),
        &[],
        None,
    )
    .await
    .status
}

#[tokio::test]
async fn an_editable_layer_created_at_run_time_takes_checked_edits_at_once() {
    let t = TestApp::sample();
    t.add_user("kanri", &["admin"], true);
    t.add_user("sato", &["nougyou"], true);
    t.add_user("tanaka", &["suido"], true);
    let admin = t.login("kanri", PASSWORD).await;
    let sato = t.login("sato", PASSWORD).await;
    let tanaka = t.login("tanaka", PASSWORD).await;
    let res = t
        .post_json_as(Some(&admin), "/api/admin/layers", &patrols())
        .await;
    assert_eq!(res.status, 201, "{}", res.text());

    // The schema says what the phone form needs, and who may edit.
    let schema = t
        .get_as(&sato, "/ogc/collections/junkai/schema")
        .await
        .json();
    assert_eq!(schema["editable"], true, "{schema}");
    let other = t.get_as(&tanaka, "/ogc/collections/junkai/schema").await;
    assert_eq!(other.json()["editable"], false);

    // Checked as on a layer file: choices, the city boundary, the role.
    let bad = create(&t, &sato, "junkai", &record("不明", "x")).await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert_eq!(bad.json()["details"][0]["field"], "状況");
    let mut outside = record("異常なし", "x");
    outside["geometry"]["coordinates"] = json!([139.76, 35.68]);
    assert_eq!(create(&t, &sato, "junkai", &outside).await.status, 422);
    let foreign = create(&t, &tanaka, "junkai", &record("異常なし", "x")).await;
    assert_eq!(foreign.status, 403);

    // Created, filled in by the server, changed with If-Match.
    let res = create(&t, &sato, "junkai", &record("要確認", "水路の詰まり")).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let first = res.json();
    assert_eq!(first["properties"]["調査者"], "sato");
    let id = first["id"].as_u64().unwrap();
    let etag = res.header("etag").unwrap().to_owned();
    let uri = format!("/ogc/collections/junkai/items/{id}");
    let patch = json!({ "properties": { "状況": "異常なし" } });
    let merge = [("content-type", "application/merge-patch+json")];
    let res = send(&t, "PATCH", &uri, Some(&sato), &merge, Some(&patch)).await;
    assert_eq!(res.status, 428, "no If-Match");
    let with_tag = [merge[0], ("if-match", etag.as_str())];
    let res = send(&t, "PATCH", &uri, Some(&sato), &with_tag, Some(&patch)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = send(&t, "PATCH", &uri, Some(&sato), &with_tag, Some(&patch)).await;
    assert_eq!(res.status, 412, "the old ETag is stale");
    let gone = create(&t, &sato, "junkai", &record("要確認", "削除する記録")).await;
    let gone_id = gone.json()["id"].as_u64().unwrap();
    let gone_tag = gone.header("etag").unwrap().to_owned();
    let res = send(
        &t,
        "DELETE",
        &format!("/ogc/collections/junkai/items/{gone_id}"),
        Some(&sato),
        &[("if-match", gone_tag.as_str())],
        None,
    )
    .await;
    assert_eq!(res.status, 204);

    // In items, search and tiles once applied; in the history at once.
    let (t, sato) = (&t, &sato);
    eventually(|| async move {
        let items = t.get_as(sato, "/ogc/collections/junkai/items").await.json();
        items["features"]
            .as_array()
            .is_some_and(|f| f.len() == 1 && f[0]["properties"]["状況"] == "異常なし")
    })
    .await;
    let search = t
        .get_as(
            sato,
            &format!("/api/search?q={}", crate::helpers::enc("水路の詰まり")),
        )
        .await;
    assert!(search.text().contains("水路の詰まり"), "{}", search.text());
    // The z16 tile of 祐徳稲荷神社, where the record is.
    let tile = t.get_as(sato, "/tiles/junkai/16/56453/26381.mvt").await;
    assert_eq!(tile.status, 200);
    let decoded = kashimap::mvt::decode::decode(&tile.body).unwrap();
    assert!(
        decoded
            .layers
            .iter()
            .any(|l| l.features.iter().any(|f| f.id == Some(id))),
        "the record is in its z16 tile"
    );
    let history = t.get_as(sato, &format!("{uri}/history")).await.json();
    let ops: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["op"].as_str())
        .collect();
    assert_eq!(ops, ["update", "create"], "{history}");

    // Removed: its edits are folded into the version the store keeps, its log is gone.
    let pending = t.app.editor().pending();
    assert!(pending.contains_key("junkai"), "{pending:?}");
    assert_eq!(delete_layer(t, &admin).await, 200);
    assert!(!t.app.editor().pending().contains_key("junkai"));
    assert_eq!(t.get_as(sato, &uri).await.status, 404);
    assert_eq!(
        create(t, sato, "junkai", &record("要確認", "x"))
            .await
            .status,
        404
    );
    let log = t.app.config.data_dir.join("edits/junkai.log");
    assert!(!log.exists(), "an empty log is deleted with its layer");
    let kept = t.app.store.current("junkai").unwrap().unwrap();
    assert_eq!(t.app.store.info("junkai", kept).unwrap().feature_count, 1);

    // Created again: the record is back and the layer takes edits again.
    let res = t
        .post_json_as(Some(&admin), "/api/admin/layers", &patrols())
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let got = t.get_as(sato, &uri).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["properties"]["状況"], "異常なし");
    let again = create(t, sato, "junkai", &record("要確認", "再作成後")).await;
    assert_eq!(again.status, 201, "{}", again.text());
    // A new id: not the kept record's, and not the deleted record's either (the highest id
    // the layer ever had is gone from it), so no history is shared.
    let again_id = again.json()["id"].as_u64().unwrap();
    assert!(
        again_id > gone_id && gone_id > id,
        "{again_id} after {gone_id}"
    );
    let history = t
        .get_as(
            sato,
            &format!("/ogc/collections/junkai/items/{again_id}/history"),
        )
        .await
        .json();
    let ops: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["op"].as_str())
        .collect();
    assert_eq!(ops, ["create"], "{history}");
}

/// The real binary: an editable layer created over HTTP is edited, the server is killed
/// (`kill -9`) and restarted: the layer, its records and its edit log are back and it
/// takes edits; removed and restarted, it stays removed with its records in the store.
#[test]
fn a_created_editable_layer_and_its_edits_survive_kill_9_and_its_removal_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tanaka = prepared(root);
    add_user(root, "kanri", "admin", PASSWORD);
    let admin = token(root, "kanri");
    let mut def = patrols();
    def["access"]["edit"] = json!(["suido"]);
    def["access"]["view"] = json!(["suido"]);

    let (mut server, addr) = serve(root);
    let (status, _, text) = request(&addr, "POST", "/api/admin/layers", &admin, &def.to_string());
    assert_eq!(status, 201, "{text}");
    let items = "/ogc/collections/junkai/items";
    let (status, etag, text) = request(
        &addr,
        "POST",
        items,
        &tanaka,
        &record("要確認", "一件目").to_string(),
    );
    assert_eq!(status, 201, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_u64()
        .unwrap();
    let uri = format!("{items}/{id}");
    let (status, etag, text) = request(
        &addr,
        "PATCH",
        &uri,
        &format!("{tanaka}\r\nIf-Match: {etag}"),
        r#"{"properties":{"状況":"異常なし"}}"#,
    );
    assert_eq!(status, 200, "{text}");
    server.kill().unwrap(); // SIGKILL, right after the answer
    server.wait().unwrap();

    let (mut server, addr) = serve(root);
    let (status, got, text) = request(&addr, "GET", &uri, &tanaka, "");
    assert_eq!(status, 200, "after the restart: {text}");
    assert_eq!(got, etag, "the record is as answered");
    let (status, _, text) = request(
        &addr,
        "POST",
        items,
        &tanaka,
        &record("要確認", "二件目").to_string(),
    );
    assert_eq!(status, 201, "editable after the restart: {text}");
    let (status, _, text) = request(&addr, "DELETE", "/api/admin/layers/junkai", &admin, "");
    assert_eq!(status, 200, "{text}");
    let _ = server.kill();
    let _ = server.wait();
    assert!(!root.join("var/edits/junkai.log").exists());

    let (mut server, addr) = serve(root);
    let (status, _, _) = request(&addr, "GET", &uri, &tanaka, "");
    assert_eq!(status, 404, "removed stays removed");
    let (status, _, text) = request(&addr, "POST", "/api/admin/layers", &admin, &def.to_string());
    assert_eq!(status, 201, "{text}");
    let (status, _, text) = request(&addr, "GET", items, &tanaka, "");
    assert_eq!(status, 200);
    let features = serde_json::from_str::<Value>(&text).unwrap()["features"].clone();
    assert_eq!(
        features.as_array().unwrap().len(),
        2,
        "both records kept: {text}"
    );
    let _ = server.kill();
    let _ = server.wait();
}
