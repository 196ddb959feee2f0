//! Precomputed per-version data for fast low zooms: feature sizes, point appearance zooms
//! and generalised overview levels. Built once per layer version (the caller caches it by
//! layer id and version) and independent of who asks: views filter it like the features.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};

use geo::{BoundingRect, Coord};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::LayerVersion;
use crate::catalog::GeometryKind;
use crate::model::{Feature, MERCATOR_HALF};
use crate::mvt::clip::ClipRect;
use crate::mvt::encode::{FxBuild, ValueDict};
use crate::mvt::geom::{GeomType, TileGeom, snap};
use crate::mvt::shape::{Project, Shaper};
use crate::mvt::thin::{self, Keep, THIN_CELL, Thinning};
use crate::mvt::{EXTENT, TileCoord, TileTransform};

/// Overview levels are kept for zooms up to this one (and below the layer's max zoom); deeper
/// zooms render from the features. Through z16, most features of a tile are copied from a
/// level with a translation (no projection, simplification, snapping or validity check): on
/// the benchmark's z14–16 parcel tiles that halves the instructions per tile, for about
/// 140 MB more memory on its 200 000 parcels and 40 000 roads (docs/tiles.md). World units at
/// z16 are 2^28 wide, well inside `i32`.
pub const OVERVIEW_MAX_ZOOM: u8 = 16;

/// A poisoned lock still holds usable data here (levels are only pushed whole).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One feature as an overview level draws it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub feature: u32,
    pub ty: GeomType,
    /// Drawn as a thinning square (a small polygon standing for its neighbours).
    pub square: bool,
    /// Parts `parts.0..parts.1` of the level's geometry.
    pub parts: (u32, u32),
    pub bbox: [i32; 4],
}

type Indexed = GeomWithData<Rectangle<[i32; 2]>, u32>;

/// Everything kept at one zoom, in world tile units of that zoom (`EXTENT · 2^z` wide),
/// simplified, snapped and valid.
#[derive(Debug, Default)]
pub(crate) struct Level {
    pub entries: Vec<Entry>,
    pub geom: TileGeom,
    tree: RTree<Indexed>,
    /// At least as many entries as meet any one tile plus the layer's buffer (see
    /// [`Level::densest`]): when that is small, no tile of this zoom needs counting.
    pub densest: usize,
}

impl Level {
    /// Entries whose bounds meet the tile plus `buffer`, in entry order.
    pub(crate) fn query(&self, coord: TileCoord, buffer: u32, out: &mut Vec<u32>) {
        out.clear();
        out.extend(
            self.tree
                .locate_in_envelope_intersecting(&Self::envelope(coord, buffer))
                .map(|g| g.data),
        );
        out.sort_unstable();
    }

    /// How many entries meet the tile plus `buffer`, counting up to `limit`.
    pub(crate) fn count(&self, coord: TileCoord, buffer: u32, limit: usize) -> usize {
        self.tree
            .locate_in_envelope_intersecting(&Self::envelope(coord, buffer))
            .take(limit)
            .count()
    }

    /// An upper bound of the entries meeting one tile plus `buffer`, over all tiles: each
    /// entry is counted in every tile its box meets, except that entries meeting more than
    /// [`Self::WIDE`] tiles are counted once for every tile.
    fn densest_tile(entries: &[Entry], buffer: u32) -> usize {
        let e = i64::from(EXTENT);
        let b = i64::from(buffer);
        let mut cells: HashMap<(i64, i64), u32, FxBuild> = HashMap::default();
        let mut wide = 0;
        for entry in entries {
            let [x0, y0, x1, y1] = entry.bbox.map(i64::from);
            // Tile t meets the box when t·e − b ≤ max and min ≤ t·e + e + b.
            let first = |min: i64| (min - b + e - 1).div_euclid(e) - 1;
            let last = |max: i64| (max + b).div_euclid(e);
            let (tx, ty) = ((first(x0), last(x1)), (first(y0), last(y1)));
            if (tx.1 - tx.0 + 1) * (ty.1 - ty.0 + 1) > Self::WIDE {
                wide += 1;
                continue;
            }
            for x in tx.0..=tx.1 {
                for y in ty.0..=ty.1 {
                    *cells.entry((x, y)).or_default() += 1;
                }
            }
        }
        cells.values().max().map_or(0, |&n| n as usize) + wide
    }

    /// Entries meeting more tiles than this are not counted tile by tile.
    const WIDE: i64 = 64;

    fn envelope(coord: TileCoord, buffer: u32) -> AABB<[i32; 2]> {
        let e = EXTENT as i32;
        let b = buffer as i32;
        let (x0, y0) = (coord.x as i32 * e, coord.y as i32 * e);
        AABB::from_corners([x0 - b, y0 - b], [x0 + e + b, y0 + e + b])
    }

