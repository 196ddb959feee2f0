//! Kashimap: one map server for a Japanese city.
//!
//! Data flows `catalog` → `store` → `layer` → `access` → `query` / `tile` → `http`.
//! See `docs/architecture.md`.

pub mod access;
pub mod catalog;
pub mod layer;
pub mod query;
pub mod store;
pub mod tile;
