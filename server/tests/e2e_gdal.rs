#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed setup should fail the test loudly"
)]

//! End to end: the real `kashimap` binary, queried by GDAL's OAPIF driver (`ogrinfo`).
//!
//! The server runs in a temporary directory with synthetic layers (made here):
//! - `shelters`: 120 public points on a 12 × 10 grid; `管理者` is hidden from the public;
//! - `zoning`: two public polygons;
//! - `pipes`: staff only, so GDAL must not list it.
//!
//! Without `ogrinfo` the test fails and says what to install: a test that cannot fail would
//! pass in no time and prove nothing.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use geo::{Geometry, LineString, Polygon, point};
use kashimap::fgb;
use kashimap::model::{Feature, Field, FieldType, Schema, Value};

const SHELTERS: usize = 120;

/// Kills the server when the test ends, whether it passes or panics.
struct Server {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("---- server log ----\n{log}");
        }
    }
}

fn xy(i: usize) -> (f64, f64) {
    (
        130.05 + ((i - 1) % 12) as f64 * 0.01,
        33.03 + ((i - 1) / 12) as f64 * 0.01,
    )
}

fn kind(i: usize) -> &'static str {
    if i.is_multiple_of(4) {
        "指定緊急避難場所"
    } else {
        "指定避難所"
    }
}

fn write_layer(dir: &Path, id: &str, toml: &str, fields: Vec<Field>, features: &[Feature]) {
    std::fs::write(dir.join(format!("layers/{id}.toml")), toml).unwrap();
    let schema = Schema::new(fields);
    let cols: Vec<usize> = (0..schema.len()).collect();
    let file = std::fs::File::create(dir.join(format!("data/{id}.fgb"))).unwrap();
    fgb::write(
        file,
        id,
        &schema,
        &cols,
        features,
        fgb::WriteOptions::default(),
    )
    .unwrap();
}

fn layer_toml(id: &str, geometry: &str, view: &str, extra: &str) -> String {
    // One kind is a TOML string, several a TOML list (`["Point", "Polygon"]`) given as is.
    let geometry = if geometry.starts_with('[') {
        geometry.to_owned()
    } else {
        format!("\"{geometry}\"")
    };
    format!(
        "id = \"{id}\"\ntitle = {{ ja = \"{id}\", en = \"{id}\" }}\ndepartment = \"総務課\"\n\
         source = \"data/{id}.fgb\"\ngeometry = {geometry}\nattribution = \"synthetic test data\"\n\
         sample = true\n[access]\nview = \"{view}\"\n{extra}\n"
    )
}

fn field(name: &str, ty: FieldType) -> Field {
    Field {
        name: name.into(),
        ty,
    }
}

fn shelters() -> Vec<Feature> {
    (1..=SHELTERS)
        .map(|i| {
            let (x, y) = xy(i);
            let props = vec![
                Value::String(format!("避難所{i}").into()),
                Value::String(kind(i).into()),
                Value::Int((i as i64 * 37) % 500),
                Value::String(format!("担当{i}").into()),
            ];
            Feature::new(i as u64, Geometry::Point(point!(x: x, y: y)), props.into())
        })
        .collect()
}

fn zoning() -> Vec<Feature> {
    let square = |x: f64, y: f64| {
        Polygon::new(
            LineString::from(vec![
                (x, y),
                (x + 0.02, y),
                (x + 0.02, y + 0.02),
                (x, y + 0.02),
            ]),
            vec![],
        )
    };
    [
        ("商業地域", 130.05, 33.03),
        ("第一種住居地域", 130.10, 33.08),
    ]
    .iter()
    .enumerate()
    .map(|(i, &(name, x, y))| {
        let props = vec![Value::String(name.into())];
        Feature::new(i as u64 + 1, Geometry::Polygon(square(x, y)), props.into())
    })
    .collect()
}

