use std::fs;
use std::path::Path;

use super::*;
use crate::access::{Access, Db};
use crate::config::AuthConfig;
use crate::fgb;
use crate::ingest::{Options, ZipLimits};
use crate::model::{Feature, Field, FieldType, Schema, Value};
use crate::store::FsStore;

const LAYER: &str = r#"
id = "t"
title = { ja = "テスト", en = "Test" }
department = "総務課"
source = "data/t.fgb"
geometry = "Point"
attribution = "テスト"
[access]
view = "public"
upload = ["bousai"]
"#;

fn start(dir: &Path, keep: usize) -> Publisher {
    fs::create_dir_all(dir.join("layers")).unwrap();
    fs::create_dir_all(dir.join("data")).unwrap();
    fs::write(dir.join("layers/t.toml"), LAYER).unwrap();
    let schema = Schema::new(vec![Field {
        name: "名称".into(),
        ty: FieldType::String,
    }]);
    let f = vec![Feature::new(
        1,
        geo::Geometry::Point(geo::point!(x: 130.1, y: 33.1)),
        vec![Value::String("a".into())].into(),
    )];
    fgb::write(
        fs::File::create(dir.join("data/t.fgb")).unwrap(),
        "t",
        &schema,
        &[0],
        &f,
        fgb::WriteOptions::default(),
    )
    .unwrap();
    let var = dir.join("var");
    let store = FsStore::open(&var).unwrap();
    store.recover().unwrap();
    let catalog = Arc::new(Catalog::load(&dir.join("layers"), dir).unwrap());
    let layers = Arc::new(Layers::new(&catalog));
    let audit =
        Arc::clone(&Access::with_db(Db::open_in_memory().unwrap(), &AuthConfig::default()).audit);
    let settings = Settings {
        staging_dir: var.join("staging"),
        staging_ttl_secs: 24 * 3600,
        keep_versions: keep,
        limits: Limits {
            zip: ZipLimits {
                max_total: 1 << 30,
                max_ratio: 100,
            },
            far_km: 50.0,
            budget: crate::ingest::BudgetLimits::default(),
        },
    };
    let p = Publisher::new(Arc::new(store), layers, catalog, audit, settings);
    recover(&p);
    load_all(&p, true).unwrap();
    p
}

fn stage_points(p: &Publisher, n: usize) -> Staged {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.geojson");
    let feats: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"type":"Feature","properties":{{"名称":"p{i}"}},"geometry":{{"type":"Point","coordinates":[130.1{i},33.1]}}}}"#))
        .collect();
    fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            feats.join(",")
        ),
    )
    .unwrap();
    let file = describe_file(&path, "p.geojson").unwrap();
    let up = Upload::create(p).unwrap();
    stage(p, &up, &path, &file, "tester", "t", &Options::default()).unwrap()
}

#[test]
fn a_second_publish_while_one_runs_is_refused_as_busy() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 10);
    let s = stage_points(&p, 2);
    let lock = p.locks.lock_for("t");
    let guard = lock.lock().unwrap();
    assert!(matches!(
        publish(&p, "x", "t", &s.id),
        Err(PublishError::Busy { .. })
    ));
    assert!(matches!(
        activate(&p, "x", "t", 1),
        Err(PublishError::Busy { .. })
    ));
    drop(guard);
    assert_eq!(publish(&p, "x", "t", &s.id).unwrap().version, s.version);
    assert_eq!(p.layers.get("t").unwrap().version(), s.version);
}

#[test]
fn expired_uploads_are_removed_with_their_version() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 10);
    let s = stage_points(&p, 1);
    let rec_dir = p.staging_root().join(&s.id);
    let mut rec = record::read(&rec_dir).unwrap();
    rec.expires_unix = crate::time::unix_now() - 1;
    record::write_atomically(
        &rec_dir.join(record::RECORD),
        &serde_json::to_vec(&rec).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        publish(&p, "x", "t", &s.id),
        Err(PublishError::Expired { .. })
    ));
    sweep(&p);
    assert!(!rec_dir.exists());
    assert!(
        p.store
            .list("t")
            .unwrap()
            .iter()
            .all(|v| v.version != s.version)
    );
    assert_eq!(p.store.current("t").unwrap(), Some(1));
}

#[test]
fn pruning_keeps_staged_versions_and_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 1);
    let waiting = stage_points(&p, 1);
    for _ in 0..3 {
        let s = stage_points(&p, 1);
        publish(&p, "x", "t", &s.id).unwrap();
    }
    let left: Vec<u64> = p
        .store
        .list("t")
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(
        left,
        vec![waiting.version, 5],
        "keep 1 published version plus the staged one"
    );
    assert_eq!(
        publish(&p, "x", "t", &waiting.id).unwrap().version,
        waiting.version
    );
}

#[test]
fn interrupted_uploads_are_cleaned_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 10);
    let staged = stage_points(&p, 1);
    let root = p.staging_root().to_path_buf();
    fs::create_dir_all(root.join("0123456789abcdef0123456789abcdef/work")).unwrap();
    fs::write(root.join(&staged.id).join("upload.bin"), b"left over").unwrap();
    drop(p);
    let p = start(dir.path(), 10);
    assert!(!root.join("0123456789abcdef0123456789abcdef").exists());
    assert!(!root.join(&staged.id).join("upload.bin").exists());
    assert!(
        root.join(&staged.id).join(record::RECORD).exists(),
        "a staged upload survives a restart"
    );
    assert_eq!(
        publish(&p, "x", "t", &staged.id).unwrap().version,
        staged.version
    );
}

#[test]
fn only_upload_roles_and_admins_may_upload() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 10);
    let who = |roles: &[&str]| {
        Principal::user(
            "u",
            true,
            &roles.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>(),
            Vec::new(),
        )
    };
    assert_eq!(
        upload_access(&p, &who(&["bousai"]), "t"),
        UploadAccess::Allowed
    );
    assert_eq!(
        upload_access(&p, &who(&["admin"]), "t"),
        UploadAccess::Allowed
    );
    assert_eq!(
        upload_access(&p, &who(&["suido"]), "t"),
        UploadAccess::Forbidden
    );
    assert_eq!(
        upload_access(&p, &Principal::anonymous(), "t"),
        UploadAccess::Forbidden
    );
    assert_eq!(
        upload_access(&p, &who(&["bousai"]), "nope"),
        UploadAccess::NotFound
    );
}

#[test]
fn a_publish_killed_before_removing_its_record_is_finished_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 10);
    let s = stage_points(&p, 1);
    let rec_dir = p.staging_root().join(&s.id);
    let saved = fs::read(rec_dir.join(record::RECORD)).unwrap();
    publish(&p, "x", "t", &s.id).unwrap();
    fs::create_dir_all(&rec_dir).unwrap();
    fs::write(rec_dir.join(record::RECORD), saved).unwrap();
    drop(p);
    let p = start(dir.path(), 10);
    assert!(!rec_dir.exists());
    assert_eq!(p.layers.get("t").unwrap().version(), s.version);
}
