//! Publishing: staging uploads as store versions, publishing and rolling back, importing
//! from the command line, and importing each layer's sample data on first start.
//!
//! `App` builds a [`Publisher`] from the narrow parts it needs — the store, the layer slots,
//! the catalog, the audit log and its settings — and nothing else: no HTTP, no sessions.
//!
//! A staged upload is converted in its own directory under `<store-dir>/staging/<id>/`,
//! written into the store as a new version that is not current, and recorded with its
//! report. Publishing loads that version and builds **all** its derived indexes (R-tree,
//! tile overviews, search index) on the calling (blocking) thread, switches the store's
//! `CURRENT` with a compare-and-swap, swaps it into the layer's slot (readers never see
//! partial data and never build an index; the version number is part of every policy class
//! and so of every tile-cache key) and prunes old versions. Every step is audited.

mod activate;
pub mod cli;
mod define;
mod drop;
mod intent;
mod preview;
mod record;
mod staging;
mod start;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use activate::{VersionRow, activate, follow, publish, publish_with, versions};
pub use define::{
    Followed, create_layer, created_ids, follow_definition, is_created, mirror_definition,
    mirror_definitions, remove_layer, removed_layers,
};
pub use drop::Drop;
pub use preview::{PREVIEW_LIMIT, preview};
pub use record::{Record, valid_id};
pub use staging::{Staged, Upload, describe_file, discard, recover, stage, staged, sweep};
pub use start::load_all;

use crate::access::{Audit, Principal, decide};
use crate::catalog::LayerDef;
use crate::ingest::{IngestError, Limits, Report};
use crate::layer::{Layers, LoadError};
use crate::store::{StoreError, VersionStore};

#[cfg(test)]
mod tests;

/// What publishing is allowed and expected to do.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where staged uploads live (`<store-dir>/staging`).
    pub staging_dir: PathBuf,
    /// Where the files of layers created at run time live (`<store-dir>/catalog`).
    pub created_dir: PathBuf,
    /// How long a staged upload waits for its publish.
    pub staging_ttl_secs: i64,
    /// Published versions kept for rollback.
    pub keep_versions: usize,
    /// Limits of the conversion.
    pub limits: Limits,
}

/// The publishing service: everything that changes which layer versions exist and which
/// one is current.
#[derive(Debug)]
pub struct Publisher {
    store: Arc<dyn VersionStore>,
    layers: Arc<Layers>,
    audit: Arc<Audit>,
    settings: Settings,
    locks: LayerLocks,
    /// Serialises creating and removing layers.
    defining: Mutex<()>,
    /// Told after every publish or rollback (the public push, the other primaries), off
    /// the request path: each only asks for work and returns.
    listeners: std::sync::RwLock<Vec<Listener>>,
    /// Told after a layer joined or left the set, here or following another primary (the
    /// edit module opens or closes its edit log).
    define_listeners: std::sync::RwLock<Vec<Listener>>,
}

/// A function called after a layer's current version changed.
pub struct Listener(pub Box<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listener")
    }
}

impl Publisher {
    pub fn new(
        store: Arc<dyn VersionStore>,
        layers: Arc<Layers>,
        audit: Arc<Audit>,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            layers,
            audit,
            settings,
            locks: LayerLocks::default(),
            defining: Mutex::new(()),
            listeners: std::sync::RwLock::default(),
            define_listeners: std::sync::RwLock::default(),
        }
    }

    /// Adds a function told after every publish or rollback made here.
    pub fn on_change(&self, listener: Listener) {
        self.listeners
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(listener);
    }

    fn changed(&self, layer: &str) {
        tell(&self.listeners, layer);
    }

    /// Adds a function told after a layer joined or left the set of served layers, whether
    /// an administrator here created or removed it or it followed another primary's change.
    pub fn on_define(&self, listener: Listener) {
        self.define_listeners
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(listener);
    }

    /// Waits until no layer is being created, removed or followed here: each of those
    /// tells its listeners (which build what a layer needs, such as its edit log) before it
    /// lets the next one start.
    pub fn wait_for_definitions(&self) {
        drop(
            self.defining
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }

    fn defined(&self, layer: &str) {
        tell(&self.define_listeners, layer);
    }

    /// The version of `layer` this process serves, if any.
    pub fn served_version(&self, layer: &str) -> Option<u64> {
        self.layers.get(layer).map(|v| v.version())
    }

    /// Every layer id of the catalog.
    pub fn layer_ids(&self) -> Vec<String> {
        self.layers
            .catalog()
            .layers()
            .iter()
            .map(|d| d.id.clone())
            .collect()
    }

    /// The lock that serialises everything which switches a layer's version (staging,
    /// publish, rollback, and the `edit` module's swaps and folds). Publishes only try it
    /// (a held lock is a 409); the edit module waits for it.
    pub fn layer_lock(&self, layer: &str) -> Arc<Mutex<()>> {
        self.locks.lock_for(layer)
    }

    /// Keeps the newest `keep_versions` published versions (after an edit fold as after a
    /// publish). Returns the versions removed.
    pub fn prune_versions(&self, layer: &str) -> Result<Vec<u64>, PublishError> {
        activate::prune(self, layer)
    }

    fn staging_root(&self) -> &Path {
        &self.settings.staging_dir
    }

    fn def(&self, layer: &str) -> Result<Arc<LayerDef>, PublishError> {
        self.layers
            .def(layer)
            .ok_or_else(|| PublishError::NoSuchLayer {
                layer: layer.to_owned(),
            })
    }
}

