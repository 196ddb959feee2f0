//! A push of a layer with hidden attributes and a public row filter, read back by a replica:
//! the replica holds only the public view, with the primary's feature ids, and refuses a
//! replayed manifest while keeping what it serves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Options, Replica};
use crate::access::{Principal, decide};
use crate::catalog::{Catalog, LayerDef};
use crate::layer::{self, Cores, Layers};
use crate::model::{Feature, Field, FieldType, Schema, Value, VersionInfo};
use crate::push::{FileTarget, Pusher, keygen, read_signing_key};

const DEF: &str = r#"
id = "sites"
title = { ja = "地点", en = "Sites" }
department = "総務課"
source = "Cargo.toml"
geometry = "Point"
attribution = "test"
searchable = ["名称", "秘密"]
label = "名称"
[fields."名称"]
en = "Name"
[fields."秘密"]
en = "Secret"
[access]
view = "public"
[access.attributes]
public = ["名称", "公開"]
staff = "*"
[access.rows]
public = "公開 = true"
"#;

fn primary_layers() -> Arc<Layers> {
    let def = Arc::new(
        LayerDef::from_toml(
            DEF,
            Path::new("t.toml"),
            Path::new(env!("CARGO_MANIFEST_DIR")),
        )
        .unwrap(),
    );
    let schema = Schema::new(vec![
        Field::new("名称", FieldType::String),
        Field::new("公開", FieldType::Bool),
        Field::new("秘密", FieldType::String),
    ]);
    let features = (1..=4u64)
        .map(|i| {
            Feature::new(
                i,
                geo::Geometry::Point(geo::point!(x: 130.1 + i as f64 / 100.0, y: 33.1)),
                vec![
                    Value::String(format!("地点{i}").into()),
                    Value::Bool(i % 2 == 0),
                    Value::String(format!("極秘メモ{i}").into()),
                ]
                .into_boxed_slice(),
            )
        })
        .collect();
    let info = VersionInfo {
        version: 3,
        created: "2026-12-03T00:00:00Z".into(),
        feature_count: 4,
        source_sha256: String::new(),
        source_name: "t".into(),
        created_by: "t".into(),
    };
    let layers = Arc::new(Layers::new(&Catalog::from_defs(vec![Arc::clone(&def)])));
    let v = layer::build(&def, info, schema, features, Cores::All).unwrap();
    layers.slot("sites").unwrap().swap(Arc::new(v));
    layers
}

/// A pusher to a folder target under `dir`, with a fresh key pair: the pusher, the target
/// folder and the public key file.
fn folder_pusher(dir: &Path) -> (Pusher, PathBuf, PathBuf) {
    let (key, public) = keygen(&dir.join("k")).unwrap();
    let target = dir.join("target");
    let pusher = Pusher::new(
        Box::new(FileTarget::new(target.clone())),
        read_signing_key(&key).unwrap(),
        dir,
    );
    (pusher, target, public)
}

#[test]
fn a_replica_serves_only_the_public_view_with_the_primarys_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (pusher, target, public) = folder_pusher(dir.path());
    let primary = primary_layers();
    let first = pusher.push(&primary, Path::new("no-styles")).unwrap();
    assert_eq!(first.sequence, 1);

    // Nothing hidden is in any byte of the target.
    for entry in std::fs::read_dir(target.join("objects")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("秘密") && !text.contains("極秘メモ"),
            "{text}"
        );
    }

    let options = Options {
        target: format!("file://{}", target.display()),
        key: public,
        poll: std::time::Duration::from_millis(10),
    };
    let replica = Arc::new(Replica::open(&options, &dir.path().join("replica")).unwrap());
    let initial = replica.initial();
    let v = &initial.versions[0];
    assert_eq!(v.version(), 3);
    let ids: Vec<u64> = v.features.iter().map(|f| f.id).collect();
    assert_eq!(ids, [2, 4], "admitted rows keep the primary's ids");
    let names: Vec<&str> = v.schema.fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["名称", "公開"]);
    assert_eq!(v.def.searchable, ["名称"]);
    let view = decide(&Principal::anonymous(), v).unwrap();
    assert_eq!(view.attributes, [0, 1]);
    assert!(view.rows.is_none());

    // A newer push is taken; the older one put back is a replay, refused, and the newer
    // data stays served.
    let layers = Arc::new(Layers::new(&initial.catalog));
    for v in initial.versions {
        layers.slot(v.id()).unwrap().swap(v);
    }
    let _ = replica.layers.set(Arc::clone(&layers));
    let old = std::fs::read(target.join("manifest.json")).unwrap();
    let second = pusher.push(&primary, Path::new("no-styles")).unwrap();
    replica.poll_once();
    assert_eq!(
        replica
            .stats
            .sequence
            .load(std::sync::atomic::Ordering::Relaxed),
        second.sequence
    );
    std::fs::write(target.join("manifest.json"), old).unwrap();
    replica.poll_once();
    assert_eq!(
        replica
            .stats
            .refused
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert!(
        replica.status()["last_refusal"]
            .as_str()
            .unwrap()
            .contains("replay")
    );
    assert_eq!(layers.get("sites").unwrap().features.len(), 2);
}

#[test]
fn a_replica_adds_and_removes_layers_as_the_primary_does() {
    let dir = tempfile::tempdir().unwrap();
    let (pusher, target, public) = folder_pusher(dir.path());
    let primary = primary_layers();
    pusher.push(&primary, Path::new("no-styles")).unwrap();
    let options = Options {
        target: format!("file://{}", target.display()),
        key: public,
        poll: std::time::Duration::from_millis(10),
    };
    let replica = Arc::new(Replica::open(&options, &dir.path().join("replica")).unwrap());
    let initial = replica.initial();
    let layers = Arc::new(Layers::new(&initial.catalog));
    for v in initial.versions {
        layers.slot(v.id()).unwrap().swap(v);
    }
    let _ = replica.layers.set(Arc::clone(&layers));

    // The primary gets a second public layer (an administrator created it): the replica
    // serves it after its next poll, without a restart.
    let text = DEF
        .replace("id = \"sites\"", "id = \"more\"")
        .replace("[access.rows]\npublic = \"公開 = true\"\n", "");
    let def = Arc::new(
        LayerDef::from_toml(
            &text,
            Path::new("more.toml"),
            Path::new(env!("CARGO_MANIFEST_DIR")),
        )
        .unwrap(),
    );
    let sites = primary.get("sites").unwrap();
    let info = VersionInfo {
        version: 1,
        ..sites.info.clone()
    };
    let features = sites.features.clone();
    let v = layer::build(&def, info, sites.schema.clone(), features, Cores::All).unwrap();
    primary.add(def, Arc::new(v)).unwrap();
    pusher.push(&primary, Path::new("no-styles")).unwrap();
    replica.poll_once();
    assert_eq!(layers.get("more").unwrap().features.len(), 4);
    assert!(layers.catalog().get("more").is_some());

    // Removed on the primary: gone from the replica, and from its catalog.
    primary.remove("more").unwrap();
    pusher.push(&primary, Path::new("no-styles")).unwrap();
    replica.poll_once();
    assert!(layers.get("more").is_none());
    assert!(layers.catalog().get("more").is_none());
    assert_eq!(layers.get("sites").unwrap().features.len(), 2);
}
