//! Verifying a manifest, building the layers it changes, and swapping them in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use super::{Initial, Replica, ReplicaError, layer_def};
use crate::catalog::Catalog;
use crate::fgb;
use crate::layer::{self, Cores, LayerVersion};
use crate::model::VersionInfo;
use crate::push::{FileRef, LayerEntry, Manifest, Refusal, check_file, sha256_hex};

/// What the replica serves now.
#[derive(Debug, Default)]
pub(super) struct State {
    /// The sequence number served (or remembered from before a restart).
    pub sequence: u64,
    /// SHA-256 of the last manifest looked at, served or refused.
    pub seen: Option<String>,
    /// SHA-256 of the manifest served.
    pub served_hash: Option<String>,
    /// SHA-256 of each served layer's manifest entry: an unchanged entry is not rebuilt.
    pub served: BTreeMap<String, String>,
}

/// What the replica knows of a manifest's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    Served,
    Refused,
    New,
}

/// A verified manifest with its changed layers built, ready to swap in.
pub(super) struct Built {
    manifest: Manifest,
    hash: String,
    /// The layers that changed, fully built with every derived index.
    pub fresh: Vec<Arc<LayerVersion>>,
    /// Every layer the manifest names, with its entry's fingerprint.
    fingerprints: BTreeMap<String, String>,
    styles: BTreeMap<String, Arc<str>>,
}

fn refuse_layer(layer: &str, message: impl Into<String>) -> ReplicaError {
    ReplicaError::Refused(Refusal::Layer {
        layer: layer.to_owned(),
        message: message.into(),
    })
}

impl Replica {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether these manifest bytes are the ones served, were refused before, or are new.
    pub(super) fn classify(&self, bytes: &[u8]) -> Seen {
        let hash = Some(sha256_hex(bytes));
        let s = self.state();
        if s.served_hash == hash {
            Seen::Served
        } else if s.seen == hash {
            Seen::Refused
        } else {
            Seen::New
        }
    }

    /// Remembers refused bytes, so the next polls do not fetch and log them again.
    pub(super) fn mark_seen(&self, bytes: &[u8]) {
        self.state().seen = Some(sha256_hex(bytes));
    }

    /// Verifies the manifest and builds every layer whose entry changed. Nothing served
    /// changes here. The first manifest may repeat the sequence remembered from before a
    /// restart; a later one must be newer.
    pub(super) fn prepare(&self, bytes: &[u8], cores: Cores) -> Result<Built, ReplicaError> {
        let hash = sha256_hex(bytes);
        let manifest = crate::push::open(bytes, &self.key)?;
        let (have, first, served) = {
            let s = self.state();
            (s.sequence, s.seen.is_none(), s.served.clone())
        };
        let stale = if first {
            manifest.sequence < have
        } else {
            manifest.sequence <= have
        };
        if stale {
            return Err(Refusal::Replay {
                got: manifest.sequence,
                have,
            }
            .into());
        }
        let mut fresh = Vec::new();
        let mut fingerprints = BTreeMap::new();
        for entry in &manifest.layers {
            let fp = sha256_hex(&serde_json::to_vec(entry).unwrap_or_default());
            if served.get(&entry.def.id) != Some(&fp) {
                fresh.push(Arc::new(self.build_layer(
                    entry,
                    &manifest.created,
                    cores,
                )?));
            }
            fingerprints.insert(entry.def.id.clone(), fp);
        }
        let mut styles = BTreeMap::new();
        for (name, file) in &manifest.styles {
            let text = String::from_utf8(self.file(file)?).map_err(|_| Refusal::File {
                path: file.path.clone(),
                message: "a style must be UTF-8 JSON".into(),
            })?;
            styles.insert(name.clone(), Arc::from(text));
        }
        Ok(Built {
            manifest,
            hash,
            fresh,
            fingerprints,
            styles,
        })
    }

    /// A file of the manifest, checked against its size and SHA-256.
    fn file(&self, file: &FileRef) -> Result<Vec<u8>, ReplicaError> {
        let bytes = self.target.get(&file.path)?.ok_or_else(|| Refusal::File {
            path: file.path.clone(),
            message: "missing from the target".into(),
        })?;
        check_file(file, &bytes)?;
        Ok(bytes)
    }

