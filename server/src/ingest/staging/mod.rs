//! Staging and publishing uploads: the service behind `POST /api/layers/{layer}/uploads`,
//! `…/uploads/{id}/publish`, `…/versions` and `…/versions/{v}/activate`, and behind
//! `kashimap import`.
//!
//! A staged upload is converted in its own directory under `<data-dir>/staging/<id>/`,
//! written into the store as a new version that is not current, and recorded with its
//! report. Publishing loads and indexes that version, makes it current in the store, swaps
//! it into the layer's slot (readers never see partial data; the version number is part of
//! every policy class and so of every tile-cache key) and prunes old versions. Every step
//! emits a `tracing` event with target `audit`.
//!
//! Everything here blocks (files, the store, the audit log's SQLite): HTTP handlers call
//! it through `http::blocking`, never on an async worker thread.

mod publish;
mod record;

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

pub use publish::{VersionRow, activate, publish, versions};
pub use record::{Record, valid_id};

use super::report::{FileInfo, Report};
use super::{IngestError, Input, Limits, Options, Target, ZipLimits, convert};
use crate::access::{AuditEvent, AuditKind, Principal, decide};
use crate::app::App;
use crate::catalog::LayerDef;
use crate::store::{NewVersion, StoreError, fgb::FgbError};

/// Per-layer locks: staging writes and publishes of one layer are serialised.
#[derive(Debug, Default)]
pub struct IngestState {
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl IngestState {
    fn lock_for(&self, layer: &str) -> Arc<Mutex<()>> {
        let mut map = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(layer.to_owned()).or_default())
    }
}

/// Why a staging step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StagingError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The report refuses the upload; nothing was staged.
    #[error("the upload was refused; see the report")]
    Refused(Box<Report>),
    #[error("layer `{layer}` does not exist")]
    NoSuchLayer { layer: String },
    #[error("no staged upload `{id}` for layer `{layer}`")]
    NoSuchUpload { layer: String, id: String },
    #[error("staged upload `{id}` has expired")]
    Expired { id: String },
    #[error("another upload or publish of layer `{layer}` is in progress")]
    Busy { layer: String },
    #[error("layer `{layer}` has no version {version}")]
    NoSuchVersion { layer: String, version: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("layer `{layer}` version {version} cannot be loaded: {message}")]
    Load {
        layer: String,
        version: u64,
        message: String,
    },
}

/// What an upload may do with a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadAccess {
    Allowed,
    /// The caller sees the layer but may not upload to it (403).
    Forbidden,
    /// The caller may not see the layer, or it does not exist (the same 404).
    NotFound,
}

/// Whether `principal` may upload to (and publish, roll back) `layer`: signed in and in one
/// of the layer's `access.upload` roles, or an admin.
pub fn upload_access(app: &App, principal: &Principal, layer: &str) -> UploadAccess {
    let Some(def) = app.catalog.get(layer) else {
        return UploadAccess::NotFound;
    };
    if may_upload(principal, def) {
        return UploadAccess::Allowed;
    }
    match app.layers.get(layer) {
        Some(current) if decide(principal, &current).is_some() => UploadAccess::Forbidden,
        _ => UploadAccess::NotFound,
    }
}

fn may_upload(principal: &Principal, def: &LayerDef) -> bool {
    !principal.is_anonymous()
        && (principal.is_admin() || def.access.upload.iter().any(|a| principal.has(a)))
}

/// A new upload's private directory.
#[derive(Debug)]
pub struct Upload {
    pub id: String,
    pub dir: PathBuf,
}

impl Upload {
    /// Creates `<data-dir>/staging/<id>/`.
    pub fn create(app: &App) -> Result<Self, IngestError> {
        let id = record::new_id();
        let dir = record::root(&app.config.data_dir).join(&id);
        fs::create_dir_all(&dir).map_err(|e| IngestError::io(&dir, e))?;
        Ok(Self { id, dir })
    }

    /// Where an HTTP upload is streamed to.
    pub fn file_path(&self) -> PathBuf {
        self.dir.join("upload.bin")
    }

