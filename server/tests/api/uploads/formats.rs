//! Real files made with GDAL from the real shelter data: every format comes back within a
//! millimetre, with its Japanese names exact.

use super::support::*;

/// Uploads, checks the report's encoding and CRS, publishes, and checks the data.
async fn upload_and_publish(
    form: Form,
    encoding_reason: &str,
    epsg: u64,
    name_field: &str,
) -> serde_json::Value {
    let t = app();
    let r = router(&t, 64 << 20);
    let res = upload(&r, "shelters", &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    let report = &body["report"];
    assert_eq!(report["accepted"], true);
    assert_eq!(report["feature_count"], 33);
    assert_eq!(report["encoding"]["reason"], encoding_reason, "{report:#}");
    assert_eq!(report["crs"]["epsg"], epsg);
    assert!(
        report["encoding"]["message"]["ja"]
            .as_str()
            .unwrap()
            .contains("読み込みました")
            || report["encoding"]["reason"] == "format"
    );
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        t.app.layers.get("shelters").unwrap().version(),
        1,
        "nothing is live before the publish"
    );
    let res = send(
        &r,
        "POST",
        &format!("/api/layers/shelters/uploads/{id}/publish"),
        BOUSAI,
        None,
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(t.app.layers.get("shelters").unwrap().version(), 2);
    assert_shelters_exact(&t, name_field);
    body
}

fn shapefile_6670(dir: &std::path::Path) -> std::path::PathBuf {
    let shp = dir.join("hinanbasho.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-t_srs",
        "EPSG:6670",
        "-lco",
        "ENCODING=CP932",
        shp.to_str().unwrap(),
        fixture(SHELTERS_GEOJSON).to_str().unwrap(),
    ]);
    shp
}

#[tokio::test]
async fn shift_jis_shapefile_in_zone_2_with_cpg() {
    require("ogr2ogr");
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile_6670(dir.path());
    let parts = shapefile_parts(&shp, &["shp", "shx", "dbf", "prj", "cpg"]);
    assert_eq!(parts.len(), 5, "ogr2ogr wrote a .cpg");
    let entries: Vec<(String, Vec<u8>)> = parts
        .into_iter()
        .map(|(n, b)| (format!("避難場所/{n}"), b))
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    let body = upload_and_publish(
        Form::file("hinanbasho.zip", zip(&refs)),
        "cpg",
        6670,
        "施設・場所名",
    )
    .await;
    let report = &body["report"];
    assert_eq!(report["format"]["code"], "shapefile");
    let mapped = report["columns"]["mapped"].as_array().unwrap();
    assert!(
        mapped.iter().any(|m| m["column"] == "施設・場所"
            && m["field"] == "施設・場所名"
            && m["by"] == "truncated"),
        "a DBF name cut at 10 bytes that starts one field's name is read as that field: {mapped:?}"
    );
    assert!(
        report["schema"]["removed"].as_array().unwrap().is_empty(),
        "{:#}",
        report["schema"]
    );
}

#[tokio::test]
async fn shift_jis_shapefile_without_cpg_is_detected_as_cp932() {
    require("ogr2ogr");
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile_6670(dir.path());
    let parts = shapefile_parts(&shp, &["shp", "shx", "dbf", "prj"]);
    assert_eq!(
        parts[2].1[29], 0,
        "no language driver either: the content decides"
    );
    let refs: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    upload_and_publish(
        Form::file("hinanbasho.zip", zip(&refs)),
        "not_utf8_cp932",
        6670,
        "施設・場所名",
    )
    .await;
}

#[tokio::test]
async fn geopackage_in_zone_2() {
    let (_dir, gpkg) = shelters_via_ogr2ogr(
        "shelters.gpkg",
        &["-f", "GPKG", "-t_srs", "EPSG:6670", "-nln", "避難場所"],
    );
    // Named .dat: the content, not the name, says what it is.
    let body = upload_and_publish(
        Form::file("export.dat", std::fs::read(&gpkg).unwrap()),
        "format",
        6670,
        "施設・場所名",
    )
    .await;
    assert_eq!(body["report"]["format"]["code"], "geopackage");
    assert_eq!(body["report"]["format"]["source_layer"], "避難場所");
    assert_eq!(body["report"]["crs"]["source"], "gpkg_srs_id");
}

#[tokio::test]
async fn flatgeobuf() {
    let (_dir, fgb) = shelters_via_ogr2ogr("shelters.fgb", &["-f", "FlatGeobuf"]);
    let body = upload_and_publish(
        Form::file("shelters.fgb", std::fs::read(&fgb).unwrap()),
        "format",
        4326,
        "施設・場所名",
    )
    .await;
    assert_eq!(body["report"]["crs"]["source"], "fgb_header");
}

#[tokio::test]
async fn cp932_csv_with_latitude_and_longitude_columns() {
    let (_dir, csv) = shelters_via_ogr2ogr(
        "shelters.csv",
        &[
            "-f",
            "CSV",
            "-lco",
            "GEOMETRY=AS_XY",
            "-lco",
            "LINEFORMAT=CRLF",
        ],
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let text = text.replacen("X,Y,", "経度,緯度,", 1);
    assert!(text.contains("\r\n"));
    let (cp932, _, bad) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!bad);
    let body = upload_and_publish(
        Form::file("避難場所.csv", cp932.into_owned()),
        "not_utf8_cp932",
        6668,
        "施設・場所名",
    )
    .await;
    let report = &body["report"];
    assert_eq!(report["format"]["code"], "csv");
    assert_eq!(report["crs"]["source"], "assumed");
    assert!(
        report["schema"]["type_changed"]
            .as_array()
            .unwrap()
            .is_empty(),
        "types follow the current version: {:#}",
        report["schema"]
    );
}

#[tokio::test]
async fn geojson_in_jgd2000_geographic() {
    let (_dir, out) = shelters_via_ogr2ogr(
        "shelters.geojson",
        &["-f", "GeoJSON", "-t_srs", "EPSG:4612"],
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("EPSG::4612"),
        "the legacy crs member is written"
    );
    let body = upload_and_publish(
        Form::file("shelters.geojson", text.into_bytes()),
        "valid_utf8",
        4612,
        "施設・場所名",
    )
    .await;
    assert_eq!(body["report"]["crs"]["source"], "geojson_crs");
}

#[tokio::test]
async fn explicit_encoding_wins() {
    let t = app();
    let r = router(&t, 1 << 20);
    let text = std::fs::read(fixture(SHELTERS_GEOJSON)).unwrap();
    let res = upload(
        &r,
        "shelters",
        &Form::file("s.geojson", text).field("encoding", "utf-8"),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["report"]["encoding"]["reason"], "explicit");
    let res = upload(
        &r,
        "shelters",
        &Form::file("s.geojson", b"{}".to_vec()).field("encoding", "ebcdic"),
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"], "invalid_parameter");
}