    pub(crate) fn parts(&self, entry: &Entry) -> impl Iterator<Item = &[[i32; 2]]> {
        (entry.parts.0..entry.parts.1).map(|i| {
            let start = self.geom.part_start(i as usize);
            &self.geom.points[start..self.geom.ends[i as usize] as usize]
        })
    }
}

/// How many cores building derived indexes may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cores {
    /// All of them: at start-up, when nothing is served yet.
    All,
    /// All but one: while serving (a publish or rollback), so that the async workers keep a
    /// core for requests. On the benchmark's 2 cores a build on both delayed tile responses
    /// past 50 ms (docs/benchmarks.md, "Tile latency across a publish").
    SpareOne,
}

impl Cores {
    fn threads(self) -> usize {
        let n = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        match self {
            Cores::All => n,
            Cores::SpareOne => n.saturating_sub(1).max(1),
        }
    }
}

/// Per-version precomputation for the tile pipeline, part of its [`LayerVersion`].
#[derive(Debug, Default)]
pub struct Overviews {
    /// Thinning size per feature (m² or m), see [`thin::size_of`].
    pub(crate) sizes: Vec<f32>,
    /// Points: the lowest zoom at which each point wins its thinning cell.
    pub(crate) appear: Vec<u8>,
    /// Overview levels by zoom; empty where the layer is not drawn from an overview.
    pub(crate) levels: Vec<Level>,
    /// Numbered property values, for fast deduplication in tiles.
    pub(crate) dict: ValueDict,
}

impl Overviews {
    /// Precomputes sizes, point appearance zooms and the overview levels of a version.
    pub fn build(layer: &LayerVersion) -> Self {
        Self::build_on(layer, Cores::All)
    }

    /// [`Overviews::build`] on the given share of the cores.
    pub fn build_on(layer: &LayerVersion, cores: Cores) -> Self {
        let def = &layer.def;
        let sizes = layer
            .features
            .iter()
            .map(|f| thin::size_of(&f.merc) as f32)
            .collect();
        let appear = if def.geometry.contains(GeometryKind::Point) {
            appear_zooms(layer, def.zoom.max)
        } else {
            Vec::new()
        };
        let mut ov = Self {
            sizes,
            appear,
            levels: Vec::new(),
            dict: ValueDict::build(&layer.features, layer.schema.len()),
        };
        let top = OVERVIEW_MAX_ZOOM.min(def.zoom.max.saturating_sub(1));
        ov.levels = ov.build_levels(layer, top, cores.threads());
        ov
    }

    /// Builds levels `0..=top` on all cores, deepest (largest) first; levels below the
    /// layer's min zoom stay empty.
    fn build_levels(&self, layer: &LayerVersion, top: u8, threads: usize) -> Vec<Level> {
        let next = AtomicU8::new(0);
        let built = Mutex::new(Vec::new());
        let threads = threads.min(usize::from(top) + 1);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    while let Some(z) = top.checked_sub(next.fetch_add(1, Ordering::Relaxed)) {
                        if z >= layer.def.zoom.min {
                            let level = self.build_level(layer, z);
                            lock(&built).push((z, level));
                        }
                    }
                });
            }
        });
        let mut levels: Vec<Level> = (0..=top).map(|_| Level::default()).collect();
        for (z, level) in lock(&built).drain(..) {
            levels[usize::from(z)] = level;
        }
        levels
    }

    pub(crate) fn level(&self, z: u8) -> Option<&Level> {
        self.levels.get(usize::from(z))
    }

    /// Whether `thinning` keeps feature `i` (`f`) as it is, as a square or not at all, by
    /// the feature's own kind: points by the zoom they appear at, lines and areas by size.
    pub(crate) fn keep(&self, thinning: Thinning, i: usize, f: &Feature) -> Keep {
        let size = || f64::from(self.sizes.get(i).copied().unwrap_or(0.0));
        match GeometryKind::of(&f.merc) {
            Some(GeometryKind::Point) => {
                let appear = self.appear.get(i).copied().unwrap_or(0);
                if thinning.point(appear) {
                    Keep::Real
                } else {
                    Keep::Drop
                }
            }
            Some(GeometryKind::LineString) => thinning.line(size(), f.id),
            Some(GeometryKind::Polygon) | None => thinning.polygon(size(), f.id),
        }
    }

    /// Number of entries at each overview zoom (for docs and tests).
    pub fn level_sizes(&self) -> Vec<usize> {
        self.levels.iter().map(|l| l.entries.len()).collect()
    }

    fn build_level(&self, layer: &LayerVersion, z: u8) -> Level {
        let world = WorldProjection::new(z);
        let thinning = Thinning::new(z, layer.def.zoom.max, 0);
        let mut shaper = Shaper::new(ClipRect::everything(), layer.def.tiles.tolerance);
        let mut level = Level::default();
        let mut one = TileGeom::default();
        for (i, f) in layer.features.iter().enumerate() {
            let keep = self.keep(thinning, i, f);
            let ty = match keep {
                Keep::Drop => continue,
                Keep::Square => {
                    let Some(c) = center(&f.merc, &world) else {
                        continue;
                    };
                    square(c, thinning.square_side(), None, &mut one);
                    GeomType::Polygon
                }
                Keep::Real => match shaper.geometry(&f.merc, &world, &mut one) {
                    Some(ty) => ty,
                    None => continue,
                },
            };
            level.push(i as u32, ty, keep == Keep::Square, &one);
        }
        let items = level
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                GeomWithData::new(
                    Rectangle::from_corners([e.bbox[0], e.bbox[1]], [e.bbox[2], e.bbox[3]]),
                    i as u32,
                )
            })
            .collect();
        level.tree = RTree::bulk_load(items);
        level.densest = Level::densest_tile(&level.entries, layer.def.tiles.buffer);
        level
    }
}

