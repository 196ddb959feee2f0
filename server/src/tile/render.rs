//! `render`: one tile with one MVT layer per input layer, within a byte budget.

use rstar::AABB;

use crate::access::LayerView;
use crate::layer::LayerVersion;
use crate::layer::{self, Level, OverviewEntry as Entry, Overviews};
use crate::model::{Feature, merc_to_lonlat};
use crate::mvt::TileTransform;
use crate::mvt::clip::ClipRect;
use crate::mvt::encode::{Buffers, LayerEncoder};
use crate::mvt::geom::{GeomType, TileGeom};
use crate::mvt::shape::Shaper;
use crate::mvt::thin::{Keep, MAX_LEVEL, Thinning};
use crate::mvt::{EXTENT, TileCoord, TileError};

/// One MVT layer of a tile: its name and what the caller may see of it (the view's layer
/// version carries its precomputed [`Overviews`]).
#[derive(Debug, Clone, Copy)]
pub struct TileLayerInput<'a> {
    pub name: &'a str,
    pub view: &'a LayerView,
}

impl TileLayerInput<'_> {
    fn overviews(&self) -> &Overviews {
        self.view.layer.overviews()
    }
}

/// Options of [`render`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RenderOptions {
    /// Largest tile the pipeline aims to produce, in bytes. Default 500 000. Over it, the
    /// tile is re-rendered with stronger thinning (up to 4 times), then truncated.
    pub max_tile_bytes: usize,
}

impl RenderOptions {
    /// The options with another byte budget.
    #[must_use]
    pub fn with_max_tile_bytes(mut self, bytes: usize) -> Self {
        self.max_tile_bytes = bytes;
        self
    }
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            max_tile_bytes: 500_000,
        }
    }
}

