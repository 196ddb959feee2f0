//! The search index of a layer version: its `searchable` attributes, normalised (full/half
//! width, ヶ/ケ, case), for exact, prefix and substring matches. Built with the version, before
//! it is swapped in; `query::search` runs searches over it.

mod index;
mod normalize;

pub use index::{Entry, Match, Rank, SearchIndex};
pub use normalize::normalize;
