//! What an upload changes against the current version: how many features before and
//! after, and which were added, removed or changed.
//!
//! A feature is matched by the layer's `label` attribute when the layer has one (a shelter's
//! name stays while its flags change), else by its geometry. Features are compared by
//! geometry and by the attributes both versions have.

use std::collections::HashMap;
use std::fmt::Write;
use std::hash::{BuildHasher, Hasher, RandomState};

use geo::{CoordsIter, Geometry};
use serde::Serialize;

use super::Target;
use crate::model::{Schema, Value};

/// At most this many names are listed per kind of change.
const LISTED: usize = 20;

/// The changes an upload makes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// Features in the current version (0 for a first upload).
    pub before: u64,
    /// Features in the upload.
    pub after: u64,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// Labels (or feature numbers) of some added, removed and changed features.
    pub examples: Examples,
    /// What matched features: `label` (the attribute's name) or `geometry`.
    pub matched_by: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Examples {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl Changes {
    /// The share of the current features the upload drops, 0–1 (0 when it grows).
    pub fn drop_share(&self) -> f64 {
        if self.before == 0 || self.after >= self.before {
            return 0.0;
        }
        (self.before - self.after) as f64 / self.before as f64
    }
}

/// A current feature: its name, geometry and values by name, and whether the upload has it.
struct Old {
    name: String,
    geometry: Geometry<f64>,
    values: HashMap<String, Value>,
    seen: bool,
}

/// Compares the features an upload writes with the current version, one at a time.
pub struct Differ<'a> {
    schema: &'a Schema,
    current: HashMap<String, Old>,
    label: Option<String>,
    /// How often each label has been seen in the upload (a name may be used twice, as
    /// GSI lists a school both as a site and as a shelter: the n-th matches the n-th).
    occurrences: HashMap<String, u32>,
    /// Keys for hashing geometries (two, for a 128-bit key).
    hashing: [RandomState; 2],
    changes: Changes,
}

impl<'a> Differ<'a> {
    pub fn new(target: Target<'_>, schema: &'a Schema) -> Self {
        let mut changes = Changes::default();
        let label = target.def.label.clone().filter(|l| {
            schema.index_of(l).is_some()
                && target
                    .current
                    .is_none_or(|v| v.schema.index_of(l).is_some())
        });
        changes.matched_by = label.clone().unwrap_or_else(|| "geometry".to_owned());
        let mut d = Self {
            schema,
            current: HashMap::new(),
            label,
            occurrences: HashMap::new(),
            hashing: [RandomState::new(), RandomState::new()],
            changes,
        };
        if let Some(v) = target.current {
            d.changes.before = v.features.len() as u64;
            for f in &v.features {
                let (key, name) = d.key(&v.schema, &f.properties, &f.geometry, f.id);
                let values = v
                    .schema
                    .fields()
                    .iter()
                    .zip(f.properties.iter())
                    .map(|(field, v)| (field.name.clone(), v.clone()))
                    .collect();
                let old = Old {
                    name,
                    geometry: f.geometry.clone(),
                    values,
                    seen: false,
                };
                d.current.insert(key, old);
            }
            d.occurrences.clear();
        }
        d
    }

    /// Records one feature of the upload (1-based number `n`).
    pub fn feature(&mut self, g: &Geometry<f64>, props: &[Value], n: u64) {
        self.changes.after += 1;
        let (k, name) = self.key(self.schema, props, g, n);
        let old = match self.current.get_mut(&k) {
            Some(old) if !old.seen => old,
            _ => {
                self.changes.added += 1;
                push(&mut self.changes.examples.added, name);
                return;
            }
        };
        old.seen = true;
        // Only attributes both versions have are compared (the schema diff reports the rest).
        let mut what: Vec<&str> = self
            .schema
            .fields()
            .iter()
            .zip(props)
            .filter(|(f, v)| old.values.get(&f.name).is_some_and(|o| !same_value(o, v)))
            .map(|(f, _)| f.name.as_str())
            .collect();
        if !same_geometry(&old.geometry, g) {
            what.insert(0, "図形");
        }
        if what.is_empty() {
            self.changes.unchanged += 1;
        } else {
            self.changes.changed += 1;
            push(
                &mut self.changes.examples.changed,
                format!("{name} ({})", what.join("、")),
            );
        }
    }

    pub fn finish(mut self) -> Changes {
        let mut removed: Vec<&String> = self
            .current
            .values()
            .filter(|o| !o.seen)
            .map(|o| &o.name)
            .collect();
        removed.sort();
        self.changes.removed = removed.len() as u64;
        for name in removed {
            push(&mut self.changes.examples.removed, name.clone());
        }
        self.changes
    }

