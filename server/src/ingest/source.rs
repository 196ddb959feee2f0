//! What every format reader gives the pipeline: format, encoding and CRS findings, the
//! attribute schema, and a stream of features in the file's own coordinates.

use geo::Geometry;

use super::IngestError;
use super::crs::{Crs, CrsProblem};
use super::encoding::Choice;
use super::report::{FormatInfo, Msg, Severity, Where};
use super::validate::GeomProblem;
use crate::model::{Schema, Value};

/// One feature as read, before reprojection and validation.
#[derive(Debug, Clone)]
pub struct SourceFeature {
    /// In the source CRS, GIS axis order (x = easting or longitude). `None` when empty.
    pub geometry: Option<Geometry<f64>>,
    /// Problems only the reader can see (an unclosed ring is closed when building the
    /// geometry, so it must be noticed while reading).
    pub issues: Vec<GeomProblem>,
    pub properties: Vec<Value>,
    /// 1-based line in a text file, where known.
    pub line: Option<u64>,
    /// Fields whose value could not be decoded or parsed (left null or with U+FFFD).
    pub bad_fields: Vec<usize>,
}

/// Receives features one by one; returning an error stops the reader.
pub type Sink<'a> = dyn FnMut(SourceFeature) -> Result<(), IngestError> + 'a;

/// Streams the features of an opened file into a sink, in file order.
pub trait FeatureSource {
    fn run(self: Box<Self>, sink: &mut Sink<'_>) -> Result<(), IngestError>;
}

/// What a reader found about the CRS.
#[derive(Debug, Clone)]
pub enum CrsFound {
    /// Declared by the file; `source` as in [`CrsInfo::source`](super::report::CrsInfo).
    Declared { crs: Crs, source: &'static str },
    /// Not declared; the format's default (RFC 7946 GeoJSON) or a reasoned assumption.
    Default {
        crs: Crs,
        source: &'static str,
        message: Msg,
    },
    /// Declared but not usable.
    Unusable {
        problem: CrsProblem,
        source: &'static str,
    },
    /// Nothing declared and nothing to assume.
    Missing { message: Msg },
}

/// A file opened for reading.
pub struct Opened {
    pub format: FormatInfo,
    pub encoding: Option<Choice>,
    pub crs: CrsFound,
    pub schema: Schema,
    /// The name errors refer to (a zip entry, a table).
    pub file_label: String,
    /// Findings made while opening (truncated field names, undecodable text, …).
    pub notes: Vec<(Severity, &'static str, Msg, Where)>,
    /// DBF field names of the full 10 bytes.
    pub possibly_truncated: Vec<String>,
    pub features: Box<dyn FeatureSource>,
}
