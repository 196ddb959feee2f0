//! The running application, built from its parts: configuration, catalog, store, the loaded
//! layers, the identity database, the tile service and the publisher.
//!
//! [`App::start`] is for the one process that owns the data folder (`serve`, `import`): it
//! takes the folder's lock, removes what an interrupted run provably abandoned, imports each
//! layer's sample data on first start and loads every layer with all its derived indexes.
//! [`App::open_read_only`] is for `check` and `export-tiles`: no lock, and nothing in the
//! folder is created, cleaned, imported or migrated. [`App::start_replica`] is the public
//! replica: its layers come from a push target, it has no store, no accounts and no
//! database file (an empty in-memory identity store stands in, as for `check`).

use std::sync::Arc;
use std::time::Instant;

use crate::access::{Access, AccessError, Db, PublicViews};
use crate::catalog::{Catalog, CatalogError};
use crate::config::Config;
use crate::edit::{self, EditError, Editor};
use crate::ingest::{Limits, ZipLimits};
use crate::layer::{Layers, LoadError};
use crate::lock::{DataLock, LockError};
use crate::metrics::Metrics;
use crate::publish::{self, Publisher};
use crate::push::{PushError, Pusher};
use crate::replica::{self, Replica, ReplicaError};
use crate::store::{FsStore, StoreError, VersionStore};
use crate::tile::TileService;

