//! Each verb with its ETag rules, bad input, history, and visibility in every output.

use serde_json::json;

use super::{app_with, count, create, eventually, leak, send, tile_of};
use crate::helpers::enc;

#[tokio::test]
async fn create_read_replace_patch_delete_with_etags() {
    let (app, c) = app_with(&[("tanaka", &["suido"], true)]).await;
    let c = &c[0];
    let before = count(&app, c, "leaks").await;

    let res = create(&app, c, "leaks", &leak()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let etag = res.header("etag").unwrap().to_owned();
    let location = res.header("location").unwrap().to_owned();
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    let body = res.json();
    let id = body["id"].as_u64().unwrap();
    assert!(location.ends_with(&format!("/ogc/collections/leaks/items/{id}")));
    // Filled in by the server: the surveyor and, left empty, the date.
    assert_eq!(body["properties"]["調査者"], "tanaka");
    assert_eq!(body["properties"]["調査日"].as_str().unwrap().len(), 10);

    let uri = format!("/ogc/collections/leaks/items/{id}");
    let got = app.get_as(c, &uri).await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.header("etag"),
        Some(etag.as_str()),
        "GET gives the same ETag"
    );
    assert_eq!(got.json()["properties"]["備考"], "テスト記録");
    eventually(|| async { count(&app, c, "leaks").await == before + 1 }).await;

    // PUT: the whole feature, If-Match required.
    let mut replaced = leak();
    replaced["properties"]["備考"] = json!("差し替え");
    replaced["properties"]["修繕状況"] = json!("未着手");
    let res = send(
        &app,
        "PUT",
        &uri,
        Some(c),
        &[("if-match", &etag)],
        Some(&replaced),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let etag2 = res.header("etag").unwrap().to_owned();
    assert_ne!(etag, etag2);
    assert_eq!(res.json()["properties"]["修繕状況"], "未着手");

    // PATCH: a merge patch; null removes a value.
    let patch =
        json!({ "properties": { "修繕状況": "修繕済", "修繕日": "2026-04-02", "備考": null } });
    let res = send(
        &app,
        "PATCH",
        &uri,
        Some(c),
        &[
            ("if-match", &etag2),
            ("content-type", "application/merge-patch+json"),
        ],
        Some(&patch),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let etag3 = res.header("etag").unwrap().to_owned();
    let p = &res.json()["properties"];
    assert_eq!(p["修繕状況"], "修繕済");
    assert_eq!(p["修繕日"], "2026-04-02");
    assert!(p["備考"].is_null());
    assert_eq!(p["漏水有無"], "有", "untouched values stay");

    // DELETE with a stale tag: 412 and the current version; then with the right one.
    let res = send(&app, "DELETE", &uri, Some(c), &[("if-match", &etag2)], None).await;
    assert_eq!(res.status, 412, "{}", res.text());
    assert_eq!(res.header("etag"), Some(etag3.as_str()));
    assert_eq!(
        res.json()["details"][1]["current"]["properties"]["修繕状況"],
        "修繕済"
    );
    let res = send(&app, "DELETE", &uri, Some(c), &[("if-match", &etag3)], None).await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_eq!(app.get_as(c, &uri).await.status, 404);
    eventually(|| async { count(&app, c, "leaks").await == before }).await;

    // The history lists every version, newest first, with who and the values.
    let hist = app.get_as(c, &format!("{uri}/history")).await;
    assert_eq!(hist.status, 200, "{}", hist.text());
    let h = hist.json();
    let ops: Vec<&str> = h["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["delete", "update", "replace", "create"]);
    assert_eq!(h["versions"][1]["by"], "tanaka");
    assert_eq!(
        h["versions"][1]["before"]["properties"]["修繕状況"],
        "未着手"
    );
    assert_eq!(
        h["versions"][1]["after"]["properties"]["修繕状況"],
        "修繕済"
    );
    // And the audit log has them too.
    let audit = app.app.access.audit.query(kashimap::access::AuditFilter {
        kind: Some("edit".into()),
        limit: 10,
        ..Default::default()
    });
    assert_eq!(audit.await.unwrap().len(), 4);
}

#[tokio::test]
async fn if_match_is_required_and_must_name_this_feature_and_state() {
    let (app, c) = app_with(&[("tanaka", &["suido"], true)]).await;
    let c = &c[0];
    let a = create(&app, c, "leaks", &leak()).await;
    let b = create(&app, c, "leaks", &leak()).await;
    let (ida, tag_b) = (
        a.json()["id"].as_u64().unwrap(),
        b.header("etag").unwrap().to_owned(),
    );
    let uri = format!("/ogc/collections/leaks/items/{ida}");
    let patch = json!({ "properties": { "備考": "x" } });
    let res = send(&app, "PATCH", &uri, Some(c), &[], Some(&patch)).await;
    assert_eq!(res.status, 428, "{}", res.text());
    assert_eq!(res.json()["error"], "precondition_required");
    assert!(
        res.json()["message_ja"]
            .as_str()
            .unwrap()
            .contains("If-Match")
    );
    // B's ETag for A (both have the same content): still 412.
    let res = send(
        &app,
        "PATCH",
        &uri,
        Some(c),
        &[("if-match", &tag_b)],
        Some(&patch),
    )
    .await;
    assert_eq!(res.status, 412, "{}", res.text());
    let res = send(&app, "PUT", &uri, Some(c), &[], Some(&leak())).await;
    assert_eq!(res.status, 428);
    let res = send(&app, "DELETE", &uri, Some(c), &[], None).await;
    assert_eq!(res.status, 428);
    let got = app.get_as(c, &uri).await.json();
    assert_eq!(got["properties"]["備考"], "テスト記録", "nothing changed");
}

#[tokio::test]
async fn bad_edits_are_refused_naming_the_field_and_change_nothing() {
    let (app, c) = app_with(&[("tanaka", &["suido"], true)]).await;
    let c = &c[0];
    let made = create(&app, c, "leaks", &leak()).await;
    let id = made.json()["id"].as_u64().unwrap();
    let etag = made.header("etag").unwrap().to_owned();
    let uri = format!("/ogc/collections/leaks/items/{id}");
    app.app.editor().flush().unwrap();
    let n = count(&app, c, "leaks").await;
    let merge = [
        ("if-match", etag.as_str()),
        ("content-type", "application/merge-patch+json"),
    ];
    let cases = [
        (
            "PATCH",
            json!({ "geometry": { "type": "LineString", "coordinates": [[130.1, 33.07], [130.11, 33.08]] } }),
            "geometry",
            "Point",
        ),
        (
            "PATCH",
            json!({ "properties": { "修繕状況": "たぶん" } }),
            "修繕状況",
            "たぶん",
        ),
        (
            "PATCH",
            json!({ "geometry": { "type": "Point", "coordinates": [139.767, 35.681] } }),
            "geometry",
            "市域",
        ),
        (
            "PATCH",
            json!({ "properties": { "修繕日": "2026-02-30" } }),
            "修繕日",
            "日付",
        ),
        (
            "PATCH",
            json!({ "properties": { "存在しない": 1 } }),
            "存在しない",
            "属性",
        ),
        (
            "PATCH",
            json!({ "properties": { "漏水有無": null } }),
            "漏水有無",
            "必要",
        ),
        (
            "PATCH",
            json!({ "properties": { "備考": 5 } }),
            "備考",
            "文字列",
        ),
        (
            "POST",
            json!({ "type": "Feature", "geometry": null, "properties": {} }),
            "geometry",
            "ジオメトリ",
        ),
    ];
    for (method, body, field, ja) in cases {
        let res = if method == "POST" {
            create(&app, c, "leaks", &body).await
        } else {
            send(&app, method, &uri, Some(c), &merge, Some(&body)).await
        };
        assert_eq!(res.status, 422, "{body}: {}", res.text());
        let e = res.json();
        assert_eq!(e["error"], "invalid_feature");
        assert_eq!(e["details"][0]["field"], field, "{body}");
        assert!(e["message"].as_str().unwrap().contains(field), "{e}");
        assert!(e["message_ja"].as_str().unwrap().contains(ja), "{e}");
    }
    // Not JSON, the wrong media type, a body that is not a Feature.
    let res = send(
        &app,
        "POST",
        "/ogc/collections/leaks/items",
        Some(c),
        &[("content-type", "text/plain")],
        Some(&leak()),
    )
    .await;
    assert_eq!(res.status, 415);
    let res = send(
        &app,
        "POST",
        "/ogc/collections/leaks/items",
        Some(c),
        &[],
        Some(&json!([1, 2])),
    )
    .await;
    assert_eq!(res.status, 422);
    app.app.editor().flush().unwrap();
    assert_eq!(count(&app, c, "leaks").await, n, "nothing was created");
    let got = app.get_as(c, &uri).await;
    assert_eq!(got.header("etag"), Some(etag.as_str()), "nothing changed");
}

#[tokio::test]
async fn an_edit_shows_in_tiles_search_and_exports() {
    let (app, c) = app_with(&[("tanaka", &["suido"], true)]).await;
    let c = c[0].clone();
    let mut f = leak();
    f["properties"]["備考"] = json!("見える化テスト記録");
    let res = create(&app, &c, "leaks", &f).await;
    assert_eq!(res.status, 201);
    let id = res.json()["id"].as_u64().unwrap();
    let app = &app;
    let c = &c;
    eventually(|| async move {
        let s = app
            .get_as(c, &format!("/api/search?q={}", enc("見える化テスト")))
            .await;
        s.status == 200 && s.text().contains("見える化テスト記録")
    })
    .await;
    eventually(|| async move {
        let e = app.get_as(c, "/api/layers/leaks/export.geojson").await;
        e.status == 200 && e.text().contains("見える化テスト記録")
    })
    .await;
    // The z16 tile holding the shrine decodes with the new feature's id.
    let (x, y) = tile_of(130.108_483, 33.074_408, 16);
    eventually(|| async move {
        let t = app.get_as(c, &format!("/tiles/leaks/16/{x}/{y}.mvt")).await;
        t.status == 200 && {
            let tile = kashimap::mvt::decode::decode(&t.body).unwrap();
            tile.layers
                .iter()
                .any(|l| l.features.iter().any(|f| f.id == Some(id)))
        }
    })
    .await;
    // Folding the log into a store version changes nothing that is served.
    app.app.editor().flush().unwrap();
    assert_eq!(app.app.editor().pending()["leaks"], 0);
    let got = app
        .get_as(c, &format!("/ogc/collections/leaks/items/{id}"))
        .await;
    assert_eq!(got.json()["properties"]["備考"], "見える化テスト記録");
    let versions = app.get_as(c, "/api/layers/leaks/versions").await.json();
    assert_eq!(
        versions["versions"][0]["source_name"], "edits",
        "{versions}"
    );
}

#[tokio::test]
async fn the_api_document_and_conformance_describe_the_edits() {
    let (app, c) = app_with(&[("tanaka", &["suido"], true)]).await;
    let conf = app.get("/ogc/conformance").await.json();
    let classes = conf["conformsTo"].as_array().unwrap();
    assert!(classes.iter().any(|c| {
        c.as_str()
            .unwrap()
            .ends_with("features-4/1.0/conf/create-replace-delete")
    }));
    let doc = app.get_as(&c[0], "/ogc/api").await.json();
    let paths = &doc["paths"];
    let item = &paths["/collections/leaks/items/{featureId}"];
    assert_eq!(
        paths["/collections/leaks/items"]["post"]["operationId"],
        "create_leaks"
    );
    for verb in ["put", "patch", "delete"] {
        let params = item[verb]["parameters"].as_array().unwrap();
        assert!(params.iter().any(|p| p["name"] == "If-Match"), "{verb}");
        assert!(item[verb]["responses"]["412"].is_object(), "{verb}");
    }
    assert!(paths["/collections/leaks/items/{featureId}/history"]["get"].is_object());
    assert!(paths["/collections/leaks/photos"]["post"].is_object());
    // A layer nobody edits has no edit operations.
    assert!(paths["/collections/shelters/items"]["post"].is_null());
    let schema = app
        .get_as(&c[0], "/ogc/collections/leaks/schema")
        .await
        .json();
    assert_eq!(schema["editable"], true);
    let field = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "修繕状況")
        .unwrap();
    assert_eq!(field["choices"], json!(["未着手", "修繕中", "修繕済"]));
}
