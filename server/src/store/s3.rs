//! [`VersionStore`] in an S3-compatible bucket (`--store s3://bucket/prefix`), so that two
//! primaries with their own data folders share one store.
//!
//! Under the prefix, each layer has `layers/<id>/`:
//! - `v<NNNNNN>.fgb` (the bytes) and `v<NNNNNN>.json` (the info): a version is complete when
//!   both exist; the metadata is written after the data, so a data object without metadata
//!   was never complete and nobody saw it;
//! - `v<NNNNNN>.taken`: an empty marker that reserves the number before the data is sent.
//!   It is never removed, so a number is never given twice, not even after `remove`;
//! - `CURRENT`: the current version number;
//! - `lock/<random>`: claims of the layer's short lock (below).
//!
//! and `catalog/<id>.toml` holds the definition of each layer created at run time, so that
//! every primary on the bucket reads the same set (`publish::follow_definition`).
//!
//! **Compare-and-swap.** Reserving a number, switching `CURRENT` and removing a version run
//! under a per-layer lock that needs nothing from the server but strongly consistent PUT,
//! DELETE and LIST (S3 has been so since 2020, and so is every single-node server): a writer
//! PUTs a claim with a fresh random name, then LISTs the claims. If its own is the only
//! live one it holds the lock; otherwise it DELETEs its claim, waits a random moment and
//! tries again. Two writers can never both hold it: whichever listed last saw the other's
//! claim, which its owner keeps until it releases the lock (the "splitter" of Moir and
//! Anderson). The server's own conditional writes are not needed because not every S3
//! server makes them atomic: s3s-fs 0.14, the server of our tests, checks `If-None-Match`
//! and then writes, so two racing PUTs can both succeed (docs/deployment.md shows the
//! measurement). They are still sent (`If-None-Match: *` on every new object, `If-Match`
//! with the ETag read under the lock on `CURRENT`), as a second guard where the server
//! honours them atomically (AWS S3, MinIO, Ceph).
//!
//! A claim older than [`LEASE_SECS`] by the server's clock (its `LastModified` against the
//! new claim's) is a crashed writer's and is removed; a holder gives up before its final
//! write when it has held the lock for half that long, so a paused holder never writes
//! after its lease could have been broken.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Read, Seek as _, Write as _};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use super::{CURRENT, DATA, META, NewVersion, RawInfo, StoreError, VersionStore, parse_version};
use crate::model::VersionInfo;
use crate::s3::{Body, Client, S3Error};

/// A lock claim older than this (server time) belongs to a writer that died.
pub const LEASE_SECS: i64 = 30;
/// How long a writer waits for a layer's lock before it gives up (503).
const LOCK_WAIT: Duration = Duration::from_secs(20);
/// A data object without metadata older than this is a leftover of an interrupted put.
const ORPHAN_SECS: i64 = 15 * 60;
const TAKEN: &str = ".taken";

/// The store in a bucket.
#[derive(Debug)]
pub struct S3Store {
    client: Client,
    read_only: bool,
    /// Version infos already read (they never change once written).
    infos: Mutex<HashMap<(String, u64), VersionInfo>>,
}

/// A held layer lock; released (its claim deleted) on drop.
struct Held<'a> {
    store: &'a S3Store,
    claim: String,
    since: Instant,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.store.client.delete(&self.claim) {
            tracing::warn!(error = %e, "cannot release a layer lock; it expires by itself");
        }
    }
}

impl Held<'_> {
    /// Fails when the lock has been held so long that another writer may soon break it.
    fn still_valid(&self, layer: &str) -> Result<(), StoreError> {
        if self.since.elapsed() > Duration::from_secs(u64::try_from(LEASE_SECS / 2).unwrap_or(15)) {
            return Err(StoreError::Unavailable {
                what: self.store.client.url_of(&format!("layers/{layer}")),
                message: "the bucket answered too slowly to finish the change safely; nothing \
                          was switched"
                    .into(),
            });
        }
        Ok(())
    }
}

impl From<S3Error> for StoreError {
    fn from(e: S3Error) -> Self {
        let key = match &e {
            S3Error::Status { key, .. }
            | S3Error::Io { key, .. }
            | S3Error::Unreachable { key, .. } => key.clone(),
            S3Error::Url { url, .. } => url.clone(),
        };
        if e.is_full() {
            return Self::DiskFull {
                path: PathBuf::from(key),
            };
        }
        Self::Unavailable {
            what: key,
            message: e.to_string(),
        }
    }
}

