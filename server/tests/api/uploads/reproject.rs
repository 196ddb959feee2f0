//! The plane-rectangular transform agrees with PROJ (`cs2cs`) to within a millimetre on
//! points across each of the 19 zones, for JGD2011 and JGD2000.

use std::fmt::Write as _;
use std::io::Write;
use std::process::{Command, Stdio};

use kashimap::ingest::crs::Crs;

use super::support::{metres, require};

/// Points across a zone: ±200 km east-west, ±250 km north-south around its origin.
fn grid() -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for i in -4..=4 {
        for j in -5..=5 {
            pts.push((
                f64::from(i) * 50_000.0 + 123.456,
                f64::from(j) * 50_000.0 - 78.9,
            ));
        }
    }
    pts
}

/// PROJ's answer: EPSG plane CRSs are northing-first, geographic ones latitude-first.
fn cs2cs(from: u32, to: u32, pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut child = Command::new("cs2cs")
        .args(["-d", "12", &format!("EPSG:{from}"), &format!("EPSG:{to}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for (e, n) in pts {
        writeln!(input, "{n} {e}").unwrap();
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            (v[1], v[0])
        })
        .collect()
}

#[test]
fn all_19_zones_of_both_datums_agree_with_proj_within_a_millimetre() {
    require("cs2cs");
    let pts = grid();
    let mut worst = 0.0f64;
    for (first, geographic) in [(6669u32, 6668u32), (2443, 4612)] {
        for zone in 0..19 {
            let code = first + zone;
            let crs = Crs::from_epsg(code).unwrap();
            let expected = cs2cs(code, geographic, &pts);
            assert_eq!(
                expected.len(),
                pts.len(),
                "cs2cs answered every point for EPSG:{code}"
            );
            let t = crs.to_lonlat();
            for ((e, n), want) in pts.iter().zip(&expected) {
                let got = t.apply(*e, *n);
                let d = metres(got, *want);
                worst = worst.max(d);
                assert!(
                    d < 0.001,
                    "EPSG:{code} ({e}, {n}): ours {got:?}, PROJ {want:?}, {d} m apart"
                );
            }
        }
    }
    eprintln!(
        "worst difference from PROJ over 2 × 19 zones × {} points: {worst:.3e} m",
        pts.len()
    );
}

#[test]
fn web_mercator_agrees_with_proj() {
    require("cs2cs");
    let pts = [(14_483_000.0, 3_905_000.0), (15_550_000.0, 4_250_000.0)];
    // EPSG:3857 is easting-first: the helper feeds (n, e), so give it (y, x) as (e, n).
    let swapped: Vec<(f64, f64)> = pts.iter().map(|(x, y)| (*y, *x)).collect();
    let expected = cs2cs(3857, 4326, &swapped);
    let t = Crs::WebMercator.to_lonlat();
    for ((x, y), want) in pts.iter().zip(&expected) {
        let got = t.apply(*x, *y);
        assert!(metres(got, *want) < 0.001, "ours {got:?}, PROJ {want:?}");
    }
}
