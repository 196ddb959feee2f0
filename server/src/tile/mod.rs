//! Vector tiles for callers: the tile pipeline over access-filtered layer views
//! (R-tree or overview query with a buffer → clipping → per-zoom simplification and
//! thinning → integer snapping and repair → MVT encoding, all in `mvt`), the role-aware tile
//! cache, TileJSON and PMTiles export.
//!
//! Plain types in, bytes out: nothing here knows about HTTP. See `docs/tiles.md`.

mod export;
pub mod pmtiles;
mod render;
mod service;
#[cfg(test)]
mod snapshot;
#[doc(hidden)]
pub mod stages;
mod style;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;
mod tilejson;

pub use crate::layer::{OVERVIEW_MAX_ZOOM, Overviews};
#[cfg(any(test, feature = "mvt-decode"))]
pub use crate::mvt::{
    DecodedFeature, DecodedGeometry, DecodedLayer, DecodedTile, DecodedValue, decode,
};
pub use crate::mvt::{EXTENT, GeomType, MAX_ZOOM, THIN_CELL, TileCoord, TileError};
pub use export::{ExportError, ExportSummary, export_pmtiles, tiles_covering};
pub use render::{RenderOptions, TileLayerInput, render};
pub use service::{RenderedTile, TileMetrics, TileService, gzip};
pub use style::cut_to_view;
pub use tilejson::tilejson;
