//! The edit log of one layer: `<data-dir>/edits/<layer>.log`, one JSON line per edit, each
//! written and fsynced before the edit is answered. It holds the edits not yet folded into
//! a store version; a fold rewrites it (temporary file, fsync, rename, fsync the folder)
//! with only what came after.
//!
//! Every entry holds the feature's whole state after the edit (or none for a delete), so
//! replaying an entry twice changes nothing: a `kill -9` between a fold's switch of the
//! store's `CURRENT` and its rewrite of the log replays edits the new version already has.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::EditError;

/// What an edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Replace,
    Update,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Replace => "replace",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

/// A feature's state as the log keeps it: GeoJSON geometry and every property, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub geometry: serde_json::Value,
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// One logged edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Unique over the log's life (microseconds since the epoch, strictly increasing).
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
    pub by: String,
    pub op: Op,
    pub id: u64,
    pub before: Option<State>,
    pub after: Option<State>,
}

/// The open log of one layer.
#[derive(Debug)]
pub struct EditLog {
    path: PathBuf,
    file: Option<File>,
}

impl EditLog {
    /// Reads the log (if any) and opens it for appending (`writable`), or only reads it.
    /// A last line cut short by a crash was never answered, so it is dropped; any other
    /// unreadable line is an error (the log was damaged: nothing is guessed).
    pub fn open(dir: &Path, layer: &str, writable: bool) -> Result<(Self, Vec<Entry>), EditError> {
        let path = dir.join(format!("{layer}.log"));
        let entries = read(&path)?;
        let mut log = Self { path, file: None };
        if writable {
            fs::create_dir_all(dir).map_err(|e| EditError::io(dir, e))?;
            // Rewriting drops a torn last line, so the next append starts on a fresh line.
            log.rewrite(&entries)?;
        }
        Ok((log, entries))
    }

    /// Appends one entry and waits until it is on disk.
    pub fn append(&mut self, entry: &Entry) -> Result<(), EditError> {
        let path = self.path.clone();
        let file = self.file.as_mut().ok_or(EditError::ReadOnly)?;
        let mut line = serde_json::to_vec(entry).map_err(|e| EditError::io(&path, e.into()))?;
        line.push(b'\n');
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| EditError::io(&path, e))
    }

    /// Deletes an empty log (its layer was removed); a later open starts a new one.
    pub fn remove(&mut self) -> Result<(), EditError> {
        self.file = None;
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(EditError::io(&self.path, e)),
            _ => Ok(()),
        }
    }

    /// Replaces the log's content with `entries`, atomically and durably.
    pub fn rewrite(&mut self, entries: &[Entry]) -> Result<(), EditError> {
        let io = |e| EditError::io(&self.path, e);
        let mut out = Vec::new();
        for e in entries {
            serde_json::to_writer(&mut out, e).map_err(|e| io(e.into()))?;
            out.push(b'\n');
        }
        crate::durable::write_atomically(&self.path, &out).map_err(io)?;
        self.file = Some(
            OpenOptions::new()
                .append(true)
                .open(&self.path)
                .map_err(io)?,
        );
        Ok(())
    }
}

fn read(path: &Path) -> Result<Vec<Entry>, EditError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(EditError::io(path, e)),
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|e| EditError::io(path, e))?;
    let mut entries = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(e) => entries.push(e),
            Err(_) if i + 1 == lines.len() => {
                tracing::warn!(log = %path.display(), "dropping a torn last line of the edit log");
            }
            Err(e) => {
                return Err(EditError::Damaged {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64) -> Entry {
        Entry {
            seq,
            at: 1,
            by: "t".into(),
            op: Op::Create,
            id: seq,
            before: None,
            after: Some(State {
                geometry: serde_json::json!({"type": "Point", "coordinates": [130.0, 33.0]}),
                properties: serde_json::Map::new(),
            }),
        }
    }

    #[test]
    fn appended_entries_read_back_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, none) = EditLog::open(dir.path(), "l", true).unwrap();
        assert!(none.is_empty());
        log.append(&entry(1)).unwrap();
        log.append(&entry(2)).unwrap();
        let path = dir.path().join("l.log");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"seq\":3,\"at\"").unwrap();
        let (mut log, read) = EditLog::open(dir.path(), "l", true).unwrap();
        assert_eq!(read, [entry(1), entry(2)]);
        log.append(&entry(3)).unwrap();
        let (_, read) = EditLog::open(dir.path(), "l", false).unwrap();
        assert_eq!(read, [entry(1), entry(2), entry(3)]);
    }

    #[test]
    fn a_damaged_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("l.log"), "nonsense\n{}\n").unwrap();
        assert!(matches!(
            EditLog::open(dir.path(), "l", false),
            Err(EditError::Damaged { line: 1, .. })
        ));
    }
}
