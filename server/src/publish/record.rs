//! The on-disk record of a staged upload: `<data-dir>/staging/<id>/record.json`, written
//! last and atomically, so a directory without one is the leftover of an interrupted
//! upload.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ingest::IngestError;

/// A staged upload that is waiting for its publish.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub id: String,
    pub layer: String,
    /// The store version holding the converted features (not current).
    pub version: u64,
    pub created: String,
    /// Unix seconds after which the upload expires.
    pub expires_unix: i64,
    pub expires: String,
    pub by: String,
    pub file_name: String,
    pub sha256: String,
    pub feature_count: u64,
}

pub const RECORD: &str = "record.json";
pub const REPORT: &str = "report.json";

/// True for the ids we make: 32 lowercase hex digits (so an id is safe in a path).
pub fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Writes a file durably (`durable::write_atomically`), as an ingest error.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IngestError> {
    crate::durable::write_atomically(path, bytes).map_err(|e| IngestError::io(path, e))
}

/// Reads the record of an upload, if it has a complete one.
pub fn read(dir: &Path) -> Option<Record> {
    let text = fs::read_to_string(dir.join(RECORD)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Every directory under the staging root, with its record when complete.
pub fn all(root: &Path) -> Vec<(PathBuf, Option<Record>)> {
    let Ok(entries) = fs::read_dir(root) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .map(|p| {
            let r = read(&p);
            (p, r)
        })
        .collect()
}