    fn discard(&self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A staged upload.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Staged {
    pub id: String,
    pub version: u64,
    pub expires: String,
    pub report: Report,
}

/// Converts an upload and stages it as a new store version. `source` is the uploaded file
/// (inside the upload's directory for HTTP, anywhere for the CLI).
pub fn stage(
    app: &App,
    upload: &Upload,
    source: &Path,
    file: &FileInfo,
    who: &str,
    layer: &str,
    opts: &Options,
) -> Result<Staged, StagingError> {
    sweep(app);
    let result = stage_inner(app, upload, source, file, who, layer, opts);
    if result.is_err() {
        upload.discard();
    }
    result
}

fn stage_inner(
    app: &App,
    upload: &Upload,
    source: &Path,
    file: &FileInfo,
    who: &str,
    layer: &str,
    opts: &Options,
) -> Result<Staged, StagingError> {
    let def = app
        .catalog
        .get(layer)
        .ok_or_else(|| StagingError::NoSuchLayer {
            layer: layer.to_owned(),
        })?;
    let current = app.layers.get(layer);
    let work = upload.dir.join("work");
    fs::create_dir_all(&work).map_err(|e| IngestError::io(&work, e))?;
    let out = upload.dir.join("features.fgb");
    let target = Target {
        def,
        current: current.as_deref(),
    };
    let input = Input {
        path: source,
        file,
        work_dir: &work,
    };
    let report = convert(input, opts, limits(app), target, &out)?;
    if !report.accepted {
        audit(app, "upload.refused", who, layer, None, &upload.id, file);
        return Err(StagingError::Refused(Box::new(report)));
    }
    let version = write_version(app, layer, &out, file, who, report.feature_count)?;
    let rec = record_for(app, upload, layer, version, who, file, report.feature_count);
    let report_json = serde_json::to_vec_pretty(&report).unwrap_or_default();
    record::write_atomically(&upload.dir.join(record::REPORT), &report_json)?;
    let rec_json = serde_json::to_vec_pretty(&rec).unwrap_or_default();
    record::write_atomically(&upload.dir.join(record::RECORD), &rec_json)?;
    let _ = fs::remove_dir_all(&work);
    let _ = fs::remove_file(&out);
    let _ = fs::remove_file(upload.file_path());
    audit(
        app,
        "upload.staged",
        who,
        layer,
        Some(version),
        &upload.id,
        file,
    );
    Ok(Staged {
        id: upload.id.clone(),
        version,
        expires: rec.expires,
        report,
    })
}

pub(crate) fn limits(app: &App) -> Limits {
    let c = &app.config.ingest;
    Limits {
        zip: ZipLimits {
            max_total: c.max_uncompressed_mb.get() << 20,
            max_ratio: c.max_zip_ratio.get(),
        },
        far_km: c.far_warning_km,
    }
}

/// Copies the converted features into the store as a new, not current, version.
fn write_version(
    app: &App,
    layer: &str,
    fgb: &Path,
    file: &FileInfo,
    who: &str,
    count: u64,
) -> Result<u64, StagingError> {
    let meta = NewVersion {
        source_name: file.name.clone(),
        source_sha256: file.sha256.clone(),
        created_by: who.to_owned(),
    };
    let lock = app.ingest.lock_for(layer);
    let _guard = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let info = app.store.write(layer, &meta, &mut |out| {
        let mut f = fs::File::open(fgb).map_err(FgbError::Io)?;
        std::io::copy(&mut f, out).map_err(FgbError::Io)?;
        Ok(count as usize)
    })?;
    Ok(info.version)
}

fn record_for(
    app: &App,
    upload: &Upload,
    layer: &str,
    version: u64,
    who: &str,
    file: &FileInfo,
    count: u64,
) -> Record {
    let ttl = i64::try_from(
        app.config
            .ingest
            .staging_ttl_hours
            .get()
            .saturating_mul(3600),
    )
    .unwrap_or(i64::MAX);
    let expires_unix = crate::time::unix_now().saturating_add(ttl);
    Record {
        id: upload.id.clone(),
        layer: layer.to_owned(),
        version,
        created: crate::time::now_rfc3339(),
        expires_unix,
        expires: crate::time::rfc3339(expires_unix),
        by: who.to_owned(),
        file_name: file.name.clone(),
        sha256: file.sha256.clone(),
        feature_count: count,
    }
}

/// Records an audit event in the audit log (and the log stream): who did what to which
/// layer, when, with which file and its SHA-256.
pub(crate) fn audit(
    app: &App,
    action: &str,
    who: &str,
    layer: &str,
    version: Option<u64>,
    id: &str,
    file: &FileInfo,
) {
    tracing::info!(
        target: "audit",
        action,
        user = who,
        layer,
        version,
        upload = id,
        file = %file.name,
        sha256 = %file.sha256,
        time = %crate::time::now_rfc3339(),
        "{action}"
    );
    let kind = match action {
        "upload.published" => AuditKind::Publish,
        "version.activated" => AuditKind::Rollback,
        _ => AuditKind::Upload,
    };
    let event = AuditEvent::new(kind)
        .user(who)
        .layer(layer)
        .detail(serde_json::json!({
            "action": action,
            "version": version,
            "upload": id,
            "file": file.name,
            "sha256": file.sha256,
        }));
    if let Err(e) = app.access.audit.record_blocking(event) {
        tracing::error!(error = %e, action, "cannot write the audit log");
    }
}

/// SHA-256 and size of a file on disk (for the CLI; HTTP hashes while receiving).
pub fn describe_file(path: &Path, name: &str) -> Result<FileInfo, IngestError> {
    let mut f = fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| IngestError::io(path, e))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileInfo {
        name: name.to_owned(),
        size,
        sha256: hex::encode(hash.finalize()),
    })
}

