//! Start-up: every layer's current version loaded with all its derived indexes, in parallel,
//! and on first start the layer's sample data imported into the store as version 1.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::Publisher;
use crate::catalog::LayerDef;
use crate::fgb;
use crate::layer::{self, Cores, LayerVersion, LoadError};
use crate::model::{Feature, Schema, VersionInfo};
use crate::store::{NewVersion, StoreError};

/// Loads every catalog layer's current version and swaps it into the layer's slot. Where the
/// store has none, the layer's sample file is imported as version 1 (`import_samples`) or,
/// for a read-only look, loaded straight into memory. Fails if any layer cannot be loaded.
pub fn load_all(p: &Publisher, import_samples: bool) -> Result<(), LoadError> {
    let catalog = p.layers.catalog();
    let results: Vec<Result<(), LoadError>> = std::thread::scope(|s| {
        let handles: Vec<_> = catalog
            .layers()
            .iter()
            .map(|def| s.spawn(move || load_current(p, def, import_samples)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(LoadError::Invalid {
                        layer: "?".into(),
                        message: "loader thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    results.into_iter().collect()
}

/// Loads a layer's current version (importing its sample first if it has none).
fn load_current(p: &Publisher, def: &Arc<LayerDef>, import: bool) -> Result<(), LoadError> {
    let t = Instant::now();
    let loaded = match p.store.current(&def.id)? {
        Some(v) => layer::load(&*p.store, def, v, Cores::All)?,
        None if def.source.is_none() => empty(def)?,
        None if import => layer::load(&*p.store, def, import_sample(p, def)?.version, Cores::All)?,
        None => sample_in_memory(def)?,
    };
    let version = loaded.version();
    tracing::info!(
        layer = %def.id,
        version,
        features = loaded.features.len(),
        ms = t.elapsed().as_millis() as u64,
        "layer loaded"
    );
    let slot = p.layers.slot(&def.id).ok_or_else(|| LoadError::Invalid {
        layer: def.id.clone(),
        message: "not in the catalog".into(),
    })?;
    slot.swap(Arc::new(loaded));
    Ok(())
}

/// The layer's sample file as version 0, without the store.
fn sample_in_memory(def: &Arc<LayerDef>) -> Result<LayerVersion, LoadError> {
    let (bytes, schema, features) = read_sample(def)?;
    let info = VersionInfo {
        version: 0,
        created: crate::time::now_rfc3339(),
        feature_count: features.len(),
        source_sha256: hex::encode(Sha256::digest(&bytes)),
        source_name: def.source.as_deref().map(file_name).unwrap_or_default(),
        created_by: "kashimap (sample, not stored)".into(),
    };
    layer::build(def, info, schema, features, Cores::All)
}

/// A layer without data yet (created by an administrator, before its first upload): version
/// 0 with no features and the schema its definition declares, not stored.
pub(super) fn empty(def: &Arc<LayerDef>) -> Result<LayerVersion, LoadError> {
    let info = VersionInfo {
        version: 0,
        created: crate::time::now_rfc3339(),
        feature_count: 0,
        source_sha256: String::new(),
        source_name: String::new(),
        created_by: "kashimap (new layer, no data yet)".into(),
    };
    layer::build(def, info, def.declared_schema(), Vec::new(), Cores::All)
}

fn read_sample(def: &LayerDef) -> Result<(Vec<u8>, Schema, Vec<Feature>), LoadError> {
    let Some(source) = def.source.as_deref() else {
        return Err(LoadError::Invalid {
            layer: def.id.clone(),
            message: "the layer has no sample file".into(),
        });
    };
    let bytes = std::fs::read(source).map_err(|e| StoreError::io(source, e))?;
    let (schema, features) = fgb::read(bytes.as_slice()).map_err(|e| LoadError::Invalid {
        layer: def.id.clone(),
        message: format!("{}: {e}", source.display()),
    })?;
    Ok((bytes, schema, features))
}

/// First start: copies the layer's `source` file into the store as version 1, after checking
/// that it decodes and fits the layer's definition.
fn import_sample(p: &Publisher, def: &LayerDef) -> Result<VersionInfo, LoadError> {
    let (bytes, schema, features) = read_sample(def)?;
    layer::check_data(def, &schema, &features)?;
    let meta = NewVersion {
        source_name: def.source.as_deref().map(file_name).unwrap_or_default(),
        source_sha256: hex::encode(Sha256::digest(&bytes)),
        created_by: "kashimap (sample import)".into(),
        feature_count: features.len(),
    };
    let info = p.store.put(&def.id, &meta, &mut bytes.as_slice())?;
    p.store.activate(&def.id, info.version, None)?;
    tracing::info!(layer = %def.id, version = info.version, "imported sample data");
    Ok(info)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}
