//! `heritage`: generated 埋蔵文化財包蔵地 (known buried cultural property sites).
//!
//! Sites are smooth star-shaped blobs whose size depends on their type, placed around a
//! few clusters (the plains and hills where such sites are usually found) and at random,
//! and kept only when they sit inside the city and clear of every other site. The first
//! site is pinned near 祐徳稲荷神社 so the viewer can demonstrate the "is this in a
//! 包蔵地" question. Each site carries a survey history as JSON.

use std::collections::BTreeSet;

use geo::{Coord, Geometry, coord};
use serde_json::json;

use super::boundary::{Boundary, dist};
use super::geom::{closed, star};
use super::places::Oaza;
use super::rng::Rng;
use super::{Layer, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

const STREAM: u64 = 40;
const TARGET: usize = 220;

/// The point near 祐徳稲荷神社 that the first site covers.
pub(crate) const DEMO_POINT: (f64, f64) = (130.1090, 33.0760);

/// A cluster centre and spread: lon, lat, metres.
type Spot = (f64, f64, f64);

/// Where sites cluster, with weights. `None` means anywhere in the city.
const CLUSTERS: &[(Option<Spot>, f64)] = &[
    (Some((130.0720, 33.0880, 900.0)), 3.0),
    (Some((130.0970, 33.1000, 800.0)), 2.0),
    (Some((130.1120, 33.0820, 800.0)), 2.0),
    (Some((130.1400, 33.0600, 900.0)), 2.0),
    (Some((130.0900, 33.0450, 1500.0)), 2.0),
    (Some((130.0550, 33.0600, 1500.0)), 1.5),
    (None, 2.5),
];

const TYPES: &[(&str, f64)] = &[
    ("集落跡", 0.3),
    ("散布地", 0.3),
    ("古墳", 0.18),
    ("城跡", 0.07),
    ("窯跡", 0.08),
    ("寺院跡", 0.07),
];

const TOPONYMS: &[&str] = &[
    "上野",
    "中原",
    "東田",
    "西ノ園",
    "宮ノ前",
    "寺山",
    "城山",
    "釜ノ口",
    "塚原",
    "丸尾",
    "大塚",
    "谷口",
    "峰",
    "平原",
    "久保",
    "長畑",
    "鶴",
    "辻",
    "堤",
    "松原",
    "竹下",
    "石原",
    "前田",
    "坂口",
    "北山",
    "南原",
    "向原",
    "牟田",
    "屋敷",
    "原口",
    "小森",
    "高野",
    "花房",
    "立石",
    "鳥越",
    "黒木",
];

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("遺跡番号", FieldType::String),
        ("遺跡名", FieldType::String),
        ("時代", FieldType::String),
        ("種別", FieldType::String),
        ("調査履歴", FieldType::Json),
        ("最終調査日", FieldType::Date),
    ])
}

/// A placed site: centre and the radius it may reach.
struct Placed {
    centre: Coord,
    reach: f64,
}

pub(crate) fn build(b: &Boundary, seed: u64) -> Layer {
    let oaza = Oaza::new(b);
    let mut placed: Vec<Placed> = Vec::new();
    let mut names = BTreeSet::new();
    let mut features = Vec::new();
    for attempt in 0..20_000u64 {
        if features.len() >= TARGET {
            break;
        }
        let mut rng = Rng::derive(seed, STREAM, attempt);
        let demo = attempt == 0;
        let kind = if demo {
            "集落跡"
        } else {
            rng.weighted(TYPES)
        };
        let centre = if demo {
            b.at(DEMO_POINT.0 + 0.0002, DEMO_POINT.1 - 0.0001)
        } else {
            position(b, &mut rng)
        };
        let r0 = if demo { 120.0 } else { size(&mut rng, kind) };
        let reach = r0 * 1.5;
        if placed
            .iter()
            .any(|p| dist(p.centre, centre) < p.reach + reach + 10.0)
        {
            continue;
        }
        let ring = closed(blob(&mut rng, centre, r0));
        if !b.holds_ring(&ring, 5.0) {
            continue;
        }
        placed.push(Placed { centre, reach });
        let name = unique_name(&mut rng, &oaza, centre, kind, &mut names);
        let props = attributes(&mut rng, features.len() + 1, name, kind, demo);
        let geometry = Geometry::Polygon(b.polygon_lonlat(&ring));
        features.push(Feature::new(features.len() as u64 + 1, geometry, props));
    }
    Layer {
        id: "heritage",
        schema: layer_schema(),
        features,
    }
}

