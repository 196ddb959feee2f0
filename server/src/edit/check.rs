//! What an edit may write: a GeoJSON Feature checked against the layer's schema and field
//! rules (type, required, choices), its geometry kind and the city's area, and the
//! conversions between a feature and the log's [`State`]. Every refusal names the field in
//! Japanese and English.

use geo::{
    Area as _, Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
    Polygon, Validation as _,
};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use super::Refusal;
use super::area::CityArea;
use super::log::State;
use crate::catalog::LayerDef;
use crate::model::{Feature, FieldType, Schema, Value};

/// The longest string value an edit may write (characters).
pub const MAX_TEXT: usize = 10_000;
/// The most coordinates one edited geometry may have.
pub const MAX_COORDS: usize = 100_000;
/// Metres in a degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

/// A strong ETag naming one state of one feature of one layer: an `If-Match` taken from
/// another feature or another state never matches.
pub fn etag(layer: &str, id: u64, state: &State) -> String {
    let mut h = Sha256::new();
    h.update(layer.as_bytes());
    h.update([0]);
    h.update(id.to_le_bytes());
    h.update(state.geometry.to_string().as_bytes());
    h.update([0]);
    h.update(
        Json::Object(state.properties.clone())
            .to_string()
            .as_bytes(),
    );
    format!("\"f{}\"", hex::encode(&h.finalize()[..12]))
}

/// A feature's state: its geometry as GeoJSON and every property by name.
pub fn state_of(schema: &Schema, f: &Feature) -> State {
    State {
        geometry: geojson(&f.geometry),
        properties: schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, field)| (field.name.clone(), f.property(i).to_json(field.ty)))
            .collect(),
    }
}

/// A logged state back as a feature (the state was checked when it was logged).
pub fn feature_of(schema: &Schema, id: u64, state: &State) -> Result<Feature, Refusal> {
    let geometry = geometry(&state.geometry)?;
    let mut props = vec![Value::Null; schema.len()];
    for (i, field) in schema.fields().iter().enumerate() {
        if let Some(v) = state.properties.get(&field.name) {
            props[i] = value(&field.name, field.ty, v)?;
        }
    }
    Ok(Feature::new(id, geometry, props.into()))
}

/// Checks a GeoJSON Feature against the layer and returns its state. `visible` names the
/// attributes the editor may write; `keep` supplies the values of the others (a replace
/// keeps what the editor cannot see) and `filled` values the server fills in.
pub fn checked(
    def: &LayerDef,
    schema: &Schema,
    area: &CityArea,
    input: &Json,
    visible: &dyn Fn(&str) -> bool,
    keep: Option<&State>,
    filled: &[(String, Json)],
) -> Result<State, Refusal> {
    let obj = input.as_object().ok_or_else(|| {
        Refusal::body(
            "a GeoJSON Feature object",
            "GeoJSON の Feature オブジェクト",
        )
    })?;
    if obj.get("type").and_then(Json::as_str) != Some("Feature") {
        return Err(Refusal::body(
            "`type` must be \"Feature\"",
            "`type` は \"Feature\" でなければなりません",
        ));
    }
    let g = obj
        .get("geometry")
        .filter(|g| !g.is_null())
        .ok_or_else(|| {
            Refusal::field("geometry", "a geometry is required", "ジオメトリが必要です")
        })?;
    let geometry = geometry(g)?;
    check_geometry(def, area, &geometry)?;
    let empty = Map::new();
    let given = match obj.get("properties") {
        None | Some(Json::Null) => &empty,
        Some(Json::Object(m)) => m,
        Some(_) => {
            return Err(Refusal::field(
                "properties",
                "must be an object",
                "オブジェクトでなければなりません",
            ));
        }
    };
    let mut properties = Map::new();
    for (name, v) in given {
        let field = schema
            .index_of(name)
            .filter(|_| visible(name))
            .map(|i| schema.field(i))
            .ok_or_else(|| {
                Refusal::field(
                    name,
                    "this layer has no such attribute",
                    "このレイヤーにはない属性です",
                )
            })?;
        let typed = value(name, field.ty, v)?;
        check_rules(def, name, field.ty, &typed)?;
        properties.insert(name.clone(), typed.to_json(field.ty));
    }
    for field in schema.fields() {
        if !visible(&field.name)
            && let Some(v) = keep.and_then(|k| k.properties.get(&field.name))
        {
            properties.insert(field.name.clone(), v.clone());
        }
    }
    for (name, v) in filled {
        let missing = properties.get(name).is_none_or(Json::is_null);
        let ty = schema.index_of(name).map(|i| schema.field(i).ty);
        // A filled value of another type (a linked layer's number for a text field) is
        // converted, or left out when it cannot be: a fill never makes an edit fail.
        if let (true, Some(ty)) = (missing, ty)
            && let Ok(typed) = value(name, ty, v)
        {
            properties.insert(name.clone(), typed.to_json(ty));
        }
    }
    for field in schema.fields() {
        properties.entry(field.name.clone()).or_insert(Json::Null);
    }
    for (name, rule) in &def.fields {
        if rule.required && properties.get(name).is_none_or(Json::is_null) {
            return Err(Refusal::field(name, "a value is required", "値が必要です"));
        }
    }
    Ok(State {
        geometry: geojson(&geometry),
        properties: order(schema, properties),
    })
}

