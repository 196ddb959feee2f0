//! A layer definition rebuilt from a manifest's public definition.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::catalog::{AccessDef, AttributeRule, Audience, LayerDef, ViewRule};
use crate::push::PublicDef;

/// The definition a replica serves a pushed layer with: visible to everyone, showing the
/// attributes the primary showed the public (listed the same way, so that the policy class,
/// and with it every ETag, is the primary's), with no row filter: the rows were filtered on
/// the primary, and only admitted rows were pushed.
pub fn layer_def(p: &PublicDef, target: &str) -> LayerDef {
    let attributes = p
        .visible
        .as_ref()
        .map(|names| BTreeMap::from([(Audience::Public, AttributeRule::Only(names.clone()))]))
        .unwrap_or_default();
    let file = PathBuf::from(format!("{target}/{}", crate::push::MANIFEST));
    LayerDef {
        id: p.id.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        department: String::new(),
        source: None,
        geometry: p.geometry,
        zoom: p.zoom,
        attribution: p.attribution.clone(),
        sample: p.sample,
        searchable: p.searchable.clone(),
        label: p.label.clone(),
        near_m: p.near_m,
        // A replica takes no uploads.
        max_drop_percent: 10.0,
        fields: p.fields.clone(),
        tiles: p.tiles.clone(),
        access: AccessDef {
            view: ViewRule::Public,
            upload: Vec::new(),
            approve: Vec::new(),
            edit: Vec::new(),
            attributes,
            rows: BTreeMap::new(),
        },
        file,
    }
}
