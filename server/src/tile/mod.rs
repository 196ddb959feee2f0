//! The vector-tile pipeline: tile bounds → R-tree query with a buffer → clipping →
//! per-zoom simplification and thinning → integer snapping and repair → MVT encoding.
//!
//! Plain types in, bytes out: nothing here knows about HTTP. See `docs/tiles.md`.

mod clip;
mod coord;
#[cfg(any(test, feature = "mvt-decode"))]
pub mod decode;
#[cfg(any(test, feature = "mvt-decode"))]
mod decode_geom;
mod encode;
mod error;
mod export;
mod geom;
mod overview;
#[cfg(any(test, feature = "mvt-decode"))]
mod pbf;
pub mod pmtiles;
mod render;
mod service;
mod shape;
mod simplify;
#[cfg(test)]
mod snapshot;
#[doc(hidden)]
pub mod stages;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;
mod thin;
mod tilejson;
mod valid;

pub use coord::{MAX_ZOOM, TileCoord};
#[cfg(any(test, feature = "mvt-decode"))]
pub use decode::{
    DecodedFeature, DecodedGeometry, DecodedLayer, DecodedTile, DecodedValue, decode,
};
pub use error::TileError;
pub use export::{ExportError, ExportSummary, export_pmtiles, tiles_covering};
pub use geom::GeomType;
pub use overview::{OVERVIEW_MAX_ZOOM, Overviews};
pub use render::{RenderOptions, TileLayerInput, render};
pub use service::{RenderedTile, TileMetrics, TileService, gzip};
pub use thin::THIN_CELL;
pub use tilejson::tilejson;

/// Tile extent in MVT units: every tile is 4096 × 4096.
pub const EXTENT: u32 = 4096;
