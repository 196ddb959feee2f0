use std::num::NonZeroUsize;

use super::*;
use crate::config::Config;
use crate::layer::{Feature, Field, FieldType, Schema, Value};
use crate::store::fgb;

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

fn start(dir: &Path, keep: usize) -> Arc<App> {
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
    let config = Config {
        data_dir: dir.join("var"),
        layers_dir: dir.join("layers"),
        root: dir.to_path_buf(),
        keep_versions: NonZeroUsize::new(keep).unwrap(),
        ..Config::default()
    };
    App::start(config).unwrap()
}

fn stage_points(app: &App, n: usize) -> Staged {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.geojson");
    let feats: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"type":"Feature","properties":{{"名称":"p{i}"}},"geometry":{{"type":"Point","coordinates":[130.1{i},33.1]}}}}"#))
        .collect();
    fs::write(
        &p,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            feats.join(",")
        ),
    )
    .unwrap();
    let file = describe_file(&p, "p.geojson").unwrap();
    let up = Upload::create(app).unwrap();
    stage(app, &up, &p, &file, "tester", "t", &Options::default()).unwrap()
}

#[test]
fn a_second_publish_while_one_runs_is_refused_as_busy() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(dir.path(), 10);
    let s = stage_points(&app, 2);
    let lock = app.ingest.lock_for("t");
    let guard = lock.lock().unwrap();
    assert!(matches!(
        publish(&app, "x", "t", &s.id),
        Err(StagingError::Busy { .. })
    ));
    assert!(matches!(
        activate(&app, "x", "t", 1),
        Err(StagingError::Busy { .. })
    ));
    drop(guard);
    assert_eq!(publish(&app, "x", "t", &s.id).unwrap().version, s.version);
    assert_eq!(app.layers.get("t").unwrap().version(), s.version);
}

#[test]
fn expired_uploads_are_removed_with_their_version() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(dir.path(), 10);
    let s = stage_points(&app, 1);
    let rec_dir = record::root(&app.config.data_dir).join(&s.id);
    let mut rec = record::read(&rec_dir).unwrap();
    rec.expires_unix = crate::time::unix_now() - 1;
    record::write_atomically(
        &rec_dir.join(record::RECORD),
        &serde_json::to_vec(&rec).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        publish(&app, "x", "t", &s.id),
        Err(StagingError::Expired { .. })
    ));
    sweep(&app);
    assert!(!rec_dir.exists());
    assert!(
        app.store
            .versions("t")
            .unwrap()
            .iter()
            .all(|v| v.version != s.version)
    );
    assert_eq!(app.store.current("t").unwrap(), Some(1));
}

#[test]
fn pruning_keeps_staged_versions_and_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(dir.path(), 1);
    let waiting = stage_points(&app, 1);
    for _ in 0..3 {
        let s = stage_points(&app, 1);
        publish(&app, "x", "t", &s.id).unwrap();
    }
    let left: Vec<u64> = app
        .store
        .versions("t")
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
        publish(&app, "x", "t", &waiting.id).unwrap().version,
        waiting.version
    );
}

#[test]
fn interrupted_uploads_are_cleaned_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(dir.path(), 10);
    let staged = stage_points(&app, 1);
    let root = record::root(&app.config.data_dir);
    fs::create_dir_all(root.join("0123456789abcdef0123456789abcdef/work")).unwrap();
    fs::write(root.join(&staged.id).join("upload.bin"), b"left over").unwrap();
    drop(app);
    let app = start(dir.path(), 10);
    assert!(!root.join("0123456789abcdef0123456789abcdef").exists());
    assert!(!root.join(&staged.id).join("upload.bin").exists());
    assert!(
        root.join(&staged.id).join(record::RECORD).exists(),
        "a staged upload survives a restart"
    );
    assert_eq!(
        publish(&app, "x", "t", &staged.id).unwrap().version,
        staged.version
    );
}

#[test]
fn only_upload_roles_and_admins_may_upload() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(dir.path(), 10);
    let who = |roles: &[&str]| {
        Principal::user(
            "u",
            true,
            &roles.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>(),
            Vec::new(),
        )
    };
    assert_eq!(
        upload_access(&app, &who(&["bousai"]), "t"),
        UploadAccess::Allowed
    );
    assert_eq!(
        upload_access(&app, &who(&["admin"]), "t"),
        UploadAccess::Allowed
    );
    assert_eq!(
        upload_access(&app, &who(&["suido"]), "t"),
        UploadAccess::Forbidden
    );
    assert_eq!(
        upload_access(&app, &Principal::anonymous(), "t"),
        UploadAccess::Forbidden
    );
    assert_eq!(
        upload_access(&app, &who(&["bousai"]), "nope"),
        UploadAccess::NotFound
    );
}

#[test]
fn a_publish_killed_before_removing_its_record_is_finished_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(dir.path(), 10);
    let s = stage_points(&app, 1);
    let rec_dir = record::root(&app.config.data_dir).join(&s.id);
    let saved = fs::read(rec_dir.join(record::RECORD)).unwrap();
    publish(&app, "x", "t", &s.id).unwrap();
    fs::create_dir_all(&rec_dir).unwrap();
    fs::write(rec_dir.join(record::RECORD), saved).unwrap();
    drop(app);
    let app = start(dir.path(), 10);
    assert!(!rec_dir.exists());
    assert_eq!(app.layers.get("t").unwrap().version(), s.version);
}
