//! A small protobuf writer for MVT 2.1 layers.
//!
//! Our own rather than the `mvt` crate: `mvt` builds owned prost structs (a `String` per key
//! and value, a `Vec` per feature) and then serialises them, while this writes each feature
//! straight into one reusable byte buffer and deduplicates values by borrowing them from the
//! layer. See docs/tiles.md for the measurement.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::geom::{GeomType, TileGeom};
use crate::model::{Feature, FieldType, Value};

const WIRE_VARINT: u32 = 0;
const WIRE_I64: u32 = 1;
const WIRE_LEN: u32 = 2;

const CMD_MOVE_TO: u32 = 1;
const CMD_LINE_TO: u32 = 2;
const CMD_CLOSE_PATH: u32 = 7;

#[inline]
pub(crate) fn put_varint(out: &mut Vec<u8>, v: u64) {
    // One- and two-byte varints (deltas, tags, most lengths) are written as fixed-size
    // stores; a variable-length copy would call `memcpy` for two bytes.
    if v < 0x80 {
        out.push(v as u8);
    } else if v < 0x4000 {
        out.extend_from_slice(&[(v as u8) | 0x80, (v >> 7) as u8]);
    } else {
        put_long_varint(out, v);
    }
}

#[inline(never)]
fn put_long_varint(out: &mut Vec<u8>, mut v: u64) {
    // Built on the stack and appended at once: one capacity check instead of one per byte.
    let mut buf = [0u8; 10];
    let mut n = 0;
    while v >= 0x80 {
        buf[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    buf[n] = v as u8;
    out.extend_from_slice(&buf[..=n]);
}

fn put_key(out: &mut Vec<u8>, field: u32, wire: u32) {
    put_varint(out, u64::from((field << 3) | wire));
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(out, field, WIRE_LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn command(id: u32, count: usize) -> u64 {
    u64::from(id) | ((count as u64) << 3)
}

/// `FxHash`: values are hashed once per feature and attribute, and `SipHash` would dominate.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// A property value as the layer's value table holds it, borrowed from the layer version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ValKey<'a> {
    Str(&'a str),
    Int(i64),
    /// `f64` bits, so that values hash and compare exactly.
    Double(u64),
    Bool(bool),
}

impl<'a> ValKey<'a> {
    /// `None` for nulls, which MVT has no way to say and are omitted. JSON and dates are
    /// strings in MVT.
    fn of(v: &'a Value, _ty: FieldType) -> Option<Self> {
        Some(match v {
            Value::Null => return None,
            Value::Bool(b) => Self::Bool(*b),
            Value::Int(i) => Self::Int(*i),
            Value::Float(f) => Self::Double(f.to_bits()),
            Value::String(s) => Self::Str(s),
        })
    }

    /// Writes the `Value` message (layer field 4) straight into `out`: its length is known
    /// up front, so there is no temporary buffer per value.
    fn encode(self, out: &mut Vec<u8>) {
        put_key(out, 4, WIRE_LEN);
        match self {
            Self::Str(s) => {
                put_varint(out, (1 + varint_len(s.len() as u64) + s.len()) as u64);
                put_bytes(out, 1, s.as_bytes());
            }
            Self::Double(bits) => {
                put_varint(out, 9);
                put_key(out, 3, WIRE_I64);
                out.extend_from_slice(&bits.to_le_bytes());
            }
            Self::Int(i) => {
                let (field, v) = if i >= 0 {
                    (5, i as u64)
                } else {
                    (6, ((i << 1) ^ (i >> 63)) as u64)
                };
                put_varint(out, (1 + varint_len(v)) as u64);
                put_key(out, field, WIRE_VARINT);
                put_varint(out, v);
            }
            Self::Bool(b) => {
                put_varint(out, 2);
                put_key(out, 7, WIRE_VARINT);
                put_varint(out, u64::from(b));
            }
        }
    }
}

/// Marks a null in a [`ValueDict`].
pub(crate) const NULL_ID: u32 = u32::MAX;

/// Every distinct property value of a layer version, numbered once at load. Tiles then
/// deduplicate values by number: no hashing of strings and no reading of the values
/// themselves (scattered over the heap) per feature, only of each distinct value once.
#[derive(Debug, Default)]
pub(crate) struct ValueDict {
    cols: usize,
    /// Value number by feature and column (`NULL_ID` for nulls).
    ids: Vec<u32>,
    /// Where each numbered value first occurs: (feature, column).
    first: Vec<(u32, u32)>,
}

impl ValueDict {
    pub(crate) fn build(features: &[Feature], cols: usize) -> Self {
        let mut index: HashMap<ValKey<'_>, u32, FxBuild> = HashMap::default();
        let mut dict = Self {
            cols,
            ids: Vec::with_capacity(features.len() * cols),
            first: Vec::new(),
        };
        for (i, f) in features.iter().enumerate() {
            for c in 0..cols {
                let id = match ValKey::of(f.property(c), FieldType::String) {
                    None => NULL_ID,
                    Some(v) => *index.entry(v).or_insert_with(|| {
                        dict.first.push((i as u32, c as u32));
                        (dict.first.len() - 1) as u32
                    }),
                };
                dict.ids.push(id);
            }
        }
        dict
    }

    pub(crate) fn id(&self, feature: usize, col: usize) -> u32 {
        self.ids
            .get(feature * self.cols + col)
            .copied()
            .unwrap_or(NULL_ID)
    }

    fn value<'a>(&self, features: &'a [Feature], id: u32) -> Option<ValKey<'a>> {
        let &(f, c) = self.first.get(id as usize)?;
        ValKey::of(
            features.get(f as usize)?.property(c as usize),
            FieldType::String,
        )
    }
}

/// The growable parts of a [`LayerEncoder`]. The renderer keeps them per thread from tile
/// to tile (`render::Scratch`), so a tile starts with buffers and a value table already grown
/// to its size instead of growing them (and rehashing) on every request.
#[derive(Default)]
pub(crate) struct Buffers {
    features: Vec<u8>,
    /// The current feature's tags, already varint-encoded.
    tags: Vec<u8>,
    geom: Vec<u8>,
    /// Dictionary path: tile value index by [`ValueDict`] number, and the numbers in order.
    local: HashMap<u32, u32, FxBuild>,
    numbered: Vec<u32>,
}

impl Buffers {
    fn clear(&mut self) {
        self.features.clear();
        self.tags.clear();
        self.geom.clear();
        self.local.clear();
        self.numbered.clear();
    }

    /// About how many bytes the buffers hold on to.
    pub(crate) fn retained_bytes(&self) -> usize {
        self.features.capacity() + self.geom.capacity() + self.local.capacity() * 8
    }
}

/// Key table of one layer: key index by schema column, `u32::MAX` until first used.
struct Keys<'a> {
    names: Vec<&'a str>,
    of_column: Vec<u32>,
}

impl<'a> Keys<'a> {
    fn index(&mut self, col: usize, name: &'a str) -> u32 {
        if col >= self.of_column.len() {
            self.of_column.resize(col + 1, u32::MAX);
        }
        if self.of_column[col] == u32::MAX {
            self.of_column[col] = self.names.len() as u32;
            self.names.push(name);
        }
        self.of_column[col]
    }
}

/// Builds one MVT layer feature by feature, with deduplicated key and value tables.
pub(crate) struct LayerEncoder<'a> {
    name: &'a str,
    extent: u32,
    feature_count: usize,
    keys: Keys<'a>,
    values: Vec<ValKey<'a>>,
    value_index: HashMap<ValKey<'a>, u32, FxBuild>,
    buf: Buffers,
}

