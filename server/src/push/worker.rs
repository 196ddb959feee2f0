//! The pusher: one background thread per primary that writes a new push whenever it is
//! asked to (after a publish, a rollback, or at start-up), coalescing requests that arrive
//! while a push runs, and retrying a failed push with back-off. A publish never waits for it
//! and never fails because of it; failures show in `/metrics` and the log.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use ed25519_dalek::SigningKey;

use super::{FORMAT, MANIFEST, Manifest, PushError, Target, key_id, snapshot};
use crate::layer::Layers;

/// The file in the data folder that holds the last sequence number used.
const SEQUENCE_FILE: &str = "push-sequence";
/// Longest wait between two tries of a failing push.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct PushStats {
    pub pushes: AtomicU64,
    pub failures: AtomicU64,
    pub sequence: AtomicU64,
    pub last_success_unix: AtomicI64,
    pub bytes_written: AtomicU64,
    /// 1 while a change waits to be pushed (or a failed push waits to be retried).
    pub pending: AtomicU64,
}

/// Writes pushes to one target.
#[derive(Debug)]
pub struct Pusher {
    target: Box<dyn Target>,
    key: SigningKey,
    sequence_file: PathBuf,
    /// Serialises pushes (the thread and `kashimap push-public` share the sequence file).
    running: Mutex<()>,
    wanted: Mutex<bool>,
    wake: Condvar,
    pub stats: PushStats,
}

impl Pusher {
    pub fn new(target: Box<dyn Target>, key: SigningKey, data_dir: &Path) -> Self {
        Self {
            target,
            key,
            sequence_file: data_dir.join(SEQUENCE_FILE),
            running: Mutex::new(()),
            wanted: Mutex::new(false),
            wake: Condvar::new(),
            stats: PushStats::default(),
        }
    }

    pub fn target(&self) -> String {
        self.target.describe()
    }

    /// Asks for a push of the current state; returns at once.
    pub fn request(&self) {
        *self.wanted.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.stats.pending.store(1, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Starts the background thread that pushes whenever [`Pusher::request`] was called.
    pub fn spawn(self: &Arc<Self>, layers: Arc<Layers>, styles_dir: PathBuf) {
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("public-push".into())
            .spawn(move || me.run(&layers, &styles_dir));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the public push thread");
        }
    }

    fn run(&self, layers: &Layers, styles_dir: &Path) {
        loop {
            let mut wanted = self.wanted.lock().unwrap_or_else(PoisonError::into_inner);
            while !*wanted {
                wanted = self
                    .wake
                    .wait(wanted)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            *wanted = false;
            drop(wanted);
            let mut backoff = Duration::from_secs(1);
            while let Err(e) = self.push(layers, styles_dir) {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    target_url = %self.target.describe(),
                    error = %e,
                    retry_in_s = backoff.as_secs(),
                    "public push failed; the local publish stands, retrying"
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                // A change that arrived meanwhile is part of the retry.
                *self.wanted.lock().unwrap_or_else(PoisonError::into_inner) = false;
            }
            if !*self.wanted.lock().unwrap_or_else(PoisonError::into_inner) {
                self.stats.pending.store(0, Ordering::Relaxed);
            }
        }
    }

    /// Pushes the current public view of `layers` once: the files that the target lacks,
    /// then the signed manifest. Returns the manifest.
    pub fn push(&self, layers: &Layers, styles_dir: &Path) -> Result<Manifest, PushError> {
        let _one_at_a_time = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let t = std::time::Instant::now();
        let snap = snapshot(layers, styles_dir)?;
        let mut written = 0u64;
        for (file, bytes) in &snap.files {
            if !self.target.has(&file.path, file.size)? {
                self.target.put(&file.path, bytes)?;
                written += file.size;
            }
        }
        let sequence = self.next_sequence()?;
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            sequence,
            created: crate::time::now_rfc3339(),
            key_id: key_id(&self.key.verifying_key()),
            layers: snap.layers,
            styles: snap.styles,
        };
        let signed = manifest.sign(&self.key);
        self.target.put(MANIFEST, &signed)?;
        written += signed.len() as u64;
        self.stats.pushes.fetch_add(1, Ordering::Relaxed);
        self.stats.sequence.store(sequence, Ordering::Relaxed);
        self.stats
            .last_success_unix
            .store(crate::time::unix_now(), Ordering::Relaxed);
        self.stats
            .bytes_written
            .fetch_add(written, Ordering::Relaxed);
        tracing::info!(
            target_url = %self.target.describe(),
            sequence,
            layers = manifest.layers.len(),
            bytes_written = written,
            ms = t.elapsed().as_millis() as u64,
            "public push written"
        );
        Ok(manifest)
    }

    /// The next sequence number, recorded in the data folder before the manifest is written,
    /// so a number is never used twice, even across a crash.
    fn next_sequence(&self) -> Result<u64, PushError> {
        let path = &self.sequence_file;
        let last = match std::fs::read_to_string(path) {
            Ok(t) => t.trim().parse::<u64>().map_err(|_| {
                PushError::io(
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "not a number; it holds the last push's sequence number",
                    ),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(PushError::io(path, e)),
        };
        let next = last + 1;
        let dir = path.parent().unwrap_or(Path::new("."));
        super::FileTarget::new(dir.to_path_buf())
            .put(SEQUENCE_FILE, format!("{next}\n").as_bytes())?;
        Ok(next)
    }

    /// Prometheus lines.
    pub fn render_metrics(&self, out: &mut String) {
        let s = &self.stats;
        let last = s.last_success_unix.load(Ordering::Relaxed);
        let age = if last > 0 {
            (crate::time::unix_now() - last).to_string()
        } else {
            "NaN".into()
        };
        let _ = write!(
            out,
            "# HELP kashimap_push_sequence Sequence number of the last public push written.\n# TYPE kashimap_push_sequence gauge\nkashimap_push_sequence {}\n\
             # HELP kashimap_push_total Public pushes written.\n# TYPE kashimap_push_total counter\nkashimap_push_total {}\n\
             # HELP kashimap_push_failures_total Public push attempts that failed (each is retried).\n# TYPE kashimap_push_failures_total counter\nkashimap_push_failures_total {}\n\
             # HELP kashimap_push_pending 1 while a change waits to be pushed.\n# TYPE kashimap_push_pending gauge\nkashimap_push_pending {}\n\
             # HELP kashimap_push_last_success_age_seconds Seconds since the last public push was written.\n# TYPE kashimap_push_last_success_age_seconds gauge\nkashimap_push_last_success_age_seconds {age}\n\
             # HELP kashimap_push_bytes_written_total Bytes written to the push target.\n# TYPE kashimap_push_bytes_written_total counter\nkashimap_push_bytes_written_total {}\n",
            s.sequence.load(Ordering::Relaxed),
            s.pushes.load(Ordering::Relaxed),
            s.failures.load(Ordering::Relaxed),
            s.pending.load(Ordering::Relaxed),
            s.bytes_written.load(Ordering::Relaxed),
        );
    }
}
