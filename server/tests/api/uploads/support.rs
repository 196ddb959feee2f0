//! Shared setup for the upload tests: a test application with a shelter layer made from the
//! real GSI data, a test identity, multipart bodies, GDAL-made files and zips.

use geo::{line_string, point, polygon};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::Request;
use axum::http::request::Parts;
use kashimap::access::Principal;
use kashimap::app::App;
use kashimap::model::{Feature, Field, FieldType, Value};

use crate::helpers::{LayerSpec, TestApp, TestResponse};

pub const SHELTERS_GEOJSON: &str = "kashima_kinkyu_hinanbasho_412074.geojson";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Fails the test, with what to install, when a command-line tool (GDAL's `ogr2ogr`, PROJ's
/// `cs2cs`) is missing: a skipped check would pass in no time and prove nothing.
pub fn require(tool: &str) {
    assert!(
        Command::new(tool).arg("--version").output().is_ok(),
        "this test needs `{tool}`, which is not installed: apt-get install gdal-bin proj-bin \
         (or run .ci/run, which installs every test prerequisite)"
    );
}

/// Runs `ogr2ogr` with the arguments; panics with its stderr on failure.
pub fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr runs");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Converts the shelters fixture with `ogr2ogr ARGS… DIR/NAME fixture` into a new temporary
/// directory. Fails the test when GDAL is missing.
pub fn shelters_via_ogr2ogr(name: &str, args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    require("ogr2ogr");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(name);
    let src = fixture(SHELTERS_GEOJSON);
    let mut all: Vec<&str> = args.to_vec();
    all.push(out.to_str().unwrap());
    all.push(src.to_str().unwrap());
    ogr2ogr(&all);
    (dir, out)
}

/// The shelters as (NO, 施設・場所名, lon, lat), from the GeoJSON fixture.
pub fn originals() -> Vec<(i64, String, f64, f64)> {
    let text = std::fs::read_to_string(fixture(SHELTERS_GEOJSON)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                f["properties"]["NO"].as_i64().unwrap(),
                f["properties"]["施設・場所名"].as_str().unwrap().to_owned(),
                c[0].as_f64().unwrap(),
                c[1].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The shelter layer's starting data: the fixture's features with their real schema.
fn shelter_spec() -> (Vec<Field>, Vec<Feature>) {
    let text = std::fs::read_to_string(fixture(SHELTERS_GEOJSON)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let feats = v["features"].as_array().unwrap();
    let names: Vec<String> = feats[0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let fields = names
        .iter()
        .map(|n| Field {
            name: n.clone(),
            ty: if n == "NO" {
                FieldType::Int
            } else {
                FieldType::String
            },
        })
        .collect();
    let features = feats
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let c = &f["geometry"]["coordinates"];
            let p =
                geo::Geometry::Point(point!(x: c[0].as_f64().unwrap(), y: c[1].as_f64().unwrap()));
            let props: Vec<Value> = names
                .iter()
                .map(|n| match &f["properties"][n] {
                    serde_json::Value::Number(x) => Value::Int(x.as_i64().unwrap()),
                    serde_json::Value::String(s) => Value::String(s.as_str().into()),
                    _ => Value::Null,
                })
                .collect();
            Feature::new(i as u64 + 1, p, props.into())
        })
        .collect();
    (fields, features)
}

const SHELTERS: &str = r#"
id = "shelters"
title = { ja = "指定緊急避難場所", en = "Emergency evacuation sites" }
department = "総務課"
source = "data/shelters.fgb"
geometry = "Point"
attribution = "出典：国土地理院 指定緊急避難場所・指定避難所データ"
searchable = ["住所"]
[access]
view = "public"
upload = ["bousai"]
[access.attributes]
public = ["NO", "住所", "洪水"]
staff = "*"
"#;

const PIPES: &str = r#"
id = "pipes"
title = { ja = "管路", en = "Water pipes" }
department = "水道課"
source = "data/pipes.fgb"
geometry = "LineString"
attribution = "サンプル"
sample = true
[access]
view = ["suido"]
upload = ["suido"]
"#;

const ZONES: &str = r#"
id = "zones"
title = { ja = "区域", en = "Zones" }
department = "都市計画課"
source = "data/zones.fgb"
geometry = "Polygon"
attribution = "サンプル"
sample = true
[access]
view = "public"
upload = ["toshi"]
"#;

/// The test application: shelters (real data), pipes (restricted), zones (polygons).
pub fn app() -> TestApp {
    let (fields, features) = shelter_spec();
    let line = geo::Geometry::LineString(line_string![(x: 130.1, y: 33.1), (x: 130.11, y: 33.11)]);
    let square = geo::Geometry::Polygon(
        polygon![(x: 130.1, y: 33.1), (x: 130.11, y: 33.1), (x: 130.11, y: 33.11), (x: 130.1, y: 33.11)],
    );
    let name = || {
        vec![Field {
            name: "名称".into(),
            ty: FieldType::String,
        }]
    };
    TestApp::with_layers(&[
        LayerSpec {
            toml: SHELTERS,
            id: "shelters",
            fields,
            features,
        },
        LayerSpec {
            toml: PIPES,
            id: "pipes",
            fields: name(),
            features: vec![Feature::new(
                1,
                line,
                vec![Value::String("本管".into())].into(),
            )],
        },
        LayerSpec {
            toml: ZONES,
            id: "zones",
            fields: name(),
            features: vec![Feature::new(
                1,
                square,
                vec![Value::String("区域".into())].into(),
            )],
        },
    ])
}

/// A test identity from the `x-test-user: name:role,role` header (anonymous without it).
/// Sign-in is built elsewhere; the upload routes take the extractor as a parameter.
pub struct TestUser(Principal);

impl FromRequestParts<Arc<App>> for TestUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &Arc<App>) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get("x-test-user")
            .and_then(|h| h.to_str().ok());
        Ok(Self(match header.and_then(|h| h.split_once(':')) {
            Some((name, roles)) => {
                let roles: Vec<String> = roles
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect();
                Principal::user(name, true, &roles, Vec::new())
            }
            None => Principal::anonymous(),
        }))
    }
}

