//! Files whose columns differ from the layer's: the real `shelters` layer's own export as a
//! Shift_JIS Shapefile (names cut at 10 bytes), GSI's column names and `'1'`/`''` flags,
//! an explicit mapping, values converted to the declared types, and what a mapping may not do.

use std::collections::BTreeMap;

use super::support::*;
use crate::helpers::TestApp;

/// The real layers, with the upload routes as a `bousai` user.
fn sample() -> (TestApp, axum::Router) {
    let t = TestApp::sample();
    let r = router(&t, 64 << 20);
    (t, r)
}

/// Every published shelter as 名称 → its attributes (JSON) and lon/lat.
fn shelters_by_name(t: &TestApp) -> BTreeMap<String, (serde_json::Value, (f64, f64))> {
    let v = t.app.layers.get("shelters").unwrap();
    let name = v.schema.index_of("名称").unwrap();
    v.features
        .iter()
        .map(|f| {
            let attrs: serde_json::Map<String, serde_json::Value> = v
                .schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, fd)| (fd.name.clone(), f.property(i).to_json(fd.ty)))
                .collect();
            let geo::Geometry::Point(p) = &f.geometry else {
                panic!("not a point")
            };
            (
                f.property(name).as_str().unwrap().to_owned(),
                (serde_json::Value::Object(attrs), (p.x(), p.y())),
            )
        })
        .collect()
}

/// The published layer holds the same shelters, attributes and types as before (within 1 mm).
fn assert_round_trip(
    t: &TestApp,
    before: &BTreeMap<String, (serde_json::Value, (f64, f64))>,
    types: &[(String, kashimap::model::FieldType)],
) {
    let v = t.app.layers.get("shelters").unwrap();
    let now: Vec<(String, kashimap::model::FieldType)> = v
        .schema
        .fields()
        .iter()
        .map(|f| (f.name.clone(), f.ty))
        .collect();
    for (name, ty) in types {
        assert!(
            now.contains(&(name.clone(), *ty)),
            "field {name} keeps type {ty:?}: {now:?}"
        );
    }
    let after = shelters_by_name(t);
    assert_eq!(after.len(), before.len());
    for (name, (attrs, at)) in before {
        let (a2, at2) = after
            .get(name)
            .unwrap_or_else(|| panic!("{name} is missing"));
        assert!(metres(*at, *at2) < 0.001, "{name} moved");
        // CSV and DBF cannot tell an empty text from a missing one.
        let blank = |v: &serde_json::Value| v.is_null() || v == "";
        for (k, v) in attrs.as_object().unwrap() {
            if !(blank(v) && blank(&a2[k])) {
                assert_eq!(&a2[k], v, "{name}: {k}");
            }
        }
    }
}

async fn publish(r: &axum::Router, id: &str, query: &str) -> crate::helpers::TestResponse {
    send(
        r,
        "POST",
        &format!("/api/layers/shelters/uploads/{id}/publish{query}"),
        BOUSAI,
        None,
    )
    .await
}

fn types(t: &TestApp) -> Vec<(String, kashimap::model::FieldType)> {
    let v = t.app.layers.get("shelters").unwrap();
    v.schema
        .fields()
        .iter()
        .map(|f| (f.name.clone(), f.ty))
        .collect()
}

