//! Matching a file's columns to the layer's fields, and the types their values take.
//!
//! A column keeps its name when the layer knows it. Otherwise it is renamed to a layer field
//! by, in order: the upload's `mapping` (layer field → file column), a field's `aliases`, or
//! — for a DBF name cut at 10 bytes — the one field whose name starts with it. Every column
//! whose layer field has a type (declared in the definition, else the current version's) is
//! converted to it value by value; a value that does not convert refuses the upload.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::report::{Msg, Report, Severity, Where, msg};
use super::{IngestError, Target};
use crate::model::{Field, FieldType, Schema};

/// How a file's column was matched to a layer field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchedBy {
    /// The upload's `mapping`.
    Mapping,
    /// One of the field's `aliases`.
    Alias,
    /// A DBF name cut at 10 bytes that starts exactly one field's name.
    Truncated,
}

/// One renamed column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapped {
    pub field: String,
    pub column: String,
    pub by: MatchedBy,
}

/// The file's columns beside the layer's fields, for the upload form's mapping table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Columns {
    /// The file's own column names, in file order.
    pub file: Vec<String>,
    /// The fields the layer knows (declared, then the current version's), with their type.
    pub layer: Vec<LayerField>,
    pub mapped: Vec<Mapped>,
}

/// A field the layer knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerField {
    pub name: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<FieldType>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

/// What the pipeline writes: the renamed, retyped schema, and per column the type its
/// values are converted to (when it differs from the file's).
#[derive(Debug, Clone)]
pub struct Plan {
    pub schema: Schema,
    pub convert: Vec<Option<FieldType>>,
    /// Cut DBF names that were matched to a field (no longer "possibly truncated").
    pub completed: Vec<String>,
}

/// The fields the layer knows, with the type their values must take.
pub fn layer_fields(target: Target<'_>) -> Vec<LayerField> {
    let mut out: Vec<LayerField> = target
        .def
        .fields
        .iter()
        .map(|(name, f)| LayerField {
            name: name.clone(),
            ty: f.field_type.or_else(|| current_type(target, name)),
            required: f.required,
        })
        .collect();
    if let Some(v) = target.current {
        for f in v.schema.fields() {
            if !target.def.fields.contains_key(&f.name) {
                out.push(LayerField {
                    name: f.name.clone(),
                    ty: Some(f.ty),
                    required: false,
                });
            }
        }
    }
    out
}

fn current_type(target: Target<'_>, name: &str) -> Option<FieldType> {
    let s = &target.current?.schema;
    s.index_of(name).map(|i| s.field(i).ty)
}

/// Type hints for readers that guess types from text (CSV), by the file's column names:
/// the layer's fields under their own names, their aliases and their mapped columns.
pub fn hints(target: Target<'_>, mapping: &BTreeMap<String, String>) -> Schema {
    let mut fields = Vec::new();
    let mut seen = BTreeSet::new();
    for f in layer_fields(target) {
        let Some(ty) = f.ty else { continue };
        let aliases = target.def.fields.get(&f.name).map(|d| d.aliases.as_slice());
        let names = std::iter::once(&f.name)
            .chain(aliases.unwrap_or_default())
            .chain(mapping.get(&f.name));
        for n in names {
            if seen.insert(n.clone()) {
                fields.push(Field::new(n.clone(), ty));
            }
        }
    }
    Schema::new(fields)
}

/// Matches the file's columns to the layer's fields; refuses a `mapping` that names a field
/// the layer lacks, a column the file lacks, or one column twice.
pub fn plan(
    file: &Schema,
    truncated: &[String],
    target: Target<'_>,
    mapping: &BTreeMap<String, String>,
    report: &mut Report,
) -> Result<Plan, IngestError> {
    let layer = layer_fields(target);
    let known: BTreeMap<&str, &LayerField> = layer.iter().map(|f| (f.name.as_str(), f)).collect();
    let mut names: Vec<String> = file.fields().iter().map(|f| f.name.clone()).collect();
    let mut mapped = explicit(file, &known, mapping)?;
    for m in &mapped {
        if let Some(i) = file.index_of(&m.column) {
            names[i].clone_from(&m.field);
        }
    }
    automatic(file, truncated, target, &known, &mut names, &mut mapped);
    check_unique(&names, &mapped)?;
    for m in &mapped {
        report.add(
            Severity::Info,
            "column_mapped",
            matched_message(m),
            Where::default().field(m.field.clone()),
        );
    }
    let mut fields = Vec::with_capacity(names.len());
    let mut convert = Vec::with_capacity(names.len());
    for (name, f) in names.iter().zip(file.fields()) {
        let declared = known.get(name.as_str()).and_then(|l| l.ty);
        fields.push(Field::new(name.clone(), declared.unwrap_or(f.ty)));
        convert.push(declared.filter(|t| *t != f.ty));
    }
    required(&layer, &names, report);
    let completed = mapped
        .iter()
        .filter(|m| m.by == MatchedBy::Truncated)
        .map(|m| m.column.clone())
        .collect();
    report.columns = Columns {
        file: file.fields().iter().map(|f| f.name.clone()).collect(),
        layer,
        mapped,
    };
    Ok(Plan {
        schema: Schema::new(fields),
        convert,
        completed,
    })
}

