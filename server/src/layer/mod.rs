//! Loaded layer versions and all their derived indexes: features with an R-tree, tile
//! overviews and the search index, each built before the version is swapped in (so no
//! request ever builds one), and the atomic current-version slot of every layer.

mod load;
mod overview;
mod registry;
pub mod search;
mod version;

pub use load::{LoadError, build, check_data, load};
pub use overview::{Cores, OVERVIEW_MAX_ZOOM, Overviews};
pub(crate) use overview::{Entry as OverviewEntry, Level, center, square};
pub use registry::{LayerExists, LayerSet, LayerSlot, Layers, retire};
pub use version::{IndexEntry, LayerVersion};