fn nonce() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl S3Store {
    /// Opens `s3://bucket/prefix[?endpoint=URL]` and checks, by listing the prefix, that
    /// the bucket exists and the credentials are accepted.
    pub fn open(url: &str, read_only: bool) -> Result<Self, StoreError> {
        Self::open_paged(url, read_only, 1000)
    }

    /// [`S3Store::open`] listing `page_size` keys per request (tests use small pages).
    pub fn open_paged(url: &str, read_only: bool, page_size: u32) -> Result<Self, StoreError> {
        let client = Client::from_url(url).map_err(|e| StoreError::Url {
            url: url.to_owned(),
            message: match e {
                S3Error::Url { message, .. } => message,
                other => other.to_string(),
            },
        })?;
        let store = Self {
            client: client.with_page_size(page_size),
            read_only,
            infos: Mutex::new(HashMap::new()),
        };
        store.client.list("layers/CURRENT").map_err(|e| {
            let message = match e.status() {
                Some(404) => "the bucket does not exist (create it first)".to_owned(),
                Some(403) => format!(
                    "access denied: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ({e})"
                ),
                _ => format!("the bucket cannot be reached: {e}"),
            };
            StoreError::Url {
                url: url.to_owned(),
                message,
            }
        })?;
        Ok(store)
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            Err(StoreError::ReadOnly)
        } else {
            Ok(())
        }
    }

    fn rel(layer: &str, name: &str) -> String {
        format!("layers/{layer}/{name}")
    }

    fn data_rel(layer: &str, version: u64) -> String {
        Self::rel(layer, &format!("v{version:06}{DATA}"))
    }

    fn meta_rel(layer: &str, version: u64) -> String {
        Self::rel(layer, &format!("v{version:06}{META}"))
    }

    /// Takes the layer's lock (see the module's documentation).
    fn lock(&self, layer: &str) -> Result<Held<'_>, StoreError> {
        let started = Instant::now();
        let dir = Self::rel(layer, "lock/");
        for attempt in 0u32.. {
            let claim = format!("{dir}{}", nonce());
            self.client
                .put(&claim, Body::Empty, &[("if-none-match", "*".to_owned())])?;
            let held = Held {
                store: self,
                claim,
                since: Instant::now(),
            };
            let claims = self.client.list(&dir)?;
            let mine = claims
                .iter()
                .find(|c| c.rel == held.claim)
                .map(|c| c.modified);
            let mut rivals = mine.is_none(); // our claim unlisted: not strongly consistent
            for c in claims.iter().filter(|c| c.rel != held.claim) {
                if mine.is_some_and(|m| m - c.modified > LEASE_SECS) {
                    tracing::warn!(claim = %c.rel, "removing the lock claim of a writer that died");
                    self.client.delete(&c.rel)?;
                } else {
                    rivals = true;
                }
            }
            if !rivals {
                return Ok(held);
            }
            drop(held);
            if started.elapsed() > LOCK_WAIT {
                return Err(StoreError::Unavailable {
                    what: self.client.url_of(&dir),
                    message: format!(
                        "another writer has held layer `{layer}` for over {} s",
                        LOCK_WAIT.as_secs()
                    ),
                });
            }
            let cap = 20u64 << attempt.min(5);
            std::thread::sleep(Duration::from_millis(5 + rand::random::<u64>() % cap));
        }
        unreachable!("the loop returns")
    }

    /// Version numbers seen in any object of the layer (data, metadata, reservation), and
    /// the complete ones.
    fn numbers(&self, layer: &str) -> Result<(u64, Vec<u64>), StoreError> {
        let objects = self.client.list(&Self::rel(layer, "v"))?;
        let mut kinds: BTreeMap<u64, (bool, bool)> = BTreeMap::new();
        let mut highest = 0;
        for o in &objects {
            let name = o.rel.rsplit('/').next().unwrap_or_default();
            for (suffix, is_meta) in [(DATA, false), (META, true), (TAKEN, false)] {
                if let Some(v) = parse_version(name, suffix) {
                    highest = highest.max(v);
                    if suffix != TAKEN {
                        let k = kinds.entry(v).or_default();
                        if is_meta {
                            k.1 = true;
                        } else {
                            k.0 = true;
                        }
                    }
                }
            }
        }
        let complete = kinds
            .into_iter()
            .filter(|(_, (d, m))| *d && *m)
            .map(|(v, _)| v)
            .collect();
        Ok((highest, complete))
    }

    fn read_info(&self, layer: &str, version: u64) -> Result<VersionInfo, StoreError> {
        let key = (layer.to_owned(), version);
        if let Some(i) = self.cache().get(&key) {
            return Ok(i.clone());
        }
        let rel = Self::meta_rel(layer, version);
        let bytes = self
            .client
            .get_bytes(&rel)?
            .ok_or_else(|| StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            })?;
        let raw: RawInfo = serde_json::from_slice(&bytes).map_err(|e| StoreError::Metadata {
            path: PathBuf::from(self.client.url_of(&rel)),
            message: e.to_string(),
        })?;
        let info = raw.into_info(version);
        self.cache().insert(key, info.clone());
        Ok(info)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u64), VersionInfo>> {
        self.infos
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `CURRENT` with its ETag.
    fn current_tagged(&self, layer: &str) -> Result<(Option<u64>, Option<String>), StoreError> {
        let rel = Self::rel(layer, CURRENT);
        let Some(answer) = self.client.get(&rel)? else {
            return Ok((None, None));
        };
        let etag = answer.etag.clone();
        let mut text = String::new();
        answer
            .into_reader()
            .take(64)
            .read_to_string(&mut text)
            .map_err(|e| StoreError::Unavailable {
                what: self.client.url_of(&rel),
                message: e.to_string(),
            })?;
        let v = text.trim().parse().map_err(|_| StoreError::Metadata {
            path: PathBuf::from(self.client.url_of(&rel)),
            message: format!("`{}` is not a version number", text.trim()),
        })?;
        Ok((Some(v), etag))
    }

    /// Removes what interrupted writes left behind: data objects without metadata older
    /// than [`ORPHAN_SECS`] (a live writer sends the metadata right after the data) and
    /// lock claims older than twice the lease. Safe while other primaries run. Returns the
    /// objects removed.
    pub fn recover(&self) -> Result<Vec<String>, StoreError> {
        self.recover_older_than(ORPHAN_SECS)
    }

    /// [`S3Store::recover`] with another age for orphans (tests).
    pub fn recover_older_than(&self, orphan_secs: i64) -> Result<Vec<String>, StoreError> {
        self.writable()?;
        let objects = self.client.list("layers/")?;
        let now = crate::time::unix_now();
        let names: std::collections::HashSet<&str> =
            objects.iter().map(|o| o.rel.as_str()).collect();
        let mut removed = Vec::new();
        for o in &objects {
            let stale_claim = o.rel.contains("/lock/") && now - o.modified > 2 * LEASE_SECS;
            let orphan = o
                .rel
                .strip_suffix(DATA)
                .is_some_and(|stem| !names.contains(format!("{stem}{META}").as_str()))
                && now - o.modified >= orphan_secs;
            if stale_claim || orphan {
                tracing::warn!(object = %self.client.url_of(&o.rel), "removing leftover of an interrupted write");
                self.client.delete(&o.rel)?;
                removed.push(self.client.url_of(&o.rel));
            }
        }
        Ok(removed)
    }

    /// Copies `bytes` to a temporary file, for an upload with a known length and SHA-256.
    fn spool(bytes: &mut dyn Read) -> Result<(std::fs::File, String, PathBuf), StoreError> {
        let path = std::env::temp_dir().join(format!("kashimap-s3-{}.part", nonce()));
        let io = |e: std::io::Error| StoreError::io(&path, e);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io)?;
        let result = (|| {
            let mut hash = Sha256::new();
            let mut out = BufWriter::with_capacity(256 * 1024, &file);
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = bytes.read(&mut buf).map_err(io)?;
                if n == 0 {
                    break;
                }
                hash.update(&buf[..n]);
                out.write_all(&buf[..n]).map_err(io)?;
            }
            out.flush().map_err(io)?;
            drop(out);
            let mut f = file.try_clone().map_err(io)?;
            f.rewind().map_err(io)?;
            Ok((f, hex::encode(hash.finalize())))
        })();
        match result {
            Ok((f, sha)) => Ok((f, sha, path)),
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(e)
            }
        }
    }

    /// Creates an object that must not exist yet.
    fn create(&self, rel: &str, body: Body<'_>) -> Result<(), StoreError> {
        match self
            .client
            .put(rel, body, &[("if-none-match", "*".to_owned())])?
        {
            Some(_) => Ok(()),
            None => Err(StoreError::Unavailable {
                what: self.client.url_of(rel),
                message: "the object exists already: another writer took this version number \
                          (is a lock claim older than the lease?)"
                    .into(),
            }),
        }
    }
}

