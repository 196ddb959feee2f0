//! [`VersionStore`] on a local file system, crash-safe by write-fsync-rename.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use super::{CURRENT, DATA, META, NewVersion, RawInfo, StoreError, VersionStore, parse_version};
use crate::model::VersionInfo;

/// The per-layer lock file of `activate` and `remove`.
const LOCK: &str = "LOCK";

/// The store under `<store-dir>/layers`.
///
/// Writers (`put`, `activate`, `remove`) are meant for the one process that holds the data
/// folder's lock (`kashimap serve` or `kashimap import`); version numbers are nevertheless
/// taken with an exclusive create, so two writers can never write the same version.
#[derive(Debug)]
pub struct FsStore {
    root: PathBuf,
    read_only: bool,
}

impl FsStore {
    /// Opens (creating if needed) the store for reading and writing. Leftovers of an
    /// interrupted write are left alone: [`FsStore::recover`] removes them, for the process
    /// that holds the data folder's lock.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let root = data_dir.join("layers");
        fs::create_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
        Ok(Self {
            root,
            read_only: false,
        })
    }

    /// Opens the store for reading only: nothing is created, cleaned or written (`kashimap
    /// check`, `export-tiles`). A missing store reads as empty.
    pub fn open_read_only(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("layers"),
            read_only: true,
        }
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            Err(StoreError::ReadOnly)
        } else {
            Ok(())
        }
    }

    fn layer_dir(&self, layer: &str) -> PathBuf {
        self.root.join(layer)
    }

    fn data_path(&self, layer: &str, version: u64) -> PathBuf {
        self.layer_dir(layer).join(format!("v{version:06}{DATA}"))
    }

    fn meta_path(&self, layer: &str, version: u64) -> PathBuf {
        self.layer_dir(layer).join(format!("v{version:06}{META}"))
    }

    /// Removes what an interrupted write left behind: temporary files, and data files whose
    /// metadata was never written (the metadata is written after the data, so such a version
    /// was never complete and nobody can have seen it). Call only while holding the data
    /// folder's lock: then no other writer can be half-way through. Returns what it removed.
    pub fn recover(&self) -> Result<Vec<PathBuf>, StoreError> {
        self.writable()?;
        let mut removed = Vec::new();
        let entries = fs::read_dir(&self.root).map_err(|e| StoreError::io(&self.root, e))?;
        for dir in entries.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
            let files = fs::read_dir(dir.path()).map_err(|e| StoreError::io(dir.path(), e))?;
            for f in files.filter_map(Result::ok) {
                let p = f.path();
                let name = f.file_name().to_string_lossy().into_owned();
                let orphan = parse_version(&name, DATA)
                    .is_some_and(|v| !p.with_file_name(format!("v{v:06}{META}")).exists());
                if p.extension().is_some_and(|e| e == "tmp") || orphan {
                    tracing::warn!(path = %p.display(), "removing leftover of an interrupted write");
                    fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
                    removed.push(p);
                }
            }
        }
        Ok(removed)
    }

    /// Takes the layer's `LOCK` file exclusively (`flock`, released when the file is closed
    /// or the process ends): the compare and the swap of `activate`, and `remove`, are one
    /// step for every process on the folder, so two primaries sharing it (`--store
    /// file:///…`) never both win a switch.
    fn layer_lock(&self, layer: &str) -> Result<File, StoreError> {
        let dir = self.layer_dir(layer);
        fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let path = dir.join(LOCK);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        file.lock().map_err(|e| StoreError::io(&path, e))?;
        Ok(file)
    }

    /// Version numbers that have both their data and metadata file.
    fn complete_versions(&self, layer: &str) -> Result<Vec<u64>, StoreError> {
        let mut versions: Vec<u64> = self
            .names(layer)?
            .iter()
            .filter_map(|n| parse_version(n, META))
            .filter(|&v| self.data_path(layer, v).is_file())
            .collect();
        versions.sort_unstable();
        Ok(versions)
    }

    /// File names in a layer's folder (none if it does not exist).
    fn names(&self, layer: &str) -> Result<Vec<String>, StoreError> {
        let dir = self.layer_dir(layer);
        match fs::read_dir(&dir) {
            Ok(e) => Ok(e
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(StoreError::io(&dir, e)),
        }
    }

    /// Takes the next free version number by creating its data file's temporary name
    /// exclusively: a number seen in any file (complete, partial or in progress) is taken.
    /// (The test `two_stores_on_one_folder_never_share_a_version_number` once caught two
    /// writers sharing a number: the second created the temporary name just after the first
    /// had renamed it into place.)
    fn reserve(&self, layer: &str) -> Result<(u64, File, PathBuf), StoreError> {
        let highest = self
            .names(layer)?
            .iter()
            .filter_map(|n| {
                let stem = n.strip_suffix(".tmp").unwrap_or(n);
                parse_version(stem, DATA).or_else(|| parse_version(stem, META))
            })
            .max()
            .unwrap_or(0);
        let mut version = highest + 1;
        loop {
            let tmp = tmp_path(&self.data_path(layer, version));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                // The temporary name is free again once its owner renamed it into place: a
                // version whose data or metadata already exists is taken (rename is atomic,
                // so the owner's file is visible by the time its temporary name is free).
                Ok(_)
                    if self.data_path(layer, version).exists()
                        || self.meta_path(layer, version).exists() =>
                {
                    let _ = fs::remove_file(&tmp);
                    version += 1;
                }
                Ok(file) => return Ok((version, file, tmp)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => version += 1,
                Err(e) => return Err(StoreError::io(&tmp, e)),
            }
        }
    }

    fn read_info(&self, layer: &str, version: u64) -> Result<VersionInfo, StoreError> {
        let path = self.meta_path(layer, version);
        let text = fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?;
        let raw: RawInfo = serde_json::from_str(&text).map_err(|e| StoreError::Metadata {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(raw.into_info(version))
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Fills the open temporary `file` from `bytes`, fsyncs it, renames it to `path` and fsyncs
/// the directory. On failure the temporary file is removed.
fn finish_atomically(
    file: File,
    tmp: &Path,
    path: &Path,
    bytes: &mut dyn Read,
) -> Result<u64, StoreError> {
    let result = (|| {
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let n = std::io::copy(bytes, &mut out).map_err(|e| StoreError::io(tmp, e))?;
        let file = out
            .into_inner()
            .map_err(|e| StoreError::io(tmp, e.into_error()))?;
        file.sync_all().map_err(|e| StoreError::io(tmp, e))?;
        fs::rename(tmp, path).map_err(|e| StoreError::io(path, e))?;
        sync_dir(path)?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = fs::remove_file(tmp);
    }
    result
}

fn write_text(path: &Path, text: &str) -> Result<(), StoreError> {
    let tmp = tmp_path(path);
    let file = File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    finish_atomically(file, &tmp, path, &mut text.as_bytes()).map(|_| ())
}

fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

impl VersionStore for FsStore {
    fn list(&self, layer: &str) -> Result<Vec<VersionInfo>, StoreError> {
        self.complete_versions(layer)?
            .into_iter()
            .map(|v| self.read_info(layer, v))
            .collect()
    }

    fn current(&self, layer: &str) -> Result<Option<u64>, StoreError> {
        let path = self.layer_dir(layer).join(CURRENT);
        match fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| StoreError::Metadata {
                    path,
                    message: format!("`{}` is not a version number", text.trim()),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    fn get(&self, layer: &str, version: u64) -> Result<Box<dyn Read + Send>, StoreError> {
        let path = self.data_path(layer, version);
        if !self.meta_path(layer, version).is_file() {
            return Err(StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            });
        }
        let file = File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            },
            _ => StoreError::io(&path, e),
        })?;
        Ok(Box::new(file))
    }

    fn put(
        &self,
        layer: &str,
        meta: &NewVersion,
        bytes: &mut dyn Read,
    ) -> Result<VersionInfo, StoreError> {
        self.writable()?;
        let dir = self.layer_dir(layer);
        fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let (version, file, tmp) = self.reserve(layer)?;
        finish_atomically(file, &tmp, &self.data_path(layer, version), bytes)?;
        let raw = RawInfo::new(meta);
        let meta_path = self.meta_path(layer, version);
        let written = serde_json::to_string_pretty(&raw)
            .map_err(|e| StoreError::Metadata {
                path: meta_path.clone(),
                message: e.to_string(),
            })
            .and_then(|json| write_text(&meta_path, &json));
        if let Err(e) = written {
            let _ = fs::remove_file(self.data_path(layer, version));
            return Err(e);
        }
        self.read_info(layer, version)
    }

    fn activate(&self, layer: &str, version: u64, expected: Option<u64>) -> Result<(), StoreError> {
        self.writable()?;
        let _switching = self.layer_lock(layer)?;
        if !self.complete_versions(layer)?.contains(&version) {
            return Err(StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            });
        }
        let actual = self.current(layer)?;
        if actual != expected {
            return Err(StoreError::Conflict {
                layer: layer.to_owned(),
                expected,
                actual,
            });
        }
        write_text(
            &self.layer_dir(layer).join(CURRENT),
            &format!("{version}\n"),
        )
    }

    fn remove(&self, layer: &str, version: u64) -> Result<(), StoreError> {
        self.writable()?;
        let _switching = self.layer_lock(layer)?;
        if self.current(layer)? == Some(version) {
            return Err(StoreError::RemoveCurrent {
                layer: layer.to_owned(),
                version,
            });
        }
        // Metadata first: without it the version is no longer complete, so a crash between
        // the two removals leaves only an ignored data file (removed by `recover`).
        for p in [
            self.meta_path(layer, version),
            self.data_path(layer, version),
        ] {
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(&p, e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(store: &FsStore, bytes: &[u8]) -> VersionInfo {
        let meta = NewVersion {
            feature_count: bytes.len(),
            ..NewVersion::default()
        };
        store.put("shelters", &meta, &mut &bytes[..]).unwrap()
    }

    fn read(store: &FsStore, version: u64) -> Vec<u8> {
        let mut out = Vec::new();
        store
            .get("shelters", version)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn versions_are_put_then_activated() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        assert_eq!(store.current("shelters").unwrap(), None);
        let v1 = put(&store, b"abc");
        assert_eq!(v1.version, 1);
        assert_eq!(v1.feature_count, 3);
        assert_eq!(
            store.current("shelters").unwrap(),
            None,
            "put does not activate"
        );
        store.activate("shelters", 1, None).unwrap();
        let v2 = put(&store, b"abcde");
        assert_eq!(store.current("shelters").unwrap(), Some(1));
        store.activate("shelters", v2.version, Some(1)).unwrap();
        assert_eq!(store.current("shelters").unwrap(), Some(2));
        assert_eq!(read(&store, 2), b"abcde");
        assert!(matches!(
            store.activate("shelters", 9, Some(2)),
            Err(StoreError::NoSuchVersion { .. })
        ));
    }

    #[test]
    fn activate_is_a_compare_and_swap() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        put(&store, b"1");
        put(&store, b"2");
        store.activate("shelters", 1, None).unwrap();
        // A writer that still thinks nothing is current loses, and nothing changes.
        let lost = store.activate("shelters", 2, None).unwrap_err();
        assert!(matches!(
            lost,
            StoreError::Conflict {
                expected: None,
                actual: Some(1),
                ..
            }
        ));
        assert_eq!(store.current("shelters").unwrap(), Some(1));
    }

    #[test]
    fn two_stores_on_one_folder_never_share_a_version_number() {
        let dir = tempfile::tempdir().unwrap();
        let a = FsStore::open(dir.path()).unwrap();
        let b = FsStore::open(dir.path()).unwrap();
        let versions: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let store = if i % 2 == 0 { &a } else { &b };
                    s.spawn(move || put(store, format!("{i}").as_bytes()).version)
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, (1..=8).collect::<Vec<_>>());
    }

    #[test]
    fn leftovers_of_a_crash_are_ignored_then_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        put(&store, b"12");
        store.activate("shelters", 1, None).unwrap();
        let layer = dir.path().join("layers/shelters");
        // A crash mid-write leaves a partial data file and no metadata, or temp files.
        fs::write(layer.join("v000002.fgb.tmp"), b"partial").unwrap();
        fs::write(layer.join("v000003.fgb"), b"partial").unwrap();
        fs::write(layer.join("CURRENT.tmp"), b"3").unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        assert_eq!(store.current("shelters").unwrap(), Some(1));
        assert_eq!(store.list("shelters").unwrap().len(), 1);
        assert!(layer.join("v000003.fgb").exists(), "opening cleans nothing");
        let removed = store.recover().unwrap();
        assert_eq!(removed.len(), 3);
        assert!(!layer.join("v000002.fgb.tmp").exists());
        assert!(!layer.join("v000003.fgb").exists());
        assert!(!layer.join("CURRENT.tmp").exists());
        assert_eq!(read(&store, 1), b"12");
    }

    #[test]
    fn a_read_only_store_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open_read_only(dir.path());
        assert_eq!(store.list("shelters").unwrap(), vec![]);
        assert!(matches!(
            store.put("shelters", &NewVersion::default(), &mut &b"x"[..]),
            Err(StoreError::ReadOnly)
        ));
        assert!(!dir.path().join("layers").exists());
    }

    #[test]
    fn remove_spares_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        put(&store, b"1");
        put(&store, b"2");
        store.activate("shelters", 1, None).unwrap();
        assert!(store.remove("shelters", 1).is_err());
        store.remove("shelters", 2).unwrap();
        assert_eq!(store.list("shelters").unwrap().len(), 1);
        store.remove("shelters", 2).unwrap();
    }
}