impl<'a> LayerEncoder<'a> {
    /// An encoder writing into `buf` (emptied first; get it back from
    /// [`Self::finish_into`] or [`Self::into_buffers`]).
    pub(crate) fn new(name: &'a str, extent: u32, columns: usize, mut buf: Buffers) -> Self {
        buf.clear();
        Self {
            name,
            extent,
            feature_count: 0,
            keys: Keys {
                names: Vec::new(),
                of_column: vec![u32::MAX; columns],
            },
            values: Vec::new(),
            value_index: HashMap::default(),
            buf,
        }
    }

    /// The buffers, for the next layer.
    pub(crate) fn into_buffers(self) -> Buffers {
        self.buf
    }

    pub(crate) fn feature_count(&self) -> usize {
        self.feature_count
    }

    /// Bytes written so far, without the key and value tables.
    pub(crate) fn body_len(&self) -> usize {
        self.buf.features.len()
    }

    /// Adds one feature. `props` are (column, name, type, value) of visible attributes only.
    pub(crate) fn add_feature<I>(&mut self, id: u64, ty: GeomType, geom: &TileGeom, props: I)
    where
        I: IntoIterator<Item = (usize, &'a str, FieldType, &'a Value)>,
    {
        let b = &mut self.buf;
        b.tags.clear();
        for (col, name, fty, value) in props {
            let Some(v) = ValKey::of(value, fty) else {
                continue;
            };
            let k = self.keys.index(col, name);
            let next = self.values.len() as u32;
            let vi = *self.value_index.entry(v).or_insert(next);
            if vi == next {
                self.values.push(v);
            }
            b.tag(k, vi);
        }
        b.add(id, ty, geom);
        self.feature_count += 1;
    }