    fn build_layer(
        &self,
        entry: &LayerEntry,
        created: &str,
        cores: Cores,
    ) -> Result<LayerVersion, ReplicaError> {
        let id = entry.def.id.as_str();
        let data = self.file(&entry.data)?;
        let ids = entry.ids.as_ref().map(|f| self.file(f)).transpose()?;
        let (schema, mut features) = fgb::read(&data[..])
            .map_err(|e| refuse_layer(id, format!("cannot decode its FlatGeobuf: {e}")))?;
        if features.len() != entry.features {
            return Err(refuse_layer(
                id,
                format!(
                    "{} features, the manifest says {}",
                    features.len(),
                    entry.features
                ),
            ));
        }
        if let Some(ids) = ids {
            if ids.len() != features.len() * 8 {
                return Err(refuse_layer(id, "the id list does not match the features"));
            }
            for (f, chunk) in features.iter_mut().zip(ids.chunks_exact(8)) {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                f.id = u64::from_le_bytes(b);
            }
        }
        let def = Arc::new(layer_def(&entry.def, &self.target.describe()));
        let info = VersionInfo {
            version: entry.version,
            created: created.to_owned(),
            feature_count: features.len(),
            source_sha256: entry.data.sha256.clone(),
            source_name: "public push".to_owned(),
            created_by: String::new(),
        };
        layer::build(&def, info, schema, features, cores)
            .map_err(|e| refuse_layer(id, e.to_string()))
    }

    /// Records a served manifest.
    fn commit(&self, built: &Built) {
        let m = &built.manifest;
        {
            let mut s = self.state();
            s.sequence = m.sequence;
            s.seen = Some(built.hash.clone());
            s.served_hash = Some(built.hash.clone());
            s.served.clone_from(&built.fingerprints);
        }
        self.styles.store(Arc::new(built.styles.clone()));
        self.stats.sequence.store(m.sequence, Ordering::Relaxed);
        self.stats.manifest_created_unix.store(
            crate::time::parse_rfc3339(&m.created).unwrap_or(0),
            Ordering::Relaxed,
        );
        self.stats.swaps.fetch_add(1, Ordering::Relaxed);
        *self
            .last_refusal
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        self.save_state(m.sequence);
    }

    /// The first manifest: its layers become the replica's catalog.
    pub(super) fn commit_initial(&self, built: Built) -> Initial {
        self.commit(&built);
        self.synced();
        tracing::info!(
            sequence = built.manifest.sequence,
            layers = built.fresh.len(),
            "replica: first manifest loaded"
        );
        Initial {
            catalog: Catalog::from_defs(built.fresh.iter().map(|v| Arc::clone(&v.def)).collect()),
            versions: built.fresh,
        }
    }

    /// Swaps the built layers in, adds layers the manifest names for the first time (newly
    /// public or newly created on the primary), removes layers it no longer names (no longer
    /// public, or removed), and returns the sequence now served.
    pub(super) fn swap(&self, built: &Built) -> u64 {
        let Some(layers) = self.layers.get() else {
            return 0;
        };
        for v in &built.fresh {
            match layers.slot(v.id()) {
                Some(slot) if slot.def == v.def => {
                    if let Some(old) = slot.swap(Arc::clone(v)) {
                        layer::retire(old);
                    }
                }
                // A new layer, or one whose definition changed: its slot is replaced whole.
                existing => {
                    if existing.is_some()
                        && let Some(old) = layers.remove(v.id()).and_then(|s| s.clear())
                    {
                        layer::retire(old);
                    }
                    if layers.add(Arc::clone(&v.def), Arc::clone(v)).is_ok() {
                        tracing::info!(layer = %v.id(), "replica: layer added");
                    }
                }
            }
        }
        let named: BTreeSet<&String> = built.fingerprints.keys().collect();
        for slot in layers.slots() {
            if !named.contains(&slot.def.id) {
                layers.remove(&slot.def.id);
                if let Some(old) = slot.clear() {
                    layer::retire(old);
                }
                tracing::info!(layer = %slot.def.id, "replica: layer no longer public; removed");
            }
        }
        self.commit(built);
        built.manifest.sequence
    }
}
