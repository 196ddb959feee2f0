//! Kashimap: one map server for a Japanese city.
//!
//! Data flows `catalog` → `store` → `layer` → `access` → `query` / `tile` → `http`.
//! See `docs/architecture.md`.

pub mod access;
pub mod admin;
pub mod app;
pub mod catalog;
pub mod config;
pub mod r#gen;
pub mod http;
pub mod ingest;
pub mod layer;
pub mod metrics;
pub mod query;
pub mod store;
pub mod tile;
pub mod time;
