//! Bad files get a clear 4xx that says what and where, and nothing is staged.

use super::support::*;

fn point_collection(coords: &[(f64, f64)], crs: Option<&str>) -> Vec<u8> {
    let features: Vec<serde_json::Value> = coords
        .iter()
        .enumerate()
        .map(|(i, (x, y))| serde_json::json!({"type": "Feature", "properties": {"NO": i, "住所": "鹿島市", "洪水": "1"}, "geometry": {"type": "Point", "coordinates": [x, y]}}))
        .collect();
    let mut fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    if let Some(c) = crs {
        fc["crs"] = serde_json::json!({"type": "name", "properties": {"name": c}});
    }
    serde_json::to_vec(&fc).unwrap()
}

fn staging_is_empty(t: &crate::helpers::TestApp) -> bool {
    let dir = t.app.config.data_dir.join("staging");
    std::fs::read_dir(&dir).map_or(true, |mut d| d.next().is_none())
}

#[tokio::test]
async fn truncated_geojson_names_the_line() {
    let t = app();
    let r = router(&t, 1 << 20);
    let mut text = std::fs::read(fixture(SHELTERS_GEOJSON)).unwrap();
    text.truncate(text.len() / 2);
    let res = upload(&r, "shelters", &Form::file("s.geojson", text)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let body = res.json();
    assert_eq!(body["error"], "invalid_file");
    assert!(
        body["details"][0]["where"]["line"].as_u64().unwrap() > 100,
        "{body}"
    );
    assert!(body["message_ja"].as_str().unwrap().contains("GeoJSON"));
    assert!(staging_is_empty(&t));
}

#[tokio::test]
async fn truncated_zip_is_refused() {
    let t = app();
    let r = router(&t, 1 << 20);
    let mut z = zip(&[("a.shp", vec![0u8; 5000]), ("a.dbf", vec![1u8; 5000])]);
    z.truncate(z.len() - 30);
    let res = upload(&r, "shelters", &Form::file("a.zip", z)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(res.json()["error"], "invalid_file");
}

#[tokio::test]
async fn truncated_shapefile_is_refused_with_the_file_named() {
    let (_dir, shp) =
        shelters_via_ogr2ogr("s.shp", &["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"]);
    let mut parts = shapefile_parts(&shp, &["shp", "shx", "dbf", "prj"]);
    let dbf = &mut parts[2].1;
    dbf.truncate(dbf.len() / 2);
    let refs: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let t = app();
    let r = router(&t, 1 << 20);
    let res = upload(&r, "shelters", &Form::file("s.zip", zip(&refs))).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let body = res.json();
    assert!(
        body["details"][0]["where"]["file"]
            .as_str()
            .unwrap()
            .ends_with("s.dbf"),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("truncated"),
        "{body}"
    );
}

#[tokio::test]
async fn zip_bomb_is_refused() {
    let t = app();
    let r = router(&t, 64 << 20);
    // 300 MiB of zeros compresses about 1000:1, over the 200:1 limit.
    let mut out = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("bomb.shp", opts).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..300 {
            z.write_all(&chunk).unwrap();
        }
        z.finish().unwrap();
    }
    let res = upload(&r, "shelters", &Form::file("bomb.zip", out.into_inner())).await;
    assert_eq!(res.status, 413, "{}", res.text());
    assert_eq!(res.json()["error"], "too_large");
    assert!(
        res.json()["message_ja"]
            .as_str()
            .unwrap()
            .contains("zip 爆弾")
    );
    assert!(staging_is_empty(&t));
}

#[tokio::test]
async fn path_traversal_in_a_zip_is_refused() {
    let t = app();
    let r = router(&t, 1 << 20);
    let z = zip(&[("../../etc/cron.d/evil.shp", b"x".to_vec())]);
    let res = upload(&r, "shelters", &Form::file("evil.zip", z)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("path traversal")
    );
}

#[tokio::test]
async fn symlink_in_a_zip_is_refused() {
    let t = app();
    let r = router(&t, 1 << 20);
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        z.add_symlink(
            "a.shp",
            "/etc/passwd",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.finish().unwrap();
    }
    let res = upload(&r, "shelters", &Form::file("link.zip", out.into_inner())).await;
    assert_eq!(res.status, 415, "{}", res.text());
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link")
    );
}

