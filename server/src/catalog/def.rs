//! Layer definitions: the raw TOML shape (strict, unknown keys rejected) and the
//! validated, typed form the rest of the server uses.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CatalogError, Geometries, GeometryKind, RESERVED_IDS};
use crate::cql2::Expr;
use crate::model::FieldType;

/// Japanese text with an English translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct I18n {
    pub ja: String,
    pub en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoomRange {
    pub min: u8,
    pub max: u8,
}

/// Per-layer tile options (`[tiles]`), each with a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TileOptions {
    /// Buffer around each tile, in tile units of 4096. Default 64.
    #[serde(default = "default_buffer")]
    pub buffer: u32,
    /// Simplification tolerance, in tile units of 4096. Default 4 (1 px at 512 px tiles).
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
}

impl Default for TileOptions {
    fn default() -> Self {
        Self {
            buffer: default_buffer(),
            tolerance: default_tolerance(),
        }
    }
}

fn default_buffer() -> u32 {
    64
}
fn default_tolerance() -> f64 {
    4.0
}

/// What the layer says about one attribute (`[fields.名前]`): its labels and, optionally, the
/// rules a value must follow (declared type, required, allowed values) and the other column
/// names an uploaded file may use for it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// English label; the attribute name itself is the Japanese label.
    pub en: String,
    /// Unit shown after values, e.g. `m` or `%`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The declared type (`bool`, `int`, `float`, `string`, `date`, `json`). Without one, the
    /// type is whatever the data holds.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub field_type: Option<FieldType>,
    /// A feature must carry a non-null value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The only values allowed (shown as a list in forms, one colour each in default styles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Other column names an uploaded file may use for this field, e.g. GSI's `施設・場所名`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The layer whose features this field's values name by their label (e.g. a leak
    /// record's `管路番号` names a main of `pipes`); forms and popups follow the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// What the server fills in when an edit leaves the field empty: `user` (the signed-in
    /// user's name) or `today` (the date, `YYYY-MM-DD`, UTC+9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<String>,
    /// The field holds a list of photo ids (`type = "json"`): uploaded to the layer's
    /// photo store, served only to those who see the layer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub photos: bool,
}

/// Who an access rule is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub enum Audience {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in member of staff.
    Staff,
    /// Administrators, who see everything.
    Admin,
    /// A department or contractor role, e.g. `suido`.
    Role(String),
}

impl Audience {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(Self::Public),
            "staff" => Ok(Self::Staff),
            "admin" => Ok(Self::Admin),
            r if valid_role(r) => Ok(Self::Role(r.to_owned())),
            r => Err(format!(
                "`{r}` is not an audience: use public, staff, admin or a role name of lowercase letters, digits, `-` and `_`"
            )),
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Public => f.write_str("public"),
            Self::Staff => f.write_str("staff"),
            Self::Admin => f.write_str("admin"),
            Self::Role(r) => f.write_str(r),
        }
    }
}

impl From<Audience> for String {
    fn from(a: Audience) -> Self {
        a.to_string()
    }
}

/// A role name: lowercase ASCII letters, digits, `-` and `_`, starting with a letter.
pub fn valid_role(r: &str) -> bool {
    r.len() <= 64
        && r.starts_with(|c: char| c.is_ascii_lowercase())
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Who may see a layer at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ViewRule {
    Public,
    Staff,
    /// Only these audiences (admin always may).
    Audiences(Vec<Audience>),
}

/// Which attributes an audience sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AttributeRule {
    All,
    Only(Vec<String>),
}

/// A CQL2 row filter for an audience, kept with its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct RowRule {
    pub text: String,
    pub expr: Expr,
}

/// The `[access]` section of a layer file.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessDef {
    pub view: ViewRule,
    /// Roles that may upload new versions.
    pub upload: Vec<Audience>,
    /// Roles that may create, change and delete single features (OGC API – Features
    /// Part 4). They must also see the layer; admins always may.
    pub edit: Vec<Audience>,
    /// Who may approve access requests for this layer.
    pub approve: Vec<Audience>,
    /// Per-audience visible attributes. Empty: every viewer sees every attribute.
    pub attributes: BTreeMap<Audience, AttributeRule>,
    /// Per-audience row filters. An audience without one sees every row.
    pub rows: BTreeMap<Audience, RowRule>,
}

