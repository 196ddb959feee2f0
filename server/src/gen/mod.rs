//! `kashimap generate`: the committed sample layers and the benchmark layer.
//!
//! Only the shelters are real (GSI). Zoning, roads, heritage sites and pipes are
//! GENERATED SAMPLE DATA, not official data of 鹿島市: they are made here, deterministically
//! from a fixed seed, inside the real city boundary, so anyone can rebuild the committed
//! files byte for byte (see `data/PROVENANCE.md`).
//!
//! Generation works in a local metric frame ([`boundary`]) and converts to lon/lat
//! (EPSG:4326) only when a feature is built.

mod boundary;
mod chiban;
mod dosha;
mod farmland;
mod flood;
mod geom;
mod heritage;
mod landmarks;
mod leaks;
mod ledger;
mod oaza;
mod parcels;
mod pipes;
mod places;
mod rng;
mod roads;
mod shelters;
mod zoning;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_civic;
#[cfg(test)]
mod tests_files;

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::fgb;
use crate::fgb::{FgbError, WriteOptions};
use crate::model::{Feature, Field, FieldType, Schema, Value};

pub use parcels::LARGE_SEED;

/// The seed of the committed sample data. Changing it changes every generated file.
pub const SAMPLE_SEED: u64 = 0x4B41_5348_494D_4131; // "KASHIMA1"

/// File names of the real inputs in the source directory (`data/source`).
pub const BOUNDARY_FILE: &str = "kashima_boundary_41207_s0010.geojson";
pub const EMERGENCY_SITES_FILE: &str = "kashima_kinkyu_hinanbasho_412074.geojson";
pub const SHELTERS_FILE: &str = "kashima_shitei_hinanjo_412074.geojson";

/// An error while generating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not usable as input: {message}")]
    Source { path: PathBuf, message: String },
    #[error("{path}: cannot write FlatGeobuf: {source}")]
    Fgb { path: PathBuf, source: FgbError },
    #[error(
        "cannot fit {count} non-overlapping parcels inside the boundary (at most about {max}); ask for fewer"
    )]
    TooMany { count: usize, max: usize },
}

/// What one generated file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerSummary {
    pub id: String,
    pub path: PathBuf,
    pub features: usize,
    pub bytes: u64,
}

/// What a generator run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    pub layers: Vec<LayerSummary>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.layers {
            writeln!(
                f,
                "{:<10} {:>9} features {:>10.1} kB  {}",
                l.id,
                l.features,
                l.bytes as f64 / 1000.0,
                l.path.display()
            )?;
        }
        Ok(())
    }
}

/// Builds the starting layers from the real inputs in `source_dir` and writes
/// `out_dir/<id>.fgb` for each.
pub fn samples(source_dir: &Path, out_dir: &Path) -> Result<Summary, GenError> {
    let layers = build_samples(source_dir, SAMPLE_SEED)?;
    let mut summary = Summary::default();
    for layer in &layers {
        summary.layers.push(write_layer(
            out_dir,
            layer.id,
            &layer.schema,
            &layer.features,
        )?);
    }
    Ok(summary)
}

/// Builds a benchmark layer of `count` non-overlapping parcels inside the boundary,
/// streamed to `out_dir/parcels.fgb`, and a layer file `out_dir/layers/parcels.toml`
/// whose `source` is relative to `out_dir`.
pub fn large(
    boundary: &Path,
    out_dir: &Path,
    count: usize,
    seed: u64,
) -> Result<Summary, GenError> {
    let b = boundary::Boundary::load(boundary)?;
    let plan = parcels::Plan::new(&b, count, seed)?;
    let summary = write_layer(out_dir, "parcels", &parcels::schema(), plan.features())?;
    let dir = out_dir.join("layers");
    std::fs::create_dir_all(&dir).map_err(|source| GenError::Write {
        path: dir.clone(),
        source,
    })?;
    let toml = dir.join("parcels.toml");
    std::fs::write(&toml, parcels::LAYER_TOML)
        .map_err(|source| GenError::Write { path: toml, source })?;
    Ok(Summary {
        layers: vec![summary],
    })
}

/// One generated layer in memory.
pub(crate) struct Layer {
    pub id: &'static str,
    pub schema: Schema,
    pub features: Vec<Feature>,
}

/// Builds all sample layers in memory (the tests inspect them without files).
pub(crate) fn build_samples(source_dir: &Path, seed: u64) -> Result<Vec<Layer>, GenError> {
    let b = boundary::Boundary::load(&source_dir.join(BOUNDARY_FILE))?;
    let shelters = shelters::build(
        &source_dir.join(EMERGENCY_SITES_FILE),
        &source_dir.join(SHELTERS_FILE),
    )?;
    let zoning = zoning::build(&b, seed);
    let network = roads::network(&b, seed);
    let pipes = pipes::build(&b, &network, seed);
    let roads = ledger::layer(&b, &network);
    let heritage = heritage::build(&b, seed);
    let oaza = oaza::from_shelters(&b, &shelters);
    let chiban = chiban::build(&b, &oaza, seed)?;
    let flood = flood::build(&b);
    let dosha = dosha::build(&b, &oaza, seed);
    let leaks = leaks::build(&pipes, seed);
    let farmland = farmland::build(&chiban, seed);
    Ok(vec![
        shelters,
        zoning,
        roads,
        heritage,
        pipes,
        chiban,
        flood,
        dosha,
        landmarks::build(),
        leaks,
        farmland,
    ])
}

/// A schema from `(name, type)` pairs.
pub(crate) fn schema(fields: &[(&str, FieldType)]) -> Schema {
    Schema::new(
        fields
            .iter()
            .map(|&(name, ty)| Field {
                name: name.to_owned(),
                ty,
            })
            .collect(),
    )
}

/// A string value.
pub(crate) fn s(text: impl Into<Box<str>>) -> Value {
    Value::String(text.into())
}

/// Rounds to `places` decimals, so ledger values read like ledger values.
pub(crate) fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value, GenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GenError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| GenError::Source {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Writes `out_dir/<id>.fgb` through a temporary file, so a failed run never leaves
/// a truncated layer behind.
fn write_layer<F: std::borrow::Borrow<Feature>>(
    out_dir: &Path,
    id: &str,
    schema: &Schema,
    features: impl IntoIterator<Item = F>,
) -> Result<LayerSummary, GenError> {
    let path = out_dir.join(format!("{id}.fgb"));
    let tmp = out_dir.join(format!(".{id}.fgb.tmp"));
    let io = |source| GenError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(out_dir).map_err(io)?;
    let mut out = BufWriter::new(File::create(&tmp).map_err(io)?);
    let mut count = 0usize;
    let counted = features.into_iter().inspect(|_| count += 1);
    let columns: Vec<usize> = (0..schema.len()).collect();
    fgb::write(
        &mut out,
        id,
        schema,
        &columns,
        counted,
        WriteOptions::default(),
    )
    .map_err(|source| GenError::Fgb {
        path: path.clone(),
        source,
    })?;
    out.flush().map_err(io)?;
    drop(out);
    std::fs::rename(&tmp, &path).map_err(io)?;
    let bytes = std::fs::metadata(&path).map_err(io)?.len();
    Ok(LayerSummary {
        id: id.to_owned(),
        path,
        features: count,
        bytes,
    })
}