/// Properties in schema order (so equal states serialise, and hash, alike).
fn order(schema: &Schema, mut props: Map<String, Json>) -> Map<String, Json> {
    schema
        .fields()
        .iter()
        .map(|f| {
            let v = props.remove(&f.name).unwrap_or(Json::Null);
            (f.name.clone(), v)
        })
        .collect()
}

/// The declared rules of one field: the declared type, and the allowed values.
fn check_rules(def: &LayerDef, name: &str, ty: FieldType, v: &Value) -> Result<(), Refusal> {
    let Some(rule) = def.fields.get(name) else {
        return Ok(());
    };
    if v.is_null() {
        return Ok(());
    }
    if let Some(declared) = rule.field_type
        && declared != ty
    {
        value(name, declared, &v.to_json(ty))?;
    }
    if !rule.choices.is_empty() {
        let text = v.to_string();
        if !rule.choices.contains(&text) {
            let list = rule.choices.join(", ");
            return Err(Refusal::field(
                name,
                &format!("`{text}` is not one of the allowed values: {list}"),
                &format!(
                    "「{text}」は選択肢（{}）にありません",
                    rule.choices.join("・")
                ),
            ));
        }
    }
    Ok(())
}

/// A JSON value as a typed value of a column, or a refusal naming the field.
pub fn value(name: &str, ty: FieldType, v: &Json) -> Result<Value, Refusal> {
    let wrong = |en: &str, ja: &str| Refusal::field(name, en, ja);
    Ok(match (ty, v) {
        (_, Json::Null) => Value::Null,
        (FieldType::Bool, Json::Bool(b)) => Value::Bool(*b),
        (FieldType::Int, Json::Number(n)) => Value::Int(
            n.as_i64()
                .ok_or_else(|| wrong("must be an integer", "整数でなければなりません"))?,
        ),
        (FieldType::Float, Json::Number(n)) => {
            Value::Float(n.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                wrong("must be a finite number", "有限の数値でなければなりません")
            })?)
        }
        (FieldType::String, Json::String(s)) => Value::String(text(name, s)?.into()),
        (FieldType::Date, Json::String(s)) if is_date(s) => Value::String(s.as_str().into()),
        (FieldType::Date, _) => {
            return Err(wrong(
                "must be a date such as 2026-04-01",
                "2026-04-01 のような日付でなければなりません",
            ));
        }
        (FieldType::Json, Json::Array(_) | Json::Object(_)) => {
            Value::String(text(name, &v.to_string())?.into())
        }
        (FieldType::Bool, _) => {
            return Err(wrong(
                "must be true or false",
                "true か false でなければなりません",
            ));
        }
        (FieldType::Int, _) => return Err(wrong("must be an integer", "整数でなければなりません")),
        (FieldType::Float, _) => return Err(wrong("must be a number", "数値でなければなりません")),
        (FieldType::String, _) => return Err(wrong("must be text", "文字列でなければなりません")),
        (FieldType::Json, _) => {
            return Err(wrong(
                "must be a JSON array or object",
                "JSON の配列かオブジェクトでなければなりません",
            ));
        }
    })
}

fn text<'a>(name: &str, s: &'a str) -> Result<&'a str, Refusal> {
    if s.chars().count() > MAX_TEXT {
        return Err(Refusal::field(
            name,
            &format!("is longer than {MAX_TEXT} characters"),
            &format!("{MAX_TEXT} 文字を超えています"),
        ));
    }
    Ok(s)
}

/// `YYYY-MM-DD` with a real month and day.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn check_geometry(def: &LayerDef, area: &CityArea, g: &Geometry<f64>) -> Result<(), Refusal> {
    if !def.geometry.accepts(g) {
        let (en, ja) = def.geometry.words();
        return Err(Refusal::field(
            "geometry",
            &format!("must be {en} for this layer"),
            &format!("このレイヤーのジオメトリは{ja}です"),
        ));
    }
    if !area.holds(g) {
        return Err(Refusal::field(
            "geometry",
            "lies outside the city",
            "市域の外にあります",
        ));
    }
    Ok(())
}

