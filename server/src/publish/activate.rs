//! Publishing a staged upload and rolling back to an older version.

use std::collections::BTreeMap;
use std::fs;
use std::sync::Arc;

use serde::Serialize;

use super::intent::{self, Switch};
use super::record::{self, Record, valid_id};
use super::staging::{audit, sweep};
use super::{PublishError, Publisher};
use crate::catalog::LayerDef;
use crate::ingest::FileInfo;
use crate::layer::{self, Cores};
use crate::model::VersionInfo;
use crate::store::StoreError;

/// One row of `GET /api/layers/{layer}/versions`.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    #[serde(flatten)]
    pub info: VersionInfo,
    pub current: bool,
    /// The staged upload waiting to publish this version, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staged: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// Live staged uploads of a layer, by version.
fn staged_versions(p: &Publisher, layer: &str) -> BTreeMap<u64, Record> {
    record::all(p.staging_root())
        .into_iter()
        .filter_map(|(_, r)| r)
        .filter(|r| r.layer == layer)
        .map(|r| (r.version, r))
        .collect()
}

/// Every version of a layer, newest first.
pub fn versions(p: &Publisher, layer: &str) -> Result<Vec<VersionRow>, PublishError> {
    p.def(layer)?;
    sweep(p);
    let current = p.store.current(layer)?;
    let staged = staged_versions(p, layer);
    let mut rows: Vec<VersionRow> = p
        .store
        .list(layer)?
        .into_iter()
        .map(|info| {
            let s = staged.get(&info.version);
            VersionRow {
                current: Some(info.version) == current,
                staged: s.map(|r| r.id.clone()),
                expires: s.map(|r| r.expires.clone()),
                info,
            }
        })
        .collect();
    rows.reverse();
    Ok(rows)
}

/// Publishes a staged upload: its version becomes current. An upload that drops more than
/// the layer's `max_drop_percent` of the features is refused until confirmed.
pub fn publish(
    p: &Publisher,
    who: &str,
    layer: &str,
    id: &str,
) -> Result<VersionInfo, PublishError> {
    publish_with(p, who, layer, id, false)
}

/// [`publish`], with `confirm_drop` when the caller has confirmed a large drop (which is
/// then recorded in the audit log).
pub fn publish_with(
    p: &Publisher,
    who: &str,
    layer: &str,
    id: &str,
    confirm_drop: bool,
) -> Result<VersionInfo, PublishError> {
    let def = p.def(layer)?;
    let missing = || PublishError::NoSuchUpload {
        layer: layer.to_owned(),
        id: id.to_owned(),
    };
    if !valid_id(id) {
        return Err(missing());
    }
    let lock = p.locks.lock_for(layer);
    let Ok(_guard) = lock.try_lock() else {
        return Err(PublishError::Busy {
            layer: layer.to_owned(),
        });
    };
    let dir = p.staging_root().join(id);
    let rec = record::read(&dir)
        .filter(|r| r.layer == layer)
        .ok_or_else(missing)?;
    if rec.expires_unix <= crate::time::unix_now() {
        return Err(PublishError::Expired { id: id.to_owned() });
    }
    let drop = super::drop::check(p, &def, &rec, confirm_drop)?;
    let switch = Switch::Publish { upload: id };
    intent::begin(p, switch, who, layer, rec.version)?;
    let info = make_current(p, &def, rec.version)
        .inspect_err(|_| intent::abandoned(p, switch, who, layer, rec.version))?;
    if let Some(d) = drop {
        super::drop::audit_confirmed(p, who, &rec, &d);
    }
    let _ = fs::remove_dir_all(&dir);
    audit(
        p,
        "upload.published",
        who,
        layer,
        Some(rec.version),
        id,
        &file_of(&info),
    );
    Ok(info)
}

