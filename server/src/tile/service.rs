//! The tile service: rendering and the role-aware tile cache.
//!
//! The cache key is the tile plus the **policy class** of every layer in it. A class names the
//! layer, its version, the visible attributes, the row filters and any grant with its expiry
//! (see `access::PolicyClass`), so a tile made for one audience can never be served to
//! another, and a published version or an expired grant takes effect at once.

use std::io::Write as _;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;

use super::render::at_most;
use super::{RenderOptions, TileCoord, TileError, TileLayerInput, render};
use crate::access::{LayerView, PolicyClass};

/// A rendered tile, ready to send. `None` body: the tile is empty (HTTP 204).
#[derive(Debug)]
pub struct RenderedTile {
    pub body: Option<Bytes>,
    /// The same bytes gzip-compressed, made on first demand: compressing costs more than
    /// rendering a small tile, so clients that do not ask for gzip never pay for it, and a
    /// cached tile is compressed once.
    gzip: OnceLock<Bytes>,
    /// A strong ETag over the identity bytes and the policy classes, quoted (ASCII). `Bytes`,
    /// so that each response's header shares it rather than copying it.
    pub etag: Bytes,
    /// True when every layer's view is what an anonymous caller gets.
    pub public: bool,
}

impl RenderedTile {
    /// A tile from its MVT bytes (`None`: empty) and the policy classes it was made for.
    pub fn new(body: Option<Vec<u8>>, classes: &[PolicyClass], public: bool) -> Self {
        Self {
            etag: Bytes::from(etag(classes, body.as_deref().unwrap_or_default())),
            body: body.map(Bytes::from),
            gzip: OnceLock::new(),
            public,
        }
    }

    /// The ETag as text.
    pub fn etag_str(&self) -> &str {
        std::str::from_utf8(&self.etag).unwrap_or_default()
    }

    /// The body gzip-compressed (computed on the first call, then kept).
    pub fn gzip(&self) -> Option<&Bytes> {
        let body = self.body.as_ref()?;
        Some(self.gzip.get_or_init(|| Bytes::from(gzip(body))))
    }

    /// Cache weight: the body, room for its gzip form (about half), and bookkeeping.
    fn weight(&self) -> u32 {
        let n = self.body.as_ref().map_or(0, Bytes::len);
        u32::try_from(n + n / 2 + 128).unwrap_or(u32::MAX)
    }
}

/// A strong validator: 128 bits of XXH3 over the classes and the bytes. Not a security
/// boundary (the classes already separate audiences in the cache key); it only has to change
/// when the bytes or the audience change, and costs nothing next to rendering.
fn etag(classes: &[PolicyClass], body: &[u8]) -> String {
    use xxhash_rust::xxh3::{xxh3_64_with_seed, xxh3_128_with_seed};
    // The classes seed the hash of the body: one-shot hashing, no streaming state to set up.
    let seed = classes
        .iter()
        .fold(0, |seed, c| xxh3_64_with_seed(c.as_str().as_bytes(), seed));
    format!("\"{:032x}\"", xxh3_128_with_seed(body, seed))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    coord: TileCoord,
    classes: Vec<PolicyClass>,
}

/// Counters the service reports to `/metrics`.
pub trait TileMetrics: Send + Sync {
    fn cache_hit(&self);
    fn cache_miss(&self);
    fn rendered(&self, bytes: usize);
}

/// Tiles with at most this many candidate features render on the request's own task; only
/// larger ones (low zooms of very large layers) go to a blocking thread, one per core.
/// Handing a tile to another thread and back cost more than rendering most tiles: on the
/// benchmark, rendering inline raised uncached throughput by 60–70% and cut p99 by half
/// (docs/benchmarks.md). The async runtime has one worker per core, so inline rendering
/// never runs more renders at once than there are cores.
pub const INLINE_TILE_FEATURES: usize = 20_000;

/// Renders and caches tiles.
pub struct TileService {
    cache: Option<moka::sync::Cache<CacheKey, Arc<RenderedTile>>>,
    options: RenderOptions,
}

impl std::fmt::Debug for TileService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileService")
            .field(
                "cache_entries",
                &self.cache.as_ref().map(moka::sync::Cache::entry_count),
            )
            .finish_non_exhaustive()
    }
}