/// One validated layer definition.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerDef {
    pub id: String,
    pub title: I18n,
    pub description: Option<I18n>,
    pub department: String,
    /// The initial data, resolved to an absolute path. `None` for a layer created by an
    /// administrator: it starts empty and gets its first version by upload.
    pub source: Option<PathBuf>,
    /// The kinds its features may be: one, or several for a record layer (point or area).
    pub geometry: Geometries,
    pub zoom: ZoomRange,
    pub attribution: String,
    /// True for generated sample data that is not the city's official data.
    pub sample: bool,
    pub searchable: Vec<String>,
    /// Attribute that names a feature in lists, search results and popups.
    pub label: Option<String>,
    /// Radius in metres within which point and line features count as "here" for `/api/at`.
    pub near_m: f64,
    pub fields: BTreeMap<String, FieldDef>,
    pub tiles: TileOptions,
    /// An upload that drops more than this share of the features (percent) publishes only
    /// with an explicit confirmation. Default 10.
    pub max_drop_percent: f64,
    pub access: AccessDef,
    /// The layer file this came from, for error messages.
    pub file: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    id: String,
    title: I18n,
    #[serde(default)]
    description: Option<I18n>,
    department: String,
    #[serde(default)]
    source: Option<PathBuf>,
    geometry: RawGeometry,
    #[serde(default = "default_zoom")]
    zoom: ZoomRange,
    attribution: String,
    #[serde(default)]
    sample: bool,
    #[serde(default)]
    searchable: Vec<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    near_m: Option<f64>,
    #[serde(default)]
    fields: BTreeMap<String, FieldDef>,
    #[serde(default)]
    tiles: TileOptions,
    #[serde(default)]
    max_drop_percent: Option<f64>,
    access: RawAccess,
}

/// `geometry = "Point"` or `geometry = ["Point", "Polygon"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawGeometry {
    One(String),
    Many(Vec<String>),
}

fn default_zoom() -> ZoomRange {
    ZoomRange { min: 0, max: 22 }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    view: OneOrMany,
    #[serde(default)]
    upload: Vec<String>,
    #[serde(default)]
    edit: Vec<String>,
    #[serde(default)]
    approve: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    rows: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Collects validation errors for one file.
struct Problems<'a> {
    file: &'a Path,
    errors: Vec<CatalogError>,
}

impl Problems<'_> {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(CatalogError::Invalid {
            file: self.file.to_path_buf(),
            key: key.into(),
            message: message.into(),
        });
    }

    fn audience(&mut self, key: &str, s: &str) -> Option<Audience> {
        Audience::parse(s).map_err(|m| self.add(key, m)).ok()
    }

    fn audiences(&mut self, key: &str, list: &[String]) -> Vec<Audience> {
        list.iter().filter_map(|s| self.audience(key, s)).collect()
    }
}

impl LayerDef {
    /// Reads and validates one layer file.
    pub fn from_file(file: &Path, root: &Path) -> Result<Self, Vec<CatalogError>> {
        let text = std::fs::read_to_string(file).map_err(|source| {
            vec![CatalogError::Io {
                file: file.to_path_buf(),
                source,
            }]
        })?;
        Self::from_toml(&text, file, root)
    }

    /// Parses and validates the text of a layer file.
    pub fn from_toml(text: &str, file: &Path, root: &Path) -> Result<Self, Vec<CatalogError>> {
        let raw: RawLayer = toml::from_str(text).map_err(|e| {
            vec![CatalogError::Syntax {
                file: file.to_path_buf(),
                message: e.to_string().trim_end().replace('\n', " "),
            }]
        })?;
        let mut p = Problems {
            file,
            errors: Vec::new(),
        };
        let def = validate(raw, file, root, &mut p);
        if p.errors.is_empty() {
            Ok(def)
        } else {
            Err(p.errors)
        }
    }

    /// Every attribute name the definition refers to, with the key that names it.
    pub fn referenced_attributes(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (aud, rule) in &self.access.attributes {
            if let AttributeRule::Only(names) = rule {
                let key = format!("access.attributes.{aud}");
                out.extend(names.iter().map(|n| (n.clone(), key.clone())));
            }
        }
        for (aud, rule) in &self.access.rows {
            let key = format!("access.rows.{aud}");
            out.extend(rule.expr.attributes().into_iter().map(|n| (n, key.clone())));
        }
        out.extend(
            self.searchable
                .iter()
                .map(|n| (n.clone(), "searchable".to_owned())),
        );
        out.extend(self.label.iter().map(|n| (n.clone(), "label".to_owned())));
        out.extend(
            self.fields
                .keys()
                .map(|n| (n.clone(), format!("fields.{n}"))),
        );
        out
    }

