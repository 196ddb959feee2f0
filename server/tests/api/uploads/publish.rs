//! Who may upload, staging versus publishing, versions and rollback, repair, warnings.

use super::support::*;

fn shelters_text() -> Vec<u8> {
    std::fs::read(fixture(SHELTERS_GEOJSON)).unwrap()
}

#[tokio::test]
async fn only_upload_roles_may_upload_and_others_learn_nothing() {
    let t = app();
    let r = router(&t, 1 << 20);
    let form = Form::file("s.geojson", shelters_text());
    let anon = send(&r, "POST", "/api/layers/shelters/uploads", "", Some(&form)).await;
    assert_eq!(anon.status, 403, "a public layer: visible, so 403");
    let other = send(
        &r,
        "POST",
        "/api/layers/shelters/uploads",
        "suzuki:suido",
        Some(&form),
    )
    .await;
    assert_eq!(other.status, 403);
    let hidden = send(
        &r,
        "POST",
        "/api/layers/pipes/uploads",
        "tanaka:bousai",
        Some(&form),
    )
    .await;
    let missing = send(
        &r,
        "POST",
        "/api/layers/nope/uploads",
        "tanaka:bousai",
        Some(&form),
    )
    .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(
        hidden.body, missing.body,
        "a hidden layer answers exactly like a missing one"
    );
    let admin = send(
        &r,
        "POST",
        "/api/layers/pipes/uploads",
        "root:admin",
        Some(&form),
    )
    .await;
    assert_eq!(
        admin.status,
        422,
        "admins may upload (this file is the wrong type): {}",
        admin.text()
    );
    let versions = send(&r, "GET", "/api/layers/pipes/versions", "", None).await;
    assert_eq!(versions.status, 404);
}

#[tokio::test]
async fn staged_upload_is_a_version_that_is_not_current_until_published() {
    let t = app();
    let r = router(&t, 1 << 20);
    let res = upload(
        &r,
        "shelters",
        &Form::file("避難場所.geojson", shelters_text()),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let v = send(&r, "GET", "/api/layers/shelters/versions", BOUSAI, None)
        .await
        .json();
    let rows = v["versions"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["version"], 2);
    assert_eq!(rows[0]["current"], false);
    assert_eq!(rows[0]["staged"], id.as_str());
    assert_eq!(rows[0]["source_name"], "避難場所.geojson");
    assert_eq!(rows[0]["created_by"], "tanaka");
    assert_eq!(rows[0]["source_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(rows[1]["current"], true);
    let shown = send(
        &r,
        "GET",
        &format!("/api/layers/shelters/uploads/{id}"),
        BOUSAI,
        None,
    )
    .await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json()["report"]["feature_count"], 33);
    let p = send(
        &r,
        "POST",
        &format!("/api/layers/shelters/uploads/{id}/publish"),
        BOUSAI,
        None,
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.text());
    assert_eq!(p.json()["published"]["version"], 2);
    let again = send(
        &r,
        "POST",
        &format!("/api/layers/shelters/uploads/{id}/publish"),
        BOUSAI,
        None,
    )
    .await;
    assert_eq!(again.status, 404, "a published upload is no longer staged");
    let audit = t.audit_of("shelters").await;
    let kinds: Vec<&str> = audit.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"upload"), "{kinds:?}");
    let published = audit
        .iter()
        .find(|e| e.kind == "publish")
        .expect("the publish is in the audit log");
    assert_eq!(published.detail["sha256"].as_str().unwrap().len(), 64);
    let bad = send(
        &r,
        "POST",
        "/api/layers/shelters/uploads/..%2F..%2Fetc/publish",
        BOUSAI,
        None,
    )
    .await;
    assert_eq!(bad.status, 404);
}

