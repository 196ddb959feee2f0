//! In-memory layer versions: features, their R-tree, and the atomic current-version slot.

mod registry;
mod value;
mod version;

pub use registry::{LayerSlot, Layers};
pub use value::{Field, FieldType, Schema, Value};
pub use version::{
    Feature, IndexEntry, LayerVersion, MERCATOR_HALF, VersionInfo, lonlat_to_merc, merc_to_lonlat,
};
