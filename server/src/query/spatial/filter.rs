//! Request filters on top of the policy: CQL2-text `filter=`, simple `attr=value` and the
//! `hazard=` convenience for shelters.
//!
//! A filter may only name attributes the caller can see. A hidden attribute is refused with
//! the same message as one that does not exist, so a filter can neither read hidden values
//! nor confirm that a hidden attribute exists.

use super::SpatialError;
use crate::access::LayerView;
use crate::cql2::{Expr, Filter};
use crate::model::{Feature, FieldType, Value};

/// The hazard names `hazard=` accepts, and the shelter attribute each one means.
pub const HAZARDS: &[(&str, &str)] = &[
    ("洪水", "洪水"),
    ("土砂", "土砂災害"),
    ("土砂災害", "土砂災害"),
    ("崖崩れ", "土砂災害"),
    ("地震", "地震"),
    ("津波", "津波"),
    ("高潮", "高潮"),
    ("火事", "大規模な火事"),
    ("大規模な火事", "大規模な火事"),
    ("内水氾濫", "内水氾濫"),
    ("火山", "火山現象"),
    ("火山現象", "火山現象"),
    // The English keys of the 防災モード URL (`/?mode=bousai&hazard=flood`).
    ("flood", "洪水"),
    ("dosha", "土砂災害"),
    ("jishin", "地震"),
    ("tsunami", "津波"),
    ("takashio", "高潮"),
];

/// The filters a request asks for, as text.
#[derive(Debug, Clone, Default)]
pub struct FilterSpec {
    /// CQL2-text.
    pub cql2: Option<String>,
    /// `filter-lang`; only `cql2-text` is supported.
    pub filter_lang: Option<String>,
    /// `attr=value` pairs: every one must hold.
    pub equals: Vec<(String, String)>,
    /// Comma-separated hazard names (see [`HAZARDS`]): the shelter must be designated for all.
    pub hazard: Option<String>,
}

/// A filter bound to one layer view.
#[derive(Debug, Default)]
pub struct FeatureFilter {
    cql2: Option<Filter>,
    equals: Vec<(usize, Expected)>,
    designated: Vec<usize>,
}

#[derive(Debug)]
enum Expected {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl FeatureFilter {
    /// Checks the spec against what `view` shows and binds it to the layer's schema.
    pub fn bind(view: &LayerView, spec: &FilterSpec) -> Result<Self, SpatialError> {
        Ok(Self {
            cql2: bind_cql2(view, spec)?,
            equals: spec
                .equals
                .iter()
                .map(|(name, value)| bind_equals(view, name, value))
                .collect::<Result<_, _>>()?,
            designated: match &spec.hazard {
                Some(h) => bind_hazards(view, h)?,
                None => Vec::new(),
            },
        })
    }

