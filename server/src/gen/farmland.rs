//! `farmland`: GENERATED SAMPLE 農地パトロール (farmland patrol) records: points in the
//! rural part of the city with a state (耕作中 / 遊休農地 / 耕作放棄地). Not a record of any
//! real patrol.

use geo::{Coord, Geometry, Point};

use super::boundary::Boundary;
use super::rng::Rng;
use super::{Layer, s, schema};
use crate::model::{Feature, FieldType, Schema};

const STREAM: u64 = 81;
const RECORDS: usize = 60;

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("調査日", FieldType::String),
        ("調査者", FieldType::String),
        ("状況", FieldType::String),
        ("地番", FieldType::String),
        ("備考", FieldType::String),
        ("写真", FieldType::Json),
    ])
}

pub(crate) fn build(b: &Boundary, seed: u64) -> Layer {
    let (lo, hi) = b.bounds();
    let mut features = Vec::new();
    let mut i = 0u64;
    while features.len() < RECORDS && i < 100 * RECORDS as u64 {
        let mut rng = Rng::derive(seed, STREAM, i);
        i += 1;
        let p = Coord {
            x: rng.range(lo.x, hi.x),
            y: rng.range(lo.y, hi.y),
        };
        if !b.inside_by(p, 300.0) {
            continue;
        }
        let state = rng.weighted(&[("耕作中", 0.5), ("遊休農地", 0.3), ("耕作放棄地", 0.2)]);
        let props = vec![
            s(rng.date(2024, 2025)),
            s(rng.pick(&["農業委員A（サンプル）", "農業委員B（サンプル）"])),
            s(state),
            s(format!(
                "大字{}{}番",
                rng.pick(&["古枝", "納富分", "森"]),
                rng.int(1, 2999)
            )),
            s("サンプルデータ（生成）"),
            s("[]"),
        ];
        features.push(Feature::new(
            features.len() as u64 + 1,
            Geometry::Point(Point(b.to_lonlat(p))),
            props.into(),
        ));
    }
    Layer {
        id: "farmland",
        schema: layer_schema(),
        features,
    }
}
