//! [`VersionStore`] on a local file system, crash-safe by write-fsync-rename.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{NewVersion, StoreError, VersionStore, fgb};
use crate::layer::{Feature, Schema, VersionInfo};

const CURRENT: &str = "CURRENT";

/// The store under `<data-dir>/layers`.
#[derive(Debug)]
pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    /// Opens (creating if needed) the store and removes temporary leftovers of an
    /// interrupted write.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let root = data_dir.join("layers");
        fs::create_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
        let store = Self { root };
        store.remove_temporaries()?;
        Ok(store)
    }

    fn layer_dir(&self, layer: &str) -> PathBuf {
        self.root.join(layer)
    }

    fn data_path(&self, layer: &str, version: u64) -> PathBuf {
        self.layer_dir(layer).join(format!("v{version:06}.fgb"))
    }

    fn meta_path(&self, layer: &str, version: u64) -> PathBuf {
        self.layer_dir(layer).join(format!("v{version:06}.json"))
    }

    fn remove_temporaries(&self) -> Result<(), StoreError> {
        let entries = fs::read_dir(&self.root).map_err(|e| StoreError::io(&self.root, e))?;
        for dir in entries.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
            let files = fs::read_dir(dir.path()).map_err(|e| StoreError::io(dir.path(), e))?;
            for f in files.filter_map(Result::ok) {
                let p = f.path();
                if p.extension().is_some_and(|e| e == "tmp") {
                    tracing::warn!(path = %p.display(), "removing leftover of an interrupted write");
                    fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
                }
            }
        }
        Ok(())
    }

    /// Version numbers that have both their data and metadata file.
    fn complete_versions(&self, layer: &str) -> Result<Vec<u64>, StoreError> {
        let dir = self.layer_dir(layer);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io(&dir, e)),
        };
        let mut versions: Vec<u64> = entries
            .filter_map(Result::ok)
            .filter_map(|e| parse_version(&e.file_name().to_string_lossy(), ".json"))
            .filter(|&v| self.data_path(layer, v).is_file())
            .collect();
        versions.sort_unstable();
        Ok(versions)
    }

    fn read_info(&self, layer: &str, version: u64) -> Result<VersionInfo, StoreError> {
        let path = self.meta_path(layer, version);
        let text = fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?;
        let raw: RawInfo = serde_json::from_str(&text).map_err(|e| StoreError::Metadata {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(VersionInfo {
            version,
            created: raw.created,
            feature_count: raw.feature_count,
            source_sha256: raw.source_sha256,
            source_name: raw.source_name,
            created_by: raw.created_by,
        })
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RawInfo {
    created: String,
    feature_count: usize,
    source_sha256: String,
    source_name: String,
    created_by: String,
}

fn parse_version(name: &str, suffix: &str) -> Option<u64> {
    name.strip_prefix('v')?.strip_suffix(suffix)?.parse().ok()
}

/// Writes `path` durably: to `path.tmp`, fsync, rename, fsync the directory.
fn write_atomically(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<usize, fgb::FgbError>,
) -> Result<usize, StoreError> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
        let mut out = BufWriter::new(file);
        let n = write(&mut out).map_err(|source| match source {
            fgb::FgbError::Io(e) => StoreError::io(&tmp, e),
            source => StoreError::Fgb {
                path: tmp.clone(),
                source,
            },
        })?;
        let file = out
            .into_inner()
            .map_err(|e| StoreError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
        sync_dir(path)?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

fn write_text(path: &Path, text: &str) -> Result<(), StoreError> {
    write_atomically(path, &mut |out| {
        out.write_all(text.as_bytes())?;
        Ok(0)
    })
    .map(|_| ())
}

impl VersionStore for FsStore {
    fn versions(&self, layer: &str) -> Result<Vec<VersionInfo>, StoreError> {
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

    fn load(&self, layer: &str, version: u64) -> Result<(Schema, Vec<Feature>), StoreError> {
        let path = self.data_path(layer, version);
        let file = File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            },
            _ => StoreError::io(&path, e),
        })?;
        fgb::read(file).map_err(|source| StoreError::Fgb { path, source })
    }

    fn write(
        &self,
        layer: &str,
        meta: &NewVersion,
        write: &mut dyn FnMut(&mut dyn Write) -> Result<usize, fgb::FgbError>,
    ) -> Result<VersionInfo, StoreError> {
        let dir = self.layer_dir(layer);
        fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let version = self.complete_versions(layer)?.last().map_or(1, |v| v + 1);
        let feature_count = write_atomically(&self.data_path(layer, version), write)?;
        let raw = RawInfo {
            created: crate::time::now_rfc3339(),
            feature_count,
            source_sha256: meta.source_sha256.clone(),
            source_name: meta.source_name.clone(),
            created_by: meta.created_by.clone(),
        };
        let json = serde_json::to_string_pretty(&raw).map_err(|e| StoreError::Metadata {
            path: self.meta_path(layer, version),
            message: e.to_string(),
        })?;
        write_text(&self.meta_path(layer, version), &json)?;
        self.read_info(layer, version)
    }

    fn activate(&self, layer: &str, version: u64) -> Result<(), StoreError> {
        if !self.complete_versions(layer)?.contains(&version) {
            return Err(StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            });
        }
        write_text(
            &self.layer_dir(layer).join(CURRENT),
            &format!("{version}\n"),
        )
    }

    fn prune(&self, layer: &str, keep: usize) -> Result<Vec<u64>, StoreError> {
        let current = self.current(layer)?;
        let versions = self.complete_versions(layer)?;
        let excess = versions.len().saturating_sub(keep.max(1));
        let mut removed = Vec::new();
        for v in versions
            .into_iter()
            .take(excess)
            .filter(|v| Some(*v) != current)
        {
            for p in [self.meta_path(layer, v), self.data_path(layer, v)] {
                fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
            }
            removed.push(v);
        }
        Ok(removed)
    }

    fn remove(&self, layer: &str, version: u64) -> Result<(), StoreError> {
        if self.current(layer)? == Some(version) {
            return Err(StoreError::RemoveCurrent {
                layer: layer.to_owned(),
                version,
            });
        }
        // Metadata first: without it the version is no longer complete, so a crash between
        // the two removals leaves only an ignored data file.
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
    use crate::layer::{Field, FieldType, Value};

    fn features(n: u64) -> (Schema, Vec<Feature>) {
        let schema = Schema::new(vec![Field {
            name: "名称".into(),
            ty: FieldType::String,
        }]);
        let f = (1..=n)
            .map(|i| {
                let p = geo::Geometry::Point(geo::point!(x: 130.0 + i as f64 * 0.001, y: 33.1));
                Feature::new(
                    i,
                    p,
                    vec![Value::String(format!("避難所{i}").into())].into(),
                )
            })
            .collect();
        (schema, f)
    }

    fn put(store: &FsStore, n: u64) -> VersionInfo {
        let (schema, f) = features(n);
        store
            .write("shelters", &NewVersion::default(), &mut |out| {
                fgb::write(
                    out,
                    "shelters",
                    &schema,
                    &[0],
                    &f,
                    fgb::WriteOptions::default(),
                )?;
                Ok(f.len())
            })
            .unwrap()
    }

    #[test]
    fn versions_are_written_then_activated() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        assert_eq!(store.current("shelters").unwrap(), None);
        let v1 = put(&store, 3);
        assert_eq!(v1.version, 1);
        assert_eq!(v1.feature_count, 3);
        assert_eq!(
            store.current("shelters").unwrap(),
            None,
            "writing does not activate"
        );
        store.activate("shelters", 1).unwrap();
        let v2 = put(&store, 5);
        assert_eq!(store.current("shelters").unwrap(), Some(1));
        store.activate("shelters", v2.version).unwrap();
        assert_eq!(store.current("shelters").unwrap(), Some(2));
        let (_, loaded) = store.load("shelters", 2).unwrap();
        assert_eq!(loaded.len(), 5);
        assert!(store.activate("shelters", 9).is_err());
    }

    #[test]
    fn leftovers_of_a_crash_are_ignored_and_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        put(&store, 2);
        store.activate("shelters", 1).unwrap();
        let layer = dir.path().join("layers/shelters");
        // A crash mid-write leaves a partial data file and no metadata, or temp files.
        fs::write(layer.join("v000002.fgb.tmp"), b"partial").unwrap();
        fs::write(layer.join("v000003.fgb"), b"partial").unwrap();
        fs::write(layer.join("CURRENT.tmp"), b"3").unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        assert!(!layer.join("v000002.fgb.tmp").exists());
        assert!(!layer.join("CURRENT.tmp").exists());
        assert_eq!(store.current("shelters").unwrap(), Some(1));
        assert_eq!(store.versions("shelters").unwrap().len(), 1);
    }

    #[test]
    fn prune_keeps_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        for _ in 0..4 {
            put(&store, 1);
        }
        store.activate("shelters", 1).unwrap();
        let removed = store.prune("shelters", 2).unwrap();
        assert_eq!(removed, vec![2]);
        let left: Vec<u64> = store
            .versions("shelters")
            .unwrap()
            .iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(left, vec![1, 3, 4]);
    }

    #[test]
    fn remove_spares_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        put(&store, 1);
        put(&store, 2);
        store.activate("shelters", 1).unwrap();
        assert!(store.remove("shelters", 1).is_err());
        store.remove("shelters", 2).unwrap();
        assert_eq!(store.versions("shelters").unwrap().len(), 1);
        store.remove("shelters", 2).unwrap();
    }
}