/// The record and report of a staged upload.
pub fn staged(
    app: &App,
    layer: &str,
    id: &str,
) -> Result<(Record, serde_json::Value), StagingError> {
    let missing = || StagingError::NoSuchUpload {
        layer: layer.to_owned(),
        id: id.to_owned(),
    };
    if !valid_id(id) {
        return Err(missing());
    }
    let dir = record::root(&app.config.data_dir).join(id);
    let rec = record::read(&dir)
        .filter(|r| r.layer == layer)
        .ok_or_else(missing)?;
    let report = fs::read_to_string(dir.join(record::REPORT))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    Ok((rec, report))
}

/// At start: removes the leftovers of uploads interrupted by a crash (directories without
/// a record; no upload of this process is running yet) and expired uploads.
pub fn recover(app: &App) {
    for (dir, rec) in record::all(&record::root(&app.config.data_dir)) {
        if rec.is_none() {
            tracing::warn!(dir = %dir.display(), "removing an interrupted upload");
            let _ = fs::remove_dir_all(&dir);
        } else if rec
            .as_ref()
            .is_some_and(|r| app.store.current(&r.layer).ok().flatten() == Some(r.version))
        {
            // Published, but killed before its record was removed.
            let _ = fs::remove_dir_all(&dir);
        } else {
            // Staged, but killed before its working files were removed.
            let _ = fs::remove_dir_all(dir.join("work"));
            for name in ["upload.bin", "features.fgb", "record.tmp", "report.tmp"] {
                let _ = fs::remove_file(dir.join(name));
            }
        }
    }
    sweep(app);
}

/// Removes expired uploads (their store version too, unless it became current). A layer
/// that is busy is left for the next sweep.
pub fn sweep(app: &App) {
    let now = crate::time::unix_now();
    for (dir, rec) in record::all(&record::root(&app.config.data_dir)) {
        if let Some(r) = rec.filter(|r| r.expires_unix <= now) {
            expire(app, &dir, &r);
        }
    }
}

fn expire(app: &App, dir: &Path, r: &Record) {
    let lock = app.ingest.lock_for(&r.layer);
    let Ok(_guard) = lock.try_lock() else { return };
    let _ = fs::remove_file(dir.join(record::RECORD));
    if app.store.current(&r.layer).ok().flatten() != Some(r.version) {
        if let Err(e) = app.store.remove(&r.layer, r.version) {
            tracing::warn!(layer = %r.layer, version = r.version, error = %e, "cannot remove an expired staged version");
        }
    }
    let _ = fs::remove_dir_all(dir);
    let file = FileInfo {
        name: r.file_name.clone(),
        size: 0,
        sha256: r.sha256.clone(),
    };
    audit(
        app,
        "upload.expired",
        "kashimap",
        &r.layer,
        Some(r.version),
        &r.id,
        &file,
    );
}

#[cfg(test)]
mod tests;