    /// True if the feature passes every requested filter (the policy is checked separately).
    pub fn matches(&self, f: &Feature) -> bool {
        self.equals.iter().all(|(i, e)| e.holds(f.property(*i)))
            && self.designated.iter().all(|&i| truthy(f.property(i)))
            && self.cql2.as_ref().is_none_or(|c| c.matches(f))
    }
}

fn bind_cql2(view: &LayerView, spec: &FilterSpec) -> Result<Option<Filter>, SpatialError> {
    if let Some(lang) = spec.filter_lang.as_deref().filter(|l| *l != "cql2-text") {
        return Err(SpatialError::parameter(
            "filter-lang",
            lang,
            "only `cql2-text` is supported",
            "cql2-text のみ対応しています",
        ));
    }
    let Some(text) = spec.cql2.as_deref() else {
        return Ok(None);
    };
    let expr = Expr::parse(text)?;
    if let Some(hidden) = expr.attributes().into_iter().find(|n| !view.shows(n)) {
        return Err(SpatialError::parameter(
            "filter",
            text,
            format!("unknown property `{hidden}`"),
            format!("属性 `{hidden}` はありません"),
        ));
    }
    Ok(Some(expr.bind(&view.layer.schema)?))
}

fn column(view: &LayerView, param: &str, name: &str) -> Result<usize, SpatialError> {
    view.layer
        .schema
        .index_of(name)
        .filter(|_| view.shows(name))
        .ok_or_else(|| {
            SpatialError::parameter(
                param,
                name,
                format!("layer `{}` has no attribute `{name}`", view.layer.id()),
                format!(
                    "レイヤー `{}` に属性 `{name}` はありません",
                    view.layer.id()
                ),
            )
        })
}

fn bind_equals(
    view: &LayerView,
    name: &str,
    value: &str,
) -> Result<(usize, Expected), SpatialError> {
    let i = column(view, name, name)?;
    let bad =
        |what: &str, ja: &str| SpatialError::parameter(name, value, format!("must be {what}"), ja);
    let expected = match view.layer.schema.field(i).ty {
        FieldType::Bool => Expected::Bool(match value.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(bad("true or false", "true か false で指定してください")),
        }),
        FieldType::Int | FieldType::Float => Expected::Number(
            value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad("a number", "数値で指定してください"))?,
        ),
        FieldType::String | FieldType::Date | FieldType::Json => Expected::Text(value.to_owned()),
    };
    Ok((i, expected))
}

fn bind_hazards(view: &LayerView, list: &str) -> Result<Vec<usize>, SpatialError> {
    hazard_attributes(list)?
        .into_iter()
        .map(|attribute| column(view, "hazard", attribute))
        .collect()
}

/// The shelter attributes a comma-separated `hazard=` value names.
pub fn hazard_attributes(list: &str) -> Result<Vec<&'static str>, SpatialError> {
    list.split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            HAZARDS
                .iter()
                .find(|(name, _)| *name == h)
                .map(|(_, attr)| *attr)
                .ok_or_else(|| {
                    let names: Vec<&str> = HAZARDS.iter().map(|(n, _)| *n).collect();
                    SpatialError::parameter(
                        "hazard",
                        h,
                        format!("unknown hazard; use one of {}", names.join(", ")),
                        format!(
                            "災害の種類が不明です。次のいずれかで指定してください: {}",
                            names.join(", ")
                        ),
                    )
                })
        })
        .collect()
}

impl Expected {
    #[expect(
        clippy::float_cmp,
        reason = "`attr=value` asks for equality, as SQL `=` does"
    )]
    fn holds(&self, v: &Value) -> bool {
        match (self, v) {
            (Self::Bool(b), Value::Bool(x)) => b == x,
            (Self::Number(n), v) => v.as_f64().is_some_and(|x| x == *n),
            (Self::Text(t), Value::String(s)) => **s == **t,
            _ => false,
        }
    }
}

/// Whether a hazard attribute says "designated": `true`, a non-zero number, or text other
/// than empty, `0` or `false` (the GSI source writes `1` and the empty string).
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::String(s) => {
            let s = s.trim();
            !(s.is_empty() || s == "0" || s.eq_ignore_ascii_case("false"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Value::Bool(true), true)]
    #[case(Value::Bool(false), false)]
    #[case(Value::String("1".into()), true)]
    #[case(Value::String(String::new().into()), false)]
    #[case(Value::String("0".into()), false)]
    #[case(Value::Int(1), true)]
    #[case(Value::Null, false)]
    fn hazard_designation_reads_bools_and_gsi_flags(#[case] v: Value, #[case] expected: bool) {
        assert_eq!(truthy(&v), expected);
    }

    #[test]
    fn numbers_compare_across_int_and_float() {
        assert!(Expected::Number(150.0).holds(&Value::Int(150)));
        assert!(!Expected::Number(150.5).holds(&Value::Int(150)));
        assert!(!Expected::Text("1".into()).holds(&Value::Int(1)));
    }
}
