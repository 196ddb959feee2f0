//! Seeded mutation fuzzing of the edit endpoints' JSON: mutated GeoJSON Features and JSON
//! merge patches go through exactly what the handlers run after the media-type and size
//! checks — `serde_json::from_slice`, then for a create `check::checked`, for a patch
//! `check::patched` and `check::checked` with the feature's state kept, for a replace
//! `check::checked` with it kept — on the real `leaks` layer (its TOML, its sample data's
//! schema, the city boundary). Nothing may panic, and whatever is accepted must convert to
//! a feature and check again to the very same state (what the log replays is what was
//! answered). A panicking input is saved under `$CARGO_TARGET_DIR/fuzz-failures/`.
//!
//! Runs for `KASHIMAP_FUZZ_SECS` seconds (default 2) from `KASHIMAP_FUZZ_SEED`, like the
//! upload readers' fuzzers (`ingest/fuzz.rs`); a blind, fast mutator without coverage.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use super::area::CityArea;
use super::check;
use super::log::State;
use crate::catalog::LayerDef;
use crate::model::Schema;

/// splitmix64: deterministic, no dependency.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces of JSON (and of what breaks it) spliced into the text.
const TOKENS: &[&str] = &[
    "\"",
    ",",
    ":",
    "[",
    "]",
    "{",
    "}",
    "null",
    "true",
    "-0",
    "1e309",
    "-1e-400",
    "18446744073709551616",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"Point\"",
    "\"Polygon\"",
    "\"MultiPolygon\"",
    "\"LineString\"",
    "\"GeometryCollection\"",
    "\"Feature\"",
    "\"coordinates\"",
    "\"properties\"",
    "\"geometry\"",
    "\"id\"",
    "\"漏水有無\"",
    "\"有\"",
    "\"修繕日\"",
    "\"2026-02-29\"",
    "\"写真\"",
    "\"調査者\"",
    "[130.1,33.07]",
    "[[[130.1,33.07],[130.11,33.07],[130.11,33.08],[130.1,33.07]]]",
    "\u{feff}",
    "\\",
];

/// Values swapped into the parsed tree.
fn random_value(r: &mut Mix, depth: u32) -> Json {
    match r.pick(if depth > 3 { 8 } else { 10 }) {
        0 => Json::Null,
        1 => json!(r.pick(2) == 0),
        2 => json!(r.next() as i64),
        3 => json!(f64::from_bits(r.next())),
        4 => json!(["有", "無", "2026-04-01", "W00001", "", "x"][r.pick(6)]),
        5 => json!("長".repeat(r.pick(12_000))),
        6 => json!(130.0 + r.pick(2000) as f64 / 10_000.0),
        7 => json!(33.0 + r.pick(2000) as f64 / 10_000.0),
        8 => Json::Array((0..r.pick(5)).map(|_| random_value(r, depth + 1)).collect()),
        _ => {
            let keys = [
                "type",
                "coordinates",
                "geometry",
                "properties",
                "id",
                "漏水有無",
                "写真",
            ];
            let m = (0..r.pick(4))
                .map(|_| {
                    (
                        keys[r.pick(keys.len())].to_owned(),
                        random_value(r, depth + 1),
                    )
                })
                .collect();
            Json::Object(m)
        }
    }
}

/// Replaces one node of the tree (picked by a random walk) with a random value.
fn swap_node(r: &mut Mix, v: &mut Json, depth: u32) {
    let child = match v {
        Json::Object(m) if !m.is_empty() && r.pick(3) > 0 => {
            let k = m.keys().nth(r.pick(m.len())).cloned();
            k.and_then(|k| m.get_mut(&k))
        }
        Json::Array(a) if !a.is_empty() && r.pick(3) > 0 => {
            let i = r.pick(a.len());
            a.get_mut(i)
        }
        _ => None,
    };
    match child {
        Some(c) => swap_node(r, c, depth + 1),
        None => *v = random_value(r, depth),
    }
}

/// One mutated input: structural (a node of the parsed seed swapped) or textual.
fn mutated(r: &mut Mix, seed: &Json) -> Vec<u8> {
    if r.pick(2) == 0 {
        let mut v = seed.clone();
        for _ in 0..=r.pick(3) {
            swap_node(r, &mut v, 0);
        }
        return v.to_string().into_bytes();
    }
    let mut b = seed.to_string().into_bytes();
    for _ in 0..=r.pick(5) {
        let at = r.pick(b.len() + 1);
        match r.pick(5) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] ^= 1 << r.pick(8);
            }
            1 => {
                let t = TOKENS[r.pick(TOKENS.len())].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            2 => {
                let end = (at + r.pick(24)).min(b.len());
                b.drain(at.min(end)..end);
            }
            3 => b.truncate(at),
            _ => {
                let end = (at + r.pick(64)).min(b.len());
                let chunk = b[at.min(end)..end].to_vec();
                b.splice(at..at, chunk);
            }
        }
    }
    b
}

