//! Attribute types for formats that do not declare them (GeoJSON, CSV).

use crate::model::{Field, FieldType, Value};

/// What the values of one column looked like.
#[derive(Debug, Clone, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent flags, one per kind of value seen"
)]
pub struct ColumnStats {
    pub name: String,
    non_null: bool,
    bools: bool,
    ints: bool,
    floats: bool,
    strings: bool,
    json: bool,
    /// For text sources: every non-empty value is an integer / a decimal / a date.
    text_int: bool,
    text_float: bool,
    text_date: bool,
}

impl ColumnStats {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            text_int: true,
            text_float: true,
            text_date: true,
            ..Self::default()
        }
    }

    /// Records one JSON value.
    pub fn json_value(&mut self, v: &serde_json::Value) {
        use serde_json::Value as J;
        match v {
            J::Null => return,
            J::Bool(_) => self.bools = true,
            J::Number(n) if n.is_i64() => self.ints = true,
            J::Number(_) => self.floats = true,
            J::String(_) => self.strings = true,
            J::Array(_) | J::Object(_) => self.json = true,
        }
        self.non_null = true;
    }

    /// Records one text cell (CSV). Empty cells say nothing about the type.
    pub fn text_value(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.non_null = true;
        self.strings = true;
        self.text_int &= is_int_text(s);
        self.text_float &= is_decimal_text(s);
        self.text_date &= is_iso_date(s);
    }

    /// The type of a JSON-sourced column.
    pub fn json_type(&self) -> FieldType {
        let kinds = [
            self.bools,
            self.ints || self.floats,
            self.strings,
            self.json,
        ];
        if kinds.iter().filter(|k| **k).count() > 1 || !self.non_null {
            return FieldType::String;
        }
        if self.bools {
            FieldType::Bool
        } else if self.floats {
            FieldType::Float
        } else if self.ints {
            FieldType::Int
        } else if self.json {
            FieldType::Json
        } else {
            FieldType::String
        }
    }

    /// The type of a text-sourced column. `hint` is the current version's type of the
    /// same name: it wins when every value fits it, so a re-upload keeps the schema.
    pub fn text_type(&self, hint: Option<FieldType>) -> FieldType {
        let fits = |t: FieldType| match t {
            FieldType::String | FieldType::Json => true,
            FieldType::Int => self.text_int,
            FieldType::Float => self.text_float,
            FieldType::Date => self.text_date,
            FieldType::Bool => false,
        };
        if let Some(h) = hint.filter(|h| fits(*h)) {
            return h;
        }
        // Flags are written many ways (`true`, `1`, `○`, `有`, `'1'`/`''`): the text is kept
        // as it is, and the pipeline converts it to the declared type.
        if hint == Some(FieldType::Bool) {
            return FieldType::String;
        }
        if !self.non_null {
            FieldType::String
        } else if self.text_int {
            FieldType::Int
        } else if self.text_float {
            FieldType::Float
        } else {
            FieldType::String
        }
    }

    pub fn field(&self, ty: FieldType) -> Field {
        Field {
            name: self.name.clone(),
            ty,
        }
    }
}

/// An integer as people write it: no leading zeros (a code such as `0954` stays text).
fn is_int_text(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    !d.is_empty()
        && d.len() <= 18
        && d.bytes().all(|b| b.is_ascii_digit())
        && (d == "0" || !d.starts_with('0'))
}