const DEFINITIONS: &str = "catalog/";

fn definition_rel(layer: &str) -> String {
    format!("{DEFINITIONS}{layer}.toml")
}

impl VersionStore for S3Store {
    fn keeps_definitions(&self) -> bool {
        true
    }

    fn definition_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .client
            .list(DEFINITIONS)?
            .iter()
            .filter_map(|o| o.rel.strip_prefix(DEFINITIONS)?.strip_suffix(".toml"))
            .filter(|id| !id.contains('/'))
            .map(str::to_owned)
            .collect())
    }

    fn definition(&self, layer: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.client.get_bytes(&definition_rel(layer))?)
    }

    fn put_definition(&self, layer: &str, text: Option<&[u8]>) -> Result<(), StoreError> {
        self.writable()?;
        let rel = definition_rel(layer);
        match text {
            Some(t) => self.client.put(&rel, Body::Bytes(t), &[]).map(drop)?,
            None => self.client.delete(&rel)?,
        }
        Ok(())
    }

    fn list(&self, layer: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let (_, complete) = self.numbers(layer)?;
        let mut out = Vec::with_capacity(complete.len());
        for v in complete {
            match self.read_info(layer, v) {
                Ok(i) => out.push(i),
                // Removed between the listing and the read.
                Err(StoreError::NoSuchVersion { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    fn current(&self, layer: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.current_tagged(layer)?.0)
    }

    fn get(&self, layer: &str, version: u64) -> Result<Box<dyn Read + Send>, StoreError> {
        self.read_info(layer, version)?;
        match self.client.get(&Self::data_rel(layer, version))? {
            Some(answer) => Ok(answer.into_reader()),
            None => Err(StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            }),
        }
    }

    fn put(
        &self,
        layer: &str,
        meta: &NewVersion,
        bytes: &mut dyn Read,
    ) -> Result<VersionInfo, StoreError> {
        self.writable()?;
        // The bytes first, off the lock: a slow reader must not hold the layer.
        let (file, sha, spooled) = Self::spool(bytes)?;
        let result = (|| {
            let version = {
                let held = self.lock(layer)?;
                let (highest, _) = self.numbers(layer)?;
                let version = highest + 1;
                held.still_valid(layer)?;
                self.create(
                    &Self::rel(layer, &format!("v{version:06}{TAKEN}")),
                    Body::Empty,
                )?;
                version
            };
            self.create(&Self::data_rel(layer, version), Body::File(file, sha))?;
            let raw = RawInfo::new(meta);
            let json = serde_json::to_vec_pretty(&raw).map_err(|e| StoreError::Metadata {
                path: PathBuf::from(self.client.url_of(&Self::meta_rel(layer, version))),
                message: e.to_string(),
            })?;
            if let Err(e) = self.create(&Self::meta_rel(layer, version), Body::Bytes(&json)) {
                let _ = self.client.delete(&Self::data_rel(layer, version));
                return Err(e);
            }
            let info = raw.into_info(version);
            self.cache()
                .insert((layer.to_owned(), version), info.clone());
            Ok(info)
        })();
        let _ = std::fs::remove_file(&spooled);
        result
    }

    fn activate(&self, layer: &str, version: u64, expected: Option<u64>) -> Result<(), StoreError> {
        self.writable()?;
        let held = self.lock(layer)?;
        let (_, complete) = self.numbers(layer)?;
        if !complete.contains(&version) {
            return Err(StoreError::NoSuchVersion {
                layer: layer.to_owned(),
                version,
            });
        }
        let (actual, etag) = self.current_tagged(layer)?;
        if actual != expected {
            return Err(StoreError::Conflict {
                layer: layer.to_owned(),
                expected,
                actual,
            });
        }
        held.still_valid(layer)?;
        let condition = match etag {
            Some(tag) => ("if-match", tag),
            None => ("if-none-match", "*".to_owned()),
        };
        let body = format!("{version}\n");
        let rel = Self::rel(layer, CURRENT);
        if self
            .client
            .put(&rel, Body::Bytes(body.as_bytes()), &[condition])?
            .is_none()
        {
            return Err(StoreError::Conflict {
                layer: layer.to_owned(),
                expected,
                actual: self.current(layer)?,
            });
        }
        drop(held);
        Ok(())
    }

    fn remove(&self, layer: &str, version: u64) -> Result<(), StoreError> {
        self.writable()?;
        let held = self.lock(layer)?;
        if self.current(layer)? == Some(version) {
            return Err(StoreError::RemoveCurrent {
                layer: layer.to_owned(),
                version,
            });
        }
        held.still_valid(layer)?;
        // Metadata first, as in the folder store: a data object left alone is ignored and
        // removed by `recover`. The `.taken` marker stays: the number is never given again.
        self.client.delete(&Self::meta_rel(layer, version))?;
        self.cache().remove(&(layer.to_owned(), version));
        self.client.delete(&Self::data_rel(layer, version))?;
        drop(held);
        Ok(())
    }
}
