//! Seeded mutation fuzzing of every reader of untrusted uploads: CSV, GeoJSON, Shapefile
//! (zipped), GeoPackage and zip. Each target mutates the committed seed corpus
//! (`server/tests/fuzz/corpus`, made with GDAL from the shelters fixture) with byte-level
//! and token-level mutations, opens the result as an upload and streams every feature
//! under a small work budget. An input that panics is saved under
//! `$CARGO_TARGET_DIR/fuzz-failures/` and fails the test with its path.
//!
//! Each target runs for `KASHIMAP_FUZZ_SECS` seconds (default 2; `scripts/test` gives it
//! 60), from the seed `KASHIMAP_FUZZ_SEED` (default fixed, so a plain `cargo test` is
//! reproducible). There is no coverage feedback, the kind of fuzzer a stable toolchain can
//! run in CI; instead the outcome is the feedback: an input whose outcome (the features it
//! gave, or its error with numbers and paths left out) was not seen before joins the pool
//! that is mutated, and with `KASHIMAP_FUZZ_SAVE=1` it is written to
//! `server/tests/fuzz/corpus/found/` (small inputs, a few per target) to be committed.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ZipLimits;
use super::budget::{Budget, BudgetLimits};
use super::zipped::open_any;

/// xorshift64*: tiny and deterministic.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// How long each target runs, and its seed.
pub fn settings(salt: u64) -> (Duration, u64) {
    let secs = std::env::var("KASHIMAP_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let seed = std::env::var("KASHIMAP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_F022);
    (
        Duration::from_secs(secs),
        seed ^ salt.wrapping_mul(0x9E37_79B9),
    )
}

const TOKENS: &[&[u8]] = &[
    b"\"",
    b",",
    b"\n",
    b"\r\n",
    b"[",
    b"]",
    b"{",
    b"}",
    b":",
    b"null",
    b"1e309",
    b"-0",
    b"NaN",
    b"\"coordinates\"",
    b"\"type\"",
    b"\"Polygon\"",
    b"\"MultiPolygon\"",
    b"\"GeometryCollection\"",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x82\xa0",
    b"99999999999999999999",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"..",
    b"/",
    b"\\",
    b"\0",
];

const INTERESTING: &[u32] = &[
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..=rng.below(6) {
        let len = input.len();
        let at = rng.below(len + 1);
        match rng.below(8) {
            0 if len > 0 => input[at.min(len - 1)] ^= 1 << rng.below(8),
            1 if len > 0 => input[at.min(len - 1)] = INTERESTING[rng.below(5)] as u8,
            2 if len >= 4 => {
                let at = at.min(len - 4);
                let v = INTERESTING[rng.below(INTERESTING.len())];
                let bytes = if rng.below(2) == 0 {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                input[at..at + 4].copy_from_slice(&bytes);
            }
            3 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                input.splice(at..at, t.iter().copied());
            }
            4 if len > 0 => {
                let end = (at + rng.below(64)).min(len);
                input.drain(at.min(end)..end);
            }
            5 if len > 0 => {
                let start = rng.below(len);
                let end = (start + rng.below(256)).min(len);
                let chunk = input[start..end].to_vec();
                for _ in 0..=rng.below(3) {
                    input.splice(at..at, chunk.iter().copied());
                }
            }
            6 => input.truncate(at),
            _ => {
                let n = rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                input.splice(at..at, bytes);
            }
        }
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus")
}

fn failures_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("fuzz-failures")
}

/// Opens one input as an upload named `name` and streams its features under a small
/// budget; returns what came of it (see [`outcome`]).
fn read_upload(path: &Path, name: &str, work: &Path) -> String {
    let limits = BudgetLimits {
        max_time: Duration::from_secs(5),
        max_features: 20_000,
        max_columns: 500,
        max_vertices: 200_000,
        max_value_bytes: 1 << 20,
        max_written: 64 << 20,
        max_inflating: 1 << 30,
    };
    let budget = Budget::new(limits, Arc::default());
    let zip = ZipLimits {
        max_total: 64 << 20,
        max_ratio: 200,
    };
    let opts = super::Options::default();
    let mut features = 0_u32;
    let result = open_any(path, name, work, &opts, None, (zip, &budget), None).and_then(|o| {
        o.features.run(&mut |f| {
            features += 1;
            budget.feature(&f)
        })
    });
    outcome(&result, features)
}