impl TileService {
    /// A service with a cache of `cache_bytes` (0 disables caching).
    pub fn new(cache_bytes: u64) -> Self {
        let cache = (cache_bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(cache_bytes)
                .weigher(|_: &CacheKey, t: &Arc<RenderedTile>| t.weight())
                .build()
        });
        Self {
            cache,
            options: RenderOptions::default(),
        }
    }

    /// The cached tile for these views, if any (counted as a hit): cheap enough to call on
    /// the async runtime, so a cache hit never waits for a blocking thread.
    pub fn cached(
        &self,
        views: &[LayerView],
        coord: TileCoord,
        metrics: &dyn TileMetrics,
    ) -> Option<Arc<RenderedTile>> {
        let hit = self.cache.as_ref()?.get(&Self::key(views, coord))?;
        metrics.cache_hit();
        Some(hit)
    }

    /// Returns the tile for these views, from the cache or freshly rendered. For callers
    /// that waited (for a CPU slot) after a miss: another request may have rendered it since.
    pub fn tile(
        &self,
        views: &[LayerView],
        coord: TileCoord,
        metrics: &dyn TileMetrics,
    ) -> Result<Arc<RenderedTile>, TileError> {
        match self.cached(views, coord, metrics) {
            Some(hit) => Ok(hit),
            None => self.render_missed(views, coord, metrics),
        }
    }

    /// Renders a tile the cache did not have (counted as a miss) and caches it.
    pub fn render_missed(
        &self,
        views: &[LayerView],
        coord: TileCoord,
        metrics: &dyn TileMetrics,
    ) -> Result<Arc<RenderedTile>, TileError> {
        metrics.cache_miss();
        let key = Self::key(views, coord);
        let tile = Arc::new(self.render(views, coord, &key.classes)?);
        metrics.rendered(tile.body.as_ref().map_or(0, Bytes::len));
        if let Some(c) = &self.cache {
            c.insert(key, Arc::clone(&tile));
        }
        Ok(tile)
    }

    fn key(views: &[LayerView], coord: TileCoord) -> CacheKey {
        CacheKey {
            coord,
            classes: views.iter().map(|v| v.class.clone()).collect(),
        }
    }

    /// Renders without the cache (exports).
    pub fn render_bytes(
        &self,
        views: &[LayerView],
        coord: TileCoord,
    ) -> Result<Option<Vec<u8>>, TileError> {
        Self::with_inputs(views, |inputs| render(inputs, coord, &self.options))
    }

    /// True if the tile has at most [`INLINE_TILE_FEATURES`] candidate features, so it
    /// may render on the request's own task (see there).
    pub fn renders_inline(&self, views: &[LayerView], coord: TileCoord) -> bool {
        Self::with_inputs(views, |inputs| at_most(inputs, coord, INLINE_TILE_FEATURES))
    }

    fn with_inputs<T>(views: &[LayerView], f: impl FnOnce(&[TileLayerInput<'_>]) -> T) -> T {
        let inputs: Vec<TileLayerInput<'_>> = views
            .iter()
            .map(|v| TileLayerInput {
                name: &v.layer.def.id,
                view: v,
            })
            .collect();
        f(&inputs)
    }

    fn render(
        &self,
        views: &[LayerView],
        coord: TileCoord,
        classes: &[PolicyClass],
    ) -> Result<RenderedTile, TileError> {
        let body = self.render_bytes(views, coord)?;
        Ok(RenderedTile::new(
            body,
            classes,
            views.iter().all(|v| v.public),
        ))
    }

    /// Forgets every cached tile. A layer created again after its removal comes back with
    /// its stored version number, so the cache key alone would not tell a changed definition
    /// (zooms, tile options) from the old one.
    pub fn clear(&self) {
        if let Some(c) = &self.cache {
            c.invalidate_all();
        }
    }

    /// Cache statistics: (entries, weighted bytes).
    pub fn cache_stats(&self) -> (u64, u64) {
        self.cache.as_ref().map_or((0, 0), |c| {
            c.run_pending_tasks();
            (c.entry_count(), c.weighted_size())
        })
    }
}

/// gzip at the fastest level: on 600 parcel and road tiles level 1 came out 7% larger than
/// level 6, for much less CPU (compression costs more than rendering a small tile).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 64),
        Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}
