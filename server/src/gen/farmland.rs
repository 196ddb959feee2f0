//! `farmland`: GENERATED SAMPLE 農地パトロール (farmland patrol) records on the sample 字図's
//! paddies and fields (地目 田 or 畑), with a state (耕作中 / 遊休農地 / 耕作放棄地) and the
//! lot's 地番. Half are the lot's outline (the patrol took the parcel's shape), half a point
//! inside it (a spot noted where the field's edge was unclear): the layer holds both kinds.
//! Not a record of any real patrol.

use geo::{Geometry, InteriorPoint};

use super::rng::Rng;
use super::{Layer, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

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

pub(crate) fn build(chiban: &Layer, seed: u64) -> Layer {
    let col = |name: &str| chiban.schema.index_of(name).unwrap_or(usize::MAX);
    let (kind, lot) = (col("地目"), col("地番"));
    let farms: Vec<&Feature> = chiban
        .features
        .iter()
        .filter(|f| matches!(f.property(kind), Value::String(k) if matches!(&**k, "田" | "畑")))
        .collect();
    let mut taken = vec![false; farms.len()];
    let mut features = Vec::new();
    let mut i = 0u64;
    while features.len() < RECORDS && i < 100 * RECORDS as u64 && !farms.is_empty() {
        let mut rng = Rng::derive(seed, STREAM, i);
        i += 1;
        let pick = rng.below(farms.len());
        if std::mem::replace(&mut taken[pick], true) {
            continue;
        }
        let parcel = farms[pick];
        let geometry = if features.len() % 2 == 0 {
            parcel.geometry.clone()
        } else {
            match parcel.geometry.interior_point() {
                Some(p) => Geometry::Point(p),
                None => continue,
            }
        };
        let state = rng.weighted(&[("耕作中", 0.5), ("遊休農地", 0.3), ("耕作放棄地", 0.2)]);
        let props = vec![
            s(rng.date(2024, 2025)),
            s(rng.pick(&["農業委員A（サンプル）", "農業委員B（サンプル）"])),
            s(state),
            parcel.property(lot).clone(),
            s("サンプルデータ（生成）"),
            s("[]"),
        ];
        features.push(Feature::new(
            features.len() as u64 + 1,
            geometry,
            props.into(),
        ));
    }
    Layer {
        id: "farmland",
        schema: layer_schema(),
        features,
    }
}
