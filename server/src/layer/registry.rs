//! The set of served layers, each with an atomically swappable current version, and the set
//! itself atomically swappable: an administrator adds or removes layers while the server runs.
//!
//! Readers take one [`LayerSet`] snapshot (the catalog and its slots together) and never see
//! a half-added layer: a layer is added with its first version already in its slot, in one
//! swap of the whole set.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::{ArcSwap, ArcSwapOption};

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
    fn new(def: Arc<LayerDef>, version: Option<Arc<LayerVersion>>) -> Self {
        Self {
            def,
            current: ArcSwapOption::new(version),
        }
    }

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

/// One consistent view of the served layers: the catalog and a slot per layer.
#[derive(Debug, Default)]
pub struct LayerSet {
    catalog: Arc<Catalog>,
    slots: BTreeMap<String, Arc<LayerSlot>>,
}

impl LayerSet {
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub fn slot(&self, id: &str) -> Option<&Arc<LayerSlot>> {
        self.slots.get(id)
    }

    pub fn slots(&self) -> impl Iterator<Item = &Arc<LayerSlot>> {
        self.slots.values()
    }

    fn with(slots: BTreeMap<String, Arc<LayerSlot>>) -> Self {
        let defs = slots.values().map(|s| Arc::clone(&s.def)).collect();
        Self {
            catalog: Arc::new(Catalog::from_defs(defs)),
            slots,
        }
    }
}

/// Why a layer could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("layer `{0}` already exists")]
pub struct LayerExists(pub String);

/// Every served layer, by id, in id order.
#[derive(Debug)]
pub struct Layers {
    set: ArcSwap<LayerSet>,
    /// Serialises additions and removals (readers never take it).
    change: Mutex<()>,
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
                    Arc::new(LayerSlot::new(Arc::clone(def), None)),
                )
            })
            .collect();
        Self {
            set: ArcSwap::from_pointee(LayerSet::with(slots)),
            change: Mutex::new(()),
        }
    }

    /// The served layers now: one request uses one snapshot throughout.
    pub fn snapshot(&self) -> Arc<LayerSet> {
        self.set.load_full()
    }

    /// The catalog now.
    pub fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.set.load().catalog)
    }

    /// A layer's definition, if it is served.
    pub fn def(&self, id: &str) -> Option<Arc<LayerDef>> {
        self.set.load().slot(id).map(|s| Arc::clone(&s.def))
    }

    pub fn slot(&self, id: &str) -> Option<Arc<LayerSlot>> {
        self.set.load().slot(id).map(Arc::clone)
    }

    /// The current version of a layer, if the layer exists and has been loaded.
    pub fn get(&self, id: &str) -> Option<Arc<LayerVersion>> {
        self.set.load().slot(id)?.current()
    }

    /// Every slot of one snapshot, in id order.
    pub fn slots(&self) -> Vec<Arc<LayerSlot>> {
        self.set.load().slots().map(Arc::clone).collect()
    }

    /// Current versions of all loaded layers, in id order.
    pub fn current_all(&self) -> Vec<Arc<LayerVersion>> {
        self.set
            .load()
            .slots()
            .filter_map(|s| s.current())
            .collect()
    }

    /// True when every catalog layer has a current version (readiness).
    pub fn all_loaded(&self) -> bool {
        self.set.load().slots().all(|s| s.current.load().is_some())
    }

    /// Adds a layer with its first version, in one swap of the set: no reader sees the
    /// layer before its version.
    pub fn add(&self, def: Arc<LayerDef>, version: Arc<LayerVersion>) -> Result<(), LayerExists> {
        let _serial = self.change.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.set.load_full();
        if now.slots.contains_key(&def.id) {
            return Err(LayerExists(def.id.clone()));
        }
        let mut slots = now.slots.clone();
        slots.insert(def.id.clone(), Arc::new(LayerSlot::new(def, Some(version))));
        self.set.store(Arc::new(LayerSet::with(slots)));
        Ok(())
    }

    /// Stops serving a layer; returns its slot (whose version the caller retires).
    pub fn remove(&self, id: &str) -> Option<Arc<LayerSlot>> {
        let _serial = self.change.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.set.load_full();
        let mut slots = now.slots.clone();
        let gone = slots.remove(id)?;
        self.set.store(Arc::new(LayerSet::with(slots)));
        Some(gone)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Schema, VersionInfo};

    fn def(id: &str) -> Arc<LayerDef> {
        let text = format!(
            "id = \"{id}\"\ntitle = {{ ja = \"テスト\", en = \"Test\" }}\ndepartment = \"総務課\"\ngeometry = \"Point\"\nattribution = \"t\"\n[access]\nview = \"public\"\n"
        );
        Arc::new(
            LayerDef::from_toml(
                &text,
                std::path::Path::new("t.toml"),
                std::path::Path::new("/"),
            )
            .unwrap(),
        )
    }

    fn version(def: &Arc<LayerDef>) -> Arc<LayerVersion> {
        let info = VersionInfo {
            version: 0,
            created: String::new(),
            feature_count: 0,
            source_sha256: String::new(),
            source_name: String::new(),
            created_by: String::new(),
        };
        Arc::new(
            super::super::build(
                def,
                info,
                Schema::new(Vec::new()),
                Vec::new(),
                super::super::Cores::All,
            )
            .unwrap(),
        )
    }

    #[test]
    fn a_layer_joins_with_its_version_and_old_snapshots_stay_whole() {
        let a = def("a");
        let layers = Layers::new(&Catalog::from_defs(vec![Arc::clone(&a)]));
        layers.slot("a").unwrap().swap(version(&a));
        let before = layers.snapshot();

        let b = def("b");
        layers.add(Arc::clone(&b), version(&b)).unwrap();
        // The new set has the layer, its definition and its version together.
        assert!(layers.get("b").is_some());
        assert!(layers.catalog().get("b").is_some());
        assert_eq!(layers.current_all().len(), 2);
        assert!(layers.all_loaded());
        // A request that took its snapshot before sees the set as it was, whole.
        assert!(before.slot("b").is_none() && before.catalog().get("b").is_none());
        assert_eq!(
            layers.add(Arc::clone(&b), version(&b)),
            Err(LayerExists("b".into()))
        );

        let gone = layers.remove("b").unwrap();
        assert!(gone.current().is_some(), "the caller retires the version");
        assert!(layers.get("b").is_none() && layers.catalog().get("b").is_none());
        assert!(layers.remove("b").is_none());
    }
}