/// The layer the handlers check against: `leaks` as the repository declares it.
struct Target {
    def: LayerDef,
    schema: Schema,
    area: CityArea,
    before: State,
}

impl Target {
    fn leaks() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let def = LayerDef::from_file(&root.join("layers/leaks.toml"), &root)
            .unwrap_or_else(|e| panic!("layers/leaks.toml: {e:?}"));
        let data = std::fs::read(root.join("data/leaks.fgb"))
            .unwrap_or_else(|e| panic!("data/leaks.fgb: {e}"));
        let (schema, features) =
            crate::fgb::read(data.as_slice()).unwrap_or_else(|e| panic!("data/leaks.fgb: {e}"));
        let area = CityArea::load(&root, &[]);
        let first = features.first().unwrap_or_else(|| panic!("no sample leak"));
        let before = check::state_of(&schema, first);
        Self {
            def,
            schema,
            area,
            before,
        }
    }

    fn check(&self, input: &Json, keep: Option<&State>) -> Result<State, super::Refusal> {
        let filled = [
            ("調査者".to_owned(), json!("fuzz")),
            ("調査日".to_owned(), json!("2026-04-01")),
        ];
        check::checked(
            &self.def,
            &self.schema,
            &self.area,
            input,
            &|_| true,
            keep,
            &filled,
        )
    }

    /// What the handlers run on a body; panics if an accepted state does not round-trip.
    fn run(&self, bytes: &[u8], verb: usize) -> bool {
        let Ok(input) = serde_json::from_slice::<Json>(bytes) else {
            return false;
        };
        let keep = Some(&self.before);
        let result = match verb {
            0 => self.check(&input, None),
            1 => check::patched(&self.before, 7, &|_| true, &input)
                .and_then(|doc| self.check(&doc, keep)),
            _ => self.check(&input, keep),
        };
        let Ok(state) = result else { return false };
        let feature = check::feature_of(&self.schema, 7, &state)
            .unwrap_or_else(|r| panic!("an accepted state does not convert: {}", r.message));
        let again = check::state_of(&self.schema, &feature);
        let doc =
            json!({"type": "Feature", "geometry": again.geometry, "properties": again.properties});
        let rechecked = self
            .check(&doc, None)
            .unwrap_or_else(|r| panic!("an accepted state is refused again: {}", r.message));
        assert_eq!(rechecked, state, "an accepted state checks again to itself");
        assert_eq!(
            check::etag("leaks", 7, &rechecked),
            check::etag("leaks", 7, &state)
        );
        true
    }
}

fn seeds() -> Vec<Json> {
    let point = json!({"type": "Point", "coordinates": [130.108_483, 33.074_408]});
    vec![
        json!({"type": "Feature", "geometry": point, "properties": {
            "漏水有無": "有", "漏水量の目安": "滴下", "管路番号": "W00001", "備考": "記録",
            "修繕状況": "未着手", "修繕日": "2026-04-02"}}),
        json!({"properties": {"修繕状況": "修繕済", "備考": null}}),
        json!({"geometry": {"type": "Point", "coordinates": [130.1, 33.07]}}),
        json!({"type": "Feature", "id": 7, "geometry": {"type": "MultiPoint", "coordinates": [[130.1, 33.07]]},
            "properties": {"漏水有無": "無", "写真": []}}),
        json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates":
            [[[130.1, 33.07], [130.11, 33.07], [130.11, 33.08], [130.1, 33.07]]]}, "properties": {}}),
    ]
}

fn failures_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("fuzz-failures")
}

#[test]
fn fuzz_edit_json() {
    let secs = std::env::var("KASHIMAP_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let seed: u64 = std::env::var("KASHIMAP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_F022);
    let target = Target::leaks();
    let seeds = seeds();
    let mut r = Mix(seed ^ 0xED17);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut tried, mut accepted) = (0_u64, 0_u64);
    while tried == 0 || Instant::now() < deadline {
        let which = r.pick(seeds.len());
        let input = mutated(&mut r, &seeds[which]);
        let verb = r.pick(3);
        let Ok(ok) = std::panic::catch_unwind(|| target.run(&input, verb)) else {
            let out = failures_dir().join(format!("edit-json-{seed:x}-{tried}.json"));
            let _ = std::fs::create_dir_all(failures_dir());
            let _ = std::fs::write(&out, &input);
            panic!(
                "edit JSON input {tried} (verb {verb}) panicked; saved as {}",
                out.display()
            );
        };
        accepted += u64::from(ok);
        tried += 1;
    }
    eprintln!("fuzz edit-json: {tried} inputs ({accepted} accepted) in {secs} s (seed {seed:#x})");
    assert!(accepted > 0, "some mutated inputs must still be accepted");
}