#[tokio::test]
async fn wrong_geometry_type_is_refused() {
    let t = app();
    let r = router(&t, 1 << 20);
    let line = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"NO":1,"住所":"a","洪水":"1"},"geometry":{"type":"LineString","coordinates":[[130.1,33.1],[130.11,33.11]]}}]}"#;
    let res = upload(
        &r,
        "shelters",
        &Form::file("l.geojson", line.as_bytes().to_vec()),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.text());
    let body = res.json();
    assert_eq!(body["error"], "upload_refused");
    assert_eq!(body["report"]["geometry"]["mismatched"], 1);
    assert_eq!(body["details"][0]["code"], "wrong_geometry_type");
    assert_eq!(body["details"][0]["where"]["feature"], 1);
}

#[tokio::test]
async fn unknown_crs_is_refused_with_the_accepted_list() {
    let t = app();
    let r = router(&t, 1 << 20);
    let body = point_collection(
        &[(400_000.0, 3_660_000.0)],
        Some("urn:ogc:def:crs:EPSG::32652"),
    );
    let res = upload(&r, "shelters", &Form::file("utm.geojson", body)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let b = res.json();
    assert_eq!(b["error"], "unsupported_crs");
    assert!(b["message"].as_str().unwrap().contains("EPSG:32652"));
    assert!(b["message"].as_str().unwrap().contains("EPSG:6669–6687"));
    assert!(
        b["message_ja"]
            .as_str()
            .unwrap()
            .contains("対応している座標系")
    );
}

#[tokio::test]
async fn swapped_axes_land_outside_japan_and_are_explained() {
    let t = app();
    let r = router(&t, 1 << 20);
    let body = point_collection(&[(33.074_408, 130.108_483)], None);
    let res = upload(&r, "shelters", &Form::file("swapped.geojson", body)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let b = res.json();
    assert_eq!(b["details"][0]["code"], "outside_japan");
    assert!(
        b["details"][0]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("Swapping X and Y"),
        "{b}"
    );
    assert!(
        b["details"][0]["message"]["ja"]
            .as_str()
            .unwrap()
            .contains("入れ替える")
    );
}

#[tokio::test]
async fn metres_declared_as_degrees_are_explained() {
    let t = app();
    let r = router(&t, 1 << 20);
    let body = point_collection(&[(-83_238.17, 8_604.83)], None);
    let res = upload(&r, "shelters", &Form::file("m.geojson", body)).await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["details"][0]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("metres")
    );
    let body = point_collection(&[(-83_238.17, 8_604.83)], None);
    let res = upload(
        &r,
        "shelters",
        &Form::file("m.geojson", body).field("srs", "EPSG:6670"),
    )
    .await;
    assert_eq!(res.status, 201, "the srs option fixes it: {}", res.text());
}

#[tokio::test]
async fn several_shapefiles_need_source_layer() {
    let t = app();
    let r = router(&t, 1 << 20);
    let z = zip(&[
        ("a/one.shp", vec![0; 8]),
        ("a/one.dbf", vec![0; 8]),
        ("b/two.shp", vec![0; 8]),
        ("b/two.dbf", vec![0; 8]),
    ]);
    let res = upload(&r, "shelters", &Form::file("two.zip", z)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let b = res.json();
    assert_eq!(b["error"], "choose_source_layer");
    assert_eq!(
        b["details"][0]["source_layers"],
        serde_json::json!(["one", "two"])
    );
}

#[tokio::test]
async fn fuzzed_flatgeobuf_is_refused_cleanly() {
    let t = app();
    let r = router(&t, 1 << 20);
    for name in [
        "clusterfuzz-testcase-minimized-fgb_fuzzer-4642513358553088",
        "topp_states.fgb",
    ] {
        let bytes = std::fs::read(fixture(&format!("fgb/{name}"))).unwrap();
        let res = upload(&r, "shelters", &Form::file(name, bytes)).await;
        assert_eq!(res.status, 422, "{name}: {}", res.text());
        assert_eq!(res.json()["error"], "invalid_file");
    }
}

#[tokio::test]
async fn unrecognised_and_oversized_uploads() {
    let t = app();
    let r = router(&t, 1 << 20);
    let res = upload(
        &r,
        "shelters",
        &Form::file("x.bin", vec![0u8, 159, 146, 150, 0, 1]),
    )
    .await;
    assert_eq!(res.status, 415);
    let res = upload(
        &r,
        "shelters",
        &Form::file("big.geojson", vec![b' '; 2 << 20]),
    )
    .await;
    assert_eq!(res.status, 413, "{}", res.text());
    assert!(staging_is_empty(&t));
}

#[tokio::test]
async fn missing_policy_attribute_is_refused() {
    let t = app();
    let r = router(&t, 1 << 20);
    let body = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"NO":1,"住所":"a"},"geometry":{"type":"Point","coordinates":[130.1,33.1]}}]}"#;
    let res = upload(
        &r,
        "shelters",
        &Form::file("p.geojson", body.as_bytes().to_vec()),
    )
    .await;
    assert_eq!(res.status, 422);
    let b = res.json();
    assert_eq!(
        b["report"]["missing_policy_attributes"],
        serde_json::json!(["洪水"])
    );
    assert!(
        b["report"]["schema"]["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "洪水")
    );
}

