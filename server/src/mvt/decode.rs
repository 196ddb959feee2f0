//! A strict MVT 2.1 decoder: tests and snapshots read tiles back with it, and it checks the
//! encoder independently of the encoder's own code. Malformed input gives
//! [`TileError::Decode`], never a panic, and counts from the input never size an allocation
//! beyond what the input can hold.

use std::collections::HashSet;

use super::TileError;
use super::pbf::Reader;

/// A decoded tile: its layers in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecodedTile {
    pub layers: Vec<DecodedLayer>,
}

impl DecodedTile {
    pub fn layer(&self, name: &str) -> Option<&DecodedLayer> {
        self.layers.iter().find(|l| l.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedLayer {
    pub name: String,
    pub version: u32,
    pub extent: u32,
    pub features: Vec<DecodedFeature>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFeature {
    pub id: Option<u64>,
    pub geometry: DecodedGeometry,
    /// Properties in tag order.
    pub properties: Vec<(String, DecodedValue)>,
}

impl DecodedFeature {
    pub fn property(&self, key: &str) -> Option<&DecodedValue> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// Geometry in tile coordinates. Coordinates are `i64` because valid tiles may carry deltas
/// that overflow `i32` (mvt-fixtures 049 and 050).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DecodedGeometry {
    /// `UNKNOWN` geometry type: the commands are kept uninterpreted.
    Unknown,
    Points(Vec<[i64; 2]>),
    Lines(Vec<Vec<[i64; 2]>>),
    /// Polygons, each an exterior ring followed by its interior rings (rings not closed).
    Polygons(Vec<Vec<Vec<[i64; 2]>>>),
}

#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DecodedValue {
    String(String),
    Float(f32),
    Double(f64),
    Int(i64),
    Uint(u64),
    Sint(i64),
    Bool(bool),
}

/// Decodes and validates a whole tile.
pub fn decode(bytes: &[u8]) -> Result<DecodedTile, TileError> {
    let mut r = Reader::new(bytes, 0);
    let mut tile = DecodedTile::default();
    let mut names = HashSet::new();
    while let Some((field, wire)) = r.key()? {
        if field == 3 {
            let (offset, body) = r.len_field(wire, "Tile.layers")?;
            let layer = decode_layer(body, offset)?;
            if !names.insert(layer.name.clone()) {
                return Err(TileError::decode(
                    offset,
                    format!("two layers are named {:?}", layer.name),
                ));
            }
            tile.layers.push(layer);
        } else {
            r.skip(wire)?;
        }
    }
    Ok(tile)
}

/// Raw parts of a layer before the features' tags are resolved.
#[derive(Default)]
struct RawLayer<'a> {
    version: Option<u32>,
    name: Option<String>,
    extent: Option<u32>,
    features: Vec<(usize, &'a [u8])>,
    keys: Vec<String>,
    values: Vec<DecodedValue>,
}

fn decode_layer(bytes: &[u8], base: usize) -> Result<DecodedLayer, TileError> {
    let mut r = Reader::new(bytes, base);
    let mut raw = RawLayer::default();
    while let Some((field, wire)) = r.key()? {
        match field {
            15 => raw.version = Some(r.u32_field(wire, "Layer.version")?),
            1 => raw.name = Some(r.string_field(wire, "Layer.name")?),
            2 => raw.features.push(r.len_field(wire, "Layer.features")?),
            3 => raw.keys.push(r.string_field(wire, "Layer.keys")?),
            4 => {
                let (offset, body) = r.len_field(wire, "Layer.values")?;
                raw.values.push(decode_value(body, offset)?);
            }
            5 => raw.extent = Some(r.u32_field(wire, "Layer.extent")?),
            _ => r.skip(wire)?,
        }
    }
    finish_layer(raw, base)
}

fn finish_layer(raw: RawLayer<'_>, base: usize) -> Result<DecodedLayer, TileError> {
    let version = raw
        .version
        .ok_or_else(|| TileError::decode(base, "layer has no version"))?;
    if !(1..=2).contains(&version) {
        return Err(TileError::decode(
            base,
            format!("unsupported layer version {version}"),
        ));
    }
    let name = raw
        .name
        .ok_or_else(|| TileError::decode(base, "layer has no name"))?;
    let extent = raw.extent.unwrap_or(4096);
    if extent == 0 {
        return Err(TileError::decode(base, "layer extent is 0"));
    }
    let features = raw
        .features
        .iter()
        .map(|&(offset, body)| decode_feature(body, offset, &raw.keys, &raw.values))
        .collect::<Result<_, _>>()?;
    Ok(DecodedLayer {
        name,
        version,
        extent,
        features,
    })
}

fn decode_value(bytes: &[u8], base: usize) -> Result<DecodedValue, TileError> {
    let mut r = Reader::new(bytes, base);
    let mut value = None;
    while let Some((field, wire)) = r.key()? {
        let v = match (field, wire) {
            (1, 2) => DecodedValue::String(r.string_field(wire, "Value.string_value")?),
            (2, 5) => DecodedValue::Float(f32::from_bits(r.fixed32()?)),
            (3, 1) => DecodedValue::Double(f64::from_bits(r.fixed64()?)),
            (4, 0) => DecodedValue::Int(r.varint()? as i64),
            (5, 0) => DecodedValue::Uint(r.varint()?),
            (6, 0) => {
                let u = r.varint()?;
                DecodedValue::Sint(((u >> 1) as i64) ^ -((u & 1) as i64))
            }
            (7, 0) => DecodedValue::Bool(r.varint()? != 0),
            _ => {
                return Err(TileError::decode(
                    r.offset(),
                    format!("value field {field} with wire type {wire} is not an MVT value"),
                ));
            }
        };
        if value.replace(v).is_some() {
            return Err(TileError::decode(base, "value has more than one field"));
        }
    }
    value.ok_or_else(|| TileError::decode(base, "value has no field"))
}

fn decode_feature(
    bytes: &[u8],
    base: usize,
    keys: &[String],
    values: &[DecodedValue],
) -> Result<DecodedFeature, TileError> {
    let mut r = Reader::new(bytes, base);
    let (mut id, mut tags, mut ty, mut geometry) = (None, Vec::new(), 0u64, None);
    while let Some((field, wire)) = r.key()? {
        match field {
            1 => id = Some(r.varint_field(wire, "Feature.id")?),
            2 => r.packed_u32(wire, &mut tags, "Feature.tags")?,
            3 => ty = r.varint_field(wire, "Feature.type")?,
            4 => {
                let mut g = Vec::new();
                r.packed_u32(wire, &mut g, "Feature.geometry")?;
                if geometry.replace(g).is_some() {
                    return Err(TileError::decode(base, "feature has two geometry fields"));
                }
            }
            _ => r.skip(wire)?,
        }
    }
    let geometry = geometry.ok_or_else(|| TileError::decode(base, "feature has no geometry"))?;
    let geometry = super::decode_geom::geometry(ty, &geometry, base)?;
    let properties = resolve_tags(&tags, keys, values, base)?;
    Ok(DecodedFeature {
        id,
        geometry,
        properties,
    })
}

fn resolve_tags(
    tags: &[u32],
    keys: &[String],
    values: &[DecodedValue],
    base: usize,
) -> Result<Vec<(String, DecodedValue)>, TileError> {
    if !tags.len().is_multiple_of(2) {
        return Err(TileError::decode(base, "feature has an odd number of tags"));
    }
    tags.chunks_exact(2)
        .map(|kv| {
            let k = keys.get(kv[0] as usize).ok_or_else(|| {
                TileError::decode(base, format!("tag refers to missing key {}", kv[0]))
            })?;
            let v = values.get(kv[1] as usize).ok_or_else(|| {
                TileError::decode(base, format!("tag refers to missing value {}", kv[1]))
            })?;
            Ok((k.clone(), v.clone()))
        })
        .collect()
}