    /// Adds one feature whose values are numbered by a [`ValueDict`]; `props` are (column,
    /// name, value number) of visible attributes. Do not mix with [`Self::add_feature`].
    pub(crate) fn add_numbered<I>(&mut self, id: u64, ty: GeomType, geom: &TileGeom, props: I)
    where
        I: IntoIterator<Item = (usize, &'a str, u32)>,
    {
        let b = &mut self.buf;
        b.tags.clear();
        for (col, name, gid) in props {
            if gid == NULL_ID {
                continue;
            }
            let k = self.keys.index(col, name);
            let next = b.numbered.len() as u32;
            let vi = *b.local.entry(gid).or_insert(next);
            if vi == next {
                b.numbered.push(gid);
            }
            b.tag(k, vi);
        }
        b.add(id, ty, geom);
        self.feature_count += 1;
    }

    /// Resolves the numbered values (after [`Self::add_numbered`]) before finishing.
    pub(crate) fn resolve(&mut self, dict: &ValueDict, features: &'a [Feature]) {
        let b = &mut self.buf;
        for &gid in &b.numbered {
            if let Some(v) = dict.value(features, gid) {
                self.values.push(v);
            }
        }
        b.numbered.clear();
    }

    /// Appends the finished layer (field 3 of the tile) to `out`. The tables are written
    /// once into a small buffer so the layer's length is known; the feature bytes, most of
    /// the layer, are copied once.
    pub(crate) fn finish_into(self, out: &mut Vec<u8>) -> Buffers {
        let mut head = Vec::with_capacity(self.name.len() + 8);
        put_key(&mut head, 15, WIRE_VARINT);
        put_varint(&mut head, 2);
        put_bytes(&mut head, 1, self.name.as_bytes());
        let mut tail = Vec::with_capacity(64 + self.values.len() * 12);
        for k in &self.keys.names {
            put_bytes(&mut tail, 3, k.as_bytes());
        }
        for v in &self.values {
            v.encode(&mut tail);
        }
        put_key(&mut tail, 5, WIRE_VARINT);
        put_varint(&mut tail, u64::from(self.extent));
        let features = &self.buf.features;
        let len = head.len() + features.len() + tail.len();
        out.reserve(len + 6);
        put_key(out, 3, WIRE_LEN);
        put_varint(out, len as u64);
        out.extend_from_slice(&head);
        out.extend_from_slice(features);
        out.extend_from_slice(&tail);
        self.buf
    }
}

impl Buffers {
    /// Adds a (key index, value index) pair to the current feature's tags.
    fn tag(&mut self, key: u32, value: u32) {
        put_varint(&mut self.tags, u64::from(key));
        put_varint(&mut self.tags, u64::from(value));
    }

    /// Encodes one feature with the tags in `self.tags` and appends it to the layer body.
    fn add(&mut self, id: u64, ty: GeomType, geom: &TileGeom) {
        self.encode_geometry(ty, geom);
        self.write_feature(id, ty);
    }

