//! Access: who is asking (the principal) and what they may see (the policy).
//!
//! [`policy::decide`] is the one function that says, for a principal and a layer, whether the
//! layer is visible, which attributes show and which features pass. Every output path
//! (tiles, OGC API, spatial questions, search, exports, styles, caches, counts, errors)
//! goes through it.

mod policy;
mod principal;

pub use policy::{LayerView, PolicyClass, decide, decide_all};
pub use principal::{Grant, Principal};