fn is_decimal_text(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = d.split_once('.').unwrap_or((d, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'))
        && !d.ends_with('.')
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// A JSON value as a value of the column type.
pub fn from_json(v: &serde_json::Value, ty: FieldType) -> Value {
    use serde_json::Value as J;
    match (v, ty) {
        (J::Null, _) => Value::Null,
        (J::Bool(b), FieldType::Bool) => Value::Bool(*b),
        (J::Number(n), FieldType::Int) => n.as_i64().map_or(Value::Null, Value::Int),
        (J::Number(n), FieldType::Float) => n.as_f64().map_or(Value::Null, Value::Float),
        (J::String(s), _) => Value::String(s.as_str().into()),
        (other, _) => Value::String(other.to_string().into()),
    }
}

/// A text cell as a value of the column type. Empty cells are null except in text columns.
pub fn from_text(s: &str, ty: FieldType) -> Value {
    match ty {
        FieldType::String => Value::String(s.into()),
        _ if s.is_empty() => Value::Null,
        FieldType::Int => s.parse().map_or(Value::Null, Value::Int),
        FieldType::Float => s.parse().map_or(Value::Null, Value::Float),
        FieldType::Bool => match s {
            "true" | "TRUE" | "True" => Value::Bool(true),
            "false" | "FALSE" | "False" => Value::Bool(false),
            _ => Value::Null,
        },
        FieldType::Date | FieldType::Json => Value::String(s.into()),
    }
}

/// Makes a value fit its column type, so every value written matches the schema (SQLite
/// and FlatGeobuf values need not match their declared column). The flag is true when a
/// value could not be converted and became null.
pub fn conform(v: Value, ty: FieldType) -> (Value, bool) {
    let converted = match (v, ty) {
        (Value::Null, _) => return (Value::Null, false),
        (v @ Value::Int(_), FieldType::Int)
        | (v @ Value::Float(_), FieldType::Float)
        | (v @ Value::Bool(_), FieldType::Bool)
        | (v @ Value::String(_), FieldType::String | FieldType::Date | FieldType::Json) => Some(v),
        (Value::Int(i), FieldType::Float) => Some(Value::Float(i as f64)),
        (Value::Float(f), FieldType::Int) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
            Some(Value::Int(f as i64))
        }
        (Value::Int(i), FieldType::Bool) => Some(Value::Bool(i != 0)),
        (Value::String(s), FieldType::Int) => s.trim().parse().ok().map(Value::Int),
        (Value::String(s), FieldType::Float) => s.trim().parse().ok().map(Value::Float),
        (other, FieldType::String | FieldType::Date | FieldType::Json) => {
            Some(Value::String(other.to_string().into()))
        }
        _ => None,
    };
    match converted {
        Some(v) => (v, false),
        None => (Value::Null, true),
    }
}

/// A value converted to a layer's declared type, or `None` when it cannot be (the upload is
/// then refused, naming the value, instead of changing the column's type).
///
/// Booleans are read from `true`/`false`, `1`/`0`, `○`/`×`, `有`/`無` and `はい`/`いいえ`;
/// an empty text is `false` for a boolean (GSI writes its flags as `'1'`/`''`) and null for
/// a number. Numbers may be written with full-width digits.
pub fn to_declared(v: Value, ty: FieldType) -> Option<Value> {
    match (v, ty) {
        (Value::String(s), FieldType::Bool) => bool_text(&halfwidth(&s)).map(Value::Bool),
        (Value::String(s), FieldType::Int | FieldType::Float) if s.trim().is_empty() => {
            Some(Value::Null)
        }
        (Value::String(s), FieldType::Int) => {
            let t = halfwidth(&s);
            let t = t.trim();
            t.parse().ok().map(Value::Int).or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| Value::Int(f as i64))
            })
        }
        (Value::String(s), FieldType::Float) => halfwidth(&s).trim().parse().ok().map(Value::Float),
        (Value::Int(i), FieldType::Bool) => match i {
            0 => Some(Value::Bool(false)),
            1 => Some(Value::Bool(true)),
            _ => None,
        },
        (Value::Float(f), FieldType::Bool) if f.abs() < f64::EPSILON => Some(Value::Bool(false)),
        (Value::Float(f), FieldType::Bool) if (f - 1.0).abs() < f64::EPSILON => {
            Some(Value::Bool(true))
        }
        (Value::Float(f), FieldType::Int) if f.fract() != 0.0 => None,
        (v, ty) => match conform(v, ty) {
            (v, false) => Some(v),
            (_, true) => None,
        },
    }
}

