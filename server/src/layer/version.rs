//! One immutable, fully indexed version of a layer.

use std::sync::Arc;

use geo::{BoundingRect, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};

use super::search::SearchIndex;
use super::{Cores, Overviews};
use crate::catalog::LayerDef;
use crate::model::{Feature, Schema, VersionInfo};

/// An R-tree entry: a feature's lon/lat envelope and its index in `features`.
pub type IndexEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// One immutable layer version with all its derived indexes. Readers hold an `Arc` to it; a
/// publish swaps in a new one, built whole beforehand.
#[derive(Debug)]
pub struct LayerVersion {
    pub def: Arc<LayerDef>,
    pub info: VersionInfo,
    pub schema: Schema,
    pub features: Vec<Feature>,
    /// lon/lat bounds of all features; `None` for an empty layer.
    pub bbox: Option<Rect<f64>>,
    tree: RTree<IndexEntry>,
    overviews: Overviews,
    search: SearchIndex,
    /// 0 for a store version as stored; otherwise a number, unique and increasing over the
    /// process's life and across restarts, naming this store version with single-feature
    /// edits applied on top (see `edit`). Part of [`LayerVersion::tag`].
    revision: u64,
}

impl LayerVersion {
    /// Indexes the features: an R-tree built by `bulk_load`, the tile overviews (on all
    /// cores) and the search index. CPU work of seconds for a large layer: call it from a
    /// blocking thread, never from a request.
    pub fn new(
        def: Arc<LayerDef>,
        info: VersionInfo,
        schema: Schema,
        features: Vec<Feature>,
    ) -> Self {
        Self::new_on(def, info, schema, features, Cores::All)
    }

    /// [`LayerVersion::new`], building the overviews on the given share of the cores.
    pub fn new_on(
        def: Arc<LayerDef>,
        info: VersionInfo,
        schema: Schema,
        features: Vec<Feature>,
        cores: Cores,
    ) -> Self {
        let entries: Vec<IndexEntry> = features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let r = f.geometry.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i as u32,
                ))
            })
            .collect();
        let bbox = entries.iter().fold(None::<Rect<f64>>, |acc, e| {
            let env = e.geom().envelope();
            let r = Rect::new(env.lower(), env.upper());
            Some(acc.map_or(r, |a| union_rect(a, r)))
        });
        let tree = RTree::bulk_load(entries);
        let mut version = Self {
            def,
            info,
            schema,
            features,
            bbox,
            tree,
            overviews: Overviews::default(),
            search: SearchIndex::default(),
            revision: 0,
        };
        let t = std::time::Instant::now();
        version.overviews = Overviews::build_on(&version, cores);
        version.search = SearchIndex::build(&version);
        tracing::debug!(
            layer = %version.def.id,
            version = version.info.version,
            ms = t.elapsed().as_millis() as u64,
            "derived indexes built"
        );
        version
    }

    /// The tile overviews, built with the version.
    pub fn overviews(&self) -> &Overviews {
        &self.overviews
    }

    /// Drops the overview levels, so that tiles render from the features (tests compare).
    #[cfg(test)]
    pub(crate) fn clear_overview_levels(&mut self) {
        self.overviews.levels.clear();
    }

    /// The search index, built with the version.
    pub fn search_index(&self) -> &SearchIndex {
        &self.search
    }

    pub fn id(&self) -> &str {
        &self.def.id
    }

    pub fn version(&self) -> u64 {
        self.info.version
    }

    /// Marks this version as its store version with edits applied (see the field).
    #[must_use]
    pub fn with_revision(mut self, revision: u64) -> Self {
        self.revision = revision;
        self
    }

    /// The edit revision on top of the store version (0: none).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// What names this exact content in cache keys, ETags and tile URLs: the store version,
    /// and `e<revision>` when edits are applied on top (`12`, `12e1733212345678901`).
    pub fn tag(&self) -> String {
        if self.revision == 0 {
            self.info.version.to_string()
        } else {
            format!("{}e{}", self.info.version, self.revision)
        }
    }

    pub fn tree(&self) -> &RTree<IndexEntry> {
        &self.tree
    }

    /// Features whose envelope intersects a lon/lat box, in index order.
    pub fn in_envelope(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = &Feature> {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .map(|e| &self.features[e.data as usize])
    }

    /// Looks a feature up by id. Ids are usually dense and ascending, so try the slot first.
    pub fn feature_by_id(&self, id: u64) -> Option<&Feature> {
        let guess = usize::try_from(id).ok().and_then(|i| i.checked_sub(1));
        if let Some(f) = guess.and_then(|i| self.features.get(i))
            && f.id == id
        {
            return Some(f);
        }
        self.features.iter().find(|f| f.id == id)
    }
}

fn union_rect(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
        geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
    )
}
