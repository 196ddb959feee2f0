//! `kill -9` during an import and publish: after a restart the last published version
//! serves, whole, and no temporary file is left; one writer per data folder; `check` reads
//! only. Drives the real binary.

use geo::point;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{add_user, kashimap, serve};

use kashimap::fgb;
use kashimap::model::{Feature, Field, FieldType, Schema, Value};
use kashimap::store::{FsStore, VersionStore};

const LAYER: &str = r#"
id = "points"
title = { ja = "点", en = "Points" }
department = "総務課"
source = "data/points.fgb"
geometry = "Point"
attribution = "テスト"
sample = true
[access]
view = "public"
upload = ["bousai"]
"#;

/// Deterministic points inside Kashima.
fn point(i: u64) -> (f64, f64) {
    let a = (i.wrapping_mul(2_654_435_761) % 10_000) as f64 / 10_000.0;
    let b = (i.wrapping_mul(40_503) % 10_000) as f64 / 10_000.0;
    (130.05 + a * 0.1, 33.05 + b * 0.08)
}

fn setup(root: &Path, upload_points: u64) -> PathBuf {
    std::fs::create_dir_all(root.join("layers")).unwrap();
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(root.join("layers/points.toml"), LAYER).unwrap();
    let schema = Schema::new(vec![Field {
        name: "名称".into(),
        ty: FieldType::String,
    }]);
    let features: Vec<Feature> = (1..=10)
        .map(|i| {
            let (x, y) = point(i);
            Feature::new(
                i,
                geo::Geometry::Point(point!(x: x, y: y)),
                vec![Value::String(format!("点{i}").into())].into(),
            )
        })
        .collect();
    let f = std::fs::File::create(root.join("data/points.fgb")).unwrap();
    fgb::write(
        f,
        "points",
        &schema,
        &[0],
        &features,
        fgb::WriteOptions::default(),
    )
    .unwrap();
    let big = root.join("big.geojson");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    write!(w, "{{\"type\":\"FeatureCollection\",\"features\":[").unwrap();
    for i in 0..upload_points {
        let (x, y) = point(i + 100);
        let sep = if i == 0 { "" } else { "," };
        writeln!(w, "{sep}{{\"type\":\"Feature\",\"properties\":{{\"名称\":\"地点{i}\"}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{x},{y}]}}}}").unwrap();
    }
    write!(w, "]}}").unwrap();
    w.flush().unwrap();
    big
}

/// Runs a command to its end and fails the test with its stderr unless it succeeded.
fn succeeds(mut command: Command) {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

fn leftovers(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            leftovers(&p, out);
        } else if p.extension().is_some_and(|x| x == "tmp")
            || p.file_name()
                .is_some_and(|n| n == "upload.bin" || n == "features.fgb")
        {
            out.push(p);
        }
    }
}

/// Restarts the server and checks it serves the store's current version, whole.
fn check_after_restart(root: &Path) -> u64 {
    let (mut server, addr) = serve(root);
    let ready: serde_json::Value = serde_json::from_str(&get(&addr, "/readyz")).unwrap();
    let metrics = get(&addr, "/metrics");
    let _ = server.kill();
    let _ = server.wait();
    let served = ready["layers"]["points"]
        .as_u64()
        .expect("the layer serves");
    let store = FsStore::open_read_only(&root.join("var"));
    assert_eq!(
        store.current("points").unwrap(),
        Some(served),
        "serves the current version"
    );
    let info = store
        .list("points")
        .unwrap()
        .into_iter()
        .find(|v| v.version == served)
        .unwrap();
    let line = format!(
        "kashimap_layer_features{{layer=\"points\"}} {}",
        info.feature_count
    );
    assert!(
        metrics.contains(&line),
        "all {} features of version {served} serve:\n{metrics}",
        info.feature_count
    );
    audit_matches_the_store(root, &store, served);
    let mut left = Vec::new();
    leftovers(&root.join("var"), &mut left);
    assert!(
        left.is_empty(),
        "temporary files left after restart: {left:?}"
    );
    for dir in std::fs::read_dir(root.join("var/staging"))
        .into_iter()
        .flatten()
        .flatten()
    {
        assert!(
            dir.path().join("record.json").is_file(),
            "an incomplete upload was left: {}",
            dir.path().display()
        );
    }
    served
}

