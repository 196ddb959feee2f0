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

/// Readings (よみ) of the facility names, so a name can be found as it sounds (めいりん).
/// Written for this project from the names (the GSI data has none). A shelter-file name
/// `<facility>　体育館` reads as the facility's reading followed by たいいくかん.
const READINGS: &[(&str, &str)] = &[
    ("祐徳稲荷神社参集殿", "ゆうとくいなりじんじゃさんしゅうでん"),
    ("古枝小学校", "ふるえだしょうがっこう"),
    ("林業センター", "りんぎょうせんたー"),
    ("林業体育館", "りんぎょうたいいくかん"),
    ("北鹿島体育館", "きたかしまたいいくかん"),
    (
        "七浦小学校音成分校",
        "ななうらしょうがっこうおとなりぶんこう",
    ),
    (
        "産業活性化施設（海道しるべ）",
        "さんぎょうかっせいかしせつ かいどうしるべ",
    ),
    (
        "七浦海浜スポーツ公園体育館",
        "ななうらかいひんすぽーつこうえんたいいくかん",
    ),
    ("七浦小学校", "ななうらしょうがっこう"),
    ("漁村センター", "ぎょそんせんたー"),
    ("市民球場", "しみんきゅうじょう"),
    ("市民体育館", "しみんたいいくかん"),
    ("鹿島商工会議所", "かしましょうこうかいぎしょ"),
    ("市民交流プラザ", "しみんこうりゅうぷらざ"),
    ("田澤記念館", "たざわきねんかん"),
    (
        "鹿島高等学校（赤門学舎）",
        "かしまこうとうがっこう あかもんがくしゃ",
    ),
    (
        "鹿島高等学校（大手門学舎）",
        "かしまこうとうがっこう おおてもんがくしゃ",
    ),
    ("市民武道館", "しみんぶどうかん"),
    ("鹿島小学校", "かしましょうがっこう"),
    ("ＪＡさが能古見支所", "じぇいえいさが のごみししょ"),
    ("のごみふれあい楽習館", "のごみふれあいがくしゅうかん"),
    ("能古見小学校", "のごみしょうがっこう"),
    ("北鹿島公民館", "きたかしまこうみんかん"),
    ("北鹿島小学校", "きたかしましょうがっこう"),
    ("五ノ宮神社", "ごのみやじんじゃ"),
    ("西部中学校", "せいぶちゅうがっこう"),
    ("生涯学習センター", "しょうがいがくしゅうせんたー"),
    ("ＪＡさが鹿島支所", "じぇいえいさが かしまししょ"),
    ("明倫小学校", "めいりんしょうがっこう"),
    ("浜小学校", "はましょうがっこう"),
    ("東部中学校", "とうぶちゅうがっこう"),
    ("臥竜ヶ岡体育館", "がりゅうがおかたいいくかん"),
];

/// The reading of a facility name, if known.
fn reading(name: &str) -> Option<String> {
    let find = |n: &str| READINGS.iter().find(|(k, _)| *k == n).map(|(_, r)| *r);
    if let Some(r) = find(name) {
        return Some(r.to_owned());
    }
    let base = name.strip_suffix("体育館")?.trim_end_matches(['　', ' ']);
    find(base).map(|r| format!("{r} たいいくかん"))
}

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
        ("よみ", FieldType::String),
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
    let name = p
        .get("施設・場所名")
        .and_then(Json::as_str)
        .unwrap_or_default();
    values.push(reading(name.trim()).map_or(Value::Null, s));
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
    #[case(
        r#"{"施設・場所名":"明倫小学校"}"#,
        "よみ",
        s("めいりんしょうがっこう")
    )]
    #[case(r#"{"施設・場所名":"六洲荘"}"#, "よみ", Value::Null)]
    fn properties_map_to_columns(#[case] props: &str, #[case] column: &str, #[case] want: Value) {
        let (_, values) = parse(&record(props), "指定緊急避難場所").unwrap();
        let i = layer_schema().index_of(column).unwrap();
        assert_eq!(values[i], want);
    }

    /// 六洲荘 has no reading: its reading is not certain, and a wrong one would mislead.
    #[test]
    fn every_other_record_has_a_reading() {
        for path in [
            "kashima_kinkyu_hinanbasho_412074",
            "kashima_shitei_hinanjo_412074",
        ] {
            let file = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../data/source/{path}.geojson"));
            let json: Json = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            for record in json["features"].as_array().unwrap() {
                let name = record["properties"]["施設・場所名"].as_str().unwrap();
                if name != "六洲荘" {
                    assert!(reading(name).is_some(), "{name}");
                }
            }
        }
        assert_eq!(
            reading("明倫小学校　体育館").as_deref(),
            Some("めいりんしょうがっこう たいいくかん")
        );
    }
}
