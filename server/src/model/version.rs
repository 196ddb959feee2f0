//! What a stored layer version says about itself.

use serde::Serialize;

/// What a store version says about itself; shown by the versions API and `/metrics`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VersionInfo {
    pub version: u64,
    /// RFC 3339 time the version was written.
    pub created: String,
    pub feature_count: usize,
    /// SHA-256 of the uploaded or imported source file.
    pub source_sha256: String,
    pub source_name: String,
    pub created_by: String,
}
