//! The public replica: serves a push target (see `push`) instead of a store. It has no
//! accounts and no database; every caller is anonymous, and the layers it holds are exactly
//! the public views the primary pushed.
//!
//! At start it waits for the first good manifest and builds every layer with all its derived
//! indexes; then a thread polls the target and, for a new manifest, builds the changed
//! layers completely before swapping them in (so no request ever builds an index). A
//! manifest whose signature, checksums or sequence are wrong is refused and logged, and the
//! replica keeps serving what it had.

mod apply;
mod def;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use ed25519_dalek::VerifyingKey;

use crate::catalog::Catalog;
use crate::layer::{LayerVersion, Layers};
use crate::push::{PushError, Refusal, Target};

pub use def::layer_def;

/// The file in the data folder that remembers the last sequence served, so that a replica
/// restarted after a crash still refuses an older (replayed) manifest.
const STATE_FILE: &str = "replica-sequence";

/// Why a replica could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicaError {
    #[error(transparent)]
    Push(#[from] PushError),
    #[error("manifest refused: {0}")]
    Refused(#[from] Refusal),
}

/// How to run a replica.
#[derive(Debug, Clone)]
pub struct Options {
    /// The push target (`file:///…` or `s3://…`).
    pub target: String,
    /// The primary's public key file (`PREFIX.pub`).
    pub key: PathBuf,
    /// Seconds between two polls of the target.
    pub poll: Duration,
}

/// Counters for `/metrics` and `/readyz`.
#[derive(Debug, Default)]
pub struct ReplicaStats {
    pub sequence: AtomicU64,
    /// Unix time the served manifest was written by the primary.
    pub manifest_created_unix: AtomicI64,
    /// Unix time the replica last read the target and found it serves the newest manifest.
    pub last_sync_unix: AtomicI64,
    pub refused: AtomicU64,
    pub poll_failures: AtomicU64,
    pub swaps: AtomicU64,
}

/// What the replica serves and how it follows its target.
pub struct Replica {
    target: Box<dyn Target>,
    key: VerifyingKey,
    poll: Duration,
    state_file: PathBuf,
    layers: OnceLock<Arc<Layers>>,
    styles: ArcSwap<BTreeMap<String, Arc<str>>>,
    state: Mutex<apply::State>,
    last_refusal: Mutex<Option<String>>,
    pub stats: ReplicaStats,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("target", &self.target)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

/// The first good manifest's layers, built: the catalog and versions to start with.
pub struct Initial {
    pub catalog: Catalog,
    pub versions: Vec<Arc<LayerVersion>>,
}

impl Replica {
    pub fn open(options: &Options, data_dir: &Path) -> Result<Self, ReplicaError> {
        let target = crate::push::open_target(&options.target)?;
        let key = crate::push::read_verifying_key(&options.key).map_err(PushError::from)?;
        let state_file = data_dir.join(STATE_FILE);
        let state = apply::State {
            sequence: read_state(&state_file),
            ..apply::State::default()
        };
        Ok(Self {
            target,
            key,
            poll: options.poll,
            state_file,
            layers: OnceLock::new(),
            styles: ArcSwap::from_pointee(BTreeMap::new()),
            state: Mutex::new(state),
            last_refusal: Mutex::new(None),
            stats: ReplicaStats::default(),
        })
    }

    /// Waits for the first good manifest (polling, logging why each try failed) and builds
    /// every layer it names.
    pub fn initial(&self) -> Initial {
        loop {
            match self.try_initial() {
                Ok(i) => return i,
                Err(e) => {
                    self.note_failure(&e);
                    tracing::warn!(
                        target_url = %self.target.describe(),
                        error = %e,
                        retry_in_s = self.poll.as_secs(),
                        "replica: no servable manifest yet"
                    );
                    std::thread::sleep(self.poll);
                }
            }
        }
    }

    fn try_initial(&self) -> Result<Initial, ReplicaError> {
        let bytes = self.fetch_manifest()?;
        let built = self.prepare(&bytes, crate::layer::Cores::All)?;
        Ok(self.commit_initial(built))
    }

    /// Gives the replica the layer slots it keeps current, and starts polling.
    pub fn attach(self: &Arc<Self>, layers: Arc<Layers>) {
        let _ = self.layers.set(layers);
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("replica-poll".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(me.poll);
                    me.poll_once();
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the replica's poll thread");
        }
    }

    /// A public style by name (`None`: not in the served manifest).
    pub fn style(&self, name: &str) -> Option<Arc<str>> {
        self.styles.load().get(name).cloned()
    }

    fn fetch_manifest(&self) -> Result<Vec<u8>, ReplicaError> {
        self.target.get(crate::push::MANIFEST)?.ok_or_else(|| {
            ReplicaError::Push(PushError::Url {
                url: self.target.describe(),
                message: format!("no {} there yet", crate::push::MANIFEST),
            })
        })
    }

    fn note_failure(&self, e: &ReplicaError) {
        match e {
            ReplicaError::Refused(r) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                *self
                    .last_refusal
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(r.to_string());
            }
            ReplicaError::Push(_) => {
                self.stats.poll_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// One poll: read the manifest; if it is new, verify, build and swap, or refuse it.
    pub fn poll_once(&self) {
        let bytes = match self.fetch_manifest() {
            Ok(b) => b,
            Err(e) => {
                self.note_failure(&e);
                tracing::warn!(target_url = %self.target.describe(), error = %e, "replica: cannot read the push target; serving the last good data");
                return;
            }
        };
        match self.classify(&bytes) {
            apply::Seen::Served => return self.synced(),
            apply::Seen::Refused => return,
            apply::Seen::New => {}
        }
        match self
            .prepare(&bytes, crate::layer::Cores::SpareOne)
            .map(|built| self.swap(&built))
        {
            Ok(sequence) => {
                self.synced();
                tracing::info!(sequence, "replica: new manifest served");
            }
            Err(e) => {
                self.note_failure(&e);
                // Refused once; the same bytes are not looked at again. The target was
                // read, so the replica still knows what is newest there.
                if matches!(e, ReplicaError::Refused(_)) {
                    self.mark_seen(&bytes);
                }
                tracing::warn!(target_url = %self.target.describe(), error = %e, "replica: manifest refused; serving the last good data");
            }
        }
    }

    fn synced(&self) {
        self.stats
            .last_sync_unix
            .store(crate::time::unix_now(), Ordering::Relaxed);
    }

    /// Remembers the last sequence served in the data folder (best effort).
    fn save_state(&self, sequence: u64) {
        if let Some(dir) = self.state_file.parent()
            && dir.is_dir()
            && let Err(e) = crate::push::FileTarget::new(dir.to_path_buf())
                .put(STATE_FILE, format!("{sequence}\n").as_bytes())
        {
            tracing::warn!(error = %e, "replica: cannot record the sequence served");
        }
    }

    /// `/readyz`'s `replica` object.
    pub fn status(&self) -> serde_json::Value {
        let s = &self.stats;
        let now = crate::time::unix_now();
        let age = |t: i64| (t > 0).then(|| now - t);
        serde_json::json!({
            "target": self.target.describe(),
            "sequence": s.sequence.load(Ordering::Relaxed),
            "data_age_seconds": age(s.manifest_created_unix.load(Ordering::Relaxed)),
            "last_sync_age_seconds": age(s.last_sync_unix.load(Ordering::Relaxed)),
            "refused": s.refused.load(Ordering::Relaxed),
            "last_refusal": *self.last_refusal.lock().unwrap_or_else(PoisonError::into_inner),
        })
    }

    /// Prometheus lines.
    pub fn render_metrics(&self, out: &mut String) {
        let s = &self.stats;
        let now = crate::time::unix_now();
        let age = |t: i64| {
            if t > 0 {
                (now - t).to_string()
            } else {
                "NaN".into()
            }
        };
        let _ = write!(
            out,
            "# HELP kashimap_replica_sequence Sequence number of the manifest served.\n# TYPE kashimap_replica_sequence gauge\nkashimap_replica_sequence {}\n\
             # HELP kashimap_replica_data_age_seconds Seconds since the primary wrote the manifest served.\n# TYPE kashimap_replica_data_age_seconds gauge\nkashimap_replica_data_age_seconds {}\n\
             # HELP kashimap_replica_last_sync_age_seconds Seconds since the replica last confirmed it serves the target's newest manifest.\n# TYPE kashimap_replica_last_sync_age_seconds gauge\nkashimap_replica_last_sync_age_seconds {}\n\
             # HELP kashimap_replica_refused_total Manifests refused (signature, checksum, sequence).\n# TYPE kashimap_replica_refused_total counter\nkashimap_replica_refused_total {}\n\
             # HELP kashimap_replica_poll_failures_total Polls that could not read the target.\n# TYPE kashimap_replica_poll_failures_total counter\nkashimap_replica_poll_failures_total {}\n\
             # HELP kashimap_replica_swaps_total New manifests swapped in.\n# TYPE kashimap_replica_swaps_total counter\nkashimap_replica_swaps_total {}\n",
            s.sequence.load(Ordering::Relaxed),
            age(s.manifest_created_unix.load(Ordering::Relaxed)),
            age(s.last_sync_unix.load(Ordering::Relaxed)),
            s.refused.load(Ordering::Relaxed),
            s.poll_failures.load(Ordering::Relaxed),
            s.swaps.load(Ordering::Relaxed),
        );
    }
}

fn read_state(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}