/// Rolls back (or forward) to an existing version.
pub fn activate(
    p: &Publisher,
    who: &str,
    layer: &str,
    version: u64,
) -> Result<VersionInfo, PublishError> {
    let def = p.def(layer)?;
    let lock = p.locks.lock_for(layer);
    let Ok(_guard) = lock.try_lock() else {
        return Err(PublishError::Busy {
            layer: layer.to_owned(),
        });
    };
    intent::begin(p, Switch::Rollback, who, layer, version)?;
    let info = make_current(p, &def, version)
        .inspect_err(|_| intent::abandoned(p, Switch::Rollback, who, layer, version))?;
    if let Some(rec) = staged_versions(p, layer).remove(&version) {
        let _ = fs::remove_dir_all(p.staging_root().join(&rec.id));
    }
    audit(
        p,
        "version.activated",
        who,
        layer,
        Some(version),
        "",
        &file_of(&info),
    );
    Ok(info)
}

fn file_of(info: &VersionInfo) -> FileInfo {
    FileInfo {
        name: info.source_name.clone(),
        size: 0,
        sha256: info.source_sha256.clone(),
    }
}

/// Loads a version and builds all its derived indexes (nothing changes if that fails),
/// makes it current in the store (compare-and-swap against the version being served), swaps
/// it in for readers, then prunes. The caller holds the layer's lock and runs on a blocking
/// thread: building the indexes of a large layer takes seconds, and no reader waits for it.
fn make_current(
    p: &Publisher,
    def: &Arc<LayerDef>,
    version: u64,
) -> Result<VersionInfo, PublishError> {
    let layer = def.id.as_str();
    match p.store.info(layer, version) {
        Err(StoreError::NoSuchVersion { .. }) => {
            return Err(PublishError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            });
        }
        other => other?,
    };
    let loaded = load(p, def, version)?;
    let info = loaded.info.clone();
    // The compare-and-swap is against the version this process serves: if another writer
    // switched the store since, this publish loses (409) instead of silently overriding it.
    // Version 0 is never stored (a new layer's empty start): the store then has none.
    let expected = p.layers.get(layer).map(|v| v.version()).filter(|&v| v != 0);
    p.store.activate(layer, version, expected)?;
    if let Some(old) = p.layers.slot(layer).and_then(|slot| slot.swap(loaded)) {
        layer::retire(old);
    }
    p.changed(layer);
    if let Err(e) = prune(p, layer) {
        tracing::warn!(layer, error = %e, "pruning old versions failed");
    }
    Ok(info)
}

/// A stored version with all its derived indexes built, ready to swap in.
fn load(
    p: &Publisher,
    def: &Arc<LayerDef>,
    version: u64,
) -> Result<Arc<layer::LayerVersion>, PublishError> {
    layer::load(&*p.store, def, version, Cores::SpareOne)
        .map(Arc::new)
        .map_err(|source| PublishError::Load {
            layer: def.id.clone(),
            version,
            source: Box::new(source),
        })
}

/// Serves the version the store says is current for `layer`, when another primary sharing
/// the store switched it (a publish or rollback there): loads it with all its derived
/// indexes first, exactly as a local publish does, then swaps it in. Nothing is written and
/// no listener is told (the other primary did both). Returns the version now served when
/// it changed.
pub fn follow(p: &Publisher, layer: &str) -> Result<Option<u64>, PublishError> {
    let def = p.def(layer)?;
    let lock = p.locks.lock_for(layer);
    let _guard = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(version) = p.store.current(layer)? else {
        return Ok(None);
    };
    if p.served_version(layer) == Some(version) {
        return Ok(None);
    }
    let loaded = load(p, &def, version)?;
    if let Some(old) = p.layers.slot(layer).and_then(|s| s.swap(loaded)) {
        layer::retire(old);
    }
    Ok(Some(version))
}

/// Keeps the newest `keep_versions` published versions; never removes the current version
/// or one a staged upload is waiting to publish.
pub(super) fn prune(p: &Publisher, layer: &str) -> Result<Vec<u64>, PublishError> {
    let keep = p.settings.keep_versions;
    let current = p.store.current(layer)?;
    let staged = staged_versions(p, layer);
    let history: Vec<u64> = p
        .store
        .list(layer)?
        .iter()
        .map(|v| v.version)
        .filter(|v| !staged.contains_key(v) || Some(*v) == current)
        .collect();
    let mut removed = Vec::new();
    for v in history.iter().take(history.len().saturating_sub(keep)) {
        if Some(*v) != current {
            p.store.remove(layer, *v)?;
            removed.push(*v);
        }
    }
    Ok(removed)
}