/// Full-width ASCII (`１２３`, `ｔｒｕｅ`) and the ideographic space as plain ASCII.
fn halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2212}' => '-',
            c => c,
        })
        .collect()
}

fn bool_text(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" | "○" | "〇" | "◯" | "有" | "あり" | "はい" => {
            Some(true)
        }
        "false" | "f" | "no" | "n" | "0" | "×" | "✕" | "無" | "なし" | "いいえ" | "" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn text(values: &[&str], hint: Option<FieldType>) -> FieldType {
        let mut c = ColumnStats::new("x");
        for v in values {
            c.text_value(v);
        }
        c.text_type(hint)
    }

    #[rstest]
    #[case(&["1", "23", ""], None, FieldType::Int)]
    #[case(&["1", "2.5"], None, FieldType::Float)]
    #[case(&["0954", "12"], None, FieldType::String)]
    #[case(&["1", ""], Some(FieldType::String), FieldType::String)]
    #[case(&["2024-04-01"], Some(FieldType::Date), FieldType::Date)]
    #[case(&["abc"], Some(FieldType::Int), FieldType::String)]
    #[case(&["", ""], None, FieldType::String)]
    fn text_columns_get_types(
        #[case] values: &[&str],
        #[case] hint: Option<FieldType>,
        #[case] ty: FieldType,
    ) {
        assert_eq!(text(values, hint), ty);
    }

    #[rstest]
    #[case(Value::String("true".into()), FieldType::Bool, Some(Value::Bool(true)))]
    #[case(Value::String("1".into()), FieldType::Bool, Some(Value::Bool(true)))]
    #[case(Value::String("".into()), FieldType::Bool, Some(Value::Bool(false)))]
    #[case(Value::String("○".into()), FieldType::Bool, Some(Value::Bool(true)))]
    #[case(Value::String("×".into()), FieldType::Bool, Some(Value::Bool(false)))]
    #[case(Value::String("有".into()), FieldType::Bool, Some(Value::Bool(true)))]
    #[case(Value::String("無".into()), FieldType::Bool, Some(Value::Bool(false)))]
    #[case(Value::String("ＴＲＵＥ".into()), FieldType::Bool, Some(Value::Bool(true)))]
    #[case(Value::Int(0), FieldType::Bool, Some(Value::Bool(false)))]
    #[case(Value::Int(7), FieldType::Bool, None)]
    #[case(Value::String("たぶん".into()), FieldType::Bool, None)]
    #[case(Value::String("１２３".into()), FieldType::Int, Some(Value::Int(123)))]
    #[case(Value::String("－４".into()), FieldType::Int, Some(Value::Int(-4)))]
    #[case(Value::String("２．５".into()), FieldType::Float, Some(Value::Float(2.5)))]
    #[case(Value::String("".into()), FieldType::Int, Some(Value::Null))]
    #[case(Value::String("百".into()), FieldType::Int, None)]
    #[case(Value::Float(2.5), FieldType::Int, None)]
    #[case(Value::Bool(true), FieldType::String, Some(Value::String("true".into())))]
    fn values_convert_to_declared_types(
        #[case] v: Value,
        #[case] ty: FieldType,
        #[case] want: Option<Value>,
    ) {
        assert_eq!(to_declared(v, ty), want);
    }

    #[test]
    fn mixed_json_columns_become_text() {
        let mut c = ColumnStats::new("x");
        c.json_value(&serde_json::json!(1));
        c.json_value(&serde_json::json!(2.5));
        assert_eq!(c.json_type(), FieldType::Float);
        c.json_value(&serde_json::json!("a"));
        assert_eq!(c.json_type(), FieldType::String);
        assert_eq!(
            from_json(&serde_json::json!(3), FieldType::String),
            Value::String("3".into())
        );
    }
}
