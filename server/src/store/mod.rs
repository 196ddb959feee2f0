//! The versioned layer store: bytes, not features. A version is an immutable blob (the
//! layer's features as FlatGeobuf, though the store neither knows nor cares) with a little
//! metadata ([`VersionInfo`]); one version per layer is current.
//!
//! The operations are those an object store can offer: [`put`](VersionStore::put) a new
//! version, [`get`](VersionStore::get) its bytes, [`list`](VersionStore::list) the versions,
//! read the [`current`](VersionStore::current) one, [`activate`](VersionStore::activate)
//! another with a compare-and-swap, and [`remove`](VersionStore::remove) one that is not
//! current. Policy (what to keep, when to publish) lives above, in `publish`.
//!
//! [`FsStore`] keeps versions under `<store-dir>/layers/<id>/`: `v<NNNNNN>.fgb` (the bytes),
//! `v<NNNNNN>.json` (the info) and `CURRENT`. Every file is written to a `*.tmp` name,
//! fsynced, renamed into place and the directory fsynced, and `CURRENT` is switched last, so
//! a `kill -9` at any moment leaves either the old or the new current version.
//!
//! [`S3Store`] keeps the same objects in an S3-compatible bucket, so that two primaries can
//! share one store; [`open`] picks the store from `--store` (docs/configuration.md).

#[cfg(test)]
mod conformance;
mod fs;
mod s3;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use fs::FsStore;
pub use s3::{LEASE_SECS, S3Store};

const CURRENT: &str = "CURRENT";
const DATA: &str = ".fgb";
const META: &str = ".json";

use crate::model::VersionInfo;

/// An error of the layer store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("store: {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store: {path}: bad metadata: {message}")]
    Metadata { path: PathBuf, message: String },
    #[error("store: layer `{layer}` has no version {version}")]
    NoSuchVersion { layer: String, version: u64 },
    #[error("store: the disk is full while writing {path}; the current version is unchanged")]
    DiskFull { path: PathBuf },
    #[error("store: version {version} of layer `{layer}` is current and cannot be removed")]
    RemoveCurrent { layer: String, version: u64 },
    /// The compare-and-swap of [`VersionStore::activate`] lost: another writer switched the
    /// layer's current version first.
    #[error(
        "store: layer `{layer}` changed meanwhile: its current version is {actual:?}, not {expected:?}"
    )]
    Conflict {
        layer: String,
        expected: Option<u64>,
        actual: Option<u64>,
    },
    #[error("store: the store is open read-only")]
    ReadOnly,
    /// `--store` names no usable store (bad URL, missing bucket, refused credentials).
    #[error("store `{url}`: {message}")]
    Url { url: String, message: String },
    /// The store cannot be reached or is failing now (an unreachable or slow bucket); the
    /// caller may try again later.
    #[error("store: {what} is unavailable: {message}")]
    Unavailable { what: String, message: String },
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.raw_os_error() == Some(libc::ENOSPC) {
            Self::DiskFull { path }
        } else {
            Self::Io { path, source }
        }
    }

    /// True when the store ran out of space (the caller may say so to the user).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Self::DiskFull { .. })
    }

    /// True when the store is unreachable or failing for now (HTTP 503 at the edge).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// Opens the layer store named by `url` (`--store`), or the data folder's when `None`:
/// `file:///folder` is a folder store at another place (its versions under
/// `<folder>/layers/`), `s3://bucket/prefix[?endpoint=URL]` a bucket. A writable store is
/// recovered first (leftovers of interrupted writes removed).
pub fn open(
    url: Option<&str>,
    data_dir: &Path,
    writable: bool,
) -> Result<Arc<dyn VersionStore>, StoreError> {
    let bad = |u: &str, message: &str| StoreError::Url {
        url: u.to_owned(),
        message: message.to_owned(),
    };
    match url {
        None => open_folder(data_dir, writable),
        Some(u) if u.starts_with("file://") => {
            let path = &u["file://".len()..];
            if !path.starts_with('/') {
                return Err(bad(u, "use an absolute folder: file:///path/to/folder"));
            }
            open_folder(Path::new(path), writable)
        }
        Some(u) if u.starts_with("s3://") => {
            let store = S3Store::open(u, !writable)?;
            if writable {
                store.recover()?;
            }
            Ok(Arc::new(store))
        }
        Some(u) => Err(bad(u, "use file:///folder or s3://bucket/prefix")),
    }
}

