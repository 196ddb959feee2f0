//! What a push contains: the anonymous principal's view of every current layer (through
//! `access::decide`, the one decision), written as FlatGeobuf with only the visible
//! attributes and admitted rows, its TileJSON, and the public styles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{FileRef, LayerEntry, PublicDef, PushError, sha256_hex};
use crate::access::{LayerView, Principal, decide};
use crate::catalog::FieldDef;
use crate::fgb;
use crate::layer::Layers;
use crate::tile::{cut_to_view, tilejson};

/// The files of a push (content-addressed, not yet written) and what the manifest says.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub files: Vec<(FileRef, Vec<u8>)>,
    pub layers: Vec<LayerEntry>,
    pub styles: BTreeMap<String, FileRef>,
}

impl Snapshot {
    fn add(&mut self, ext: &str, bytes: Vec<u8>) -> FileRef {
        let sha256 = sha256_hex(&bytes);
        let file = FileRef {
            path: format!("objects/{sha256}.{ext}"),
            size: bytes.len() as u64,
            sha256,
        };
        if !self.files.iter().any(|(f, _)| f.path == file.path) {
            self.files.push((file.clone(), bytes));
        }
        file
    }
}

/// Builds the public snapshot of the layers being served and the styles in `styles_dir`.
pub fn build(layers: &Layers, styles_dir: &Path) -> Result<Snapshot, PushError> {
    let anonymous = Principal::anonymous();
    let views: Vec<LayerView> = layers
        .current_all()
        .iter()
        .filter_map(|v| decide(&anonymous, v))
        .collect();
    let mut snap = Snapshot::default();
    for view in &views {
        let entry = layer_entry(&mut snap, view)?;
        snap.layers.push(entry);
    }
    let public: BTreeSet<&str> = views.iter().map(|v| v.layer.id()).collect();
    for (name, text) in style_files(styles_dir)? {
        let mut style: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| PushError::Style {
                name: name.clone(),
                message: e.to_string(),
            })?;
        cut_to_view(&mut style, "", true, |id| public.contains(id));
        let bytes = serde_json::to_vec(&style).unwrap_or_default();
        let file = snap.add("json", bytes);
        snap.styles.insert(name, file);
    }
    Ok(snap)
}

fn layer_entry(snap: &mut Snapshot, view: &LayerView) -> Result<LayerEntry, PushError> {
    let layer = &view.layer;
    let admitted: Vec<_> = layer.features.iter().filter(|f| view.admits(f)).collect();
    let mut data = Vec::new();
    let options = fgb::WriteOptions {
        index: false,
        title: Some(&layer.def.title.ja),
        description: layer.def.description.as_ref().map(|d| d.ja.as_str()),
    };
    fgb::write(
        &mut data,
        layer.id(),
        &layer.schema,
        &view.attributes,
        admitted.iter().copied(),
        options,
    )
    .map_err(|e| PushError::Layer {
        layer: layer.id().to_owned(),
        message: e.to_string(),
    })?;
    let dense = admitted
        .iter()
        .enumerate()
        .all(|(i, f)| f.id == i as u64 + 1);
    let ids = (!dense).then(|| {
        let bytes: Vec<u8> = admitted.iter().flat_map(|f| f.id.to_le_bytes()).collect();
        snap.add("ids", bytes)
    });
    let tj = serde_json::to_vec(&tilejson(std::slice::from_ref(view), "")).unwrap_or_default();
    Ok(LayerEntry {
        def: public_def(view),
        version: layer.version(),
        features: admitted.len(),
        data: snap.add("fgb", data),
        ids,
        tilejson: snap.add("json", tj),
    })
}

/// The layer definition as the public sees it: attribute names limited to the visible ones,
/// and nothing of the access rules.
fn public_def(view: &LayerView) -> PublicDef {
    let def = &view.layer.def;
    // Listed exactly when the decision listed them (its class says `a=*` otherwise), so the
    // replica's decision, and with it every ETag, is the primary's.
    let listed = !view
        .class
        .as_str()
        .split_once(":a=")
        .is_some_and(|(_, rest)| rest.starts_with("*;"));
    let shown = |n: &String| view.shows(n);
    PublicDef {
        id: def.id.clone(),
        title: def.title.clone(),
        description: def.description.clone(),
        geometry: def.geometry,
        zoom: def.zoom,
        attribution: def.attribution.clone(),
        sample: def.sample,
        searchable: def
            .searchable
            .iter()
            .filter(|n| shown(n))
            .cloned()
            .collect(),
        label: def.label.clone().filter(|n| shown(n)),
        near_m: def.near_m,
        fields: def
            .fields
            .iter()
            .filter(|(n, _)| shown(n))
            .map(|(n, f)| {
                let public = FieldDef {
                    aliases: Vec::new(),
                    required: false,
                    ..f.clone()
                };
                (n.clone(), public)
            })
            .collect(),
        tiles: def.tiles.clone(),
        visible: listed.then(|| view.fields().map(|(_, f)| f.name.clone()).collect()),
    }
}

/// `styles_dir/*.json` by name (a missing folder has none).
fn style_files(dir: &Path) -> Result<Vec<(String, String)>, PushError> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in read.flatten() {
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|e| PushError::io(&path, e))?;
        out.push((name.to_owned(), text));
    }
    out.sort();
    Ok(out)
}
