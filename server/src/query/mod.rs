//! Queries over layer versions: CQL2 filters, OGC item queries, spatial questions, search.

pub mod export;
pub mod geojson;
pub mod items;
pub mod search;
pub mod spatial;
