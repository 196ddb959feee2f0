//! The policy: one decision per principal and layer version.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, PoisonError, RwLock, Weak};

use super::Principal;
use crate::catalog::{AttributeRule, Audience, LayerDef, ViewRule};
use crate::cql2::{Expr, Filter};
use crate::layer::LayerVersion;
use crate::model::Feature;

/// A compact, hashable description of what a view shows: the visible attributes and the row
/// filter. Two principals with the same class see byte-identical output, so it is the
/// audience part of every cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyClass(String);

impl PolicyClass {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What one principal may see of one layer version.
#[derive(Debug, Clone)]
pub struct LayerView {
    pub layer: Arc<LayerVersion>,
    /// Visible attribute columns, ascending.
    pub attributes: Vec<usize>,
    /// Row filter; `None` means every feature passes.
    pub rows: Option<Filter>,
    pub class: PolicyClass,
    /// True when this view is exactly what an anonymous caller gets, so outputs built from
    /// it may be cached publicly.
    pub public: bool,
}

impl LayerView {
    /// True if the feature passes the row filter.
    pub fn admits(&self, feature: &Feature) -> bool {
        self.rows.as_ref().is_none_or(|f| f.matches(feature))
    }

    /// True if an attribute (by name) is visible.
    pub fn shows(&self, name: &str) -> bool {
        self.layer
            .schema
            .index_of(name)
            .is_some_and(|i| self.attributes.binary_search(&i).is_ok())
    }

    /// Visible attribute columns with their names and types.
    pub fn fields(&self) -> impl Iterator<Item = (usize, &crate::model::Field)> {
        self.attributes
            .iter()
            .map(|&i| (i, self.layer.schema.field(i)))
    }
}

/// Decides what `principal` may see of `layer`; `None` when the layer is not visible at all.
///
/// This is the only place access is decided.
pub fn decide(principal: &Principal, layer: &Arc<LayerVersion>) -> Option<LayerView> {
    let decision = Decision::of(principal, &layer.def)?;
    // Compared structurally: the class text is formatted once, in `into_view`.
    let public = Decision::of(&Principal::anonymous(), &layer.def).as_ref() == Some(&decision);
    Some(decision.into_view(layer, public))
}

/// [`decide`] for anonymous callers, remembered per layer version: most requests are
/// anonymous, and deciding (two decisions compared, the class text formatted, the visible
/// columns listed) costs more than serving a cached tile. Other principals are decided
/// afresh every time, since grants expire.
#[derive(Debug, Default)]
pub struct PublicViews(RwLock<HashMap<String, Remembered>>);

/// The anonymous view of one layer version, without its `Arc` (the memo does not keep a
/// replaced version alive).
#[derive(Debug)]
struct Remembered {
    version: Weak<LayerVersion>,
    /// `None`: the layer is not visible to anonymous callers.
    view: Option<(Vec<usize>, Option<Filter>, PolicyClass)>,
}

impl PublicViews {
    /// The same answer as [`decide`].
    pub fn decide(&self, principal: &Principal, layer: &Arc<LayerVersion>) -> Option<LayerView> {
        if !principal.is_plain_anonymous() {
            return decide(principal, layer);
        }
        let read = self.0.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(r) = read
            .get(&layer.def.id)
            .filter(|r| std::ptr::eq(r.version.as_ptr(), Arc::as_ptr(layer)))
        {
            return r.view.as_ref().map(|(attributes, rows, class)| LayerView {
                layer: Arc::clone(layer),
                attributes: attributes.clone(),
                rows: rows.clone(),
                class: class.clone(),
                public: true,
            });
        }
        drop(read);
        let view = decide(principal, layer);
        let remembered = Remembered {
            version: Arc::downgrade(layer),
            view: view
                .as_ref()
                .map(|v| (v.attributes.clone(), v.rows.clone(), v.class.clone())),
        };
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(layer.def.id.clone(), remembered);
        view
    }
}

/// [`decide`] for every loaded layer, skipping those the principal may not see.
pub fn decide_all(principal: &Principal, layers: &[Arc<LayerVersion>]) -> Vec<LayerView> {
    layers.iter().filter_map(|l| decide(principal, l)).collect()
}

/// The schema-independent part of a decision.
#[derive(PartialEq)]
struct Decision {
    /// `None`: every attribute.
    attributes: Option<BTreeSet<String>>,
    /// `None`: every row. Otherwise the filters, any of which admits a row.
    rows: Option<Vec<Expr>>,
    /// Expiry times of the grants that shaped this decision. They are part of the class, so
    /// nothing cached under a grant can be served to anyone once it has expired.
    grant_expiries: Vec<i64>,
}

impl Decision {
    fn of(principal: &Principal, def: &LayerDef) -> Option<Self> {
        if principal.is_admin() {
            return Some(Self {
                attributes: None,
                rows: None,
                grant_expiries: Vec::new(),
            });
        }
        let viewers = viewing_audiences(principal, def);
        let grants: Vec<_> = principal.grants_for(&def.id).collect();
        if viewers.is_empty() && grants.is_empty() {
            return None;
        }
        let mut grant_expiries: Vec<i64> = grants.iter().map(|g| g.expires_at).collect();
        grant_expiries.sort_unstable();
        Some(Self {
            attributes: attributes(principal, def, &grants),
            rows: rows(def, &viewers, !grants.is_empty()),
            grant_expiries,
        })
    }