fn write_fixture(dir: &Path) {
    std::fs::create_dir_all(dir.join("layers")).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let shelter_fields = || {
        vec![
            field("名称", FieldType::String),
            field("種別", FieldType::String),
            field("収容人数", FieldType::Int),
            field("管理者", FieldType::String),
        ]
    };
    let public = "[access.attributes]\npublic = [\"名称\", \"種別\", \"収容人数\"]";
    let toml = layer_toml("shelters", "Point", "public", public);
    write_layer(dir, "shelters", &toml, shelter_fields(), &shelters());
    let toml = layer_toml("zoning", "Polygon", "public", "");
    write_layer(
        dir,
        "zoning",
        &toml,
        vec![field("用途地域", FieldType::String)],
        &zoning(),
    );
    // Patrol records: spots and field outlines in one layer.
    let toml = layer_toml("patrol", "[\"Point\", \"Polygon\"]", "public", "");
    let mut patrol = zoning();
    patrol.extend(shelters().into_iter().take(3).map(|mut f| {
        f.id += 2;
        f.properties = vec![Value::String(format!("地点{}", f.id).into())].into();
        f
    }));
    write_layer(
        dir,
        "patrol",
        &toml,
        vec![field("用途地域", FieldType::String)],
        &patrol,
    );
    let toml = layer_toml("pipes", "Point", "staff", "");
    write_layer(dir, "pipes", &toml, shelter_fields(), &shelters());
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A minimal HTTP/1.1 GET: `(status, body)`, or `None` if the server does not answer.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split(' ').nth(1)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Some((status, body))
}

fn start(dir: &Path) -> Server {
    let port = free_port();
    let log = dir.join("server.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_kashimap"))
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            "var",
            "serve",
        ])
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .unwrap();
    let server = Server { child, port, log };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some((200, _)) = http_get(port, "/readyz") {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not become ready on port {port}");
}

/// Runs `ogrinfo`; returns stdout and stderr. Proxies are bypassed: the server is local.
fn ogrinfo(args: &[&str]) -> (String, String) {
    let out = Command::new("ogrinfo")
        .args(args)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("GDAL_HTTP_TIMEOUT", "30")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `名称` values of the features `ogrinfo` printed.
fn names(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("名称 (String) = "))
        .map(str::to_owned)
        .collect()
}

/// `(layer, geometry type)` of each `N: name [(title: ...)] (Type)` line of a listing.
fn layers(stdout: &str) -> Vec<(&str, &str)> {
    stdout
        .lines()
        .filter_map(|l| {
            let (n, rest) = l.split_once(": ")?;
            n.parse::<usize>().ok()?;
            // `name (title: …) (Type)`; GDAL leaves the type out for a layer of several.
            let (name, after) = rest.split_once(' ')?;
            let ty = after.split_once(") ").map_or("", |(_, ty)| ty);
            Some((name, ty))
        })
        .collect()
}

fn feature_count(stdout: &str) -> usize {
    stdout
        .lines()
        .filter(|l| l.starts_with("OGRFeature("))
        .count()
}

/// Fails the test, with what to install, when GDAL's `ogrinfo` is missing.
fn require_ogrinfo() {
    assert!(
        Command::new("ogrinfo").arg("--version").output().is_ok(),
        "this test drives GDAL's `ogrinfo` against the server, and `ogrinfo` is not installed: \
         apt-get install gdal-bin (or run .ci/run, which installs every test prerequisite)"
    );
}

#[test]
fn gdal_lists_filters_and_pages_through_the_ogc_api() {
    require_ogrinfo();
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let server = start(dir.path());
    let url = format!("OAPIF:http://127.0.0.1:{}/ogc", server.port);

    lists_public_layers_only(&url);
    reads_every_feature_through_next_links(&url);
    reads_points_and_areas_of_one_layer(&url);
    spatial_filter_returns_the_features_in_the_box(&url);
    where_clause_becomes_a_server_side_cql2_filter(&url);
    the_log_file_has_plain_request_lines(&server.log);
}

/// The server's stderr went to a file: no colour codes, and every request line says what was
/// asked and how long it took.
fn the_log_file_has_plain_request_lines(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        !text.contains('\x1b'),
        "ANSI escapes in a log file:\n{text}"
    );
    let line = text
        .lines()
        .find(|l| l.contains("path=/ogc/collections/shelters/items"))
        .unwrap_or_else(|| panic!("no request line for the items:\n{text}"));
    assert!(line.contains(" request method=GET "), "{line}");
    assert!(line.contains(" status=200 "), "{line}");
    let ms = line.rsplit_once(" latency_ms=").unwrap().1;
    let (whole, decimals) = ms.split_once('.').unwrap();
    assert!(
        whole.parse::<u64>().is_ok() && decimals.len() == 2,
        "latency in ms with two decimals: {line}"
    );
}