/// The audit log says how every version became current, and no version is nobody's: each
/// stored version is the current one, waits in a staged upload, or was published before.
fn audit_matches_the_store(root: &Path, store: &FsStore, served: u64) {
    let access = kashimap::access::Access::open(
        None,
        &root.join("var"),
        &kashimap::config::AuthConfig::default(),
    )
    .unwrap();
    let rows = access
        .audit
        .query_blocking(&kashimap::access::AuditFilter {
            layer: Some("points".into()),
            kind: Some("publish".into()),
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    let published: Vec<u64> = rows
        .iter()
        .filter(|r| r.detail["action"] == "upload.published")
        .filter_map(|r| r.detail["version"].as_u64())
        .collect();
    if served > 1 {
        assert!(
            published.contains(&served),
            "version {served} serves without a publish row: {published:?}"
        );
    }
    let staged: Vec<u64> = std::fs::read_dir(root.join("var/staging"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|d| std::fs::read_to_string(d.path().join("record.json")).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok()?["version"].as_u64())
        .collect();
    for v in store.list("points").unwrap() {
        let v = v.version;
        assert!(
            v == 1 || v == served || staged.contains(&v) || published.contains(&v),
            "version {v} is an orphan (served {served}, staged {staged:?}, published {published:?})"
        );
    }
}

#[test]
fn kill_9_during_import_and_publish_leaves_the_last_published_version_serving() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let big = setup(root, 40_000);
    let big = big.to_str().unwrap();
    assert_eq!(check_after_restart(root), 1);
    // A clean run, timed, so the kills below spread over the whole import and publish.
    let t = Instant::now();
    assert!(
        kashimap(root, &["import", "points", big, "--publish"])
            .status()
            .unwrap()
            .success()
    );
    let full = t.elapsed();
    let mut published = check_after_restart(root);
    assert_eq!(published, 2);
    for percent in [5u32, 20, 40, 60, 75, 85, 92, 97] {
        let delay = full * percent / 100;
        let mut child = kashimap(root, &["import", "points", big, "--publish"])
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        let served = check_after_restart(root);
        eprintln!(
            "killed at {percent}% ({delay:?} of {full:?}, finished: {finished}): version {served} serves"
        );
        assert!(
            served >= published,
            "never goes back: {served} < {published}"
        );
        if finished {
            assert!(
                served > published,
                "a finished import with --publish is what serves"
            );
        }
        published = served;
    }
    // Kill right when the staged version appears: the publish is under way.
    let mut child = kashimap(root, &["import", "points", big, "--publish"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline
        && !staged_record_exists(root)
        && child.try_wait().unwrap().is_none()
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(check_after_restart(root) >= published);
    // And a clean run after all that publishes.
    let status = kashimap(root, &["import", "points", big, "--publish"])
        .status()
        .unwrap();
    assert!(status.success());
    let served = check_after_restart(root);
    assert!(served > published);
    let store = FsStore::open_read_only(&root.join("var"));
    let info = store
        .list("points")
        .unwrap()
        .into_iter()
        .find(|v| v.version == served)
        .unwrap();
    assert_eq!(info.feature_count, 40_000);
}

fn staged_record_exists(root: &Path) -> bool {
    std::fs::read_dir(root.join("var/staging"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|d| d.path().join("record.json").is_file())
}

#[test]
fn a_second_writer_on_one_data_folder_is_refused_while_the_first_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, 1);
    let (mut first, addr) = serve(root);
    let second = kashimap(root, &["--addr", "127.0.0.1:0", "serve"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "a second serve must not run");
    assert!(
        said.contains("in use by another kashimap process") && said.contains("kashimap serve"),
        "the refusal names the holder: {said}"
    );
    let import = kashimap(root, &["import", "points", "big.geojson", "--publish"])
        .output()
        .unwrap();
    assert!(
        !import.status.success(),
        "an import beside a running server is refused"
    );
    // Reading and the identity database stay usable beside the running server.
    succeeds(kashimap(root, &["check"]));
    add_user(root, "tanaka", "suido", "a-long-enough-password");
    assert!(
        get(&addr, "/readyz").contains("points"),
        "the first still serves"
    );
    let _ = first.kill();
    let _ = first.wait();
    // Killed: the kernel released its lock, so the next start is not blocked by a stale one.
    let (mut again, addr) = serve(root);
    assert!(get(&addr, "/readyz").contains("points"));
    let _ = again.kill();
    let _ = again.wait();
}

#[test]
fn check_reads_without_creating_cleaning_or_importing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, 1);
    succeeds(kashimap(root, &["check"]));
    assert!(
        !root.join("var").exists(),
        "check on a fresh folder creates nothing"
    );
    // With a store: a leftover of an interrupted write is left for the owner to recover.
    let (mut server, _) = serve(root);
    let _ = server.kill();
    let _ = server.wait();
    let leftover = root.join("var/layers/points/v000009.fgb.tmp");
    std::fs::write(&leftover, b"partial").unwrap();
    let staging = root.join("var/staging/0123456789abcdef0123456789abcdef");
    std::fs::create_dir_all(&staging).unwrap();
    let before = std::fs::read_dir(root.join("var")).unwrap().count();
    succeeds(kashimap(root, &["check"]));
    assert!(
        leftover.exists() && staging.exists(),
        "check removes nothing"
    );
    assert_eq!(std::fs::read_dir(root.join("var")).unwrap().count(), before);
    // The owner's next start recovers both.
    let (mut server, _) = serve(root);
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        !leftover.exists() && !staging.exists(),
        "serve recovers what was abandoned"
    );
}