    fn class_text(&self, layer: &LayerVersion) -> String {
        let mut s = format!("{}@{}:a=", layer.def.id, layer.tag());
        match &self.attributes {
            None => s.push('*'),
            Some(names) => {
                for n in names {
                    let _ = write!(s, "{n},");
                }
            }
        }
        s.push_str(";r=");
        match &self.rows {
            None => s.push('*'),
            Some(exprs) => {
                for e in exprs {
                    let _ = write!(s, "({e})");
                }
            }
        }
        if !self.grant_expiries.is_empty() {
            s.push_str(";g=");
            for t in &self.grant_expiries {
                let _ = write!(s, "{t},");
            }
        }
        s
    }

    fn into_view(self, layer: &Arc<LayerVersion>, public: bool) -> LayerView {
        let class = PolicyClass(self.class_text(layer));
        let schema = &layer.schema;
        let attributes = (0..schema.len())
            .filter(|&i| {
                self.attributes
                    .as_ref()
                    .is_none_or(|names| names.contains(&schema.field(i).name))
            })
            .collect();
        // A row filter that cannot be bound to this version's data admits nothing: failing
        // closed never leaks rows.
        let rows = self.rows.map(|exprs| {
            Expr::Or(exprs)
                .bind(schema)
                .unwrap_or_else(|_| Filter::nothing())
        });
        LayerView {
            layer: Arc::clone(layer),
            attributes,
            rows,
            class,
            public,
        }
    }
}

/// The principal's audiences that the layer's `view` rule admits.
fn viewing_audiences<'a>(principal: &'a Principal, def: &LayerDef) -> Vec<&'a Audience> {
    principal
        .audiences()
        .iter()
        .filter(|a| match &def.access.view {
            ViewRule::Public => true,
            ViewRule::Staff => **a != Audience::Public,
            ViewRule::Audiences(list) => {
                list.contains(a)
                    || (list.contains(&Audience::Staff) && principal.has(&Audience::Staff))
            }
        })
        .collect()
}

fn attributes(
    principal: &Principal,
    def: &LayerDef,
    grants: &[&super::Grant],
) -> Option<BTreeSet<String>> {
    let rules = &def.access.attributes;
    if rules.is_empty() {
        return None;
    }
    let mut names = BTreeSet::new();
    let from_audiences = principal.audiences().iter().filter_map(|a| rules.get(a));
    for rule in from_audiences.chain(grants.iter().map(|g| &g.attributes)) {
        match rule {
            AttributeRule::All => return None,
            AttributeRule::Only(list) => names.extend(list.iter().cloned()),
        }
    }
    Some(names)
}

