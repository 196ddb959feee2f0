//! Typed attribute values and layer schemas.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The type of one attribute column.
///
/// `Date` values are ISO-8601 strings (`2024-04-01`); `Json` values are JSON text (for
/// nested data such as a survey history) and are emitted as JSON, not as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Bool,
    Int,
    Float,
    String,
    Date,
    Json,
}

impl FieldType {
    /// The type name used by OGC queryables (JSON Schema) and TileJSON `vector_layers`.
    pub fn json_schema_type(self) -> &'static str {
        match self {
            FieldType::Bool => "boolean",
            FieldType::Int => "integer",
            FieldType::Float => "number",
            FieldType::String | FieldType::Date => "string",
            FieldType::Json => "object",
        }
    }

    /// The type name TileJSON `vector_layers.fields` uses.
    pub fn tilejson_type(self) -> &'static str {
        match self {
            FieldType::Bool => "Boolean",
            FieldType::Int | FieldType::Float => "Number",
            FieldType::String | FieldType::Date | FieldType::Json => "String",
        }
    }
}

/// One attribute value. Strings are boxed to keep a `Value` at 24 bytes: a layer of a
/// million features holds several million of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Box<str>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as JSON, given its column type (`Json` columns are parsed back).
    pub fn to_json(&self, ty: FieldType) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) if ty == FieldType::Json => {
                serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_string()))
            }
            Value::String(s) => serde_json::Value::String(s.to_string()),
        }
    }

    /// Orders values for `sortby`: nulls first, then numbers, booleans and strings.
    pub fn sort_cmp(&self, other: &Value) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Null, _) => Ordering::Less,
            (_, Value::Null) => Ordering::Greater,
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => a.rank().cmp(&b.rank()),
            },
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::Float(_) => 2,
            Value::String(_) => 3,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::String(s) => f.write_str(s),
        }
    }
}

/// One attribute column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
}

impl Field {
    pub fn new(name: impl Into<String>, ty: FieldType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }
}

/// The ordered attribute columns of a layer version, with a name index.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    fields: Vec<Field>,
    index: HashMap<String, usize>,
}

impl Schema {
    pub fn new(fields: Vec<Field>) -> Self {
        let index = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        Self { fields, index }
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The column index of an attribute name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn field(&self, i: usize) -> &Field {
        &self.fields[i]
    }

    /// The same columns at the same indices, but only those in `visible` can be found by
    /// name. Binding a caller's filter against it gives the same "unknown property" error
    /// for a hidden attribute as for one that does not exist, so errors reveal nothing.
    pub fn restricted(&self, visible: &[usize]) -> Schema {
        let index = visible
            .iter()
            .filter_map(|&i| Some((self.fields.get(i)?.name.clone(), i)))
            .collect();
        Schema {
            fields: self.fields.clone(),
            index,
        }
    }
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.fields == other.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stays_small() {
        assert!(size_of::<Value>() <= 24);
    }

    #[test]
    fn json_columns_are_emitted_as_json() {
        let v = Value::String(r#"[{"a":1}]"#.into());
        assert_eq!(v.to_json(FieldType::Json), serde_json::json!([{"a": 1}]));
        assert_eq!(
            v.to_json(FieldType::String),
            serde_json::json!(r#"[{"a":1}]"#)
        );
    }

    #[test]
    fn sort_puts_nulls_first_and_compares_numbers_across_types() {
        assert!(Value::Null.sort_cmp(&Value::Int(1)).is_lt());
        assert!(Value::Int(2).sort_cmp(&Value::Float(1.5)).is_gt());
        assert!(
            Value::String("あ".into())
                .sort_cmp(&Value::String("い".into()))
                .is_lt()
        );
    }
}
