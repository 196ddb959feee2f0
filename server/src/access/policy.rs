//! The policy: one decision per principal and layer version.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use super::Principal;
use crate::catalog::{AttributeRule, Audience, LayerDef, ViewRule};
use crate::layer::{Feature, LayerVersion};
use crate::query::cql2::{Expr, Filter};

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
    pub fn fields(&self) -> impl Iterator<Item = (usize, &crate::layer::Field)> {
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
    let public = match Decision::of(&Principal::anonymous(), &layer.def) {
        Some(anon) => anon.class_text(layer) == decision.class_text(layer),
        None => false,
    };
    Some(decision.into_view(layer, public))
}

/// [`decide`] for every loaded layer, skipping those the principal may not see.
pub fn decide_all(principal: &Principal, layers: &[Arc<LayerVersion>]) -> Vec<LayerView> {
    layers.iter().filter_map(|l| decide(principal, l)).collect()
}

/// The schema-independent part of a decision.
struct Decision {
    /// `None`: every attribute.
    attributes: Option<BTreeSet<String>>,
    /// `None`: every row. Otherwise the filters, any of which admits a row.
    rows: Option<Vec<Expr>>,
}

impl Decision {
    fn of(principal: &Principal, def: &LayerDef) -> Option<Self> {
        if principal.is_admin() {
            return Some(Self {
                attributes: None,
                rows: None,
            });
        }
        let viewers = viewing_audiences(principal, def);
        let grants: Vec<_> = principal.grants_for(&def.id).collect();
        if viewers.is_empty() && grants.is_empty() {
            return None;
        }
        Some(Self {
            attributes: attributes(principal, def, &grants),
            rows: rows(def, &viewers, !grants.is_empty()),
        })
    }

    fn class_text(&self, layer: &LayerVersion) -> String {
        let mut s = format!("{}@{}:a=", layer.def.id, layer.version());
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