/// The folder a folder store named by `url` keeps its layers in (the data folder when
/// `None`); `None` for a bucket. Layers created at run time are defined in its `catalog/`,
/// so the primaries sharing that folder share their definitions too.
pub fn folder(url: Option<&str>, data_dir: &Path) -> Option<PathBuf> {
    match url {
        None => Some(data_dir.to_path_buf()),
        Some(u) => u
            .strip_prefix("file://")
            .filter(|p| p.starts_with('/'))
            .map(PathBuf::from),
    }
}

fn open_folder(dir: &Path, writable: bool) -> Result<Arc<dyn VersionStore>, StoreError> {
    if writable {
        let store = FsStore::open(dir)?;
        store.recover()?;
        Ok(Arc::new(store))
    } else {
        Ok(Arc::new(FsStore::open_read_only(dir)))
    }
}

/// The metadata object of a version, as both stores write it.
#[derive(serde::Serialize, serde::Deserialize)]
struct RawInfo {
    created: String,
    feature_count: usize,
    source_sha256: String,
    source_name: String,
    created_by: String,
}

impl RawInfo {
    fn new(meta: &NewVersion) -> Self {
        Self {
            created: crate::time::now_rfc3339(),
            feature_count: meta.feature_count,
            source_sha256: meta.source_sha256.clone(),
            source_name: meta.source_name.clone(),
            created_by: meta.created_by.clone(),
        }
    }

    fn into_info(self, version: u64) -> VersionInfo {
        VersionInfo {
            version,
            created: self.created,
            feature_count: self.feature_count,
            source_sha256: self.source_sha256,
            source_name: self.source_name,
            created_by: self.created_by,
        }
    }
}

fn parse_version(name: &str, suffix: &str) -> Option<u64> {
    name.strip_prefix('v')?.strip_suffix(suffix)?.parse().ok()
}

/// What a new version records besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct NewVersion {
    pub source_name: String,
    pub source_sha256: String,
    pub created_by: String,
    /// Features in the version (the store does not read its bytes).
    pub feature_count: usize,
}

/// A versioned store of layer data. Versions are immutable once put.
pub trait VersionStore: Send + Sync + std::fmt::Debug {
    /// All complete versions of a layer, oldest first.
    fn list(&self, layer: &str) -> Result<Vec<VersionInfo>, StoreError>;
    /// The current version number, if any.
    fn current(&self, layer: &str) -> Result<Option<u64>, StoreError>;
    /// A version's bytes.
    fn get(&self, layer: &str, version: u64) -> Result<Box<dyn Read + Send>, StoreError>;
    /// Durably stores `bytes` as a new version (not yet current) under a number no other
    /// writer can take, and returns its info.
    fn put(
        &self,
        layer: &str,
        meta: &NewVersion,
        bytes: &mut dyn Read,
    ) -> Result<VersionInfo, StoreError>;
    /// Atomically makes `version` current if the current version is still `expected`;
    /// otherwise [`StoreError::Conflict`] and nothing changes.
    fn activate(&self, layer: &str, version: u64, expected: Option<u64>) -> Result<(), StoreError>;
    /// Removes one version that is not current.
    fn remove(&self, layer: &str, version: u64) -> Result<(), StoreError>;
    /// Whether the store keeps the definitions of layers created at run time itself (a
    /// bucket, shared by the primaries on it). A folder store does not: they are files in its
    /// folder's `catalog/`, which the primaries sharing the folder share already.
    fn keeps_definitions(&self) -> bool {
        false
    }
    /// The ids of the definitions the store keeps.
    fn definition_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
    /// One kept definition (the text of its layer file), if any.
    fn definition(&self, _layer: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(None)
    }
    /// Keeps a layer's definition, or forgets it (`None`).
    fn put_definition(&self, _layer: &str, _text: Option<&[u8]>) -> Result<(), StoreError> {
        Ok(())
    }
    /// The info of one version.
    fn info(&self, layer: &str, version: u64) -> Result<VersionInfo, StoreError> {
        self.list(layer)?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or_else(|| StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            })
    }
}