    /// The empty schema of a layer without data yet: its declared fields, in name order,
    /// each of its declared type (string when it declares none).
    pub fn declared_schema(&self) -> crate::model::Schema {
        crate::model::Schema::new(
            self.fields
                .iter()
                .map(|(name, f)| {
                    crate::model::Field::new(name, f.field_type.unwrap_or(FieldType::String))
                })
                .collect(),
        )
    }

    /// True when some role may edit single features of this layer.
    pub fn is_editable(&self) -> bool {
        !self.access.edit.is_empty()
    }

    /// True for a layer anyone may see (its tiles may be cached publicly).
    pub fn is_public(&self) -> bool {
        self.access.view == ViewRule::Public
    }
}

fn validate(raw: RawLayer, file: &Path, root: &Path, p: &mut Problems<'_>) -> LayerDef {
    validate_id(&raw.id, p);
    let geometry = validate_geometry(raw.geometry, p);
    if raw.zoom.min > raw.zoom.max || raw.zoom.max > 24 {
        p.add("zoom", "need 0 <= min <= max <= 24");
    }
    let source = raw.source.map(|s| root.join(s));
    if let Some(source) = source.as_ref().filter(|s| !s.is_file()) {
        p.errors.push(CatalogError::MissingSource {
            file: file.to_path_buf(),
            path: source.clone(),
        });
    }
    if raw.tiles.buffer > 1024 || !(0.0..=256.0).contains(&raw.tiles.tolerance) {
        p.add("tiles", "need buffer <= 1024 and 0 <= tolerance <= 256");
    }
    // "Here" reaches furthest for the kind that needs it most: points, then lines.
    let near_m = raw
        .near_m
        .unwrap_or(if geometry.contains(GeometryKind::Point) {
            50.0
        } else if geometry.contains(GeometryKind::LineString) {
            15.0
        } else {
            0.0
        });
    if !(0.0..=5000.0).contains(&near_m) {
        p.add("near_m", "must be between 0 and 5000 metres");
    }
    let max_drop_percent = raw.max_drop_percent.unwrap_or(10.0);
    if !(0.0..=100.0).contains(&max_drop_percent) {
        p.add("max_drop_percent", "must be between 0 and 100");
    }
    let access = validate_access(raw.access, p);
    validate_fields(&raw.fields, p);
    LayerDef {
        id: raw.id,
        title: raw.title,
        description: raw.description,
        department: raw.department,
        source,
        geometry,
        zoom: raw.zoom,
        attribution: raw.attribution,
        sample: raw.sample,
        searchable: raw.searchable,
        label: raw.label,
        near_m,
        fields: raw.fields,
        tiles: raw.tiles,
        max_drop_percent,
        access,
        file: file.to_path_buf(),
    }
}

fn validate_geometry(raw: RawGeometry, p: &mut Problems<'_>) -> Geometries {
    let names = match raw {
        RawGeometry::One(name) => vec![name],
        RawGeometry::Many(names) => names,
    };
    let mut kinds = Vec::with_capacity(names.len());
    for name in &names {
        match GeometryKind::parse(name) {
            Some(k) if kinds.contains(&k) => {
                p.add("geometry", format!("`{name}` is listed twice"));
            }
            Some(k) => kinds.push(k),
            None => p.add(
                "geometry",
                format!("unknown geometry type `{name}`: use Point, LineString or Polygon"),
            ),
        }
    }
    Geometries::of(kinds).unwrap_or_else(|| {
        if names.is_empty() {
            p.add(
                "geometry",
                "name at least one of Point, LineString or Polygon",
            );
        }
        Geometries::one(GeometryKind::Point)
    })
}

