//! Push targets: a folder (`file:///…`) or an S3-compatible bucket (`s3://bucket/prefix`).
//! Both are read by the replica through the same trait.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::PushError;
use super::s3::S3Target;

/// Where a push is written and a replica reads. Paths are relative and `/`-separated.
pub trait Target: Send + Sync + std::fmt::Debug {
    /// Writes a whole file; a reader sees the old file or the new one, never a part.
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), PushError>;
    /// Reads a whole file; `None` when it does not exist.
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, PushError>;
    /// True if the file exists with this size (content-addressed files are not written
    /// twice; one cut short is written again).
    fn has(&self, path: &str, size: u64) -> Result<bool, PushError>;
    /// The target as an operator wrote it, for logs.
    fn describe(&self) -> String;
}

/// Opens a target from its URL.
pub fn open(url: &str) -> Result<Box<dyn Target>, PushError> {
    let bad = |message: &str| PushError::Url {
        url: url.to_owned(),
        message: message.to_owned(),
    };
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(bad("use an absolute folder: file:///path/to/folder"));
        }
        return Ok(Box::new(FileTarget::new(PathBuf::from(path))));
    }
    if url.starts_with("s3://") {
        return Ok(Box::new(S3Target::from_url(url)?));
    }
    Err(bad("use file:///folder or s3://bucket/prefix"))
}

/// A folder: files are written to a temporary name, synced and renamed into place.
#[derive(Debug)]
pub struct FileTarget {
    root: PathBuf,
}

impl FileTarget {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Target for FileTarget {
    fn put(&self, rel: &str, bytes: &[u8]) -> Result<(), PushError> {
        let path = self.path(rel);
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| PushError::io(dir, e))?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(PushError::io(&path, e));
        }
        sync_dir(dir);
        Ok(())
    }

    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, PushError> {
        let path = self.path(rel);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(PushError::io(path, e)),
        }
    }

    fn has(&self, rel: &str, size: u64) -> Result<bool, PushError> {
        Ok(std::fs::metadata(self.path(rel)).is_ok_and(|m| m.is_file() && m.len() == size))
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_target_round_trips_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().display());
        let t = open(&url).unwrap();
        assert_eq!(t.get("objects/a").unwrap(), None);
        t.put("objects/a", b"one").unwrap();
        t.put("objects/a", b"two").unwrap();
        assert_eq!(t.get("objects/a").unwrap().unwrap(), b"two");
        assert!(t.has("objects/a", 3).unwrap());
        assert!(
            !t.has("objects/a", 4).unwrap(),
            "a file cut short is written again"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("objects"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a"]);
    }

    #[test]
    fn bad_target_urls_say_what_to_write() {
        for url in ["ftp://x", "file://relative", "s3://"] {
            let e = open(url).unwrap_err().to_string();
            assert!(
                e.contains(url) && e.contains("use") || e.contains("name the bucket"),
                "{e}"
            );
        }
    }
}