fn position(b: &Boundary, rng: &mut Rng) -> Coord {
    if let Some((lon, lat, spread)) = rng.weighted(CLUSTERS) {
        b.at(lon, lat) + coord! { x: spread * rng.normal(), y: spread * rng.normal() }
    } else {
        let (lo, hi) = b.bounds();
        coord! { x: rng.range(lo.x, hi.x), y: rng.range(lo.y, hi.y) }
    }
}

/// Typical radius of a site of this type, in metres.
fn size(rng: &mut Rng, kind: &str) -> f64 {
    match kind {
        "集落跡" => rng.range(60.0, 200.0),
        "散布地" => rng.range(40.0, 140.0),
        "古墳" => rng.range(40.0, 150.0),
        "城跡" => rng.range(80.0, 220.0),
        "窯跡" => rng.range(30.0, 80.0),
        _ => rng.range(40.0, 110.0),
    }
}

/// A smooth blob: a few low harmonics keep every radius between 0.5 and 1.5 × `r0`.
fn blob(rng: &mut Rng, centre: Coord, r0: f64) -> Vec<Coord> {
    let amps = [
        rng.range(0.0, 0.2),
        rng.range(0.0, 0.2),
        rng.range(0.0, 0.08),
    ];
    let phases = [
        rng.range(0.0, 6.3),
        rng.range(0.0, 6.3),
        rng.range(0.0, 6.3),
    ];
    let n = rng.int(10, 20) as usize;
    star(rng, centre, n, |a, rng| {
        let wave: f64 = (0..3)
            .map(|k| amps[k] * ((k + 1) as f64 * a + phases[k]).cos())
            .sum();
        r0 * (1.0 + wave) * rng.range(0.97, 1.03)
    })
}

fn unique_name(
    rng: &mut Rng,
    oaza: &Oaza,
    centre: Coord,
    kind: &str,
    taken: &mut BTreeSet<String>,
) -> String {
    let (_, place) = oaza.nearest(centre);
    let suffix = match kind {
        "古墳" if rng.chance(0.7) => "古墳群",
        "古墳" => "古墳",
        "城跡" => "城跡",
        "窯跡" => "窯跡",
        "寺院跡" => "廃寺跡",
        _ => "遺跡",
    };
    loop {
        let stem = rng.pick(TOPONYMS);
        let name = if rng.chance(0.4) {
            format!("{place}{stem}{suffix}")
        } else {
            format!("{stem}{suffix}")
        };
        if taken.insert(name.clone()) {
            return name;
        }
    }
}

fn era(rng: &mut Rng, kind: &str) -> &'static str {
    rng.pick(match kind {
        "集落跡" => &[
            "弥生",
            "縄文・弥生",
            "弥生・古墳",
            "古墳・奈良",
            "奈良・平安",
            "中世",
        ][..],
        "散布地" => &["縄文", "縄文・弥生", "弥生", "平安・中世", "中世"],
        "古墳" => &["古墳"],
        "城跡" => &["中世", "中世・近世"],
        "窯跡" => &["近世"],
        _ => &["奈良・平安", "平安", "中世"],
    })
}

