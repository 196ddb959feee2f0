//! The running application: configuration, catalog, store and the loaded layers.
//!
//! Start-up imports each layer's sample data into the store on first start, then loads
//! every current version into memory (in parallel) and indexes it.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::access::{Access, AccessError};
use crate::catalog::{self, Catalog, CatalogError, LayerDef};
use crate::config::Config;
use crate::layer::{Feature, LayerVersion, Layers, Schema, VersionInfo};
use crate::metrics::Metrics;
use crate::query::search::SearchIndexes;
use crate::store::{FsStore, NewVersion, StoreError, VersionStore, fgb};
use crate::tile::TileService;

/// Why the server could not start (or `kashimap check` failed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("layer files:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Catalog(Vec<CatalogError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("layer `{layer}`: {message}")]
    Layer { layer: String, message: String },
    #[error("identity database: {0}")]
    Access(#[from] AccessError),
}

/// Shared state of a running server.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub catalog: Catalog,
    pub layers: Layers,
    pub store: Arc<dyn VersionStore>,
    pub metrics: Metrics,
    pub tiles: TileService,
    /// Search indexes, built on first search of each layer version.
    pub search: SearchIndexes,
    pub started: Instant,
    /// Users, sessions, tokens, grants and the audit log (`<data-dir>/kashimap.sqlite3`).
    pub access: Arc<Access>,
    /// Per-layer locks for staging and publishing uploads.
    pub ingest: crate::ingest::staging::IngestState,
    /// One permit per core for CPU-bound request work on blocking threads (the rare very
    /// large tiles, see `tile::INLINE_TILE_FEATURES`). Requests beyond that wait in line
    /// (FIFO) instead of time-slicing, so a tile's latency is its queueing plus its own
    /// render time, not a share of many renders at once.
    pub cpu_slots: tokio::sync::Semaphore,
    /// Anonymous callers' views, decided once per layer version.
    pub public_views: crate::access::PublicViews,
    /// `Cache-Control` of responses anyone may see (`public, max-age=…` from the config).
    pub public_cache_control: axum::http::HeaderValue,
}

impl App {
    /// Loads the catalog, opens the store, imports samples on first start and loads every
    /// layer. Fails if any layer file or layer's data is invalid.
    pub fn start(config: Config) -> Result<Arc<Self>, StartError> {
        let started = Instant::now();
        let catalog =
            Catalog::load(&config.layers_dir, &config.root).map_err(StartError::Catalog)?;
        let store: Arc<dyn VersionStore> = Arc::new(FsStore::open(&config.data_dir)?);
        let access = Arc::new(Access::open(&config.data_dir, &config.auth)?);
        let app = Arc::new(Self {
            access,
            layers: Layers::new(&catalog),
            catalog,
            store,
            metrics: Metrics::default(),
            tiles: TileService::new(config.tile_cache_mb << 20),
            public_cache_control: axum::http::HeaderValue::try_from(format!(
                "public, max-age={}",
                config.public_max_age
            ))
            .unwrap_or_else(|_| axum::http::HeaderValue::from_static("no-cache")),
            search: SearchIndexes::default(),
            started,
            config,
            ingest: crate::ingest::staging::IngestState::default(),
            public_views: crate::access::PublicViews::default(),
            cpu_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
        });
        app.load_all()?;
        crate::ingest::staging::recover(&app);
        tracing::info!(
            layers = app.catalog.layers().len(),
            ms = started.elapsed().as_millis() as u64,
            "all layers loaded"
        );
        Ok(app)
    }

    fn load_all(&self) -> Result<(), StartError> {
        let results: Vec<Result<(), StartError>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .catalog
                .layers()
                .iter()
                .map(|def| s.spawn(move || self.load_current(def)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(StartError::Layer {
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
    fn load_current(&self, def: &Arc<LayerDef>) -> Result<(), StartError> {
        let t = Instant::now();
        let version = match self.store.current(&def.id)? {
            Some(v) => v,
            None => self.import_sample(def)?.version,
        };
        let loaded = self.load_version(def, version)?;
        tracing::info!(
            layer = %def.id,
            version,
            features = loaded.features.len(),
            ms = t.elapsed().as_millis() as u64,
            "layer loaded"
        );
        self.tiles.overviews(&loaded);
        self.slot(def)?.swap(loaded);
        Ok(())
    }

    fn slot(&self, def: &LayerDef) -> Result<&crate::layer::LayerSlot, StartError> {
        self.layers.slot(&def.id).ok_or_else(|| StartError::Layer {
            layer: def.id.clone(),
            message: "not in the catalog".into(),
        })
    }

    /// Reads a store version and builds its in-memory, indexed form.
    pub fn load_version(
        &self,
        def: &Arc<LayerDef>,
        version: u64,
    ) -> Result<Arc<LayerVersion>, StartError> {
        let (schema, features) = self.store.load(&def.id, version)?;
        check_layer_data(def, &schema, &features)?;
        let info = self
            .store
            .versions(&def.id)?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or_else(|| StoreError::NoSuchVersion {
                layer: def.id.clone(),
                version,
            })?;
        Ok(Arc::new(LayerVersion::new(
            Arc::clone(def),
            info,
            schema,
            features,
        )))
    }

    /// First start: copies the layer's `source` file into the store as version 1.
    fn import_sample(&self, def: &LayerDef) -> Result<VersionInfo, StartError> {
        let bytes = std::fs::read(&def.source).map_err(|e| StoreError::io(&def.source, e))?;
        let (schema, features) = fgb::read(bytes.as_slice()).map_err(|e| StartError::Layer {
            layer: def.id.clone(),
            message: format!("{}: {e}", def.source.display()),
        })?;
        check_layer_data(def, &schema, &features)?;
        let meta = NewVersion {
            source_name: file_name(&def.source),
            source_sha256: hex::encode(Sha256::digest(&bytes)),
            created_by: "kashimap (sample import)".into(),
        };
        let cols: Vec<usize> = (0..schema.len()).collect();
        let info = self.store.write(&def.id, &meta, &mut |out| {
            let opts = fgb::WriteOptions::default();
            fgb::write(out, &def.id, &schema, &cols, &features, opts)?;
            Ok(features.len())
        })?;
        self.store.activate(&def.id, info.version)?;
        tracing::info!(layer = %def.id, version = info.version, "imported sample data");
        Ok(info)
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Checks loaded data against its layer definition: attributes named by the policy exist and
/// geometries are of the declared kind.
pub fn check_layer_data(
    def: &LayerDef,
    schema: &Schema,
    features: &[Feature],
) -> Result<(), StartError> {
    catalog::check_schema(def, schema).map_err(StartError::Catalog)?;
    if let Some((i, f)) = features
        .iter()
        .enumerate()
        .find(|(_, f)| !def.geometry.accepts(&f.geometry))
    {
        return Err(StartError::Layer {
            layer: def.id.clone(),
            message: format!(
                "feature {i} (id {}) is not a {:?} geometry",
                f.id, def.geometry
            ),
        });
    }
    Ok(())
}