#[tokio::test]
async fn rollback_makes_an_old_version_current_for_readers() {
    let t = app();
    let r = router(&t, 1 << 20);
    let res = upload(&r, "shelters", &Form::file("s.geojson", shelters_text())).await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    send(
        &r,
        "POST",
        &format!("/api/layers/shelters/uploads/{id}/publish"),
        BOUSAI,
        None,
    )
    .await;
    let before = t.app.layers.get("shelters").unwrap();
    assert_eq!(before.version(), 2);
    let res = send(
        &r,
        "POST",
        "/api/layers/shelters/versions/1/activate",
        BOUSAI,
        None,
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(t.app.layers.get("shelters").unwrap().version(), 1);
    assert_eq!(
        before.features.len(),
        33,
        "a reader holding the old version keeps it whole"
    );
    assert_eq!(t.app.store.current("shelters").unwrap(), Some(1));
    let res = send(
        &r,
        "POST",
        "/api/layers/shelters/versions/9/activate",
        BOUSAI,
        None,
    )
    .await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn publishing_bumps_the_version_in_every_policy_class() {
    let t = app();
    let r = router(&t, 1 << 20);
    let anon = kashimap::access::Principal::anonymous();
    let before = kashimap::access::decide(&anon, &t.app.layers.get("shelters").unwrap())
        .unwrap()
        .class;
    let res = upload(&r, "shelters", &Form::file("s.geojson", shelters_text())).await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    send(
        &r,
        "POST",
        &format!("/api/layers/shelters/uploads/{id}/publish"),
        BOUSAI,
        None,
    )
    .await;
    let after = kashimap::access::decide(&anon, &t.app.layers.get("shelters").unwrap())
        .unwrap()
        .class;
    assert_ne!(before, after, "tile-cache keys change with the version");
    assert!(after.as_str().starts_with("shelters@2:"));
}

fn polygons(features: &[(&str, serde_json::Value)]) -> Vec<u8> {
    let fs: Vec<serde_json::Value> = features
        .iter()
        .map(|(name, g)| serde_json::json!({"type": "Feature", "properties": {"名称": name}, "geometry": g}))
        .collect();
    serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": fs})).unwrap()
}

fn bad_polygons() -> Vec<u8> {
    polygons(&[
        (
            "正常",
            serde_json::json!({"type": "Polygon", "coordinates": [[[130.10, 33.10], [130.11, 33.10], [130.11, 33.11], [130.10, 33.10]]]}),
        ),
        (
            "蝶ネクタイ",
            serde_json::json!({"type": "Polygon", "coordinates": [[[130.10, 33.10], [130.10, 33.11], [130.11, 33.10], [130.11, 33.11], [130.10, 33.10]]]}),
        ),
        (
            "閉じていない",
            serde_json::json!({"type": "Polygon", "coordinates": [[[130.10, 33.10], [130.11, 33.10], [130.11, 33.11], [130.10, 33.11]]]}),
        ),
        ("空", serde_json::Value::Null),
    ])
}

#[tokio::test]
async fn invalid_geometries_are_listed_with_their_attributes_and_refused() {
    let t = app();
    let r = router(&t, 1 << 20);
    let res = upload(&r, "zones", &Form::file("z.geojson", bad_polygons())).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let inv = &res.json()["report"]["invalid"];
    assert_eq!(inv["total"], 3);
    let listed = inv["listed"].as_array().unwrap();
    assert_eq!(listed[0]["feature"], 2);
    assert_eq!(listed[0]["attributes"]["名称"], "蝶ネクタイ");
    assert_eq!(listed[0]["problems"][0]["code"], "self_intersection");
    assert_eq!(listed[1]["problems"][0]["code"], "unclosed_ring");
    assert_eq!(listed[2]["problems"][0]["code"], "empty_geometry");
    assert!(listed[0]["line"].as_u64().is_some());
}

#[tokio::test]
async fn repair_makes_them_valid_or_drops_them() {
    let t = app();
    let r = router(&t, 1 << 20);
    let res = upload(
        &r,
        "zones",
        &Form::file("z.geojson", bad_polygons()).field("repair", "true"),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let report = &res.json()["report"];
    assert_eq!(report["invalid"]["repaired"], 2);
    assert_eq!(report["invalid"]["dropped"], 1);
    assert_eq!(report["feature_count"], 3);
    assert_eq!(report["invalid"]["listed"][0]["outcome"], "repaired");
}

#[tokio::test]
async fn far_from_the_current_extent_warns_and_suggests_the_zone() {
    let (_dir, gpkg) = shelters_via_ogr2ogr("s.gpkg", &["-f", "GPKG", "-t_srs", "EPSG:6670"]);
    let t = app();
    let r = router(&t, 4 << 20);
    // Zone I's origin is 140 km west of zone II's: a wrong zone moves the data, still in Japan.
    let form = Form::file("s.gpkg", std::fs::read(&gpkg).unwrap()).field("srs", "EPSG:6669");
    let res = upload(&r, "shelters", &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let problems = res.json()["report"]["problems"].as_array().unwrap().clone();
    let codes: Vec<&str> = problems
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"srs_overrides_file"), "{codes:?}");
    let far = problems
        .iter()
        .find(|p| p["code"] == "far_from_current")
        .expect("a far warning");
    assert!(
        far["message"]["en"].as_str().unwrap().contains("EPSG:6670"),
        "{far}"
    );
}

#[tokio::test]
async fn the_server_router_mounts_the_upload_routes() {
    use axum::body::Body;
    use axum::http::Request;
    let t = app();
    let req = Request::post("/api/layers/shelters/uploads")
        .header("content-type", "multipart/form-data; boundary=x")
        .body(Body::from("--x--\r\n"))
        .unwrap();
    let res = t.send(req).await;
    assert_eq!(
        res.status,
        403,
        "until sign-in lands every caller is anonymous: {}",
        res.text()
    );
    let res = t.get("/api/layers/pipes/versions").await;
    assert_eq!(res.status, 404);
}
