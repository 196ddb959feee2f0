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
    let catalog = crate::catalog::Catalog::load(&dir.join("layers"), dir).unwrap();
    let layers = Arc::new(Layers::new(&catalog));
    let audit =
        Arc::clone(&Access::with_db(Db::open_for_tests().unwrap(), &AuthConfig::default()).audit);
    let settings = Settings {
        staging_dir: var.join("staging"),
        created_dir: var.join("catalog"),
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
    let p = Publisher::new(Arc::new(store), layers, audit, settings);
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

/// The newest publish/rollback rows of layer `t`, newest first, as (action, user, recovered).
fn switch_rows(p: &Publisher) -> Vec<(String, Option<String>, bool)> {
    let mut rows = Vec::new();
    for kind in ["publish", "rollback"] {
        rows.extend(
            p.audit
                .query_blocking(&crate::access::AuditFilter {
                    layer: Some("t".into()),
                    kind: Some(kind.into()),
                    limit: 100,
                    ..Default::default()
                })
                .unwrap(),
        );
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    rows.into_iter()
        .map(|r| {
            (
                r.detail["action"].as_str().unwrap_or_default().to_owned(),
                r.user,
                r.detail["recovered"] == true,
            )
        })
        .collect()
}

/// Killed after the store switched and before the audit row: the start records the publish,
/// under the user of the intent. Killed before the switch: the start records it abandoned.
#[test]
fn an_interrupted_switch_is_recorded_from_its_intent_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 10);
    let s = stage_points(&p, 1);
    intent::begin(
        &p,
        intent::Switch::Publish { upload: &s.id },
        "tanaka",
        "t",
        s.version,
    )
    .unwrap();
    p.store.activate("t", s.version, Some(1)).unwrap();
    intent::reconcile(&p);
    let rows = switch_rows(&p);
    assert_eq!(
        rows[0],
        ("upload.published".into(), Some("tanaka".into()), true)
    );
    assert_eq!(rows[1].0, "upload.publishing");
    intent::reconcile(&p);
    assert_eq!(switch_rows(&p).len(), rows.len(), "reconciled once");

    intent::begin(&p, intent::Switch::Rollback, "sato", "t", 1).unwrap();
    intent::reconcile(&p);
    let rows = switch_rows(&p);
    assert_eq!(
        rows[0],
        (
            "version.activate_abandoned".into(),
            Some("sato".into()),
            true
        )
    );
}

#[test]
fn every_publish_and_rollback_has_its_intent_and_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 10);
    let s = stage_points(&p, 1);
    publish(&p, "x", "t", &s.id).unwrap();
    activate(&p, "x", "t", 1).unwrap();
    let actions: Vec<String> = switch_rows(&p).into_iter().map(|r| r.0).collect();
    assert_eq!(
        actions,
        [
            "version.activated",
            "version.activating",
            "upload.published",
            "upload.publishing"
        ]
    );
}

/// Killed after the store version was written and before the upload's record: no orphan
/// version survives the restart.
#[test]
fn a_version_written_by_an_upload_killed_before_its_record_is_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), 10);
    let s = stage_points(&p, 1);
    let rec_dir = p.staging_root().join(&s.id);
    fs::remove_file(rec_dir.join(record::RECORD)).unwrap();
    assert!(p.store.info("t", s.version).is_ok());
    recover(&p);
    assert!(!rec_dir.exists());
    assert!(
        p.store.info("t", s.version).is_err(),
        "the orphan version is gone"
    );
    assert_eq!(p.store.current("t").unwrap(), Some(1));
}

#[test]
fn a_definition_another_primary_made_is_followed_and_so_is_its_removal() {
    let dir = tempfile::tempdir().unwrap();
    // Two publishers on one store folder, as two primaries sharing it.
    let (a, b) = (start(dir.path(), 10), start(dir.path(), 10));
    let told = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&told);
    b.on_define(Listener(Box::new(move |layer| {
        heard.lock().unwrap().push(layer.to_owned());
    })));
    let def = serde_json::json!({
        "id": "made", "title": { "ja": "作成", "en": "Made" }, "department": "総務課",
        "geometry": "Point", "attribution": "t", "access": { "view": "public", "edit": ["bousai"] }
    });
    create_layer(&a, "kanri", &def).unwrap();
    assert!(b.layers.def("made").is_none(), "not heard yet");
    assert!(
        matches!(
            create_layer(&b, "kanri", &def),
            Err(PublishError::LayerExists { .. })
        ),
        "the shared catalog has it already"
    );
    // A reconnect follows every created layer: the new one is among them.
    assert_eq!(created_ids(&b), ["made"]);
    assert_eq!(
        follow_definition(&b, "made").unwrap(),
        Some(Followed::Added(0))
    );
    assert!(b.layers.get("made").is_some() && b.layers.catalog().get("made").is_some());
    assert_eq!(
        follow_definition(&b, "made").unwrap(),
        None,
        "twice is harmless"
    );
    assert_eq!(
        follow_definition(&b, "t").unwrap(),
        None,
        "a layer file is left alone"
    );

    remove_layer(&a, "kanri", "made").unwrap();
    assert_eq!(created_ids(&b), ["made"], "served here as created");
    assert_eq!(
        follow_definition(&b, "made").unwrap(),
        Some(Followed::Removed)
    );
    assert!(b.layers.def("made").is_none());
    assert!(b.layers.def("t").is_some());
    assert_eq!(*told.lock().unwrap(), ["made", "made"]);
}
