//! Ingest: reads an uploaded file and turns it into validated EPSG:4326 features and a
//! bilingual validation report, and nothing else: it reads files, never the store. Knows
//! nothing of HTTP; `publish` turns the result into store versions and publishes them.
//!
//! Formats are detected by content ([`detect`]): GeoJSON, zipped Shapefile, GeoPackage,
//! FlatGeobuf and CSV with point columns. Reading streams: the upload is never held in
//! memory, and converted features go straight to a FlatGeobuf writer that spools to disk.

mod archive;
mod budget;
pub mod columns;
pub mod crs;
mod csv;
mod detect;
pub mod diff;
mod encoding;
mod error;
mod fgbfile;
#[cfg(test)]
mod fuzz;
mod geojson;
mod gpkg;
mod infer;
mod pipeline;
pub mod report;
mod shapefile;
mod source;
mod validate;
mod wkb;
mod zipped;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use archive::ZipLimits;
pub use budget::BudgetLimits;
pub use columns::parse_mapping;
pub use error::IngestError;
pub use report::{FileInfo, Msg, Report};

use crate::catalog::LayerDef;
use crate::layer::LayerVersion;

/// The options of an upload (multipart fields or CLI flags).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `utf-8` or `shift_jis`/`cp932`: overrides what the file says.
    pub encoding: Option<String>,
    /// A CRS such as `EPSG:6670`: overrides what the file says.
    pub srs: Option<String>,
    /// The layer (zip entry or GeoPackage table) to read when a file holds several.
    pub source_layer: Option<String>,
    /// Repair invalid geometries instead of refusing them.
    pub repair: bool,
    /// CSV coordinate column names, when not detected.
    pub x_column: Option<String>,
    pub y_column: Option<String>,
    /// Layer field → file column, for columns whose names differ from the layer's.
    pub mapping: std::collections::BTreeMap<String, String>,
}

/// Limits and thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub zip: ZipLimits,
    /// Warn when the upload is farther than this from the current version, km.
    pub far_km: f64,
    /// The work one conversion may do.
    pub budget: BudgetLimits,
}

/// The layer an upload is for, and its current version (for the schema diff and extent).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub def: &'a LayerDef,
    pub current: Option<&'a LayerVersion>,
}

/// The file to read.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub path: &'a Path,
    pub file: &'a FileInfo,
    /// A private directory for extracted and transcoded files.
    pub work_dir: &'a Path,
    /// Set when the conversion should stop (the client went away).
    pub stop: &'a Arc<AtomicBool>,
}

/// Reads, checks and converts an upload. The FlatGeobuf at `out` is written only when the
/// report accepts the upload.
pub fn convert(
    input: Input<'_>,
    opts: &Options,
    limits: Limits,
    target: Target<'_>,
    out: &Path,
) -> Result<Report, IngestError> {
    let explicit = opts
        .encoding
        .as_deref()
        .map(encoding::parse_option)
        .transpose()?;
    let srs = opts.srs.as_deref().map(pipeline::parse_srs).transpose()?;
    let budget = budget::Budget::new(limits.budget, Arc::clone(input.stop));
    let hints = columns::hints(target, &opts.mapping);
    let opened = zipped::open_any(
        input.path,
        &input.file.name,
        input.work_dir,
        opts,
        explicit,
        (limits.zip, &budget),
        Some(&hints),
    )?;
    let settings = pipeline::Settings {
        budget: &budget,
        srs,
        repair: opts.repair,
        far_km: limits.far_km,
        target,
        mapping: &opts.mapping,
    };
    pipeline::run(opened, &settings, input.file.clone(), out)
}