/// Renders one tile. `Ok(None)` means the tile is empty (HTTP 204).
///
/// Layers below their min zoom are absent; above their max zoom the same data is drawn
/// (over-zoom), unthinned. Only features the view admits, and only its visible attributes,
/// are encoded.
pub fn render(
    layers: &[TileLayerInput<'_>],
    coord: TileCoord,
    opts: &RenderOptions,
) -> Result<Option<Vec<u8>>, TileError> {
    let mut out = Vec::new();
    let mut scratch = Scratch::take();
    for level in 0..=MAX_LEVEL {
        out.clear();
        let cap = (level == MAX_LEVEL).then(|| opts.max_tile_bytes / layers.len().max(1));
        for input in layers {
            render_layer(input, coord, level, cap, &mut out, &mut scratch);
        }
        if out.len() <= opts.max_tile_bytes {
            break;
        }
        tracing::debug!(tile = %coord, bytes = out.len(), level, "tile over budget, thinning more");
    }
    scratch.give_back();
    Ok((!out.is_empty()).then_some(out))
}

/// Buffers kept per thread from tile to tile, so that a tile does not grow its own.
struct Scratch {
    shaper: Shaper,
    geom: TileGeom,
    hits: Vec<u32>,
    enc: Buffers,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Box<Scratch>>> = const { std::cell::Cell::new(None) };
}

impl Scratch {
    /// Points (of any buffer) above which the buffers are freed rather than kept.
    const KEEP_POINTS: usize = 1 << 16;
    /// The same for the encoder's buffers, in bytes.
    const KEEP_BYTES: usize = 1 << 20;

    fn take() -> Box<Self> {
        SCRATCH.take().unwrap_or_else(|| {
            Box::new(Self {
                shaper: Shaper::new(ClipRect::everything(), 0.0),
                geom: TileGeom::default(),
                hits: Vec::new(),
                enc: Buffers::default(),
            })
        })
    }

    fn give_back(self: Box<Self>) {
        if self.geom.points.capacity().max(self.hits.capacity()) <= Self::KEEP_POINTS
            && self.shaper.retained() <= Self::KEEP_POINTS
            && self.enc.retained_bytes() <= Self::KEEP_BYTES
        {
            SCRATCH.set(Some(self));
        }
    }
}

/// Appends one layer to `out` unless nothing of it shows in this tile.
fn render_layer(
    input: &TileLayerInput<'_>,
    coord: TileCoord,
    level: u32,
    cap: Option<usize>,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) {
    let layer: &LayerVersion = &input.view.layer;
    let def = &layer.def;
    if coord.z < def.zoom.min {
        return;
    }
    let thinning = Thinning::new(coord.z, def.zoom.max, level);
    let mut job = Job {
        input,
        layer,
        thinning,
        enc: LayerEncoder::new(
            input.name,
            EXTENT,
            layer.schema.len(),
            std::mem::take(&mut scratch.enc),
        ),
        geom: &mut scratch.geom,
        cap: cap.unwrap_or(usize::MAX),
    };
    let (shaper, hits) = (&mut scratch.shaper, &mut scratch.hits);
    // Levels exist only below the max zoom, where thinning is on.
    match input.overviews().level(coord.z) {
        Some(l) => job.overview_level(l, coord, shaper, hits),
        None => job.direct(coord, shaper, hits),
    }
    scratch.enc = if job.enc.feature_count() > 0 {
        job.enc.resolve(&input.overviews().dict, &layer.features);
        job.enc.finish_into(out)
    } else {
        job.enc.into_buffers()
    };
}

/// The state of rendering one layer of one tile.
struct Job<'a, 'i> {
    input: &'i TileLayerInput<'a>,
    layer: &'a LayerVersion,
    thinning: Thinning,
    enc: LayerEncoder<'a>,
    geom: &'i mut TileGeom,
    cap: usize,
}

impl<'a> Job<'a, '_> {
    fn full(&self) -> bool {
        self.enc.body_len() >= self.cap
    }

    /// From the features: R-tree query, then clip, simplify, snap and repair each one.
    fn direct(&mut self, coord: TileCoord, shaper: &mut Shaper, hits: &mut Vec<u32>) {
        let def = &self.layer.def;
        let transform = TileTransform::new(coord, EXTENT);
        let clip = ClipRect::new(EXTENT, def.tiles.buffer);
        shaper.reset(clip, def.tiles.tolerance);
        hits.clear();
        hits.extend(query_iter(self.layer, coord, def.tiles.buffer));
        hits.sort_unstable();
        for &i in hits.iter() {
            let f = &self.layer.features[i as usize];
            let keep = self.keep(i as usize, f);
            if keep == Keep::Drop || !self.input.view.admits(f) {
                continue;
            }
            let ty = if keep == Keep::Square {
                let Some(c) = layer::center(&f.merc, &transform) else {
                    continue;
                };
                let side = self.thinning.square_side();
                layer::square(c, side, Some(clip_bounds(clip)), self.geom);
                (!self.geom.is_empty()).then_some(GeomType::Polygon)
            } else {
                shaper.geometry(&f.merc, &transform, self.geom)
            };
            if let Some(ty) = ty {
                self.emit(i as usize, f, ty);
            }
            if self.full() {
                break;
            }
        }
    }

    fn keep(&self, i: usize, f: &Feature) -> Keep {
        self.input.overviews().keep(self.thinning, i, f)
    }

    /// From a precomputed overview level: entries are already simplified and valid; only
    /// those crossing the tile's edge need clipping.
    fn overview_level(
        &mut self,
        level: &Level,
        coord: TileCoord,
        shaper: &mut Shaper,
        hits: &mut Vec<u32>,
    ) {
        let def = &self.layer.def;
        let clip = ClipRect::new(EXTENT, def.tiles.buffer);
        shaper.reset(clip, 0.0);
        let e = EXTENT as i32;
        let off = [coord.x as i32 * e, coord.y as i32 * e];
        level.query(coord, def.tiles.buffer, hits);
        for &h in hits.iter() {
            let entry = &level.entries[h as usize];
            let f = &self.layer.features[entry.feature as usize];
            if (self.thinning.level > 0 && self.keep(entry.feature as usize, f) == Keep::Drop)
                || !self.input.view.admits(f)
            {
                continue;
            }
            if self.entry_geometry(level, entry, off, clip, shaper) {
                self.emit(entry.feature as usize, f, entry.ty);
            }
            if self.full() {
                break;
            }
        }
    }

    fn entry_geometry(
        &mut self,
        level: &Level,
        entry: &Entry,
        off: [i32; 2],
        clip: ClipRect,
        shaper: &mut Shaper,
    ) -> bool {
        let b = entry.bbox;
        if entry.square && self.thinning.level > 0 {
            let c = [
                f64::from(b[0] + b[2]) / 2.0 - f64::from(off[0]),
                f64::from(b[1] + b[3]) / 2.0 - f64::from(off[1]),
            ];
            layer::square(
                c,
                self.thinning.square_side(),
                Some(clip_bounds(clip)),
                self.geom,
            );
            return !self.geom.is_empty();
        }
        let [lo, hi] = clip_bounds(clip);
        let inside = b[0] - off[0] >= lo
            && b[2] - off[0] <= hi
            && b[1] - off[1] >= lo
            && b[3] - off[1] <= hi;
        if inside {
            self.geom.clear();
            for part in level.parts(entry) {
                let start = self.geom.points.len();
                self.geom
                    .points
                    .extend(part.iter().map(|p| [p[0] - off[0], p[1] - off[1]]));
                self.geom.end_part(start);
            }
        } else {
            shaper.int_geometry(entry.ty, level.parts(entry), off, self.geom);
        }
        !self.geom.is_empty()
    }

    fn emit(&mut self, i: usize, f: &'a Feature, ty: GeomType) {
        let schema = &self.layer.schema;
        let dict = &self.input.overviews().dict;
        let props = self
            .input
            .view
            .attributes
            .iter()
            .map(|&col| (col, schema.field(col).name.as_str(), dict.id(i, col)));
        self.enc.add_numbered(f.id, ty, self.geom, props);
    }
}

