//! Staging an upload: conversion into its own directory, then a new (not current) store
//! version and a record; recovery and expiry of staged uploads.
//!
//! Everything here blocks (files, the store, the audit log's SQLite): HTTP handlers call
//! it through `http::blocking`, never on an async worker thread.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::record::{self, Record, valid_id};
use super::{PublishError, Publisher};
use crate::access::{AuditEvent, AuditKind};
use crate::ingest::{FileInfo, IngestError, Input, Options, Report, Target, convert};
use crate::store::NewVersion;

/// A new upload's private directory.
#[derive(Debug)]
pub struct Upload {
    pub id: String,
    pub dir: PathBuf,
    /// Set to stop the conversion (the HTTP edge sets it when the client goes away).
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Upload {
    /// Creates `<data-dir>/staging/<id>/`.
    pub fn create(p: &Publisher) -> Result<Self, IngestError> {
        let id = record::new_id();
        let dir = p.staging_root().join(&id);
        fs::create_dir_all(&dir).map_err(|e| IngestError::io(&dir, e))?;
        Ok(Self {
            id,
            dir,
            stop: std::sync::Arc::default(),
        })
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
    p: &Publisher,
    upload: &Upload,
    source: &Path,
    file: &FileInfo,
    who: &str,
    layer: &str,
    opts: &Options,
) -> Result<Staged, PublishError> {
    sweep(p);
    let result = stage_inner(p, upload, source, file, who, layer, opts);
    if result.is_err() {
        upload.discard();
    }
    result
}

fn stage_inner(
    p: &Publisher,
    upload: &Upload,
    source: &Path,
    file: &FileInfo,
    who: &str,
    layer: &str,
    opts: &Options,
) -> Result<Staged, PublishError> {
    let def = p.def(layer)?;
    let def = &def;
    let current = p.layers.get(layer);
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
        stop: &upload.stop,
    };
    let report = convert(input, opts, p.settings.limits, target, &out)?;
    if !report.accepted {
        audit(p, "upload.refused", who, layer, None, &upload.id, file);
        return Err(PublishError::Refused(Box::new(report)));
    }
    let version = write_version(p, layer, &out, file, who, report.feature_count)?;
    // Names the store version this upload made, so that if the process dies before the
    // record below is written, `recover` removes the version instead of leaving an orphan.
    record::write_atomically(
        &upload.dir.join(VERSION_MARK),
        format!("{layer} {version}").as_bytes(),
    )?;
    let rec = record_for(p, upload, layer, version, who, file, report.feature_count);
    let report_json = serde_json::to_vec_pretty(&report).unwrap_or_default();
    record::write_atomically(&upload.dir.join(record::REPORT), &report_json)?;
    let rec_json = serde_json::to_vec_pretty(&rec).unwrap_or_default();
    record::write_atomically(&upload.dir.join(record::RECORD), &rec_json)?;
    let _ = fs::remove_dir_all(&work);
    let _ = fs::remove_file(&out);
    let _ = fs::remove_file(upload.file_path());
    audit(
        p,
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

/// Copies the converted features into the store as a new, not current, version.
fn write_version(
    p: &Publisher,
    layer: &str,
    fgb: &Path,
    file: &FileInfo,
    who: &str,
    count: u64,
) -> Result<u64, PublishError> {
    let meta = NewVersion {
        source_name: file.name.clone(),
        source_sha256: file.sha256.clone(),
        created_by: who.to_owned(),
        feature_count: usize::try_from(count).unwrap_or(usize::MAX),
    };
    let lock = p.locks.lock_for(layer);
    let _guard = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut f = fs::File::open(fgb).map_err(|e| IngestError::io(fgb, e))?;
    let info = p.store.put(layer, &meta, &mut f)?;
    Ok(info.version)
}

fn record_for(
    p: &Publisher,
    upload: &Upload,
    layer: &str,
    version: u64,
    who: &str,
    file: &FileInfo,
    count: u64,
) -> Record {
    let ttl = p.settings.staging_ttl_secs;
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
    p: &Publisher,
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
    if let Err(e) = p.audit.record_blocking(event) {
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
    p: &Publisher,
    layer: &str,
    id: &str,
) -> Result<(Record, serde_json::Value), PublishError> {
    let (dir, rec) = find(p, layer, id)?;
    let report = fs::read_to_string(dir.join(record::REPORT))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    Ok((rec, report))
}

/// At start: removes the leftovers of uploads interrupted by a crash (directories without
/// a record; no upload of this process is running yet) and expired uploads.
pub fn recover(p: &Publisher) {
    super::intent::reconcile(p);
    for (dir, rec) in record::all(p.staging_root()) {
        if rec.is_none() {
            tracing::warn!(dir = %dir.display(), "removing an interrupted upload");
            remove_unrecorded_version(p, &dir);
            let _ = fs::remove_dir_all(&dir);
        } else if rec
            .as_ref()
            .is_some_and(|r| p.store.current(&r.layer).ok().flatten() == Some(r.version))
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
    sweep(p);
}

/// The file naming the store version an upload wrote, before its record exists.
const VERSION_MARK: &str = "version";

/// An upload interrupted after writing its store version and before its record: the version
/// is nobody's (never current, no staged record), so it goes.
fn remove_unrecorded_version(p: &Publisher, dir: &Path) {
    let mark = fs::read_to_string(dir.join(VERSION_MARK)).unwrap_or_default();
    let Some((layer, version)) = mark
        .split_once(' ')
        .and_then(|(l, v)| Some((l, v.trim().parse::<u64>().ok()?)))
    else {
        return;
    };
    if p.store.current(layer).ok().flatten() == Some(version) {
        return;
    }
    tracing::warn!(
        layer,
        version,
        "removing the version of an interrupted upload"
    );
    if let Err(e) = p.store.remove(layer, version) {
        tracing::error!(layer, version, error = %e, "cannot remove an interrupted upload's version");
    }
}

/// Removes expired uploads (their store version too, unless it became current). A layer
/// that is busy is left for the next sweep.
pub fn sweep(p: &Publisher) {
    let now = crate::time::unix_now();
    for (dir, rec) in record::all(p.staging_root()) {
        if let Some(r) = rec.filter(|r| r.expires_unix <= now) {
            expire(p, &dir, &r);
        }
    }
}

fn expire(p: &Publisher, dir: &Path, r: &Record) {
    let lock = p.locks.lock_for(&r.layer);
    let Ok(_guard) = lock.try_lock() else { return };
    remove_staged(p, dir, r, "kashimap", "upload.expired");
}

/// Deletes an abandoned staged upload and its (not current) store version.
pub fn discard(p: &Publisher, who: &str, layer: &str, id: &str) -> Result<(), PublishError> {
    let lock = p.locks.lock_for(layer);
    let Ok(_guard) = lock.try_lock() else {
        return Err(PublishError::Busy {
            layer: layer.to_owned(),
        });
    };
    let (dir, rec) = find(p, layer, id)?;
    remove_staged(p, &dir, &rec, who, "upload.discarded");
    Ok(())
}

/// The directory and record of staged upload `id` of `layer` (404 when there is none: an
/// id we did not make, another layer's, published or expired).
pub(super) fn find(
    p: &Publisher,
    layer: &str,
    id: &str,
) -> Result<(PathBuf, Record), PublishError> {
    let missing = || PublishError::NoSuchUpload {
        layer: layer.to_owned(),
        id: id.to_owned(),
    };
    if !valid_id(id) {
        return Err(missing());
    }
    let dir = p.staging_root().join(id);
    let rec = record::read(&dir)
        .filter(|r| r.layer == layer)
        .ok_or_else(missing)?;
    Ok((dir, rec))
}

/// Removes a staged upload's record, its store version (unless it became current) and its
/// directory, and audits it as `action`. The caller holds the layer's lock.
fn remove_staged(p: &Publisher, dir: &Path, r: &Record, who: &str, action: &str) {
    let _ = fs::remove_file(dir.join(record::RECORD));
    if p.store.current(&r.layer).ok().flatten() != Some(r.version)
        && let Err(e) = p.store.remove(&r.layer, r.version)
    {
        tracing::warn!(layer = %r.layer, version = r.version, error = %e, "cannot remove an expired staged version");
    }
    let _ = fs::remove_dir_all(dir);
    let file = FileInfo {
        name: r.file_name.clone(),
        size: 0,
        sha256: r.sha256.clone(),
    };
    audit(p, action, who, &r.layer, Some(r.version), &r.id, &file);
}
