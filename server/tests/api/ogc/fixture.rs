//! Synthetic layers for the OGC API tests (deterministic, made here; no real data).
//!
//! - `pts`: 120 public points on a 12 × 10 grid; `secret` is not shown to the public.
//! - `zones`: two public polygons, one an L-shaped strip whose envelope is larger than it.
//! - `rowpol`: public points with a row filter (`公開 = true`): 30 of its 60 rows pass.
//! - `closed`: a staff-only layer; the public must not learn that it exists.

use geo::{Geometry, LineString, Polygon, point};
use kashimap::model::{Feature, Field, FieldType, Value};

use crate::helpers::{LayerSpec, TestApp};

pub const PTS: usize = 120;
pub const ROWPOL: usize = 60;

fn toml(id: &str, geometry: &str, view: &str, extra: &str) -> String {
    format!(
        r#"
id = "{id}"
title = {{ ja = "テスト{id}", en = "Test {id}" }}
department = "総務課"
source = "data/{id}.fgb"
geometry = "{geometry}"
attribution = "synthetic test data"
sample = true
[access]
view = "{view}"
{extra}
"#
    )
}

pub fn pts_fields() -> Vec<Field> {
    vec![
        Field::new("名称", FieldType::String),
        Field::new("収容人数", FieldType::Int),
        Field::new("種別", FieldType::String),
        Field::new("secret", FieldType::String),
    ]
}

/// Point `i` (1-based) of the grid: x = 130.00 + (i-1)%12 * 0.01, y = 33.00 + (i-1)/12 * 0.01.
pub fn pts_xy(i: usize) -> (f64, f64) {
    let c = (i - 1) % 12;
    let r = (i - 1) / 12;
    (130.0 + c as f64 * 0.01, 33.0 + r as f64 * 0.01)
}

/// 収容人数 of point `i`: repeats, so sorting needs the id tie-break.
pub fn pts_capacity(i: usize) -> i64 {
    ((i * 37) % 500) as i64 / 10 * 10
}

pub fn pts_kind(i: usize) -> &'static str {
    if i.is_multiple_of(3) {
        "指定緊急避難場所"
    } else {
        "指定避難所"
    }
}

fn pts_features() -> Vec<Feature> {
    (1..=PTS)
        .map(|i| {
            let (x, y) = pts_xy(i);
            let props = vec![
                Value::String(format!("避難所{i}").into()),
                Value::Int(pts_capacity(i)),
                Value::String(pts_kind(i).into()),
                Value::String(format!("秘密{i}").into()),
            ];
            Feature::new(i as u64, Geometry::Point(point!(x: x, y: y)), props.into())
        })
        .collect()
}

fn zones_features() -> Vec<Feature> {
    let square = Polygon::new(
        LineString::from(vec![
            (130.0, 33.0),
            (130.01, 33.0),
            (130.01, 33.01),
            (130.0, 33.01),
        ]),
        vec![],
    );
    // An L: the bottom and right strips of the square 130.1..130.2 × 33.1..33.2.
    let ell = Polygon::new(
        LineString::from(vec![
            (130.1, 33.1),
            (130.2, 33.1),
            (130.2, 33.2),
            (130.19, 33.2),
            (130.19, 33.11),
            (130.1, 33.11),
        ]),
        vec![],
    );
    [square, ell]
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let props = vec![Value::String(format!("区域{}", i + 1).into())];
            Feature::new(i as u64 + 1, Geometry::Polygon(p), props.into())
        })
        .collect()
}

fn rowpol_features() -> Vec<Feature> {
    (1..=ROWPOL)
        .map(|i| {
            let (x, y) = pts_xy(i);
            let props = vec![
                Value::String(format!("施設{i}").into()),
                Value::Bool(i % 2 == 0),
            ];
            Feature::new(i as u64, Geometry::Point(point!(x: x, y: y)), props.into())
        })
        .collect()
}

/// The four layers above, in a fresh application.
pub fn app() -> TestApp {
    let pts = toml(
        "pts",
        "Point",
        "public",
        "[access.attributes]\npublic = [\"名称\", \"収容人数\", \"種別\"]\nstaff = \"*\"",
    );
    let zones = toml("zones", "Polygon", "public", "");
    let rowpol = toml(
        "rowpol",
        "Point",
        "public",
        "[access.rows]\npublic = \"公開 = true\"",
    );
    let closed = toml("closed", "Point", "staff", "");
    TestApp::with_layers(&[
        LayerSpec {
            toml: &pts,
            id: "pts",
            fields: pts_fields(),
            features: pts_features(),
        },
        LayerSpec {
            toml: &zones,
            id: "zones",
            fields: vec![Field::new("名称", FieldType::String)],
            features: zones_features(),
        },
        LayerSpec {
            toml: &rowpol,
            id: "rowpol",
            fields: vec![
                Field::new("名称", FieldType::String),
                Field::new("公開", FieldType::Bool),
            ],
            features: rowpol_features(),
        },
        LayerSpec {
            toml: &closed,
            id: "closed",
            fields: pts_fields(),
            features: pts_features(),
        },
    ])
}