impl From<TestUser> for Principal {
    fn from(u: TestUser) -> Self {
        u.0
    }
}

/// The upload routes with the test identity and the server's body limit.
pub fn router(t: &TestApp, max_body: usize) -> Router {
    Router::new()
        .merge(kashimap::http::uploads::routes::<TestUser>(&t.app))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .with_state(Arc::clone(&t.app))
}

/// A multipart form.
#[derive(Default)]
pub struct Form {
    parts: Vec<(String, Option<String>, Vec<u8>)>,
}

impl Form {
    pub fn file(name: &str, bytes: Vec<u8>) -> Self {
        Self {
            parts: vec![("file".into(), Some(name.into()), bytes)],
        }
    }

    pub fn field(mut self, name: &str, value: &str) -> Self {
        self.parts
            .push((name.into(), None, value.as_bytes().to_vec()));
        self
    }

    pub fn body(&self) -> (String, Vec<u8>) {
        let boundary = "kashimap-test-boundary-7d9a";
        let mut b = Vec::new();
        for (name, file, bytes) in &self.parts {
            write!(
                b,
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
            )
            .unwrap();
            if let Some(f) = file {
                write!(
                    b,
                    "; filename=\"{f}\"\r\nContent-Type: application/octet-stream"
                )
                .unwrap();
            }
            b.extend_from_slice(b"\r\n\r\n");
            b.extend_from_slice(bytes);
            b.extend_from_slice(b"\r\n");
        }
        write!(b, "--{boundary}--\r\n").unwrap();
        (format!("multipart/form-data; boundary={boundary}"), b)
    }
}

/// Sends a request through the upload routes as `user` (`name:roles` or "" for anonymous).
pub async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    user: &str,
    form: Option<&Form>,
) -> TestResponse {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = Request::builder().method(method).uri(uri);
    if !user.is_empty() {
        req = req.header("x-test-user", user);
    }
    let body = match form {
        Some(f) => {
            let (ct, b) = f.body();
            req = req.header("content-type", ct);
            Body::from(b)
        }
        None => Body::empty(),
    };
    let res = router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    TestResponse {
        status,
        headers,
        body,
    }
}

pub const BOUSAI: &str = "tanaka:bousai";

/// Uploads a file to the shelters layer as a `bousai` user.
pub async fn upload(router: &Router, layer: &str, form: &Form) -> TestResponse {
    let user = match layer {
        "zones" => "sato:toshi",
        "pipes" => "suzuki:suido",
        _ => BOUSAI,
    };
    send(
        router,
        "POST",
        &format!("/api/layers/{layer}/uploads"),
        user,
        Some(form),
    )
    .await
}

/// Zips files (name in zip, bytes).
pub fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

/// Reads the files of a Shapefile made by ogr2ogr (`base` without extension).
pub fn shapefile_parts(base: &Path, exts: &[&str]) -> Vec<(String, Vec<u8>)> {
    exts.iter()
        .filter_map(|e| {
            let p = base.with_extension(e);
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some((name, std::fs::read(&p).ok()?))
        })
        .collect()
}

/// Metres between two lon/lat points (local flat approximation; fine at the mm scale).
pub fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let lat = a.1.to_radians();
    let dx = (a.0 - b.0) * 111_320.0 * lat.cos();
    let dy = (a.1 - b.1) * 110_574.0;
    dx.hypot(dy)
}

/// Checks the published shelters: every original comes back within 1 mm and with its name
/// exactly (in `name_field`, which a Shapefile truncates).
pub fn assert_shelters_exact(test: &TestApp, name_field: &str) {
    let v = test.app.layers.get("shelters").unwrap();
    let no = v.schema.index_of("NO").unwrap();
    let name = v
        .schema
        .index_of(name_field)
        .unwrap_or_else(|| panic!("no field {name_field} in {:?}", v.schema.fields()));
    let originals = originals();
    assert_eq!(v.features.len(), originals.len());
    for (id, label, lon, lat) in originals {
        let f = v
            .features
            .iter()
            .find(|f| f.property(no).as_f64() == Some(id as f64))
            .unwrap_or_else(|| panic!("shelter NO {id} is missing"));
        let geo::Geometry::Point(p) = &f.geometry else {
            panic!("not a point")
        };
        let d = metres((p.x(), p.y()), (lon, lat));
        assert!(d < 0.001, "shelter {id} moved {d} m");
        assert_eq!(
            f.property(name).as_str(),
            Some(label.as_str()),
            "name of shelter {id}"
        );
    }
}
