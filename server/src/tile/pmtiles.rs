//! A PMTiles v3 writer (<https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>):
//! a 127-byte header, a gzip-compressed root directory (with leaf directories when the root
//! would not fit in the first 16 KiB), JSON metadata and the tile data, clustered in tile-id
//! order with identical tiles stored once.

use std::collections::HashMap;
use std::io::{self, Write};

use super::{TileCoord, gzip};

const HEADER_LEN: usize = 127;
const ROOT_MAX: usize = 16_384 - HEADER_LEN;
const COMPRESSION_GZIP: u8 = 2;
const TILE_TYPE_MVT: u8 = 1;

/// The PMTiles tile id of a tile: tiles of lower zooms first, then the Hilbert index.
pub fn tile_id(c: TileCoord) -> u64 {
    let z = u32::from(c.z);
    let base = ((1u64 << (2 * z)) - 1) / 3;
    let n = 1u64 << z;
    let (mut x, mut y) = (u64::from(c.x), u64::from(c.y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    base + d
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u32,
    run_length: u32,
}

/// What the archive header says about its content.
#[derive(Debug, Clone)]
pub struct ArchiveInfo {
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// `[west, south, east, north]`.
    pub bounds: [f64; 4],
    pub metadata: serde_json::Value,
}

/// Collects tiles (in any order) and writes the archive.
#[derive(Debug, Default)]
pub struct PmTilesWriter {
    /// (tile id, index into `contents`)
    tiles: Vec<(u64, usize)>,
    contents: Vec<Vec<u8>>,
    by_content: HashMap<Vec<u8>, usize>,
}

impl PmTilesWriter {
    /// Adds one tile's MVT bytes (uncompressed); they are stored gzip-compressed.
    pub fn add(&mut self, coord: TileCoord, mvt: &[u8]) {
        let gz = gzip(mvt);
        let idx = if let Some(&i) = self.by_content.get(&gz) {
            i
        } else {
            self.contents.push(gz.clone());
            self.by_content.insert(gz, self.contents.len() - 1);
            self.contents.len() - 1
        };
        self.tiles.push((tile_id(coord), idx));
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    /// Writes the archive.
    pub fn finish(mut self, out: &mut impl Write, info: &ArchiveInfo) -> io::Result<()> {
        self.tiles.sort_unstable_by_key(|t| t.0);
        self.tiles.dedup_by_key(|t| t.0);
        let (entries, data) = self.layout();
        let (root, leaves) = directories(&entries)?;
        let metadata = gzip(info.metadata.to_string().as_bytes());
        let root_off = HEADER_LEN as u64;
        let meta_off = root_off + root.len() as u64;
        let leaf_off = meta_off + metadata.len() as u64;
        let data_off = leaf_off + leaves.len() as u64;
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(b"PMTiles");
        h.push(3);
        for v in [
            root_off,
            root.len() as u64,
            meta_off,
            metadata.len() as u64,
            leaf_off,
            leaves.len() as u64,
            data_off,
            data.len() as u64,
            self.tiles.len() as u64,
            entries.len() as u64,
            self.contents.len() as u64,
        ] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.extend_from_slice(&[
            1,
            COMPRESSION_GZIP,
            COMPRESSION_GZIP,
            TILE_TYPE_MVT,
            info.min_zoom,
            info.max_zoom,
        ]);
        let e7 = |v: f64| ((v * 1e7).round() as i32).to_le_bytes();
        for v in info.bounds {
            h.extend_from_slice(&e7(v));
        }
        h.push(info.min_zoom.max(info.max_zoom.saturating_sub(2)));
        h.extend_from_slice(&e7(f64::midpoint(info.bounds[0], info.bounds[2])));
        h.extend_from_slice(&e7(f64::midpoint(info.bounds[1], info.bounds[3])));
        debug_assert_eq!(h.len(), HEADER_LEN);
        for part in [&h, &root, &metadata, &leaves, &data] {
            out.write_all(part)?;
        }
        out.flush()
    }

    /// Tile data in id order (clustered) and run-length-encoded entries.
    fn layout(&self) -> (Vec<Entry>, Vec<u8>) {
        let mut data = Vec::new();
        let mut placed: HashMap<usize, (u64, u32)> = HashMap::new();
        let mut entries: Vec<Entry> = Vec::new();
        for &(id, idx) in &self.tiles {
            let (offset, length) = *placed.entry(idx).or_insert_with(|| {
                let off = data.len() as u64;
                data.extend_from_slice(&self.contents[idx]);
                (off, self.contents[idx].len() as u32)
            });
            if let Some(last) = entries.last_mut()
                && last.offset == offset
                && last.tile_id + u64::from(last.run_length) == id
            {
                last.run_length += 1;
                continue;
            }
            entries.push(Entry {
                tile_id: id,
                offset,
                length,
                run_length: 1,
            });
        }
        (entries, data)
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Serialises and compresses one directory.
fn serialize(entries: &[Entry]) -> Vec<u8> {
    let mut b = Vec::new();
    varint(&mut b, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        varint(&mut b, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        varint(&mut b, u64::from(e.run_length));
    }
    for e in entries {
        varint(&mut b, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let contiguous =
            i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length);
        varint(&mut b, if contiguous { 0 } else { e.offset + 1 });
    }
    gzip(&b)
}

/// The root directory and the leaf directories: leaves are added, with growing size, until
/// the root fits in the first 16 KiB.
fn directories(entries: &[Entry]) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let root = serialize(entries);
    if root.len() <= ROOT_MAX {
        return Ok((root, Vec::new()));
    }
    let mut leaf_size = 4096;
    while leaf_size <= entries.len() * 2 {
        let mut leaves = Vec::new();
        let mut root_entries = Vec::new();
        for chunk in entries.chunks(leaf_size) {
            let leaf = serialize(chunk);
            root_entries.push(Entry {
                tile_id: chunk[0].tile_id,
                offset: leaves.len() as u64,
                length: leaf.len() as u32,
                run_length: 0,
            });
            leaves.extend_from_slice(&leaf);
        }
        let root = serialize(&root_entries);
        if root.len() <= ROOT_MAX {
            return Ok((root, leaves));
        }
        leaf_size *= 2;
    }
    Err(io::Error::other(
        "too many tiles for a PMTiles root directory",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(z: u8, x: u32, y: u32) -> TileCoord {
        TileCoord::new_checked(u32::from(z), x, y).unwrap()
    }

    #[test]
    fn tile_ids_follow_the_spec() {
        assert_eq!(tile_id(c(0, 0, 0)), 0);
        assert_eq!(tile_id(c(1, 0, 0)), 1);
        assert_eq!(tile_id(c(1, 0, 1)), 2);
        assert_eq!(tile_id(c(1, 1, 1)), 3);
        assert_eq!(tile_id(c(1, 1, 0)), 4);
        assert_eq!(tile_id(c(2, 0, 0)), 5);
        assert_eq!(tile_id(c(12, 3423, 1763)), 19_078_479);
    }

    #[test]
    fn archive_has_header_and_dedupes_identical_tiles() {
        let mut w = PmTilesWriter::default();
        w.add(c(1, 0, 0), b"same");
        w.add(c(1, 0, 1), b"same");
        w.add(c(1, 1, 1), b"other");
        let mut out = Vec::new();
        let info = ArchiveInfo {
            min_zoom: 1,
            max_zoom: 1,
            bounds: [129.9, 32.9, 130.2, 33.2],
            metadata: serde_json::json!({}),
        };
        w.finish(&mut out, &info).unwrap();
        assert_eq!(&out[..7], b"PMTiles");
        assert_eq!(out[7], 3);
        let u64_at = |i: usize| u64::from_le_bytes(out[i..i + 8].try_into().unwrap());
        assert_eq!(u64_at(8), 127, "root directory right after the header");
        assert_eq!(u64_at(72), 3, "addressed tiles");
        assert_eq!(
            u64_at(80),
            2,
            "entries: the two identical neighbours are one run"
        );
        assert_eq!(u64_at(88), 2, "distinct contents");
    }
}
