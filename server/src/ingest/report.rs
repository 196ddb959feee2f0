//! The validation report: what was found in an upload, in Japanese and English.
//!
//! Every message is a [`Msg`] with both languages, so the same report serves department
//! staff (the viewer shows `ja`) and scripts (`en`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Field;

/// A message in Japanese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Msg {
    pub ja: String,
    pub en: String,
}

/// Builds a [`Msg`].
pub fn msg(ja: impl Into<String>, en: impl Into<String>) -> Msg {
    Msg {
        ja: ja.into(),
        en: en.into(),
    }
}

/// How much a problem matters: errors refuse the upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// Where in the upload something was found. Absent parts are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Where {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based feature number in file order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Where {
    pub fn file(name: impl Into<String>) -> Self {
        Self {
            file: Some(name.into()),
            ..Self::default()
        }
    }

    pub fn line(mut self, line: Option<u64>) -> Self {
        self.line = line;
        self
    }

    pub fn feature(mut self, n: u64) -> Self {
        self.feature = Some(n);
        self
    }

    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.field = Some(name.into());
        self
    }

    /// ` (file x, line 3, feature 2, field 名称)`, or empty.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = &self.file {
            parts.push(format!("file {f}"));
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(n) = self.feature {
            parts.push(format!("feature {n}"));
        }
        if let Some(f) = &self.field {
            parts.push(format!("field {f}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub code: &'static str,
    pub message: Msg,
    #[serde(rename = "where", skip_serializing_if = "is_nowhere")]
    pub at: Where,
}

fn is_nowhere(w: &Where) -> bool {
    *w == Where::default()
}

/// The uploaded file itself.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileInfo {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// The detected format.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FormatInfo {
    /// `geojson`, `shapefile`, `geopackage`, `flatgeobuf` or `csv`.
    pub code: &'static str,
    pub name: &'static str,
    /// The layer or table read (zip entry, GeoPackage table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_layer: Option<String>,
    /// Every layer the file holds, when it holds several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers_available: Vec<String>,
}

/// The chosen text encoding and why.
#[derive(Debug, Clone, Serialize)]
pub struct EncodingInfo {
    pub name: String,
    /// `explicit`, `cpg`, `dbf_language_driver`, `bom`, `valid_utf8`, `not_utf8_cp932`
    /// or `format` (always UTF-8).
    pub reason: &'static str,
    pub message: Msg,
}

/// The detected coordinate reference system.
#[derive(Debug, Clone, Serialize)]
pub struct CrsInfo {
    pub epsg: u32,
    pub name: String,
    /// Where it was found: `explicit`, `geojson_crs`, `rfc7946`, `prj`, `gpkg_srs_id`,
    /// `fgb_header` or `assumed`.
    pub source: &'static str,
    pub message: Msg,
}

/// Geometry types found, against the layer's.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GeometrySummary {
    pub expected: String,
    pub found: BTreeMap<String, u64>,
    pub mismatched: u64,
}

/// A field whose type differs from the current version's.
#[derive(Debug, Clone, Serialize)]
pub struct TypeChange {
    pub name: String,
    pub from: crate::model::FieldType,
    pub to: crate::model::FieldType,
}

/// Attribute schema of the upload compared with the current version.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SchemaDiff {
    pub fields: Vec<Field>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub type_changed: Vec<TypeChange>,
    /// DBF field names of the full 10 bytes: possibly cut by the format, kept as they are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub possibly_truncated: Vec<String>,
}

/// What became of a feature with invalid geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RepairOutcome {
    /// Repaired into a valid geometry, which is published.
    Repaired,
    /// Nothing was left to repair: the feature is left out.
    Dropped,
    /// Repair did not give a valid geometry: an error.
    Failed,
    /// Not repaired (`repair` is off): the upload is refused.
    Refused,
}

impl RepairOutcome {
    /// Whether this outcome stops the upload from being published.
    pub fn is_error(self) -> bool {
        matches!(self, Self::Failed | Self::Refused)
    }
}

/// One feature with invalid geometry.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidFeature {
    pub feature: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub problems: Vec<Problem>,
    /// What happened with `repair` (`repaired`, `dropped` or `failed`); absent when repair
    /// was not asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RepairOutcome>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// Invalid geometries: counts, and the first ones in full.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InvalidSummary {
    pub total: u64,
    pub repaired: u64,
    pub dropped: u64,
    pub by_problem: BTreeMap<&'static str, u64>,
    pub listed: Vec<InvalidFeature>,
}

/// The whole validation report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// False when any problem is an error: nothing can be published.
    pub accepted: bool,
    pub layer: String,
    pub file: FileInfo,
    pub format: FormatInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<EncodingInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crs: Option<CrsInfo>,
    pub repair: bool,
    /// Features read from the file.
    pub features_read: u64,
    /// Features that would be published.
    pub feature_count: u64,
    /// `[min_lon, min_lat, max_lon, max_lat]` of the published features.
    pub bbox: Option<[f64; 4]>,
    pub geometry: GeometrySummary,
    pub schema: SchemaDiff,
    pub missing_policy_attributes: Vec<String>,
    pub invalid: InvalidSummary,
    /// The file's columns beside the layer's fields, and how they were matched.
    pub columns: super::columns::Columns,
    /// What publishing this upload would change against the current version.
    pub changes: super::diff::Changes,
    pub problems: Vec<Problem>,
    /// Problems beyond the listed ones, by code.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub more_problems: BTreeMap<&'static str, u64>,
}

/// At most this many problems and invalid features are listed in full.
pub const MAX_LISTED: usize = 100;

impl Report {
    /// Adds a problem, listing it in full while there is room and counting it after.
    pub fn add(&mut self, severity: Severity, code: &'static str, message: Msg, at: Where) {
        if severity == Severity::Error {
            self.accepted = false;
        }
        if self.problems.len() < MAX_LISTED {
            self.problems.push(Problem {
                severity,
                code,
                message,
                at,
            });
        } else {
            *self.more_problems.entry(code).or_default() += 1;
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.accepted
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    /// The report's `outcome` strings are part of the upload API.
    #[rstest]
    #[case(RepairOutcome::Repaired, "repaired", false)]
    #[case(RepairOutcome::Dropped, "dropped", false)]
    #[case(RepairOutcome::Failed, "failed", true)]
    #[case(RepairOutcome::Refused, "refused", true)]
    fn repair_outcomes_keep_their_names(
        #[case] outcome: RepairOutcome,
        #[case] name: &str,
        #[case] error: bool,
    ) {
        assert_eq!(serde_json::to_value(outcome).unwrap(), name);
        assert_eq!(outcome.is_error(), error);
    }
}