fn lists_public_layers_only(url: &str) {
    let (out, err) = ogrinfo(&["-ro", "-so", url]);
    assert_eq!(
        layers(&out),
        vec![
            ("patrol", ""),
            ("shelters", "(Point)"),
            ("zoning", "(Polygon)")
        ],
        "{out}\n{err}"
    );
    let (out, err) = ogrinfo(&["-ro", "-so", url, "shelters"]);
    assert!(
        out.contains(&format!("Feature Count: {SHELTERS}")),
        "{out}\n{err}"
    );
    assert!(
        out.contains("Extent: (130.050000, 33.030000) - (130.160000, 33.120000)"),
        "{out}"
    );
    assert!(out.contains("名称: String"), "{out}");
    assert!(
        !out.contains("管理者"),
        "a hidden attribute is described: {out}"
    );
    let (out, err) = ogrinfo(&["-ro", "-so", url, "pipes"]);
    assert!(!out.contains("Feature Count"), "{out}\n{err}");
}

/// A layer of two kinds reads whole: each feature with its own geometry type.
fn reads_points_and_areas_of_one_layer(url: &str) {
    let (out, err) = ogrinfo(&["-ro", url, "patrol"]);
    assert_eq!(feature_count(&out), 5, "{out}\n{err}");
    assert_eq!(out.matches("  POLYGON ((").count(), 2, "{out}");
    assert_eq!(out.matches("  POINT (").count(), 3, "{out}");
}

fn reads_every_feature_through_next_links(url: &str) {
    let (out, err) = ogrinfo(&["-ro", "-oo", "PAGE_SIZE=25", url, "shelters"]);
    assert_eq!(feature_count(&out), SHELTERS, "{err}");
    let expected: Vec<String> = (1..=SHELTERS).map(|i| format!("避難所{i}")).collect();
    assert_eq!(names(&out), expected);
    assert!(!out.contains("担当"), "a hidden attribute's values leak");
}

fn spatial_filter_returns_the_features_in_the_box(url: &str) {
    let (x0, y0, x1, y1) = (130.075, 33.045, 130.115, 33.085);
    let expected: Vec<String> = (1..=SHELTERS)
        .filter(|&i| {
            let (x, y) = xy(i);
            (x0..=x1).contains(&x) && (y0..=y1).contains(&y)
        })
        .map(|i| format!("避難所{i}"))
        .collect();
    let spat = [x0, y0, x1, y1].map(|v| v.to_string());
    let mut args = vec!["-ro", url, "shelters", "-spat"];
    args.extend(spat.iter().map(String::as_str));
    let (out, err) = ogrinfo(&args);
    assert_eq!(names(&out), expected, "{err}");
    let (out, _) = ogrinfo(&[
        "-ro", url, "zoning", "-spat", "130.11", "33.09", "130.2", "33.2",
    ]);
    assert!(out.contains("用途地域 (String) = 第一種住居地域"), "{out}");
    assert_eq!(feature_count(&out), 1, "{out}");
}

/// OGR SQL needs non-ASCII column names in double quotes; GDAL then sends them unquoted
/// as `filter=種別 = '…'&filter-lang=cql-text`, which the server must accept.
fn where_clause_becomes_a_server_side_cql2_filter(url: &str) {
    let expected: Vec<String> = (1..=SHELTERS)
        .filter(|&i| kind(i) == "指定緊急避難場所")
        .map(|i| format!("避難所{i}"))
        .collect();
    let (out, err) = ogrinfo(&[
        "-ro",
        "--debug",
        "on",
        url,
        "shelters",
        "-where",
        "\"種別\" = '指定緊急避難場所'",
    ]);
    assert_eq!(names(&out), expected, "{err}");
    assert!(
        err.contains("filter="),
        "GDAL did not send the filter to the server: {err}"
    );
    let (out, err) = ogrinfo(&["-ro", url, "shelters", "-where", "\"名称\" = '避難所7'"]);
    assert_eq!(names(&out), vec!["避難所7"], "{err}");
}