fn attributes(rng: &mut Rng, no: usize, name: String, kind: &str, demo: bool) -> Box<[Value]> {
    let history = history(rng, kind, demo);
    let last = history
        .iter()
        .filter(|e| e["種別"] != "届出")
        .filter_map(|e| e["日付"].as_str())
        .max()
        .map_or(Value::Null, s);
    vec![
        s(format!("41207-{no:04}")),
        s(name),
        s(era(rng, kind)),
        s(kind),
        s(serde_json::Value::Array(history).to_string()),
        last,
    ]
    .into()
}

const NOTIFIERS: &[&str] = &[
    "個人",
    "民間事業者",
    "鹿島市建設課",
    "鹿島市水道課",
    "佐賀県",
    "農業協同組合",
    "電力会社",
];

/// Notifications (届出) and the surveys they led to, oldest first.
fn history(rng: &mut Rng, kind: &str, demo: bool) -> Vec<serde_json::Value> {
    let count = if demo {
        1
    } else {
        rng.weighted(&[(0, 0.3), (1, 0.35), (2, 0.2), (3, 0.1), (4, 0.05)])
    };
    let mut events = Vec::new();
    for _ in 0..count {
        let who = rng.pick(NOTIFIERS);
        let filed = (rng.int(1985, 2022), rng.int(1, 12), rng.int(1, 28));
        let checked = demo || rng.chance(0.55);
        let outcome = if checked {
            "確認調査を実施"
        } else {
            rng.pick(&["工事立会", "慎重工事"])
        };
        events.push(event("届出", filed, outcome, who));
        if !checked {
            continue;
        }
        let found = demo || rng.chance(0.55);
        let result = if found {
            rng.pick(&[
                "遺構を確認（柱穴・溝）",
                "遺物包含層を確認",
                "遺構を確認（竪穴住居跡）",
            ])
        } else {
            "遺構・遺物なし"
        };
        events.push(event("確認調査", later(filed, rng.int(1, 5)), result, who));
        if found && (demo || rng.chance(0.4)) {
            let dug = later(filed, rng.int(7, 18));
            events.push(event("本発掘調査", dug, &excavation(rng, kind), who));
        }
    }
    events.sort_by(|a, b| a["日付"].as_str().cmp(&b["日付"].as_str()));
    events
}

fn event(kind: &str, (y, m, d): (i64, i64, i64), result: &str, who: &str) -> serde_json::Value {
    json!({ "種別": kind, "日付": format!("{y:04}-{m:02}-{d:02}"), "結果": result, "届出者": who })
}

fn later((y, m, d): (i64, i64, i64), months: i64) -> (i64, i64, i64) {
    let total = y * 12 + (m - 1) + months;
    (total / 12, total % 12 + 1, d)
}

fn excavation(rng: &mut Rng, kind: &str) -> String {
    let n = rng.int(2, 12);
    let found = match kind {
        "古墳" => "横穴式石室を確認・副葬品出土".to_owned(),
        "城跡" => "堀跡・土塁を確認".to_owned(),
        "窯跡" => format!("窯体{}基・陶磁器片多数", n / 3 + 1),
        "寺院跡" => "礎石・瓦を確認".to_owned(),
        _ => format!("竪穴住居跡{n}棟・土器多数"),
    };
    format!("{found}（報告書刊行済）")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_rolls_over_years() {
        assert_eq!(later((2020, 11, 5), 3), (2021, 2, 5));
        assert_eq!(later((2020, 1, 5), 0), (2020, 1, 5));
    }

    #[test]
    fn histories_are_sorted_and_well_formed() {
        let mut rng = Rng::new(4);
        for _ in 0..200 {
            let h = history(&mut rng, "集落跡", false);
            let dates: Vec<&str> = h.iter().filter_map(|e| e["日付"].as_str()).collect();
            assert!(dates.windows(2).all(|w| w[0] <= w[1]));
            for e in &h {
                assert!(["届出", "確認調査", "本発掘調査"].contains(&e["種別"].as_str().unwrap()));
                assert!(e["届出者"].is_string() && e["結果"].is_string());
            }
        }
    }
}