#[tokio::test]
async fn own_export_as_shift_jis_shapefile_without_cpg_round_trips() {
    require("ogr2ogr");
    let (t, r) = sample();
    let before = shelters_by_name(&t);
    let types = types(&t);
    let export = t.get("/api/layers/shelters/export.geojson").await;
    assert_eq!(export.status, 200);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("export.geojson");
    std::fs::write(&src, &export.body).unwrap();
    let shp = dir.path().join("hinan.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-t_srs",
        "EPSG:6670",
        "-lco",
        "ENCODING=CP932",
        shp.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    let parts = shapefile_parts(&shp, &["shp", "shx", "dbf", "prj"]);
    let refs: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let res = upload(&r, "shelters", &Form::file("hinan.zip", zip(&refs))).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let report = &res.json()["report"];
    assert_eq!(report["crs"]["epsg"], 6670);
    let mapped = report["columns"]["mapped"].as_array().unwrap();
    assert!(
        mapped.iter().any(|m| m["field"] == "大規模な火事"
            && m["column"] == "大規模な火"
            && m["by"] == "truncated"),
        "the cut DBF name is matched: {mapped:?}"
    );
    let said = report["problems"].as_array().unwrap().iter().any(|p| {
        p["message"]["ja"]
            .as_str()
            .unwrap()
            .contains("10バイト制限で切れた名前")
    });
    assert!(said, "the report says so: {report:#}");
    assert_eq!(report["changes"]["before"], 59);
    assert_eq!(report["changes"]["after"], 59);
    assert_eq!(report["changes"]["changed"], 0, "{:#}", report["changes"]);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let p = publish(&r, &id, "").await;
    assert_eq!(p.status, 200, "{}", p.text());
    assert_round_trip(&t, &before, &types);
}

/// The export rewritten as GSI writes its files: GSI's column names, flags as `1`/``, and
/// one column (種別 as 区分) only a mapping can match.
fn gsi_csv(export: &str) -> String {
    let mut rows = csv::Reader::from_reader(export.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(str::to_owned).collect();
    let rename = |h: &str| match h {
        "名称" => "施設・場所名".to_owned(),
        "土砂災害" => "崖崩れ、土石流及び地滑り".to_owned(),
        "種別" => "区分".to_owned(),
        other => other.to_owned(),
    };
    let keep: Vec<usize> = (0..header.len()).filter(|i| header[*i] != "id").collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(keep.iter().map(|i| rename(&header[*i])))
        .unwrap();
    for row in rows.records() {
        let row = row.unwrap();
        out.write_record(keep.iter().map(|i| match &row[*i] {
            "true" => "1",
            "false" => "",
            v => v,
        }))
        .unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

#[tokio::test]
async fn csv_with_gsi_column_names_and_flags_uploads_with_a_mapping_and_round_trips() {
    let (t, r) = sample();
    let before = shelters_by_name(&t);
    let types = types(&t);
    let export = t.get("/api/layers/shelters/export.csv").await;
    assert_eq!(export.status, 200);
    let text = gsi_csv(&export.text());
    assert!(text.contains("施設・場所名") && text.contains(",1,"));
    let form =
        Form::file("gsi.csv", text.clone().into_bytes()).field("mapping", r#"{"種別": "区分"}"#);
    let res = upload(&r, "shelters", &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let report = &res.json()["report"];
    let mapped: Vec<(String, String)> = report["columns"]["mapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["field"].as_str().unwrap().to_owned(),
                m["by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for want in [
        ("名称", "alias"),
        ("土砂災害", "alias"),
        ("種別", "mapping"),
    ] {
        assert!(
            mapped.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} in {mapped:?}"
        );
    }
    assert!(
        report["schema"]["type_changed"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{report:#}"
    );
    assert_eq!(report["changes"]["changed"], 0, "{:#}", report["changes"]);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(publish(&r, &id, "").await.status, 200);
    assert_round_trip(&t, &before, &types);

    // Without the mapping, 種別 is missing and 区分 would be a new column.
    let res = upload(&r, "shelters", &Form::file("gsi.csv", text.into_bytes())).await;
    let report = &res.json()["report"];
    assert!(
        report["schema"]["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "種別")
    );
    assert!(
        report["columns"]["file"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "区分")
    );
}

#[tokio::test]
async fn six_rows_need_a_confirmed_and_audited_publish() {
    let (t, r) = sample();
    let export = t.get("/api/layers/shelters/export.csv").await.text();
    let six: String = export.split_inclusive("\r\n").take(7).collect();
    let res = upload(&r, "shelters", &Form::file("six.csv", six.into_bytes())).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    let changes = &body["report"]["changes"];
    assert_eq!(
        (changes["before"].as_u64(), changes["after"].as_u64()),
        (Some(59), Some(6))
    );
    assert_eq!(changes["removed"], 53);
    assert_eq!(changes["examples"]["removed"].as_array().unwrap().len(), 20);
    let v = t.app.layers.get("shelters").unwrap();
    let flood = v.schema.index_of("洪水").unwrap();
    assert_eq!(v.schema.field(flood).ty, kashimap::model::FieldType::Bool);
    let id = body["id"].as_str().unwrap().to_owned();
    let refused = publish(&r, &id, "").await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert_eq!(refused.json()["error"], "confirm_drop");
    assert!(
        refused.json()["message_ja"]
            .as_str()
            .unwrap()
            .contains("59件 → 6件")
    );
    assert_eq!(
        t.app.layers.get("shelters").unwrap().features.len(),
        59,
        "nothing changed"
    );
    let ok = publish(&r, &id, "?confirm_drop=true").await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let v = t.app.layers.get("shelters").unwrap();
    assert_eq!(v.features.len(), 6);
    let flood = v.schema.index_of("洪水").unwrap();
    assert_eq!(
        v.schema.field(flood).ty,
        kashimap::model::FieldType::Bool,
        "true/false stay booleans"
    );
    let audit = t.audit_of("shelters").await;
    let confirmed = audit
        .iter()
        .find(|e| e.detail["action"] == "upload.drop_confirmed")
        .expect("the confirmation is audited");
    assert_eq!(confirmed.user.as_deref(), Some("tanaka"));
    assert_eq!(
        (
            confirmed.detail["before"].as_u64(),
            confirmed.detail["after"].as_u64()
        ),
        (Some(59), Some(6))
    );
}

#[tokio::test]
async fn a_staged_upload_can_be_previewed_and_an_abandoned_one_deleted() {
    let (t, r) = sample();
    let export = t.get("/api/layers/shelters/export.csv").await.text();
    let res = upload(&r, "shelters", &Form::file("all.csv", export.into_bytes())).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    let id = body["id"].as_str().unwrap();
    let version = body["version"].as_u64().unwrap();
    let uri = format!("/api/layers/shelters/uploads/{id}");
    let preview = send(&r, "GET", &format!("{uri}/preview"), BOUSAI, None).await;
    assert_eq!(preview.status, 200, "{}", preview.text());
    let fc = preview.json();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["features"].as_array().unwrap().len(), 59);
    assert!(fc["features"][0]["properties"]["名称"].is_string());
    assert_eq!(
        send(&r, "GET", &format!("{uri}/preview"), "sato:toshi", None)
            .await
            .status,
        403,
        "only the layer's uploaders preview it"
    );
    let del = send(&r, "DELETE", &uri, BOUSAI, None).await;
    assert_eq!(del.status, 204, "{}", del.text());
    assert_eq!(send(&r, "GET", &uri, BOUSAI, None).await.status, 404);
    let versions = send(&r, "GET", "/api/layers/shelters/versions", BOUSAI, None)
        .await
        .json();
    assert!(
        !versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["version"] == version),
        "the staged version is gone: {versions:#}"
    );
}

#[tokio::test]
async fn bad_mappings_and_values_are_refused_naming_what_is_wrong() {
    let (t, r) = sample();
    let export = t.get("/api/layers/shelters/export.csv").await.text();
    let text = gsi_csv(&export);
    let cases = [
        (r#"{"種別": "種類"}"#, "種類"),
        (r#"{"種別": "区分", "備考": "区分"}"#, "区分"),
        (r#"{"存在しない": "区分"}"#, "存在しない"),
        ("[1]", "mapping"),
    ];
    for (mapping, named) in cases {
        let form = Form::file("gsi.csv", text.clone().into_bytes()).field("mapping", mapping);
        let res = upload(&r, "shelters", &form).await;
        assert_eq!(res.status, 400, "{mapping}: {}", res.text());
        let body = res.json();
        assert_eq!(body["details"][0]["parameter"], "mapping");
        assert!(
            body["message"].as_str().unwrap().contains(named),
            "{mapping}: {body:#}"
        );
        assert!(body["message_ja"].as_str().is_some());
    }
    // A flag column that does not convert is an error naming the line, feature and field.
    let bad = text.replacen(",1,", ",たぶん,", 1);
    let res = upload(&r, "shelters", &Form::file("gsi.csv", bad.into_bytes())).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let body = res.json();
    let p = body["report"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "value_not_convertible")
        .expect("the value is named");
    assert_eq!(p["where"]["line"], 2, "{p:#}");
    assert_eq!(p["where"]["feature"], 1);
    assert!(p["where"]["field"].is_string());
    assert!(p["message"]["ja"].as_str().unwrap().contains("たぶん"));
    assert_eq!(
        t.app.layers.get("shelters").unwrap().version(),
        1,
        "nothing changed"
    );
}