fn tell(listeners: &std::sync::RwLock<Vec<Listener>>, layer: &str) {
    let listeners = listeners
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for l in listeners.iter() {
        (l.0)(layer);
    }
}

/// Per-layer locks: staging writes and publishes of one layer are serialised.
#[derive(Debug, Default)]
struct LayerLocks {
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl LayerLocks {
    fn lock_for(&self, layer: &str) -> Arc<Mutex<()>> {
        let mut map = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(layer.to_owned()).or_default())
    }
}

/// Why a staging, publish or rollback step failed. Nothing changed when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The report refuses the upload; nothing was staged.
    #[error("the upload was refused; see the report")]
    Refused(Box<Report>),
    #[error("layer `{layer}` does not exist")]
    NoSuchLayer { layer: String },
    /// A layer definition (created at run time) is invalid; each error names its key.
    #[error("the layer definition is invalid:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Definition(Vec<crate::catalog::CatalogError>),
    #[error("layer `{layer}` already exists")]
    LayerExists { layer: String },
    /// Only layers created at run time can be removed at run time.
    #[error("layer `{layer}` is defined in {}: remove that file and restart to remove it", .file.display())]
    NotCreated { layer: String, file: PathBuf },
    #[error("no staged upload `{id}` for layer `{layer}`")]
    NoSuchUpload { layer: String, id: String },
    #[error("staged upload `{id}` has expired")]
    Expired { id: String },
    #[error("another upload or publish of layer `{layer}` is in progress")]
    Busy { layer: String },
    /// The upload drops more features than the layer allows without a confirmation.
    #[error("publishing would drop layer `{layer}` from {} to {} features ({:.0}%, over the {}% limit); confirm to publish", .drop.before, .drop.after, .drop.percent, .drop.limit_percent)]
    NeedsConfirmation { layer: String, drop: Drop },
    #[error("layer `{layer}` has no version {version}")]
    NoSuchVersion { layer: String, version: u64 },
    /// The store's current version changed under us (another primary published first).
    #[error("layer `{layer}` changed meanwhile (its current version is now {actual:?})")]
    Conflict { layer: String, actual: Option<u64> },
    #[error("the disk is full while writing {path}; the current version is unchanged")]
    DiskFull { path: PathBuf },
    #[error(transparent)]
    Store(StoreError),
    /// The audit log could not take the row that must precede the change.
    #[error("the audit log cannot be written: {0}")]
    Audit(crate::access::AccessError),
    #[error("layer `{layer}` version {version} cannot be loaded: {source}")]
    Load {
        layer: String,
        version: u64,
        source: Box<LoadError>,
    },
}

impl From<StoreError> for PublishError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DiskFull { path } => Self::DiskFull { path },
            StoreError::Conflict { layer, actual, .. } => Self::Conflict { layer, actual },
            other => Self::Store(other),
        }
    }
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
pub fn upload_access(p: &Publisher, principal: &Principal, layer: &str) -> UploadAccess {
    let Some(def) = p.layers.def(layer) else {
        return UploadAccess::NotFound;
    };
    if may_upload(principal, &def) {
        return UploadAccess::Allowed;
    }
    match p.layers.get(layer) {
        Some(current) if decide(principal, &current).is_some() => UploadAccess::Forbidden,
        _ => UploadAccess::NotFound,
    }
}

fn may_upload(principal: &Principal, def: &LayerDef) -> bool {
    !principal.is_anonymous()
        && (principal.is_admin() || def.access.upload.iter().any(|a| principal.has(a)))
}
