//! Kashimap: one map server for a Japanese city.
//!
//! One chain of floors, bottom to top (each module imports only from floors below it; the
//! `architecture` test enforces it, docs/architecture.md draws it):
//! `time`, `config`, `lock` → `model`, `s3` → `cql2` → `fgb`, `mvt` → `catalog` → `store` →
//! `layer` → `access` → `tile` → `query` → `metrics`, `ingest`, `gen`, `push`, `line` →
//! `publish`, `replica` → `edit` → `app` →
//! `admin` → `http` (→ the `kashimap` binary).

pub mod access;
pub mod admin;
pub mod app;
#[cfg(test)]
mod architecture;
pub mod catalog;
pub mod config;
pub mod cql2;
pub mod durable;
pub mod edit;
pub mod fgb;
pub mod r#gen;
pub mod http;
pub mod ingest;
pub mod layer;
pub mod line;
pub mod lock;
pub mod metrics;
pub mod model;
pub mod mvt;
pub mod peers;
pub mod publish;
pub mod push;
pub mod query;
pub mod replica;
pub mod s3;
pub mod store;
pub mod tile;
pub mod time;
