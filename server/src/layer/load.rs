//! Loading a layer version: its bytes from the store, decoded (FlatGeobuf), checked against
//! the layer's definition, and indexed. Everything here is CPU and disk work: call it from a
//! blocking thread or at start-up, never on a request.

use std::sync::Arc;

use super::LayerVersion;
use crate::catalog::{self, CatalogError, LayerDef};
use crate::fgb::{self, FgbError};
use crate::model::{Feature, Schema, VersionInfo};
use crate::store::{StoreError, VersionStore};

/// Why a version cannot be loaded. Nothing is swapped in when loading fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("layer `{layer}` version {version}: cannot decode: {source}")]
    Decode {
        layer: String,
        version: u64,
        source: FgbError,
    },
    #[error("layer `{layer}`: {message}")]
    Invalid { layer: String, message: String },
    #[error("layer files:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Catalog(Vec<CatalogError>),
}

/// Reads a store version and builds it with all its derived indexes.
pub fn load(
    store: &dyn VersionStore,
    def: &Arc<LayerDef>,
    version: u64,
) -> Result<LayerVersion, LoadError> {
    let info = store.info(&def.id, version)?;
    let bytes = store.get(&def.id, version)?;
    let (schema, features) = fgb::read(bytes).map_err(|source| LoadError::Decode {
        layer: def.id.clone(),
        version,
        source,
    })?;
    build(def, info, schema, features)
}

/// Checks decoded features against the layer's definition and builds the version with all
/// its derived indexes (R-tree, tile overviews, search index).
pub fn build(
    def: &Arc<LayerDef>,
    info: VersionInfo,
    schema: Schema,
    features: Vec<Feature>,
) -> Result<LayerVersion, LoadError> {
    check_data(def, &schema, &features)?;
    Ok(LayerVersion::new(Arc::clone(def), info, schema, features))
}

/// Checks loaded data against its layer definition: attributes named by the policy exist and
/// geometries are of the declared kind.
pub fn check_data(def: &LayerDef, schema: &Schema, features: &[Feature]) -> Result<(), LoadError> {
    catalog::check_schema(def, schema).map_err(LoadError::Catalog)?;
    if let Some((i, f)) = features
        .iter()
        .enumerate()
        .find(|(_, f)| !def.geometry.accepts(&f.geometry))
    {
        return Err(LoadError::Invalid {
            layer: def.id.clone(),
            message: format!(
                "feature {i} (id {}) is not a {:?} geometry",
                f.id, def.geometry
            ),
        });
    }
    Ok(())
}