fn clip_bounds(clip: ClipRect) -> [i32; 2] {
    [clip.min as i32, clip.max as i32]
}

/// Indices of features whose lon/lat envelope meets the tile plus its buffer.
pub(crate) fn query(layer: &LayerVersion, coord: TileCoord, buffer: u32) -> Vec<u32> {
    query_iter(layer, coord, buffer).collect()
}

fn query_iter(
    layer: &LayerVersion,
    coord: TileCoord,
    buffer: u32,
) -> impl Iterator<Item = u32> + '_ {
    layer
        .tree()
        .locate_in_envelope_intersecting(&query_envelope(coord, buffer))
        .map(|e| e.data)
}

/// The tile plus `buffer` as a lon/lat box for the layer's R-tree.
fn query_envelope(coord: TileCoord, buffer: u32) -> AABB<[f64; 2]> {
    let [x0, y0, x1, y1] = coord.merc_bounds();
    let pad = coord.size_m() * f64::from(buffer) / f64::from(EXTENT);
    let (w, s) = merc_to_lonlat(x0 - pad, y0 - pad);
    let (e, n) = merc_to_lonlat(x1 + pad, y1 + pad);
    AABB::from_corners([w, s], [e, n])
}

/// True if the tile has at most `limit` candidate features over all layers (from the
/// overview level or the layer's R-tree, before thinning and row filters): a cheap bound on
/// the work of rendering it, counted without collecting anything.
pub fn at_most(layers: &[TileLayerInput<'_>], coord: TileCoord, limit: usize) -> bool {
    let mut left = limit + 1;
    for input in layers {
        let layer: &LayerVersion = &input.view.layer;
        if coord.z < layer.def.zoom.min {
            continue;
        }
        let buffer = layer.def.tiles.buffer;
        let n = match input.overviews().level(coord.z) {
            // Most levels are sparse enough that no tile of them needs counting.
            Some(level) if level.densest < left => level.densest,
            Some(level) => level.count(coord, buffer, left),
            None => layer
                .tree()
                .locate_in_envelope_intersecting(&query_envelope(coord, buffer))
                .take(left)
                .count(),
        };
        left -= n;
        if left == 0 {
            return false;
        }
    }
    true
}
