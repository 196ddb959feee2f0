//! Snapshot tests: fixed tiles, decoded and written out as text, compared with committed files
//! in `src/tile/snapshots/`. `UPDATE_SNAPSHOTS=1 cargo test --lib tile::snapshot` rewrites them.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::testutil::{self, centre_tile, parcels, render_one};
use super::{DecodedGeometry, DecodedTile, TileCoord};

/// A readable, stable form of a decoded tile.
fn readable(tile: &DecodedTile) -> String {
    let mut s = String::new();
    for l in &tile.layers {
        let _ = writeln!(
            s,
            "layer {} v{} extent {} features {}",
            l.name,
            l.version,
            l.extent,
            l.features.len()
        );
        for f in &l.features {
            let _ = write!(s, "  id={:?}", f.id);
            for (k, v) in &f.properties {
                let _ = write!(s, " {k}={v:?}");
            }
            s.push('\n');
            match &f.geometry {
                DecodedGeometry::Polygons(polys) => {
                    for p in polys {
                        for (i, r) in p.iter().enumerate() {
                            let _ =
                                writeln!(s, "    {} {:?}", if i == 0 { "ext" } else { "hole" }, r);
                        }
                    }
                }
                g => {
                    let _ = writeln!(s, "    {g:?}");
                }
            }
        }
    }
    s
}

fn check(name: &str, tile: &DecodedTile) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("src/tile/snapshots/{name}.txt"));
    let got = readable(tile);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}: run with UPDATE_SNAPSHOTS=1", path.display()));
    assert_eq!(got, want, "snapshot {name} differs");
}

#[test]
fn snapshot_parcels_z17_centre() {
    let layer = testutil::layer(testutil::def("Polygon", ""), parcels(60, 42, 0.0015));
    let tile = render_one(&testutil::public_view(&layer), centre_tile(17));
    check("parcels_z17", &tile);
}

#[test]
fn snapshot_parcels_z11_overview() {
    let layer = testutil::layer(testutil::def("Polygon", ""), parcels(3000, 42, 0.01));
    let c = centre_tile(11);
    let tile = render_one(&testutil::public_view(&layer), TileCoord { z: 11, ..c });
    check("parcels_z11", &tile);
}

#[test]
fn snapshot_points_z13() {
    let layer = testutil::layer(
        testutil::def("Point", "zoom = { min = 0, max = 16 }"),
        testutil::points(150, 42, 0.02),
    );
    let tile = render_one(&testutil::public_view(&layer), centre_tile(13));
    check("points_z13", &tile);
}
