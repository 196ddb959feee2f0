//! `leaks`: GENERATED SAMPLE 漏水調査記録 (leak survey records), one point on a main of the
//! generated `pipes`, naming it by its 管路番号. Made so the record layer, its link to the
//! mains and its edits can be tried; not a record of any real survey.

use geo::{Geometry, LineString, Point};

use super::rng::Rng;
use super::{Layer, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

const STREAM: u64 = 80;
/// How many sample records.
const RECORDS: usize = 40;

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("調査日", FieldType::String),
        ("調査者", FieldType::String),
        ("漏水有無", FieldType::String),
        ("漏水量の目安", FieldType::String),
        ("修繕状況", FieldType::String),
        ("修繕日", FieldType::String),
        ("管路番号", FieldType::String),
        ("備考", FieldType::String),
        ("写真", FieldType::Json),
    ])
}

/// Records on mains picked at random from `pipes` (by seed), at a point along each.
pub(crate) fn build(pipes: &Layer, seed: u64) -> Layer {
    let mut features = Vec::new();
    for i in 0..RECORDS {
        let mut rng = Rng::derive(seed, STREAM, i as u64);
        let main = &pipes.features[rng.below(pipes.features.len())];
        let Geometry::LineString(line) = &main.geometry else {
            continue;
        };
        let at = along(line, rng.f64());
        let number = main.property(0).clone();
        features.push(Feature::new(
            features.len() as u64 + 1,
            Geometry::Point(at),
            attributes(&mut rng, number),
        ));
    }
    Layer {
        id: "leaks",
        schema: layer_schema(),
        features,
    }
}

fn attributes(rng: &mut Rng, number: Value) -> Box<[Value]> {
    let date = rng.date(2024, 2025);
    let leaking = rng.chance(0.4);
    let (amount, state, repaired) = if leaking {
        let state = rng.pick(&["未着手", "修繕中", "修繕済"]);
        let repaired = if state == "修繕済" {
            s(rng.date(2025, 2025))
        } else {
            Value::Null
        };
        (s(rng.pick(&["にじみ", "滴下", "噴出"])), s(state), repaired)
    } else {
        (s("なし"), Value::Null, Value::Null)
    };
    vec![
        s(date),
        s(rng.pick(&[
            "調査員A（サンプル）",
            "調査員B（サンプル）",
            "委託業者C（サンプル）",
        ])),
        s(if leaking { "有" } else { "無" }),
        amount,
        state,
        repaired,
        number,
        s("サンプルデータ（生成）"),
        s("[]"),
    ]
    .into()
}

/// The point a share `t` of the way along a line (by vertex count, enough for samples).
fn along(line: &LineString, t: f64) -> Point {
    let n = line.0.len();
    if n < 2 {
        return Point(line.0[0]);
    }
    let x = t * (n - 1) as f64;
    let i = (x.floor() as usize).min(n - 2);
    let f = x - i as f64;
    let (a, b) = (line.0[i], line.0[i + 1]);
    Point::new(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f)
}