/// Why the server could not start (or `kashimap check` failed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("layer files:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Catalog(Vec<CatalogError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("identity database: {0}")]
    Access(#[from] AccessError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("public push: {0}")]
    Push(#[from] PushError),
    #[error("replica: {0}")]
    Replica(#[from] ReplicaError),
}

/// Shared state of a running server.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub layers: Arc<Layers>,
    pub store: Arc<dyn VersionStore>,
    pub metrics: Metrics,
    pub tiles: TileService,
    pub started: Instant,
    /// Users, sessions, tokens, grants and the audit log (`<store-dir>/kashimap.sqlite3`, or
    /// PostgreSQL with `--database`).
    pub access: Arc<Access>,
    /// Staging, publish, rollback and imports.
    pub publisher: Arc<Publisher>,
    /// Single-feature edits and their log (set once every layer is loaded).
    editor: Option<Editor>,
    /// One permit per core for CPU-bound request work on blocking threads (the rare very
    /// large tiles, see `tile::INLINE_TILE_FEATURES`). Requests beyond that wait in line
    /// (FIFO) instead of time-slicing, so a tile's latency is its queueing plus its own
    /// render time, not a share of many renders at once.
    pub cpu_slots: tokio::sync::Semaphore,
    /// Anonymous callers' views, decided once per layer version.
    pub public_views: PublicViews,
    /// `Cache-Control` of responses anyone may see (`public, max-age=…` from the config),
    /// made once as header-safe bytes.
    pub public_cache_control: bytes::Bytes,
    /// The public push of a primary (`public_push`), if configured.
    pub pusher: Option<Arc<Pusher>>,
    /// Set when this process is a public replica (`replica_of`).
    pub replica: Option<Arc<Replica>>,
    /// The data folder's lock, held for the process's life (`None` when read-only).
    lock: Option<DataLock>,
}

impl App {
    /// Takes the data folder's lock (as `command`), recovers from an interrupted run, imports
    /// samples on first start and loads every layer. Fails if any layer file or layer's data
    /// is invalid, or if another process holds the folder.
    pub fn start_as(config: Config, command: &str) -> Result<Arc<Self>, StartError> {
        let lock = DataLock::acquire(&config.data_dir, command)?;
        let store = crate::store::open(config.store.as_deref(), &config.data_dir, true)?;
        let access = Access::open(config.database.as_deref(), &config.data_dir, &config.auth)?;
        // A bucket store keeps the created layers' definitions: the local catalog follows it.
        if let Err(e) = publish::mirror_definitions(&*store, &created_dir(&config)) {
            tracing::warn!(error = %e, "cannot read the created layers' definitions from the store; serving the local copies");
        }
        let catalog = load_catalog(&config)?;
        let mut app = Self::assemble(config, &catalog, store, access, Some(lock), None)?;
        publish::recover(&app.publisher);
        publish::load_all(&app.publisher, true)?;
        app.editor = Some(app.start_editor(true)?);
        app.log_loaded();
        Ok(Arc::new(app))
    }

    /// [`App::start_as`] for `kashimap serve`; with `public_push` set, pushes the public view
    /// now and after every publish or rollback, on its own thread.
    pub fn start(config: Config) -> Result<Arc<Self>, StartError> {
        let app = Self::start_as(config, "serve")?;
        if let Some(pool) = app.access.db.postgres() {
            // Primaries sharing the database and the store serve each other's publishes.
            crate::peers::join(pool, &app.publisher)?;
        }
        if let Some(pusher) = &app.pusher {
            let p = Arc::clone(pusher);
            app.publisher
                .on_change(publish::Listener(Box::new(move |_layer| p.request())));
            pusher.spawn(Arc::clone(&app.layers), app.config.styles_dir.clone());
            pusher.request();
            tracing::info!(target_url = %pusher.target(), "public push on");
        }
        Ok(app)
    }

    /// The public replica: waits for the first good manifest of `replica_of`, builds every
    /// layer it names, and keeps following the target on its own thread.
    pub fn start_replica(config: Config) -> Result<Arc<Self>, StartError> {
        let (Some(target), Some(key)) = (config.replica_of.clone(), config.replica_key.clone())
        else {
            return Err(StartError::Replica(ReplicaError::Push(PushError::Url {
                url: String::new(),
                message: "replica_of and replica_key are both needed".into(),
            })));
        };
        let options = replica::Options {
            target,
            key,
            poll: std::time::Duration::from_secs(config.replica_poll_secs.get()),
        };
        let replica = Arc::new(Replica::open(&options, &config.data_dir)?);
        let initial = replica.initial();
        let store = FsStore::open_read_only(&config.data_dir);
        let access = Access::with_db(Db::open_in_memory()?, &config.auth);
        let mut app = Self::assemble(
            config,
            &initial.catalog,
            Arc::new(store),
            access,
            None,
            Some(Arc::clone(&replica)),
        )?;
        for v in initial.versions {
            if let Some(slot) = app.layers.slot(v.id()) {
                slot.swap(v);
            }
        }
        // Read-only: a replica has no edit log and answers no edits.
        app.editor = Some(app.start_editor(false)?);
        replica.attach(Arc::clone(&app.layers));
        app.log_loaded();
        Ok(Arc::new(app))
    }

    /// Opens the data folder for reading only: layers without a stored version are read from
    /// their sample files into memory, the identity database is not opened (an empty one in
    /// memory stands in: nobody signs in to `check`), nothing is written.
    pub fn open_read_only(config: Config) -> Result<Arc<Self>, StartError> {
        let store = crate::store::open(config.store.as_deref(), &config.data_dir, false)?;
        let access = Access::with_db(Db::open_in_memory()?, &config.auth);
        let catalog = load_catalog(&config)?;
        let mut app = Self::assemble(config, &catalog, store, access, None, None)?;
        publish::load_all(&app.publisher, false)?;
        app.editor = Some(app.start_editor(false)?);
        app.log_loaded();
        Ok(Arc::new(app))
    }

    fn assemble(
        config: Config,
        catalog: &Catalog,
        store: Arc<dyn VersionStore>,
        access: Access,
        lock: Option<DataLock>,
        replica: Option<Arc<Replica>>,
    ) -> Result<Self, StartError> {
        let started = Instant::now();
        let pusher = match (&config.public_push, &config.push_key, lock.is_some()) {
            (Some(url), Some(key), true) => Some(Arc::new(Pusher::new(
                crate::push::open_target(url)?,
                crate::push::read_signing_key(key).map_err(PushError::from)?,
                &config.data_dir,
            ))),
            _ => None,
        };
        let layers = Arc::new(Layers::new(catalog));
        let access = Arc::new(access);
        let publisher = Arc::new(Publisher::new(
            Arc::clone(&store),
            Arc::clone(&layers),
            Arc::clone(&access.audit),
            publish_settings(&config),
        ));
        Ok(Self {
            access,
            layers,
            store,
            publisher,
            metrics: Metrics::default(),
            tiles: TileService::new(config.tile_cache_mb << 20),
            public_cache_control: bytes::Bytes::from(format!(
                "public, max-age={}",
                config.public_max_age
            )),
            started,
            config,
            public_views: PublicViews::default(),
            cpu_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
            pusher,
            replica,
            lock,
            editor: None,
        })
    }

    /// Replays the edit logs (after every layer is loaded) and, when `writable`, starts
    /// the applier.
    fn start_editor(&self, writable: bool) -> Result<Editor, EditError> {
        Editor::start(edit::Parts {
            publisher: Arc::clone(&self.publisher),
            layers: Arc::clone(&self.layers),
            store: Arc::clone(&self.store),
            audit: Arc::clone(&self.access.audit),
            db: self.access.db.clone(),
            dir: self.config.data_dir.join("edits"),
            photos: self.config.data_dir.join("photos"),
            root: self.config.root.clone(),
            writable,
        })
    }

    /// The layers served now (changes when an administrator adds or removes one).
    pub fn catalog(&self) -> Arc<Catalog> {
        self.layers.catalog()
    }

    /// The edit service.
    pub fn editor(&self) -> &Editor {
        self.editor
            .as_ref()
            .unwrap_or_else(|| unreachable!("every App constructor sets the editor"))
    }

    fn log_loaded(&self) {
        tracing::info!(
            layers = self.layers.catalog().layers().len(),
            ms = self.started.elapsed().as_millis() as u64,
            locked = self.lock.as_ref().map(|l| l.path().display().to_string()),
            "all layers loaded"
        );
    }
}

fn load_catalog(config: &Config) -> Result<Catalog, StartError> {
    Catalog::load_with_created(&config.layers_dir, Some(&created_dir(config)), &config.root)
        .map_err(StartError::Catalog)
}

/// Where the definitions of layers created at run time live: `catalog/` of the store
/// folder (shared by the primaries on a shared `--store file://…`), or of the data folder
/// for a bucket store (a copy of the bucket's `catalog/`, which is shared).
fn created_dir(config: &Config) -> std::path::PathBuf {
    crate::store::folder(config.store.as_deref(), &config.data_dir)
        .unwrap_or_else(|| config.data_dir.clone())
        .join(crate::catalog::CREATED_DIR)
}

/// The work one conversion may do, from `[ingest]`.
fn budget_limits(c: &crate::config::IngestConfig) -> crate::ingest::BudgetLimits {
    let mb = |n: u64| n.saturating_mul(1 << 20);
    crate::ingest::BudgetLimits {
        max_time: std::time::Duration::from_secs(c.max_conversion_secs.get()),
        max_features: c.max_features.get(),
        max_columns: c.max_columns.get(),
        max_vertices: c.max_vertices.get(),
        max_value_bytes: usize::try_from(c.max_value_kb.get().saturating_mul(1024))
            .unwrap_or(usize::MAX),
        max_written: mb(c.max_written_mb.get()),
        max_inflating: mb(c.max_inflating_mb.get()),
    }
}

/// The publisher's settings from the configuration.
fn publish_settings(config: &Config) -> publish::Settings {
    let c = &config.ingest;
    publish::Settings {
        staging_dir: config.data_dir.join("staging"),
        created_dir: created_dir(config),
        staging_ttl_secs: i64::try_from(c.staging_ttl_hours.get().saturating_mul(3600))
            .unwrap_or(i64::MAX),
        keep_versions: config.keep_versions.get(),
        limits: Limits {
            zip: ZipLimits {
                max_total: c.max_uncompressed_mb.get() << 20,
                max_ratio: c.max_zip_ratio.get(),
            },
            far_km: c.far_warning_km,
            budget: budget_limits(c),
        },
    }
}