/// A GeoJSON geometry object as a geo geometry (no collections; finite coordinates only).
pub fn geometry(g: &Json) -> Result<Geometry<f64>, Refusal> {
    let bad = |en: &str, ja: &str| Refusal::field("geometry", en, ja);
    let ty = g.get("type").and_then(Json::as_str).unwrap_or("");
    let c = g.get("coordinates").unwrap_or(&Json::Null);
    let mut budget = MAX_COORDS;
    let geometry = match ty {
        "Point" => Geometry::Point(Point(coord(c, &mut budget)?)),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            list(c)?
                .iter()
                .map(|p| coord(p, &mut budget).map(Point))
                .collect::<Result<_, _>>()?,
        )),
        "LineString" => Geometry::LineString(line(c, 2, &mut budget)?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            list(c)?
                .iter()
                .map(|l| line(l, 2, &mut budget))
                .collect::<Result<_, _>>()?,
        )),
        "Polygon" => Geometry::Polygon(polygon(c, &mut budget)?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            list(c)?
                .iter()
                .map(|p| polygon(p, &mut budget))
                .collect::<Result<_, _>>()?,
        )),
        _ => {
            return Err(bad(
                "must be a GeoJSON Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon",
                "GeoJSON の Point・MultiPoint・LineString・MultiLineString・Polygon・MultiPolygon のいずれかでなければなりません",
            ));
        }
    };
    let empty = match &geometry {
        Geometry::MultiPoint(m) => m.0.is_empty(),
        Geometry::MultiLineString(m) => m.0.is_empty(),
        Geometry::MultiPolygon(m) => m.0.is_empty(),
        _ => false,
    };
    if empty {
        return Err(bad("is empty", "空のジオメトリです"));
    }
    Ok(geometry)
}

fn list(c: &Json) -> Result<&Vec<Json>, Refusal> {
    c.as_array().ok_or_else(|| {
        Refusal::field(
            "geometry",
            "`coordinates` must be an array",
            "`coordinates` は配列でなければなりません",
        )
    })
}

fn coord(c: &Json, budget: &mut usize) -> Result<Coord<f64>, Refusal> {
    let bad = || {
        Refusal::field(
            "geometry",
            "a position must be [longitude, latitude] in degrees",
            "座標は [経度, 緯度]（度）でなければなりません",
        )
    };
    *budget = budget.checked_sub(1).ok_or_else(|| {
        Refusal::field(
            "geometry",
            &format!("has more than {MAX_COORDS} positions"),
            &format!("座標が {MAX_COORDS} 点を超えています"),
        )
    })?;
    let a = c
        .as_array()
        .filter(|a| (2..=3).contains(&a.len()))
        .ok_or_else(bad)?;
    let x = a[0]
        .as_f64()
        .filter(|x| x.is_finite() && x.abs() <= 180.0)
        .ok_or_else(bad)?;
    let y = a[1]
        .as_f64()
        .filter(|y| y.is_finite() && y.abs() <= 90.0)
        .ok_or_else(bad)?;
    Ok(Coord { x, y })
}

fn line(c: &Json, min: usize, budget: &mut usize) -> Result<LineString<f64>, Refusal> {
    let pts: Vec<Coord<f64>> = list(c)?
        .iter()
        .map(|p| coord(p, budget))
        .collect::<Result<_, _>>()?;
    if pts.len() < min {
        return Err(Refusal::field(
            "geometry",
            &format!("a line or ring needs at least {min} positions"),
            &format!("線や環には {min} 点以上の座標が必要です"),
        ));
    }
    Ok(LineString(pts))
}

fn polygon(c: &Json, budget: &mut usize) -> Result<Polygon<f64>, Refusal> {
    let rings: Vec<LineString<f64>> = list(c)?
        .iter()
        .map(|r| line(r, 4, budget))
        .collect::<Result<_, _>>()?;
    let Some((outer, inner)) = rings.split_first() else {
        return Err(Refusal::field(
            "geometry",
            "a polygon needs a ring",
            "面には環が必要です",
        ));
    };
    if rings.iter().any(|r| r.0.first() != r.0.last()) {
        return Err(Refusal::field(
            "geometry",
            "every ring must end where it starts",
            "環の始点と終点が一致していません",
        ));
    }
    let polygon = Polygon::new(outer.clone(), inner.to_vec());
    if let Err(e) = polygon.check_validation() {
        use geo::algorithm::validation::InvalidPolygon as I;
        let (en, ja) = match e {
            I::TooFewPointsInRing(_) => (
                "a ring needs at least 3 distinct corners",
                "面の環には異なる 3 点以上の角が必要です",
            ),
            I::SelfIntersection(_) => (
                "the outline crosses itself: give the corners in order around the area",
                "輪郭が交差しています。角は周りに沿って順にたどってください",
            ),
            _ => (
                "a hole must lie inside the outline without crossing another ring",
                "穴は外周の内側にあり、他の環と交差してはいけません",
            ),
        };
        return Err(Refusal::field("geometry", en, ja));
    }
    // Square metres, near enough at a city's size: degrees² scaled at the ring's latitude.
    let lat = outer.0.first().map_or(0.0, |c| c.y.to_radians());
    let m2 = polygon.unsigned_area() * METRES_PER_DEGREE.powi(2) * lat.cos();
    if m2 < 1.0 {
        return Err(Refusal::field(
            "geometry",
            "has no area (under 1 m²): are its corners on one line?",
            "面積がありません（1 m² 未満）。角が一直線上にありませんか",
        ));
    }
    Ok(polygon)
}

