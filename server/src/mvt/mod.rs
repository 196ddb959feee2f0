//! The Mapbox Vector Tile toolkit: tile coordinates, clipping in integer space, per-zoom
//! simplification and thinning, snapping and validity repair, and the MVT encoder (and a
//! decoder for tests). It knows geometry and attribute values (`model`), not layers, access
//! or HTTP: `layer` builds tile overviews with it and `tile` renders tiles with it.

pub(crate) mod clip;
mod coord;
pub mod decode;
mod decode_geom;
pub(crate) mod encode;
mod error;
pub(crate) mod geom;
pub(crate) mod pbf;
pub(crate) mod shape;
pub(crate) mod simplify;
pub(crate) mod thin;
pub(crate) mod valid;

pub(crate) use coord::TileTransform;
pub use coord::{MAX_ZOOM, TileCoord};
pub use decode::{
    DecodedFeature, DecodedGeometry, DecodedLayer, DecodedTile, DecodedValue, decode,
};
pub use error::TileError;
pub use geom::GeomType;
pub use thin::THIN_CELL;

/// Tile extent in MVT units: every tile is 4096 × 4096.
pub const EXTENT: u32 = 4096;
