//! Static export: every tile of some layers over a zoom range, as one PMTiles archive that a
//! city can put on any CDN or object store. The caller passes the views (the CLI uses the
//! anonymous principal's), so an export never holds more than its audience may see.

use std::io::BufWriter;
use std::ops::RangeInclusive;
use std::path::Path;

use serde_json::json;

use super::pmtiles::{ArchiveInfo, PmTilesWriter};
use super::{TileCoord, TileError, TileService, tilejson};
use crate::access::LayerView;
use crate::model::lonlat_to_merc;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub tiles: usize,
    pub empty: usize,
    pub bytes: u64,
}

/// An export failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("nothing to export: no layer has data")]
    NoData,
    #[error(transparent)]
    Tile(#[from] TileError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Renders every non-empty tile of `views` at `zooms` over their bounds into `out`
/// (written to a temporary name, then renamed).
pub fn export_pmtiles(
    service: &TileService,
    views: &[LayerView],
    zooms: RangeInclusive<u8>,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    let bounds = bounds(views).ok_or(ExportError::NoData)?;
    let mut writer = PmTilesWriter::default();
    let mut empty = 0;
    for z in zooms.clone() {
        for coord in tiles_covering(bounds, z) {
            match service.render_bytes(views, coord)? {
                Some(mvt) => writer.add(coord, &mvt),
                None => empty += 1,
            }
        }
    }
    let tiles = writer.len();
    let mut meta = tilejson(views, "");
    meta["generator"] = json!(concat!("kashimap ", env!("CARGO_PKG_VERSION")));
    if let Some(o) = meta.as_object_mut() {
        o.remove("tiles");
    }
    let info = ArchiveInfo {
        min_zoom: *zooms.start(),
        max_zoom: *zooms.end(),
        bounds,
        metadata: meta,
    };
    let tmp = out.with_extension("pmtiles.tmp");
    let io = |source| ExportError::Io {
        path: out.display().to_string(),
        source,
    };
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut w = BufWriter::new(file);
    writer.finish(&mut w, &info).map_err(io)?;
    drop(w);
    std::fs::rename(&tmp, out).map_err(io)?;
    let bytes = std::fs::metadata(out).map_err(io)?.len();
    Ok(ExportSummary {
        tiles,
        empty,
        bytes,
    })
}

fn bounds(views: &[LayerView]) -> Option<[f64; 4]> {
    views
        .iter()
        .filter_map(|v| v.layer.bbox)
        .fold(None, |acc, r| {
            let b = [r.min().x, r.min().y, r.max().x, r.max().y];
            Some(acc.map_or(b, |a: [f64; 4]| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            }))
        })
}

/// Every tile at zoom `z` that touches `[west, south, east, north]`.
pub fn tiles_covering(b: [f64; 4], z: u8) -> impl Iterator<Item = TileCoord> {
    let n = 1u32 << z;
    let to_tile = |lon: f64, lat: f64| {
        let (mx, my) = lonlat_to_merc(lon, lat);
        let half = crate::model::MERCATOR_HALF;
        let fx = (mx + half) / (2.0 * half) * f64::from(n);
        let fy = (half - my) / (2.0 * half) * f64::from(n);
        (
            (fx.floor().max(0.0) as u32).min(n - 1),
            (fy.floor().max(0.0) as u32).min(n - 1),
        )
    };
    let (x0, y0) = to_tile(b[0], b[3]);
    let (x1, y1) = to_tile(b[2], b[1]);
    (x0..=x1).flat_map(move |x| {
        (y0..=y1).filter_map(move |y| TileCoord::new_checked(u32::from(z), x, y).ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covering_tiles_include_the_corners() {
        let b = [130.05, 33.05, 130.15, 33.15];
        let tiles: Vec<TileCoord> = tiles_covering(b, 14).collect();
        assert!(tiles.contains(&TileCoord::new_checked(14, 14112, 6593).unwrap()));
        for t in &tiles {
            let [w, s, e, n] = t.lonlat_bounds();
            assert!(e >= b[0] && w <= b[2] && n >= b[1] && s <= b[3], "{t:?}");
        }
        assert_eq!(tiles_covering(b, 0).count(), 1);
    }
}
