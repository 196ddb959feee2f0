//! The set of served layers, each with an atomically swappable current version.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwapOption;

use super::LayerVersion;
use crate::catalog::{Catalog, LayerDef};

/// One catalog layer and its current version. Readers `load()` without blocking; a
/// publish `store()`s a fully built version, so nobody sees half a layer.
#[derive(Debug)]
pub struct LayerSlot {
    pub def: Arc<LayerDef>,
    current: ArcSwapOption<LayerVersion>,
}

impl LayerSlot {
    pub fn current(&self) -> Option<Arc<LayerVersion>> {
        self.current.load_full()
    }

    /// Makes `version` current and returns the one it replaced.
    pub fn swap(&self, version: Arc<LayerVersion>) -> Option<Arc<LayerVersion>> {
        self.current.swap(Some(version))
    }

    /// Stops serving the layer (a replica whose primary no longer shows it to the public);
    /// returns the version it served.
    pub fn clear(&self) -> Option<Arc<LayerVersion>> {
        self.current.swap(None)
    }
}

/// Every layer in the catalog, by id, in a fixed order.
#[derive(Debug)]
pub struct Layers {
    slots: BTreeMap<String, LayerSlot>,
}

impl Layers {
    /// Empty slots for every layer in the catalog; versions are loaded afterwards.
    pub fn new(catalog: &Catalog) -> Self {
        let slots = catalog
            .layers()
            .iter()
            .map(|def| {
                (
                    def.id.clone(),
                    LayerSlot {
                        def: Arc::clone(def),
                        current: ArcSwapOption::empty(),
                    },
                )
            })
            .collect();
        Self { slots }
    }

    pub fn slot(&self, id: &str) -> Option<&LayerSlot> {
        self.slots.get(id)
    }

    /// The current version of a layer, if the layer exists and has been loaded.
    pub fn get(&self, id: &str) -> Option<Arc<LayerVersion>> {
        self.slot(id)?.current()
    }

    pub fn slots(&self) -> impl Iterator<Item = &LayerSlot> {
        self.slots.values()
    }

    /// Current versions of all loaded layers, in id order.
    pub fn current_all(&self) -> Vec<Arc<LayerVersion>> {
        self.slots.values().filter_map(LayerSlot::current).collect()
    }

    /// True when every catalog layer has a current version (readiness).
    pub fn all_loaded(&self) -> bool {
        self.slots.values().all(|s| s.current.load().is_some())
    }
}

/// Drops a replaced version away from request threads. Freeing a large version (hundreds of
/// thousands of features, their overviews and search index) takes a noticeable time; if a
/// request held the last reference, that request's thread (an async worker) would pay for it.
/// A short-lived thread keeps the version until every reader has let go, then frees it.
pub fn retire(old: Arc<LayerVersion>) {
    const WAIT: std::time::Duration = std::time::Duration::from_millis(50);
    const GIVE_UP_AFTER: u32 = 1200; // one minute: no request lives that long
    let spawned = std::thread::Builder::new()
        .name("retire-version".into())
        .spawn(move || {
            let mut waited = 0;
            while Arc::strong_count(&old) > 1 && waited < GIVE_UP_AFTER {
                std::thread::sleep(WAIT);
                waited += 1;
            }
            drop(old);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start a thread to free a replaced layer version");
    }
}