/// An outcome as the feedback sees it: how many features (0, 1, a few, many) and the error
/// without its numbers, paths and quoted text, so that one kind of failure is one outcome.
fn outcome(result: &Result<(), super::IngestError>, features: u32) -> String {
    let count = match features {
        0 | 1 => features,
        2..=9 => 2,
        _ => 10,
    };
    let error = result
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    let words: Vec<&str> = error
        .split_whitespace()
        .filter(|w| !w.contains(['/', '`', '\'', '"']) && !w.contains(|c: char| c.is_ascii_digit()))
        .take(12)
        .collect();
    format!("{count} {}", words.join(" "))
}

/// At most this many inputs are mutated (the seeds and those of new outcomes).
const POOL: usize = 500;

/// At most this many found inputs of at most this size are saved per target.
const SAVED: usize = 12;
const SAVED_SIZE: usize = 16 * 1024;

/// Inputs of new outcomes: kept for mutation, and saved when asked.
struct Found {
    seen: HashSet<String>,
    saved: usize,
    save: Option<PathBuf>,
}

impl Found {
    fn new() -> Self {
        let save = std::env::var_os("KASHIMAP_FUZZ_SAVE").map(|_| corpus_dir().join("found"));
        Self {
            seen: HashSet::new(),
            saved: 0,
            save,
        }
    }

    /// True when `outcome` is new; saves `input` then, within the limits.
    fn add(&mut self, outcome: String, input: &[u8], target: &str, ext: &str) -> bool {
        if !self.seen.insert(outcome) {
            return false;
        }
        if let Some(dir) = &self.save
            && self.saved < SAVED
            && input.len() <= SAVED_SIZE
        {
            let mut h = DefaultHasher::new();
            input.hash(&mut h);
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(
                dir.join(format!("{target}-{:016x}{ext}", h.finish())),
                input,
            );
            self.saved += 1;
        }
        true
    }
}

/// Fuzzes the seeds whose names end in `ext` for the configured time; returns how many
/// inputs were tried.
pub fn fuzz(target: &str, ext: &str, salt: u64) -> u64 {
    let (time, seed) = settings(salt);
    let mut seeds = read_seeds(&corpus_dir(), ext);
    seeds.extend(read_seeds(&corpus_dir().join("found"), ext));
    assert!(!seeds.is_empty(), "no seeds for {target}");
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary folder: {e}"));
    let name = format!("input{ext}");
    let path = dir.path().join(&name);
    let work = dir.path().join("work");
    let attempt = |input: &[u8]| {
        std::fs::write(&path, input).unwrap_or_else(|e| panic!("cannot write input: {e}"));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("cannot make work dir: {e}"));
        std::panic::catch_unwind(|| read_upload(&path, &name, &work))
    };
    let mut found = Found::new();
    for s in &seeds {
        let outcome = attempt(s).unwrap_or_else(|_| panic!("{target}: a seed panicked"));
        found.seen.insert(outcome);
    }
    let deadline = Instant::now() + time;
    let mut tried = 0_u64;
    while tried == 0 || Instant::now() < deadline {
        let mut input = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut input);
        let Ok(outcome) = attempt(&input) else {
            let out = failures_dir().join(format!("{target}-{seed:x}-{tried}{ext}"));
            let _ = std::fs::create_dir_all(failures_dir());
            let _ = std::fs::write(&out, &input);
            panic!(
                "{target}: input {tried} panicked; saved as {}",
                out.display()
            );
        };
        if found.add(outcome, &input, target, ext) && seeds.len() < POOL {
            seeds.push(input);
        }
        tried += 1;
    }
    eprintln!(
        "fuzz {target}: {tried} inputs in {time:?} (seed {seed:#x}), {} outcomes",
        found.seen.len()
    );
    tried
}

/// The files of `dir` whose names end in `ext` (none when there is no such folder).
fn read_seeds(dir: &Path, ext: &str) -> Vec<Vec<u8>> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(ext))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect()
}

#[test]
fn fuzz_csv() {
    assert!(fuzz("csv", ".csv", 1) > 0);
}

#[test]
fn fuzz_geojson() {
    assert!(fuzz("geojson", ".geojson", 2) > 0);
}

#[test]
fn fuzz_shapefile_zip() {
    assert!(fuzz("shapefile", "_shp.zip", 3) > 0);
}

#[test]
fn fuzz_geopackage() {
    assert!(fuzz("geopackage", ".gpkg", 4) > 0);
}

#[test]
fn fuzz_zip() {
    assert!(fuzz("zip", ".zip", 5) > 0);
}
