//! The pipeline's stages one by one, for the criterion benchmarks (`benches/tiles.rs`).
//! Not part of the API.

use crate::layer::LayerVersion;
use crate::mvt::TileTransform;
use crate::mvt::clip::{self, ClipRect};
use crate::mvt::encode::{Buffers, LayerEncoder};
use crate::mvt::geom::{GeomType, TileGeom};
use crate::mvt::shape::{Project, Shaper};
use crate::mvt::{EXTENT, TileCoord};

/// Stage 1: feature indices whose envelope meets the buffered tile.
pub fn query(layer: &LayerVersion, coord: TileCoord) -> Vec<u32> {
    let mut hits = super::render::query(layer, coord, layer.def.tiles.buffer);
    hits.sort_unstable();
    hits
}

/// Stage 2: project every ring to tile space and clip it (no simplification); returns the
/// number of points kept.
pub fn clip(layer: &LayerVersion, coord: TileCoord, hits: &[u32]) -> usize {
    let t = TileTransform::new(coord, EXTENT);
    let r = ClipRect::new(EXTENT, layer.def.tiles.buffer);
    let (mut ring, mut tmp) = (Vec::new(), Vec::new());
    let mut kept = 0;
    for &i in hits {
        let g = &layer.features[i as usize].merc;
        let geo::Geometry::Polygon(p) = g else {
            continue;
        };
        ring.clear();
        ring.extend(p.exterior().coords().map(|&c| t.project(c)));
        if clip::relate(clip::bounds(&ring), r) == clip::Relation::Crosses {
            clip::clip_ring(&mut ring, r, &mut tmp);
        }
        kept += ring.len();
    }
    kept
}

/// Shaped geometries, ready to encode.
pub struct Shaped(Vec<(u32, GeomType, TileGeom)>);

impl Shaped {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Stage 3: clip, simplify, snap, orient and repair every feature (no thinning).
pub fn shape(layer: &LayerVersion, coord: TileCoord, hits: &[u32]) -> Shaped {
    let t = TileTransform::new(coord, EXTENT);
    let r = ClipRect::new(EXTENT, layer.def.tiles.buffer);
    let mut shaper = Shaper::new(r, layer.def.tiles.tolerance);
    let mut out = Vec::with_capacity(hits.len());
    let mut g = TileGeom::default();
    for &i in hits {
        if let Some(ty) = shaper.geometry(&layer.features[i as usize].merc, &t, &mut g) {
            out.push((i, ty, g.clone()));
        }
    }
    Shaped(out)
}

/// Stage 4: encode shaped features with every attribute, values numbered by the overviews'
/// dictionary as `render` does.
pub fn encode(layer: &LayerVersion, ov: &super::Overviews, shaped: &Shaped) -> Vec<u8> {
    let mut enc = LayerEncoder::new("bench", EXTENT, layer.schema.len(), Buffers::default());
    for (i, ty, g) in &shaped.0 {
        let f = &layer.features[*i as usize];
        let props = (0..layer.schema.len()).map(|c| {
            (
                c,
                layer.schema.field(c).name.as_str(),
                ov.dict.id(*i as usize, c),
            )
        });
        enc.add_numbered(f.id, *ty, g, props);
    }
    enc.resolve(&ov.dict, &layer.features);
    let mut out = Vec::new();
    enc.finish_into(&mut out);
    out
}

/// The encoder alone on plain data: one polygon ring and property values per feature, all
/// with the given column names. For comparing encoders.
pub fn encode_rings(
    rings: &[(u64, Vec<[i32; 2]>)],
    names: &[&str],
    values: &[Vec<crate::model::Value>],
) -> Vec<u8> {
    let mut enc = LayerEncoder::new("bench", EXTENT, names.len(), Buffers::default());
    let mut g = TileGeom::default();
    for ((id, ring), vals) in rings.iter().zip(values) {
        g.clear();
        g.points.extend_from_slice(ring);
        g.end_part(0);
        let props = names
            .iter()
            .zip(vals)
            .enumerate()
            .map(|(c, (n, v))| (c, *n, crate::model::FieldType::String, v));
        enc.add_feature(*id, GeomType::Polygon, &g, props);
    }
    let mut out = Vec::new();
    enc.finish_into(&mut out);
    out
}