#[tokio::test]
async fn option_fields_are_small_and_known() {
    let t = app();
    let r = router(&t, 1 << 20);
    let text = std::fs::read(fixture(SHELTERS_GEOJSON)).unwrap();
    let res = upload(
        &r,
        "shelters",
        &Form::file("s.geojson", text.clone()).field("srs", &"9".repeat(5000)),
    )
    .await;
    assert_eq!(res.status, 400);
    let res = upload(
        &r,
        "shelters",
        &Form::file("s.geojson", text).field("colour", "red"),
    )
    .await;
    assert_eq!(res.status, 400);
    assert!(res.json()["message"].as_str().unwrap().contains("colour"));
    let res = upload(&r, "shelters", &Form::default().field("srs", "EPSG:6670")).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"], "missing_file");
    assert!(staging_is_empty(&t));
}

/// Sets every declared compressed size of a zip (local and central headers) to `size`.
fn lie_about_compressed_size(zip: &mut [u8], size: u32) {
    let mut i = 0;
    while i + 24 <= zip.len() {
        let field = match &zip[i..i + 4] {
            b"PK\x03\x04" => Some(i + 18),
            b"PK\x01\x02" => Some(i + 20),
            _ => None,
        };
        if let Some(at) = field {
            zip[at..at + 4].copy_from_slice(&size.to_le_bytes());
        }
        i += 1;
    }
}

/// A bomb that declares a compressed size of 0xFFFFFF00 looks like a ratio below 1; only
/// the bytes really read and inflated tell the truth.
#[tokio::test]
async fn a_zip_that_lies_about_its_compressed_size_is_refused_by_what_it_inflates() {
    let t = app();
    let r = router(&t, 64 << 20);
    let mut z = zip(&[("bomb.geojson", vec![b' '; 40 << 20])]);
    lie_about_compressed_size(&mut z, 0xFFFF_FF00);
    let res = upload(&r, "shelters", &Form::file("liar.zip", z)).await;
    assert_eq!(res.status, 413, "{}", res.text());
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("compressed"),
        "{}",
        res.text()
    );
    assert!(staging_is_empty(&t));
}

#[rstest::rstest]
#[case::unix_absolute("/etc/cron.d/evil.shp")]
#[case::windows_drive("C:/evil.shp")]
#[case::windows_root("\\evil.shp")]
#[tokio::test]
async fn absolute_paths_in_a_zip_are_refused(#[case] name: &str) {
    let t = app();
    let r = router(&t, 1 << 20);
    let z = zip(&[(name, b"x".to_vec())]);
    let res = upload(&r, "shelters", &Form::file("evil.zip", z)).await;
    assert_eq!(res.status, 422, "{name}: {}", res.text());
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("path traversal")
    );
}

/// Over the budget of columns or of bytes per value: 413 naming the limit, and the staging
/// folder is gone.
#[rstest::rstest]
#[case::columns(
    format!("lon,lat,{}\n130.1,33.1,{}\n",
        (0..1001).map(|i| format!("c{i}")).collect::<Vec<_>>().join(","),
        vec!["1"; 1001].join(",")),
    "columns"
)]
#[case::value_bytes(format!("lon,lat,memo\n130.1,33.1,{}\n", "x".repeat(2 << 20)), "attribute value")]
#[tokio::test]
async fn an_upload_over_its_work_budget_is_refused_and_cleaned(
    #[case] csv: String,
    #[case] what: &str,
) {
    let t = app();
    let r = router(&t, 64 << 20);
    let res = upload(&r, "shelters", &Form::file("big.csv", csv.into_bytes())).await;
    assert_eq!(res.status, 413, "{}", res.text());
    assert!(
        res.json()["message"].as_str().unwrap().contains(what),
        "{}",
        res.text()
    );
    assert!(staging_is_empty(&t));
}