fn geojson(g: &Geometry<f64>) -> Json {
    let c = |c: &Coord<f64>| Json::from(vec![c.x, c.y]);
    let l = |l: &LineString<f64>| Json::Array(l.0.iter().map(c).collect());
    let p = |p: &Polygon<f64>| {
        Json::Array(
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(l)
                .collect(),
        )
    };
    let (ty, coords) = match g {
        Geometry::Point(pt) => ("Point", c(&pt.0)),
        Geometry::MultiPoint(m) => (
            "MultiPoint",
            Json::Array(m.0.iter().map(|pt| c(&pt.0)).collect()),
        ),
        Geometry::LineString(ls) => ("LineString", l(ls)),
        Geometry::MultiLineString(m) => {
            ("MultiLineString", Json::Array(m.0.iter().map(l).collect()))
        }
        Geometry::Polygon(pg) => ("Polygon", p(pg)),
        Geometry::MultiPolygon(m) => ("MultiPolygon", Json::Array(m.0.iter().map(p).collect())),
        Geometry::Rect(r) => return geojson(&Geometry::Polygon(r.to_polygon())),
        other => {
            return geojson(&Geometry::GeometryCollection(geo::GeometryCollection(
                vec![other.clone()],
            )));
        }
    };
    serde_json::json!({ "type": ty, "coordinates": coords })
}

/// The refusal of a patch that is not a JSON object.
pub fn not_a_patch() -> Refusal {
    Refusal::body(
        "a JSON merge patch object",
        "JSON マージパッチのオブジェクト",
    )
}

/// True when an `id` given in a body names feature `id`.
pub fn same_id(given: &Json, id: u64) -> bool {
    given.as_u64() == Some(id) || given.as_str() == Some(id.to_string().as_str())
}

/// The feature document a merge patch makes of `before` (with only the attributes the
/// editor sees, as it read them), refused when the patch is not an object or changes the id.
pub fn patched(
    before: &State,
    id: u64,
    visible: &dyn Fn(&str) -> bool,
    patch: &Json,
) -> Result<Json, Refusal> {
    if !patch.is_object() {
        return Err(not_a_patch());
    }
    let shown: Map<String, Json> = before
        .properties
        .iter()
        .filter(|(k, _)| visible(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut doc = serde_json::json!({
        "type": "Feature",
        "geometry": before.geometry,
        "properties": shown,
    });
    merge_patch(&mut doc, patch);
    if doc.get("id").is_some_and(|given| !same_id(given, id)) {
        return Err(Refusal::field(
            "id",
            "a feature's id cannot change",
            "地物の id は変更できません",
        ));
    }
    Ok(doc)
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut Json, patch: &Json) {
    let Json::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Json::Object(Map::new());
    }
    if let Json::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Json::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": [1]});
        merge_patch(&mut t, &json!({"a": [2, 3]}));
        assert_eq!(t, json!({"a": [2, 3]}));
    }

    #[test]
    fn dates_must_be_real() {
        assert!(is_date("2026-02-28"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2026-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("26-1-1"));
    }

    #[test]
    fn geometries_round_trip_and_bad_ones_are_refused() {
        let p = json!({"type": "Polygon", "coordinates": [[[130.0, 33.0], [130.1, 33.0], [130.1, 33.1], [130.0, 33.0]]]});
        assert_eq!(geojson(&geometry(&p).unwrap()), p);
        for bad in [
            json!({"type": "Point", "coordinates": [200.0, 33.0]}),
            json!({"type": "Point", "coordinates": ["a", 1]}),
            json!({"type": "Polygon", "coordinates": [[[130.0, 33.0], [130.1, 33.0], [130.1, 33.1], [130.2, 33.0]]]}),
            json!({"type": "GeometryCollection", "geometries": []}),
            json!({"type": "MultiPoint", "coordinates": []}),
        ] {
            assert!(geometry(&bad).is_err(), "{bad}");
        }
    }
}