/// The upload's own `mapping`, checked against the layer and the file.
fn explicit(
    file: &Schema,
    known: &BTreeMap<&str, &LayerField>,
    mapping: &BTreeMap<String, String>,
) -> Result<Vec<Mapped>, IngestError> {
    let mut by_column: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for (field, column) in mapping {
        if !known.contains_key(field.as_str()) {
            let list = known.keys().copied().collect::<Vec<_>>().join(", ");
            return Err(refusal(
                format!("対応表の「{field}」はこのレイヤーの属性ではありません。属性: {list}"),
                format!(
                    "the mapping names `{field}`, which is not a field of this layer. Fields: {list}"
                ),
            ));
        }
        if file.index_of(column).is_none() {
            let list = file
                .fields()
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(refusal(
                format!(
                    "対応表の列「{column}」(「{field}」に対応) はファイルにありません。ファイルの列: {list}"
                ),
                format!(
                    "the mapping gives column `{column}` for `{field}`, but the file has no such column. The file's columns: {list}"
                ),
            ));
        }
        if let Some(other) = by_column.insert(column, field) {
            return Err(refusal(
                format!(
                    "列「{column}」が「{other}」と「{field}」の両方に対応づけられています。1つの列は1つの属性にだけ対応づけてください"
                ),
                format!(
                    "column `{column}` is mapped to both `{other}` and `{field}`; map a column to one field only"
                ),
            ));
        }
        if field != column {
            out.push(Mapped {
                field: field.clone(),
                column: column.clone(),
                by: MatchedBy::Mapping,
            });
        }
    }
    Ok(out)
}

/// Aliases and cut DBF names, for columns the mapping left alone.
fn automatic(
    file: &Schema,
    truncated: &[String],
    target: Target<'_>,
    known: &BTreeMap<&str, &LayerField>,
    names: &mut [String],
    mapped: &mut Vec<Mapped>,
) {
    for (i, f) in file.fields().iter().enumerate() {
        let column = &f.name;
        if names[i] != *column || known.contains_key(column.as_str()) {
            continue;
        }
        let by_alias = target
            .def
            .fields
            .iter()
            .find(|(_, d)| d.aliases.contains(column))
            .map(|(n, _)| (n.clone(), MatchedBy::Alias));
        let by_cut = || {
            truncated.contains(column).then(|| {
                let stem = column.trim_end_matches('\u{FFFD}');
                let mut starts = known.keys().filter(|k| k.starts_with(stem));
                match (starts.next(), starts.next()) {
                    (Some(only), None) => Some((only.to_string(), MatchedBy::Truncated)),
                    _ => None,
                }
            })?
        };
        let Some((field, by)) = by_alias.or_else(by_cut) else {
            continue;
        };
        if names.contains(&field) {
            continue;
        }
        names[i].clone_from(&field);
        mapped.push(Mapped {
            field,
            column: column.clone(),
            by,
        });
    }
}

fn check_unique(names: &[String], mapped: &[Mapped]) -> Result<(), IngestError> {
    let mut seen = BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            let col = mapped
                .iter()
                .find(|m| m.field == *n)
                .map_or("", |m| m.column.as_str());
            return Err(refusal(
                format!(
                    "列「{col}」を「{n}」に対応づけましたが、ファイルには「{n}」という列もあります。どちらか一方にしてください"
                ),
                format!(
                    "column `{col}` is mapped to `{n}`, but the file also has a column `{n}`; map only one of them"
                ),
            ));
        }
    }
    Ok(())
}

fn required(layer: &[LayerField], names: &[String], report: &mut Report) {
    for f in layer
        .iter()
        .filter(|f| f.required && !names.contains(&f.name))
    {
        report.add(
            Severity::Error,
            "missing_required_field",
            msg(
                format!(
                    "必須の属性「{}」がファイルにありません。列の対応 (mapping) で指定してください",
                    f.name
                ),
                format!(
                    "the required field `{}` is not in the file; give its column in the mapping",
                    f.name
                ),
            ),
            Where::default().field(f.name.clone()),
        );
    }
}

fn matched_message(m: &Mapped) -> Msg {
    let (field, column) = (&m.field, &m.column);
    match m.by {
        MatchedBy::Mapping => msg(
            format!("列「{column}」を属性「{field}」として読みました (指定された対応)"),
            format!("column `{column}` was read as `{field}` (as mapped)"),
        ),
        MatchedBy::Alias => msg(
            format!("列「{column}」を属性「{field}」として読みました (レイヤー定義の別名)"),
            format!("column `{column}` was read as `{field}` (an alias in the layer definition)"),
        ),
        MatchedBy::Truncated => msg(
            format!(
                "列「{column}」は DBF の10バイト制限で切れた名前です。「{column}」で始まる属性は「{field}」だけなので、「{field}」として読みました"
            ),
            format!(
                "column `{column}` is a name cut at the DBF limit of 10 bytes; `{field}` is the only field that starts with it, so it was read as `{field}`"
            ),
        ),
    }
}

fn refusal(ja: String, en: String) -> IngestError {
    IngestError::Option {
        message: msg(ja, en),
        option: "mapping",
    }
}

/// Parses `mapping` (a JSON object of layer field → file column).
pub fn parse_mapping(text: &str) -> Result<BTreeMap<String, String>, IngestError> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    serde_json::from_str(text).map_err(|e| {
        refusal(
            format!("mapping は {{\"属性名\": \"ファイルの列名\"}} の形の JSON で指定してください ({e})"),
            format!("mapping must be a JSON object of layer field to file column, e.g. {{\"名称\": \"施設・場所名\"}} ({e})"),
        )
    })
}
