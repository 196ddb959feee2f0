//! Publishing a staged upload and rolling back to an older version.

use std::collections::BTreeMap;
use std::fs;
use std::sync::Arc;

use serde::Serialize;

use super::record::{self, Record, valid_id};
use super::{StagingError, audit, sweep};
use crate::app::App;
use crate::catalog::LayerDef;
use crate::ingest::report::FileInfo;
use crate::layer::VersionInfo;

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

fn def_of<'a>(app: &'a App, layer: &str) -> Result<&'a Arc<LayerDef>, StagingError> {
    app.catalog
        .get(layer)
        .ok_or_else(|| StagingError::NoSuchLayer {
            layer: layer.to_owned(),
        })
}

/// Live staged uploads of a layer, by version.
fn staged_versions(app: &App, layer: &str) -> BTreeMap<u64, Record> {
    record::all(&record::root(&app.config.data_dir))
        .into_iter()
        .filter_map(|(_, r)| r)
        .filter(|r| r.layer == layer)
        .map(|r| (r.version, r))
        .collect()
}

/// Every version of a layer, newest first.
pub fn versions(app: &App, layer: &str) -> Result<Vec<VersionRow>, StagingError> {
    def_of(app, layer)?;
    sweep(app);
    let current = app.store.current(layer)?;
    let staged = staged_versions(app, layer);
    let mut rows: Vec<VersionRow> = app
        .store
        .versions(layer)?
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

/// Publishes a staged upload: its version becomes current.
pub fn publish(app: &App, who: &str, layer: &str, id: &str) -> Result<VersionInfo, StagingError> {
    let def = def_of(app, layer)?;
    let missing = || StagingError::NoSuchUpload {
        layer: layer.to_owned(),
        id: id.to_owned(),
    };
    if !valid_id(id) {
        return Err(missing());
    }
    let lock = app.ingest.lock_for(layer);
    let Ok(_guard) = lock.try_lock() else {
        return Err(StagingError::Busy {
            layer: layer.to_owned(),
        });
    };
    let dir = record::root(&app.config.data_dir).join(id);
    let rec = record::read(&dir)
        .filter(|r| r.layer == layer)
        .ok_or_else(missing)?;
    if rec.expires_unix <= crate::time::unix_now() {
        return Err(StagingError::Expired { id: id.to_owned() });
    }
    let info = make_current(app, def, rec.version)?;
    let _ = fs::remove_dir_all(&dir);
    audit(
        app,
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
    app: &App,
    who: &str,
    layer: &str,
    version: u64,
) -> Result<VersionInfo, StagingError> {
    let def = def_of(app, layer)?;
    let lock = app.ingest.lock_for(layer);
    let Ok(_guard) = lock.try_lock() else {
        return Err(StagingError::Busy {
            layer: layer.to_owned(),
        });
    };
    let info = make_current(app, def, version)?;
    if let Some(rec) = staged_versions(app, layer).remove(&version) {
        let _ = fs::remove_dir_all(record::root(&app.config.data_dir).join(&rec.id));
    }
    audit(
        app,
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

/// Loads and indexes a version (nothing changes if that fails), makes it current in the
/// store, swaps it in for readers, then prunes. The caller holds the layer's lock.
fn make_current(app: &App, def: &Arc<LayerDef>, version: u64) -> Result<VersionInfo, StagingError> {
    let layer = def.id.as_str();
    if !app
        .store
        .versions(layer)?
        .iter()
        .any(|v| v.version == version)
    {
        return Err(StagingError::NoSuchVersion {
            layer: layer.to_owned(),
            version,
        });
    }
    let loaded = app
        .load_version(def, version)
        .map_err(|e| StagingError::Load {
            layer: layer.to_owned(),
            version,
            message: e.to_string(),
        })?;
    let info = loaded.info.clone();
    app.store.activate(layer, version)?;
    if let Some(slot) = app.layers.slot(layer) {
        slot.swap(loaded);
    }
    if let Err(e) = prune(app, layer) {
        tracing::warn!(layer, error = %e, "pruning old versions failed");
    }
    Ok(info)
}

/// Keeps the newest `keep_versions` published versions; never removes the current version
/// or one a staged upload is waiting to publish.
fn prune(app: &App, layer: &str) -> Result<Vec<u64>, StagingError> {
    let keep = app.config.keep_versions.get();
    let current = app.store.current(layer)?;
    let staged = staged_versions(app, layer);
    let history: Vec<u64> = app
        .store
        .versions(layer)?
        .iter()
        .map(|v| v.version)
        .filter(|v| !staged.contains_key(v) || Some(*v) == current)
        .collect();
    let mut removed = Vec::new();
    for v in history.iter().take(history.len().saturating_sub(keep)) {
        if Some(*v) != current {
            app.store.remove(layer, *v)?;
            removed.push(*v);
        }
    }
    Ok(removed)
}
