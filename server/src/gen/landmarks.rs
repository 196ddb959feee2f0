//! `landmarks`: a few places citizens search for by name that no other layer holds (the city
//! hall, the station, the shrine), with readings.
//!
//! Names are real. Positions: 祐徳稲荷神社 is the GSI record of 祐徳稲荷神社参集殿; the city
//! hall and the station are the approximate anchor the generator already uses for the town
//! centre ([`super::places::CENTRES`]), good for "take me there" but not surveyed.

use geo::{Geometry, Point};

use super::{Layer, s, schema};
use crate::model::{Feature, FieldType, Schema};

/// 名称, よみ, 種別, lon, lat.
const PLACES: &[(&str, &str, &str, f64, f64)] = &[
    (
        "鹿島市役所",
        "かしましやくしょ",
        "市役所",
        130.0981,
        33.1036,
    ),
    ("肥前鹿島駅", "ひぜんかしまえき", "駅", 130.0987, 33.1031),
    (
        "祐徳稲荷神社",
        "ゆうとくいなりじんじゃ",
        "神社",
        130.108_483,
        33.074_408,
    ),
];

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("名称", FieldType::String),
        ("よみ", FieldType::String),
        ("種別", FieldType::String),
    ])
}

pub(crate) fn build() -> Layer {
    let features = PLACES
        .iter()
        .enumerate()
        .map(|(i, &(name, reading, kind, lon, lat))| {
            Feature::new(
                i as u64 + 1,
                Geometry::Point(Point::new(lon, lat)),
                vec![s(name), s(reading), s(kind)].into(),
            )
        })
        .collect();
    Layer {
        id: "landmarks",
        schema: layer_schema(),
        features,
    }
}