/// Choices must be distinct and fit the declared type; an alias may name only one field and
/// must not be another field's own name.
fn validate_fields(fields: &BTreeMap<String, FieldDef>, p: &mut Problems<'_>) {
    let mut alias_owner: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, f) in fields {
        let key = format!("fields.{name}");
        let mut seen = std::collections::BTreeSet::new();
        for c in &f.choices {
            if !seen.insert(c.as_str()) {
                p.add(format!("{key}.choices"), format!("`{c}` is listed twice"));
            }
        }
        if !f.choices.is_empty()
            && !matches!(
                f.field_type,
                None | Some(FieldType::String | FieldType::Int)
            )
        {
            p.add(
                format!("{key}.choices"),
                "choices need a field of type string or int",
            );
        }
        if f.field_type == Some(FieldType::Int) {
            for c in f.choices.iter().filter(|c| c.parse::<i64>().is_err()) {
                p.add(format!("{key}.choices"), format!("`{c}` is not an integer"));
            }
        }
        match f.fill.as_deref() {
            None | Some("user" | "today") => {}
            Some("link") if f.link.is_some() => {}
            Some("link") => p.add(
                format!("{key}.fill"),
                "\"link\" needs `link = \"<layer>\"` on the same field",
            ),
            Some(fill) => p.add(
                format!("{key}.fill"),
                format!("`{fill}`: use \"user\", \"today\" or \"link\""),
            ),
        }
        for a in &f.aliases {
            if fields.contains_key(a) {
                p.add(
                    format!("{key}.aliases"),
                    format!("`{a}` is the name of another field"),
                );
            } else if let Some(other) = alias_owner.insert(a, name) {
                p.add(
                    format!("{key}.aliases"),
                    format!("`{a}` is already an alias of `{other}`"),
                );
            }
        }
    }
}

fn validate_id(id: &str, p: &mut Problems<'_>) {
    let well_formed = id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !well_formed {
        p.add(
            "id",
            format!("`{id}` is not a valid layer id: use 1-64 lowercase ASCII letters, digits, `_` or `-`, starting with a letter"),
        );
    } else if RESERVED_IDS.contains(&id) {
        p.add(
            "id",
            format!("`{id}` collides with a route of the HTTP API; choose another id"),
        );
    }
}

