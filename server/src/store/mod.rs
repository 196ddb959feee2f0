//! The versioned on-disk layer store.
//!
//! Layout: `<data-dir>/layers/<id>/v<NNNNNN>.fgb` (features, FlatGeobuf, EPSG:4326),
//! `v<NNNNNN>.json` (its [`VersionInfo`]) and `CURRENT` (the current version number).
//!
//! Every file is written to a `*.tmp` name, fsynced, renamed into place and the directory
//! fsynced, and `CURRENT` is switched last. A `kill -9` at any moment therefore leaves
//! either the old or the new current version, never a torn one; leftover `*.tmp` files are
//! removed at start. The [`VersionStore`] trait is the seam for an object-store backend.

pub mod fgb;
mod fs;

use std::io::Write;
use std::path::PathBuf;

pub use fs::FsStore;

use crate::layer::{Feature, Schema, VersionInfo};

/// An error of the layer store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("store: {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store: {path}: {source}")]
    Fgb {
        path: PathBuf,
        source: fgb::FgbError,
    },
    #[error("store: {path}: bad metadata: {message}")]
    Metadata { path: PathBuf, message: String },
    #[error("store: layer `{layer}` has no version {version}")]
    NoSuchVersion { layer: String, version: u64 },
    #[error("store: the disk is full while writing {path}; the current version is unchanged")]
    DiskFull { path: PathBuf },
    #[error("store: version {version} of layer `{layer}` is current and cannot be removed")]
    RemoveCurrent { layer: String, version: u64 },
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
}

/// What a new version records besides its features.
#[derive(Debug, Clone, Default)]
pub struct NewVersion {
    pub source_name: String,
    pub source_sha256: String,
    pub created_by: String,
}

/// A versioned store of layer data. Versions are immutable once written.
pub trait VersionStore: Send + Sync + std::fmt::Debug {
    /// All complete versions of a layer, oldest first.
    fn versions(&self, layer: &str) -> Result<Vec<VersionInfo>, StoreError>;
    /// The current version number, if any.
    fn current(&self, layer: &str) -> Result<Option<u64>, StoreError>;
    /// Reads a version's features.
    fn load(&self, layer: &str, version: u64) -> Result<(Schema, Vec<Feature>), StoreError>;
    /// Durably writes a new version (not yet current) and returns its info.
    fn write(
        &self,
        layer: &str,
        meta: &NewVersion,
        write: &mut dyn FnMut(&mut dyn Write) -> Result<usize, fgb::FgbError>,
    ) -> Result<VersionInfo, StoreError>;
    /// Atomically makes `version` current.
    fn activate(&self, layer: &str, version: u64) -> Result<(), StoreError>;
    /// Removes the oldest versions beyond `keep`, never the current one.
    fn prune(&self, layer: &str, keep: usize) -> Result<Vec<u64>, StoreError>;
    /// Removes one version that is not current (an expired staged upload, or pruning that
    /// must spare staged versions).
    fn remove(&self, layer: &str, version: u64) -> Result<(), StoreError>;
}