    fn encode_geometry(&mut self, ty: GeomType, geom: &TileGeom) {
        let out = &mut self.geom;
        out.clear();
        // At most two bytes per delta on a 4096 grid with a buffer, plus the commands.
        out.reserve(geom.points.len() * 4 + geom.ends.len() * 4 + 2);
        let mut cursor = [0i32; 2];
        let mut delta = |out: &mut Vec<u8>, p: [i32; 2]| {
            put_varint(out, u64::from(zigzag(p[0].wrapping_sub(cursor[0]))));
            put_varint(out, u64::from(zigzag(p[1].wrapping_sub(cursor[1]))));
            cursor = p;
        };
        match ty {
            GeomType::Point => {
                put_varint(out, command(CMD_MOVE_TO, geom.points.len()));
                for &p in &geom.points {
                    delta(out, p);
                }
            }
            GeomType::LineString | GeomType::Polygon => {
                for part in geom.parts() {
                    put_varint(out, command(CMD_MOVE_TO, 1));
                    delta(out, part[0]);
                    put_varint(out, command(CMD_LINE_TO, part.len() - 1));
                    for &p in &part[1..] {
                        delta(out, p);
                    }
                    if ty == GeomType::Polygon {
                        put_varint(out, command(CMD_CLOSE_PATH, 1));
                    }
                }
            }
        }
    }

    /// Writes the feature message straight into the layer body: its length is known
    /// up front, so nothing is encoded twice.
    fn write_feature(&mut self, id: u64, ty: GeomType) {
        let tags_len = self.tags.len();
        let mut len =
            1 + varint_len(id) + 2 + 1 + varint_len(self.geom.len() as u64) + self.geom.len();
        if tags_len > 0 {
            len += 1 + varint_len(tags_len as u64) + tags_len;
        }
        let s = &mut self.features;
        s.reserve(len + 4);
        put_key(s, 2, WIRE_LEN);
        put_varint(s, len as u64);
        put_key(s, 1, WIRE_VARINT);
        put_varint(s, id);
        if tags_len > 0 {
            put_bytes(s, 2, &self.tags);
        }
        put_key(s, 3, WIRE_VARINT);
        put_varint(s, ty as u64);
        put_bytes(s, 4, &self.geom);
    }
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0, 1)]
    #[case(127, 1)]
    #[case(128, 2)]
    #[case(16_383, 2)]
    #[case(16_384, 3)]
    #[case(u64::MAX, 10)]
    fn varint_length_matches_the_writer(#[case] v: u64, #[case] len: usize) {
        let mut out = Vec::new();
        put_varint(&mut out, v);
        assert_eq!(out.len(), len);
        assert_eq!(varint_len(v), len);
    }

    #[rstest]
    #[case(0, 0)]
    #[case(-1, 1)]
    #[case(1, 2)]
    #[case(-2, 3)]
    #[case(i32::MAX, u32::MAX - 1)]
    #[case(i32::MIN, u32::MAX)]
    fn zigzag_matches_protobuf(#[case] v: i32, #[case] z: u32) {
        assert_eq!(zigzag(v), z);
    }

    #[test]
    fn spec_example_polygon_encodes_as_in_the_spec() {
        // MVT 2.1 section 4.3.5.5: a polygon (3,6) (8,12) (20,34).
        let mut g = TileGeom::default();
        g.points.extend([[3, 6], [8, 12], [20, 34]]);
        g.end_part(0);
        let mut enc = Buffers::default();
        enc.encode_geometry(GeomType::Polygon, &g);
        let mut expect = Vec::new();
        for v in [9u64, 6, 12, 18, 10, 12, 24, 44, 15] {
            put_varint(&mut expect, v);
        }
        assert_eq!(enc.geom, expect);
    }

    #[test]
    fn repeated_values_share_one_table_entry() {
        let values = [Value::String("田".into()), Value::Null];
        let mut enc = LayerEncoder::new("t", 4096, 2, Buffers::default());
        let mut g = TileGeom::default();
        g.points.push([1, 1]);
        g.end_part(0);
        for id in 0..3 {
            let props = [
                (0, "landuse", FieldType::String, &values[0]),
                (1, "note", FieldType::String, &values[1]),
            ];
            enc.add_feature(id, GeomType::Point, &g, props);
        }
        assert_eq!(enc.keys.names, vec!["landuse"]);
        assert_eq!(enc.values.len(), 1);
        assert_eq!(enc.feature_count(), 3);
    }
}