impl Level {
    fn push(&mut self, feature: u32, ty: GeomType, square: bool, g: &TileGeom) {
        let first = self.geom.part_count() as u32;
        let mut bbox = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
        for part in g.parts() {
            let start = self.geom.points.len();
            for p in part {
                bbox = [
                    bbox[0].min(p[0]),
                    bbox[1].min(p[1]),
                    bbox[2].max(p[0]),
                    bbox[3].max(p[1]),
                ];
            }
            self.geom.points.extend_from_slice(part);
            self.geom.end_part(start);
        }
        self.entries.push(Entry {
            feature,
            ty,
            square,
            parts: (first, self.geom.part_count() as u32),
            bbox,
        });
    }
}

/// EPSG:3857 metres to world tile units at one zoom (y down).
pub(crate) struct WorldProjection {
    scale: f64,
}

impl WorldProjection {
    pub(crate) fn new(z: u8) -> Self {
        Self {
            scale: thin::units_per_metre(z),
        }
    }
}

impl Project for WorldProjection {
    fn project(&self, c: Coord<f64>) -> [f64; 2] {
        [
            (c.x + MERCATOR_HALF) * self.scale,
            (MERCATOR_HALF - c.y) * self.scale,
        ]
    }
}

impl Project for TileTransform {
    fn project(&self, c: Coord<f64>) -> [f64; 2] {
        self.apply(c.x, c.y)
    }
}

/// The centre of a geometry's bounding box, projected.
pub(crate) fn center(g: &geo::Geometry<f64>, proj: &impl Project) -> Option<[f64; 2]> {
    let r = g.bounding_rect()?;
    Some(proj.project(r.center()))
}

/// Writes an axis-aligned square of side `side` around `c` into `out`, cut to `clip`
/// (integer bounds) when given. The ring is oriented as an MVT exterior.
pub(crate) fn square(c: [f64; 2], side: i32, clip: Option<[i32; 2]>, out: &mut TileGeom) {
    out.clear();
    let h = side / 2;
    let (cx, cy) = (snap(c[0]), snap(c[1]));
    let (mut x0, mut y0, mut x1, mut y1) = (cx - h, cy - h, cx + h, cy + h);
    if let Some([lo, hi]) = clip {
        (x0, y0, x1, y1) = (x0.max(lo), y0.max(lo), x1.min(hi), y1.min(hi));
    }
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    out.points.extend([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
    out.end_part(0);
}

/// For every point feature, the lowest zoom at which it has the lowest draw in its cell
/// of `THIN_CELL` units. Cells nest from zoom to zoom, so the winners of a zoom are the
/// winners among the previous zoom's winners, grouped by parent cell.
fn appear_zooms(layer: &LayerVersion, max_zoom: u8) -> Vec<u8> {
    let mut appear = vec![u8::MAX; layer.features.len()];
    let Some(top) = max_zoom.checked_sub(1) else {
        return appear;
    };
    let proj = WorldProjection::new(top);
    let cell = f64::from(THIN_CELL);
    let mut live: Vec<(u64, u64, f64, u32)> = layer
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| GeometryKind::of(&f.merc) == Some(GeometryKind::Point))
        .filter_map(|(i, f)| {
            let p = center(&f.merc, &proj)?;
            let key = |v: f64| (v / cell).floor().max(0.0) as u64;
            Some((key(p[0]), key(p[1]), thin::unit(f.id), i as u32))
        })
        .collect();
    for z in (0..=top).rev() {
        live.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        live.dedup_by(|b, a| (a.0, a.1) == (b.0, b.1));
        for e in &live {
            appear[e.3 as usize] = z;
        }
        for e in &mut live {
            e.0 >>= 1;
            e.1 >>= 1;
        }
    }
    appear
}
