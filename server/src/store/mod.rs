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

mod fs;

use std::io::Read;
use std::path::PathBuf;

pub use fs::FsStore;

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
