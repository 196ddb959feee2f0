//! Tests for the CQL2 engine, on a small schema with Japanese attribute names.

mod bind;
mod eval;
mod fuzz;
mod parse;
mod spatial;

use geo::{Geometry, coord, point, polygon};

use super::{Expr, Filter};
use crate::model::{Feature, Field, FieldType, Schema, Value};

/// Columns as in the 管路 and 用途地域 layers, plus awkward ones.
pub(super) const COLUMNS: &[(&str, FieldType)] = &[
    ("用途地域名", FieldType::String),
    ("口径", FieldType::Int),
    ("深さ", FieldType::Float),
    ("公開", FieldType::Bool),
    ("認定年月日", FieldType::Date),
    ("備考", FieldType::String),
    ("数値文字", FieldType::String),
    ("name with spaces", FieldType::String),
    ("調査履歴", FieldType::Json),
];

pub(super) fn schema() -> Schema {
    Schema::new(
        COLUMNS
            .iter()
            .map(|(name, ty)| Field {
                name: (*name).to_owned(),
                ty: *ty,
            })
            .collect(),
    )
}

/// A feature with the given properties; the others are NULL.
pub(super) fn feature(geometry: Geometry<f64>, props: &[(&str, Value)]) -> Feature {
    let properties = COLUMNS
        .iter()
        .map(|(name, _)| {
            props
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Value::Null, |(_, v)| v.clone())
        })
        .collect();
    Feature::new(1, geometry, properties)
}

pub(super) fn text(s: &str) -> Value {
    Value::String(s.into())
}

/// A 商業地域 pipe feature at 鹿島市役所, with 備考 NULL.
pub(super) fn sample() -> Feature {
    feature(
        point!(x: 130.0989, y: 33.1036).into(),
        &[
            ("用途地域名", text("商業地域")),
            ("口径", Value::Int(100)),
            ("深さ", Value::Float(1.5)),
            ("公開", Value::Bool(true)),
            ("認定年月日", text("2019-04-01")),
            ("数値文字", text("250")),
            ("name with spaces", text("It's")),
            ("調査履歴", text(r#"[{"年":2020}]"#)),
        ],
    )
}

/// A square parcel around (130.10, 33.10), 0.01° on a side.
pub(super) fn parcel() -> Feature {
    let square = polygon![
        coord! { x: 130.095, y: 33.095 },
        coord! { x: 130.105, y: 33.095 },
        coord! { x: 130.105, y: 33.105 },
        coord! { x: 130.095, y: 33.105 },
    ];
    feature(square.into(), &[("用途地域名", text("第一種住居地域"))])
}

pub(super) fn bind(filter: &str) -> Filter {
    Expr::parse(filter)
        .unwrap_or_else(|e| panic!("{filter}: {e}"))
        .bind(&schema())
        .unwrap_or_else(|e| panic!("{filter}: {e}"))
}

pub(super) fn matches(filter: &str, feature: &Feature) -> bool {
    bind(filter).matches(feature)
}
