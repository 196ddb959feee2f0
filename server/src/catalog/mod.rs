//! The layer catalog: `layers/*.toml`, strictly validated into typed layer definitions.
//!
//! Every error names the file and the key, so `kashimap check` and start-up can say
//! exactly what to fix. See `docs/layers.md` for the format.

mod def;
mod error;
mod kind;
mod style;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use def::{
    AccessDef, AttributeRule, Audience, FieldDef, I18n, LayerDef, RowRule, TileOptions, ViewRule,
    ZoomRange, valid_role,
};
pub use error::CatalogError;
pub use kind::{Geometries, GeometryKind};
pub use style::{add_defaults, default_style};

use crate::model::Schema;

/// Path segments the HTTP API uses under `/ogc/collections`, `/tiles` and `/api/layers`;
/// a layer may not take one of these as its id.
pub const RESERVED_IDS: &[&str] = &[
    "api",
    "auth",
    "catalog",
    "collections",
    "conformance",
    "export",
    "healthz",
    "items",
    "metrics",
    "ogc",
    "queryables",
    "readyz",
    "staff",
    "static",
    "styles",
    "tiles",
    "versions",
    "uploads",
    "assets",
    "index",
    "all",
];

/// All layer definitions, in id order.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    layers: Vec<Arc<LayerDef>>,
}

impl Catalog {
    /// Reads and validates every `*.toml` in `dir`. Source paths are resolved against `root`.
    ///
    /// Collects every problem before failing, so one run of `kashimap check` reports all.
    pub fn load(dir: &Path, root: &Path) -> Result<Self, Vec<CatalogError>> {
        Self::load_with_created(dir, None, root)
    }

    /// [`Catalog::load`], plus the layers administrators created at run time, whose files
    /// live in `created` (`<store-dir>/catalog/`, absent until the first is created).
    pub fn load_with_created(
        dir: &Path,
        created: Option<&Path>,
        root: &Path,
    ) -> Result<Self, Vec<CatalogError>> {
        let mut files = match toml_files(dir) {
            Ok(f) => f,
            Err(e) => return Err(vec![e]),
        };
        if let Some(created) = created.filter(|d| d.is_dir()) {
            match toml_files(created) {
                Ok(mut more) => files.append(&mut more),
                Err(CatalogError::Empty { .. }) => {}
                Err(e) => return Err(vec![e]),
            }
        }
        let mut errors = Vec::new();
        let mut layers: Vec<Arc<LayerDef>> = Vec::new();
        for file in files {
            match LayerDef::from_file(&file, root) {
                Ok(def) => layers.push(Arc::new(def)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        errors.extend(duplicate_ids(&layers));
        if errors.is_empty() {
            layers.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(Self { layers })
        } else {
            Err(errors)
        }
    }

    pub fn from_defs(mut layers: Vec<Arc<LayerDef>>) -> Self {
        layers.sort_by(|a, b| a.id.cmp(&b.id));
        Self { layers }
    }

    pub fn layers(&self) -> &[Arc<LayerDef>] {
        &self.layers
    }

    pub fn get(&self, id: &str) -> Option<&Arc<LayerDef>> {
        self.layers.iter().find(|l| l.id == id)
    }
}

/// The folder of layers created at run time, under the data folder.
pub const CREATED_DIR: &str = "catalog";

/// Checks that every attribute a layer's policy, search or labels name exists in the
/// data. Run once a layer's data is loaded (its schema is known).
pub fn check_schema(def: &LayerDef, schema: &Schema) -> Result<(), Vec<CatalogError>> {
    let errors: Vec<CatalogError> = def
        .referenced_attributes()
        .into_iter()
        .filter(|(name, _)| schema.index_of(name).is_none())
        .map(|(name, key)| CatalogError::UnknownAttribute {
            file: def.file.clone(),
            key,
            attribute: name,
            available: schema.fields().iter().map(|f| f.name.clone()).collect(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let read = std::fs::read_dir(dir).map_err(|source| CatalogError::Io {
        file: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CatalogError::Empty {
            dir: dir.to_path_buf(),
        });
    }
    Ok(files)
}

fn duplicate_ids(layers: &[Arc<LayerDef>]) -> Vec<CatalogError> {
    let mut seen = BTreeSet::new();
    layers
        .iter()
        .filter(|l| !seen.insert(l.id.clone()))
        .map(|l| CatalogError::DuplicateId {
            file: l.file.clone(),
            id: l.id.clone(),
            first: layers
                .iter()
                .find(|o| o.id == l.id)
                .map(|o| o.file.clone())
                .unwrap_or_default(),
        })
        .collect()
}
