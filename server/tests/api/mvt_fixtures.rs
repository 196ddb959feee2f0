//! The decoder against the MVT specification's fixtures (tests/fixtures/mvt, CC0).

use std::path::{Path, PathBuf};

use kashimap::tile::{DecodedGeometry, decode};

/// Fixtures whose `info.json` verdict no decoder can reproduce from the bytes alone.
/// - 003 (invalid: "missing geometry type") is byte-for-byte identical to 016 (valid:
///   "UNKNOWN type"); we follow 016 and decode both as `Unknown`.
/// - 057 (valid: "gigantic MoveTo") has the same truncated command as 051 (invalid: "huge
///   count"): a MoveTo of 536 870 911 points followed by one point. We reject both.
const CONTRADICTORY: [(&str, bool); 2] = [("003", true), ("057", false)];

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mvt");
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("info.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn expected_valid(dir: &Path) -> bool {
    let name = dir.file_name().unwrap().to_str().unwrap();
    if let Some((_, ours)) = CONTRADICTORY.iter().find(|(n, _)| *n == name) {
        return *ours;
    }
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("info.json")).unwrap()).unwrap();
    info["validity"]["v2"].as_bool().unwrap()
}

#[test]
fn decoder_accepts_valid_fixtures_and_rejects_invalid_ones() {
    let dirs = fixtures();
    assert!(dirs.len() >= 70, "fixtures missing: {}", dirs.len());
    let mut wrong = Vec::new();
    for dir in &dirs {
        let bytes = std::fs::read(dir.join("tile.mvt")).unwrap();
        let got = std::panic::catch_unwind(|| decode(&bytes));
        let Ok(got) = got else {
            wrong.push(format!("{}: panicked", dir.display()));
            continue;
        };
        if got.is_ok() != expected_valid(dir) {
            wrong.push(format!("{}: {:?}", dir.display(), got.map(|_| "decoded")));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn decoded_fixture_matches_its_json() {
    // 022: the spec's multi-polygon example.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mvt/022");
    let tile = decode(&std::fs::read(dir.join("tile.mvt")).unwrap()).unwrap();
    let f = &tile.layers[0].features[0];
    let DecodedGeometry::Polygons(polys) = &f.geometry else {
        panic!("not polygons: {:?}", f.geometry);
    };
    assert_eq!(polys.len(), 2);
    assert_eq!(polys[0], vec![vec![[0, 0], [10, 0], [10, 10], [0, 10]]]);
    assert_eq!(polys[1].len(), 2, "second polygon has a hole");
}

#[test]
fn truncated_and_mangled_tiles_never_panic() {
    for dir in fixtures() {
        let bytes = std::fs::read(dir.join("tile.mvt")).unwrap();
        for cut in 0..bytes.len() {
            let _ = decode(&bytes[..cut]);
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xa5;
            let _ = decode(&b);
        }
    }
}
