//! `shelters`: the real GSI 指定緊急避難場所 and 指定避難所 records, merged into one layer.

use std::path::Path;

use geo::{Geometry, Point};
use serde_json::Value as Json;

use super::{GenError, Layer, read_json, s, schema};
use crate::model::{Feature, FieldType, Schema, Value};

/// Hazard columns, with the source property each comes from.
const HAZARDS: &[(&str, &str)] = &[
    ("洪水", "洪水"),
    ("土砂災害", "崖崩れ、土石流及び地滑り"),
    ("高潮", "高潮"),
    ("地震", "地震"),
    ("津波", "津波"),
    ("大規模な火事", "大規模な火事"),
    ("内水氾濫", "内水氾濫"),
    ("火山現象", "火山現象"),
];

pub(crate) fn layer_schema() -> Schema {
    let mut fields = vec![
        ("名称", FieldType::String),
        ("住所", FieldType::String),
        ("種別", FieldType::String),
        ("共通ID", FieldType::String),
        ("NO", FieldType::Int),
    ];
    fields.extend(HAZARDS.iter().map(|&(name, _)| (name, FieldType::Bool)));
    fields.extend([
        ("受入対象者", FieldType::String),
        ("備考", FieldType::String),
    ]);
    schema(&fields)
}

/// Reads both files: emergency sites first, then shelters, each in file order.
pub(crate) fn build(emergency: &Path, shelters: &Path) -> Result<Layer, GenError> {
    let mut features = Vec::new();
    for (path, kind) in [(emergency, "指定緊急避難場所"), (shelters, "指定避難所")] {
        let json = read_json(path)?;
        let records = json
            .get("features")
            .and_then(Json::as_array)
            .ok_or_else(|| GenError::Source {
                path: path.to_path_buf(),
                message: "expected a GeoJSON FeatureCollection".into(),
            })?;
        for (i, record) in records.iter().enumerate() {
            let (geometry, props) = parse(record, kind).ok_or_else(|| GenError::Source {
                path: path.to_path_buf(),
                message: format!("feature {i}: expected a Point with properties"),
            })?;
            features.push(Feature::new(
                features.len() as u64 + 1,
                geometry,
                props.into(),
            ));
        }
    }
    Ok(Layer {
        id: "shelters",
        schema: layer_schema(),
        features,
    })
}

fn parse(record: &Json, kind: &str) -> Option<(Geometry, Vec<Value>)> {
    let xy = record.pointer("/geometry/coordinates")?;
    let point = Point::new(xy.get(0)?.as_f64()?, xy.get(1)?.as_f64()?);
    let p = record.get("properties")?;
    let mut values = vec![
        text(p, "施設・場所名"),
        text(p, "住所"),
        s(kind),
        text(p, "共通ID"),
        p.get("NO")
            .and_then(Json::as_i64)
            .map_or(Value::Null, Value::Int),
    ];
    values.extend(
        HAZARDS
            .iter()
            .map(|&(_, source)| Value::Bool(p.get(source).and_then(Json::as_str) == Some("1"))),
    );
    values.extend([text(p, "受入対象者"), text(p, "備考")]);
    Some((Geometry::Point(point), values))
}

/// A string property; missing, null and empty all become null.
fn text(p: &Json, key: &str) -> Value {
    match p.get(key).and_then(Json::as_str).map(str::trim) {
        Some(t) if !t.is_empty() => s(t),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn record(props: &str) -> Json {
        serde_json::from_str(&format!(
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[130.1,33.1]}},"properties":{props}}}"#
        ))
        .unwrap()
    }

    #[rstest]
    #[case(
        r#"{"崖崩れ、土石流及び地滑り":"1","津波":""}"#,
        "土砂災害",
        Value::Bool(true)
    )]
    #[case(
        r#"{"崖崩れ、土石流及び地滑り":"1","津波":""}"#,
        "津波",
        Value::Bool(false)
    )]
    #[case(r#"{"受入対象者":null}"#, "受入対象者", Value::Null)]
    #[case(r#"{"備考":""}"#, "備考", Value::Null)]
    #[case(r#"{"施設・場所名":"古枝小学校"}"#, "名称", s("古枝小学校"))]
    #[case(r#"{"NO":103548}"#, "NO", Value::Int(103_548))]
    fn properties_map_to_columns(#[case] props: &str, #[case] column: &str, #[case] want: Value) {
        let (_, values) = parse(&record(props), "指定緊急避難場所").unwrap();
        let i = layer_schema().index_of(column).unwrap();
        assert_eq!(values[i], want);
    }
}