    /// The matching key and the name shown for a feature: its label and how many times
    /// that label came before, else its geometry.
    fn key(
        &mut self,
        schema: &Schema,
        props: &[Value],
        g: &Geometry<f64>,
        n: u64,
    ) -> (String, String) {
        let named = self
            .label
            .as_deref()
            .and_then(|l| schema.index_of(l))
            .and_then(|i| props.get(i))
            .filter(|v| !v.is_null())
            .map(ToString::to_string);
        match named {
            Some(name) => {
                let seen = self.occurrences.entry(name.clone()).or_default();
                *seen += 1;
                (format!("L{name}\u{1}{seen}"), name)
            }
            None => (geometry_key(g, &self.hashing), format!("#{n}")),
        }
    }
}

fn push(list: &mut Vec<String>, name: String) {
    if list.len() < LISTED {
        list.push(name);
    }
}

/// Coordinates rounded to about 1 m: a key that survives a round trip through another CRS.
/// The rounded text is hashed as it is made (128 bits, keyed per upload), so that a line
/// of millions of vertices does not become a string of tens of megabytes.
fn geometry_key(g: &Geometry<f64>, hashing: &[RandomState; 2]) -> String {
    let mut hashers = hashing.each_ref().map(BuildHasher::build_hasher);
    let mut text = String::new();
    for c in g.coords_iter() {
        text.clear();
        let _ = write!(text, "{:.5},{:.5};", c.x, c.y);
        for h in &mut hashers {
            h.write(text.as_bytes());
        }
    }
    let [a, b] = hashers.map(|h| h.finish());
    format!("G{a:016x}{b:016x}")
}

/// The same shape within about 1 cm (a round trip through a plane-rectangular CRS moves
/// coordinates in the last digits).
fn same_geometry(a: &Geometry<f64>, b: &Geometry<f64>) -> bool {
    a.coords_count() == b.coords_count()
        && a.coords_iter()
            .zip(b.coords_iter())
            .all(|(p, q)| (p.x - q.x).abs() < 1e-7 && (p.y - q.y).abs() < 1e-7)
}

/// Equal values; a null and an empty text are the same (CSV and DBF cannot tell them apart).
fn same_value(a: &Value, b: &Value) -> bool {
    let blank = |v: &Value| v.is_null() || v.as_str() == Some("");
    if blank(a) && blank(b) {
        return true;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::LayerDef;
    use crate::layer::LayerVersion;
    use crate::model::{Feature, Field, FieldType, VersionInfo};
    use std::path::Path;
    use std::sync::Arc;

    fn def() -> Arc<LayerDef> {
        let text = r#"
id = "t"
title = { ja = "t", en = "t" }
department = "d"
source = "Cargo.toml"
geometry = "Point"
attribution = "a"
label = "名称"
[access]
view = "public"
"#;
        Arc::new(
            LayerDef::from_toml(
                text,
                Path::new("t.toml"),
                Path::new(env!("CARGO_MANIFEST_DIR")),
            )
            .unwrap(),
        )
    }

    fn point(x: f64) -> Geometry<f64> {
        Geometry::Point(geo::point!(x: 130.0 + x, y: 33.0))
    }

    #[test]
    fn counts_added_removed_changed_by_label() {
        let schema = Schema::new(vec![
            Field::new("名称", FieldType::String),
            Field::new("n", FieldType::Int),
        ]);
        let row = |name: &str, n: i64| vec![Value::String(name.into()), Value::Int(n)];
        let features = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                Feature::new(i as u64 + 1, point(i as f64 * 0.01), row(name, 1).into())
            })
            .collect();
        let d = def();
        let current = LayerVersion::new(
            Arc::clone(&d),
            VersionInfo {
                version: 1,
                created: String::new(),
                feature_count: 3,
                source_sha256: String::new(),
                source_name: String::new(),
                created_by: String::new(),
            },
            schema.clone(),
            features,
        );
        let target = Target {
            def: &d,
            current: Some(&current),
        };
        let mut differ = Differ::new(target, &schema);
        differ.feature(&point(0.0), &row("a", 1), 1);
        differ.feature(&point(0.01), &row("b", 2), 2);
        differ.feature(&point(0.5), &row("d", 1), 3);
        let c = differ.finish();
        assert_eq!((c.before, c.after), (3, 3));
        assert_eq!((c.added, c.removed, c.changed, c.unchanged), (1, 1, 1, 1));
        assert_eq!(c.examples.removed, ["c"]);
        assert_eq!(c.examples.changed, ["b (n)"]);
        assert!(c.drop_share().abs() < f64::EPSILON);
    }
}