fn validate_access(raw: RawAccess, p: &mut Problems<'_>) -> AccessDef {
    let view = match raw.view {
        OneOrMany::One(s) if s == "public" => ViewRule::Public,
        OneOrMany::One(s) if s == "staff" => ViewRule::Staff,
        OneOrMany::One(s) => ViewRule::Audiences(p.audiences("access.view", &[s])),
        OneOrMany::Many(list) => ViewRule::Audiences(p.audiences("access.view", &list)),
    };
    let upload = p.audiences("access.upload", &raw.upload);
    let edit = p.audiences("access.edit", &raw.edit);
    let approve = p.audiences("access.approve", &raw.approve);
    let mut attributes = BTreeMap::new();
    for (aud, rule) in raw.attributes {
        let key = format!("access.attributes.{aud}");
        let Some(a) = p.audience(&key, &aud) else {
            continue;
        };
        let rule = match rule {
            OneOrMany::One(s) if s == "*" => AttributeRule::All,
            OneOrMany::One(s) => {
                p.add(
                    key,
                    format!("`{s}`: use \"*\" or a list of attribute names"),
                );
                continue;
            }
            OneOrMany::Many(names) => AttributeRule::Only(names),
        };
        attributes.insert(a, rule);
    }
    let mut rows = BTreeMap::new();
    for (aud, text) in raw.rows {
        let key = format!("access.rows.{aud}");
        let Some(a) = p.audience(&key, &aud) else {
            continue;
        };
        match Expr::parse(&text) {
            Ok(expr) => {
                rows.insert(a, RowRule { text, expr });
            }
            Err(e) => p.add(key, format!("invalid CQL2 row filter `{text}`: {e}")),
        }
    }
    AccessDef {
        view,
        upload,
        edit,
        approve,
        attributes,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "shelters"
title = { ja = "避難所", en = "Shelters" }
department = "総務課"
source = "Cargo.toml"
geometry = "Point"
attribution = "出典：国土地理院"
searchable = ["名称"]
[access]
view = "public"
upload = ["bousai"]
[access.attributes]
public = ["名称", "住所"]
staff = "*"
[access.rows]
public = "公開 = true"
"#;

    fn parse(text: &str) -> Result<LayerDef, Vec<CatalogError>> {
        LayerDef::from_toml(
            text,
            Path::new("layers/t.toml"),
            Path::new(env!("CARGO_MANIFEST_DIR")),
        )
    }

    fn first_error(text: &str) -> String {
        parse(text).unwrap_err()[0].to_string()
    }

    #[test]
    fn valid_layer_parses_with_typed_access() {
        let def = parse(GOOD).unwrap();
        assert_eq!(def.geometry, Geometries::one(GeometryKind::Point));
        assert_eq!(def.access.view, ViewRule::Public);
        assert_eq!(def.access.attributes[&Audience::Staff], AttributeRule::All);
        assert_eq!(def.access.rows[&Audience::Public].text, "公開 = true");
        assert_eq!(def.zoom, ZoomRange { min: 0, max: 22 });
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let e = first_error(&GOOD.replace("searchable", "serchable"));
        assert!(
            e.contains("layers/t.toml") && e.contains("serchable"),
            "{e}"
        );
    }

    #[test]
    fn unknown_geometry_is_refused() {
        let e = first_error(&GOOD.replace("\"Point\"", "\"Blob\""));
        assert!(e.contains("`geometry`") && e.contains("Blob"), "{e}");
    }

    #[test]
    fn a_record_layer_may_hold_points_and_polygons() {
        let def = parse(&GOOD.replace("\"Point\"", "[\"Point\", \"MultiPolygon\"]")).unwrap();
        let kinds: Vec<_> = def.geometry.iter().collect();
        assert_eq!(kinds, [GeometryKind::Point, GeometryKind::Polygon]);
        assert!(
            (def.near_m - 50.0).abs() < f64::EPSILON,
            "points keep their radius"
        );
        let e = first_error(&GOOD.replace("\"Point\"", "[\"Point\", \"MultiPoint\"]"));
        assert!(e.contains("`geometry`") && e.contains("twice"), "{e}");
        let e = first_error(&GOOD.replace("\"Point\"", "[]"));
        assert!(
            e.contains("`geometry`") && e.contains("at least one"),
            "{e}"
        );
    }

    #[test]
    fn missing_source_is_refused() {
        let e = first_error(&GOOD.replace("Cargo.toml", "nope.fgb"));
        assert!(e.contains("`source`") && e.contains("nope.fgb"), "{e}");
    }

    #[test]
    fn reserved_id_is_refused() {
        let e = first_error(&GOOD.replace("\"shelters\"", "\"tiles\""));
        assert!(e.contains("`id`") && e.contains("collides"), "{e}");
    }

    #[test]
    fn invalid_row_filter_is_refused() {
        let e = first_error(&GOOD.replace("公開 = true", "公開 = = true"));
        assert!(
            e.contains("access.rows.public") && e.contains("CQL2"),
            "{e}"
        );
    }

    #[test]
    fn field_rules_parse() {
        let text = format!(
            "{GOOD}\n[fields.\"名称\"]\nen = \"Name\"\ntype = \"string\"\nrequired = true\naliases = [\"施設・場所名\"]\n[fields.\"状況\"]\nen = \"State\"\nchoices = [\"耕作中\", \"遊休農地\"]\n"
        );
        let def = parse(&text).unwrap();
        let name = &def.fields["名称"];
        assert_eq!(name.field_type, Some(FieldType::String));
        assert!(name.required);
        assert_eq!(name.aliases, ["施設・場所名"]);
        assert_eq!(def.fields["状況"].choices, ["耕作中", "遊休農地"]);
    }

    #[test]
    fn bad_field_rules_are_refused() {
        let dup = format!("{GOOD}\n[fields.a]\nen = \"A\"\nchoices = [\"x\", \"x\"]\n");
        assert!(first_error(&dup).contains("fields.a.choices"));
        let typed = format!("{GOOD}\n[fields.a]\nen = \"A\"\ntype = \"bool\"\nchoices = [\"x\"]\n");
        assert!(first_error(&typed).contains("type string or int"));
        let alias = format!(
            "{GOOD}\n[fields.a]\nen = \"A\"\naliases = [\"x\"]\n[fields.b]\nen = \"B\"\naliases = [\"x\"]\n"
        );
        assert!(first_error(&alias).contains("already an alias of `a`"));
        let unknown = format!("{GOOD}\n[fields.a]\nen = \"A\"\ntype = \"text\"\n");
        assert!(first_error(&unknown).contains("text"));
        let unlinked = format!("{GOOD}\n[fields.a]\nen = \"A\"\nfill = \"link\"\n");
        assert!(first_error(&unlinked).contains("needs `link"));
        let linked =
            format!("{GOOD}\n[fields.a]\nen = \"A\"\nlink = \"chiban\"\nfill = \"link\"\n");
        assert!(parse(&linked).is_ok());
        let other = format!("{GOOD}\n[fields.a]\nen = \"A\"\nfill = \"now\"\n");
        assert!(first_error(&other).contains("\"link\""));
    }

    #[test]
    fn bad_audience_is_refused() {
        let e = first_error(&GOOD.replace("upload = [\"bousai\"]", "upload = [\"Bousai Lead\"]"));
        assert!(e.contains("access.upload"), "{e}");
    }
}
