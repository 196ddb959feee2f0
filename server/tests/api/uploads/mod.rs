//! Uploads: formats, encodings, coordinate systems, refusals, publishing, crash safety.

mod crash;
mod disk_full;
mod formats;
mod mapping;
mod publish;
mod refusals;
mod reproject;
pub mod support;