fn rows(def: &LayerDef, viewers: &[&Audience], granted: bool) -> Option<Vec<Expr>> {
    if granted {
        return None;
    }
    let mut exprs = Vec::new();
    for a in viewers {
        match def.access.rows.get(*a) {
            None => return None,
            Some(rule) => exprs.push(rule.expr.clone()),
        }
    }
    Some(exprs)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::access::Grant;
    use crate::model::{Field, FieldType, Schema, VersionInfo};
    use crate::time::unix_now;

    const PIPES: &str = r#"
id = "pipes"
title = { ja = "管路", en = "Pipes" }
department = "水道課"
source = "Cargo.toml"
geometry = "LineString"
attribution = "test"
[access]
view = ["suido", "contractor"]
approve = ["suido-lead"]
[access.attributes]
suido = "*"
contractor = ["管種", "口径"]
"#;

    fn pipes() -> Arc<LayerVersion> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let def = LayerDef::from_toml(PIPES, Path::new("layers/pipes.toml"), root).unwrap();
        let schema = Schema::new(
            ["管種", "口径", "深さ"]
                .iter()
                .map(|n| Field {
                    name: (*n).to_owned(),
                    ty: FieldType::String,
                })
                .collect(),
        );
        let info = VersionInfo {
            version: 1,
            created: String::new(),
            feature_count: 0,
            source_sha256: String::new(),
            source_name: String::new(),
            created_by: String::new(),
        };
        Arc::new(LayerVersion::new(Arc::new(def), info, schema, Vec::new()))
    }

    fn grant(attributes: AttributeRule, expires_at: i64) -> Grant {
        Grant {
            layer: "pipes".into(),
            attributes,
            expires_at,
        }
    }

    fn names(view: &LayerView) -> Vec<&str> {
        view.fields().map(|(_, f)| f.name.as_str()).collect()
    }

    fn user(roles: &[&str], staff: bool, grants: Vec<Grant>) -> Principal {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        Principal::user("u", staff, &roles, grants)
    }

    fn public_roads(version: u64) -> Arc<LayerVersion> {
        let toml = PIPES
            .replace(r#"id = "pipes""#, r#"id = "roads""#)
            .replace(r#"view = ["suido", "contractor"]"#, r#"view = "public""#)
            .replace(
                "[access.attributes]",
                "[access.attributes]\npublic = [\"管種\"]",
            );
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let def = LayerDef::from_toml(&toml, Path::new("layers/roads.toml"), root).unwrap();
        let old = pipes();
        let info = VersionInfo {
            version,
            ..old.info.clone()
        };
        Arc::new(LayerVersion::new(
            Arc::new(def),
            info,
            old.schema.clone(),
            Vec::new(),
        ))
    }

    #[test]
    fn remembered_public_views_are_the_decisions_of_their_version() {
        let memo = PublicViews::default();
        let anonymous = Principal::anonymous();
        for version in [1, 2] {
            let layer = public_roads(version);
            for _ in 0..2 {
                let got = memo.decide(&anonymous, &layer).unwrap();
                let want = decide(&anonymous, &layer).unwrap();
                assert!(Arc::ptr_eq(&got.layer, &layer));
                assert_eq!(got.class, want.class);
                assert_eq!(got.attributes, want.attributes);
                assert!(got.public && got.rows.is_none());
                assert!(got.class.as_str().contains(&format!("@{version}:")));
            }
        }
        // Not visible to the public: remembered as such, and other callers are decided afresh.
        let pipes = pipes();
        assert!(memo.decide(&anonymous, &pipes).is_none());
        assert!(memo.decide(&anonymous, &pipes).is_none());
        let suido = user(&["suido"], true, vec![]);
        assert_eq!(
            names(&memo.decide(&suido, &pipes).unwrap()),
            ["管種", "口径", "深さ"]
        );
    }

    #[test]
    fn a_grant_shows_its_attributes_and_marks_the_class() {
        let layer = pipes();
        let plain = decide(&user(&["contractor"], false, vec![]), &layer).unwrap();
        assert_eq!(names(&plain), ["管種", "口径"]);
        let until = unix_now() + 3600;
        let depth = AttributeRule::Only(vec!["深さ".into()]);
        let granted = decide(
            &user(&["contractor"], false, vec![grant(depth, until)]),
            &layer,
        );
        let granted = granted.unwrap();
        assert_eq!(names(&granted), ["管種", "口径", "深さ"]);
        assert_ne!(granted.class, plain.class);
        assert!(granted.class.as_str().contains(&until.to_string()));
    }

    #[test]
    fn grants_ending_at_different_times_never_share_a_class() {
        let layer = pipes();
        let now = unix_now();
        let class = |until| {
            let p = user(
                &["contractor"],
                false,
                vec![grant(AttributeRule::All, until)],
            );
            decide(&p, &layer).unwrap().class
        };
        assert_ne!(class(now + 60), class(now + 120));
    }

    #[test]
    fn an_expired_grant_is_dropped_and_the_class_reverts() {
        let layer = pipes();
        let expired = grant(AttributeRule::All, unix_now() - 1);
        let p = user(&["contractor"], false, vec![expired]);
        assert!(p.grants.is_empty());
        let plain = decide(&user(&["contractor"], false, vec![]), &layer).unwrap();
        assert_eq!(decide(&p, &layer).unwrap().class, plain.class);
    }

    #[test]
    fn a_principal_that_outlives_its_grant_stops_using_it() {
        let layer = pipes();
        let mut p = user(&["contractor"], false, vec![]);
        p.grants.push(grant(AttributeRule::All, unix_now() - 1));
        assert_eq!(names(&decide(&p, &layer).unwrap()), ["管種", "口径"]);
    }

    #[test]
    fn a_layer_grant_opens_a_hidden_layer_to_staff_without_extra_attributes() {
        let layer = pipes();
        assert!(decide(&user(&["bunka"], true, vec![]), &layer).is_none());
        let g = grant(AttributeRule::Only(vec![]), unix_now() + 60);
        let view = decide(&user(&["bunka"], true, vec![g]), &layer).unwrap();
        assert!(names(&view).is_empty());
        assert!(!view.public);
    }
}
