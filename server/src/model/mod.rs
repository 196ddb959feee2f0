//! The ground floor: schemas, attribute values, features and version info. Everything above
//! (codecs, catalog, store, layers, access, queries, tiles, ingest, HTTP) speaks these types;
//! this module imports nothing of the crate.

mod feature;
mod value;
mod version;

pub use feature::{Feature, MERCATOR_HALF, MERCATOR_MAX_LAT, lonlat_to_merc, merc_to_lonlat};
pub use value::{Field, FieldType, Schema, Value};
pub use version::VersionInfo;
