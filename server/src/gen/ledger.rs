//! `roads`: the generated road network as a 道路台帳 (road ledger), one row a segment.

use geo::{Geodesic, Geometry, Length};

use super::boundary::Boundary;
use super::places::Oaza;
use super::rng::Rng;
use super::roads::{Kind, Network, Segment};
use super::{Layer, round, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

const STREAM: u64 = 20;

const REMARKS: &[(&str, f64)] = &[
    ("", 0.7),
    ("歩道あり", 0.08),
    ("通学路", 0.07),
    ("橋梁あり", 0.04),
    ("冠水注意箇所", 0.04),
    ("幅員狭小", 0.03),
    ("一方通行", 0.02),
    ("大型車通行不可", 0.02),
];

pub(crate) fn layer_schema() -> Schema {
    schema(&[
        ("路線番号", FieldType::String),
        ("路線名", FieldType::String),
        ("種別", FieldType::String),
        ("幅員", FieldType::Float),
        ("延長", FieldType::Float),
        ("認定年月日", FieldType::Date),
        ("起点", FieldType::String),
        ("終点", FieldType::String),
        ("舗装", FieldType::String),
        ("管理者", FieldType::String),
        ("台帳番号", FieldType::String),
        ("備考", FieldType::String),
    ])
}

pub(crate) fn layer(b: &Boundary, net: &Network) -> Layer {
    let oaza = Oaza::new(b);
    let features = net
        .segments
        .iter()
        .enumerate()
        .map(|(i, seg)| {
            let line = b.line_lonlat(&seg.pts);
            let props = attributes(net, seg, i, &oaza, Geodesic.length(&line));
            Feature::new(i as u64 + 1, Geometry::LineString(line), props)
        })
        .collect();
    Layer {
        id: "roads",
        schema: layer_schema(),
        features,
    }
}

fn attributes(net: &Network, seg: &Segment, i: usize, oaza: &Oaza, metres: f64) -> Box<[Value]> {
    let mut rng = Rng::derive(net.seed, STREAM, i as u64);
    let route = &net.routes[seg.route];
    let width = round(rng.range(route.width.0, route.width.1), 1);
    let remark = rng.weighted(REMARKS);
    vec![
        s(route.number.as_str()),
        s(route.name.as_str()),
        s(route.kind.ja()),
        Value::Float(width),
        Value::Float(round(metres, 1)),
        s(route.recognised.as_str()),
        s(address(&mut rng, oaza, seg.pts[0])),
        s(address(&mut rng, oaza, seg.pts[seg.pts.len() - 1])),
        s(paving(&mut rng, route.kind, route.rural)),
        s(route.manager),
        s(format!("KR-{:05}", i + 1)),
        if remark.is_empty() {
            Value::Null
        } else {
            s(remark)
        },
    ]
    .into()
}

/// A plausible 地番 address in the nearest 大字.
fn address(rng: &mut Rng, oaza: &Oaza, p: geo::Coord) -> String {
    let (_, name) = oaza.nearest(p);
    format!("鹿島市大字{name}{}番地", rng.int(1, 3200))
}

fn paving(rng: &mut Rng, kind: Kind, rural: bool) -> &'static str {
    match (kind, rural) {
        (Kind::National | Kind::Prefectural, _) => "アスファルト",
        (Kind::Municipal, false) => rng.weighted(&[("アスファルト", 0.9), ("コンクリート", 0.1)]),
        (Kind::Municipal, true) => rng.weighted(&[
            ("アスファルト", 0.6),
            ("コンクリート", 0.25),
            ("砂利", 0.15),
        ]),
        (Kind::Designated, _) => rng.weighted(&[("アスファルト", 0.7), ("コンクリート", 0.3)]),
        (Kind::Article42, _) => rng.weighted(&[
            ("コンクリート", 0.45),
            ("アスファルト", 0.35),
            ("砂利", 0.12),
            ("未舗装", 0.08),
        ]),
    }
}
