//! GeoPackage geometry blobs to geo geometries, read by geozero's WKB reader (ISO WKB, and
//! EWKB's flag bits for the writers that use them); Z and M values are dropped.
//!
//! The blob is untrusted, and geozero sizes its vectors by the counts it reads
//! (`Vec::with_capacity(n)`), so it reads through [`Guard`]: a processor in front of geozero's
//! `GeoWriter` that sees each count right after geozero has read it and refuses one that the
//! bytes still left cannot hold, before anything is allocated. The guard also limits the
//! nesting of collections (geozero recurses on them), refuses curves and surfaces, drops
//! empty points, and notes unclosed polygon rings (geo closes them).

use std::cell::Cell;
use std::io::Read;

use geo::{Coord, Geometry};
use geozero::error::{GeozeroError, Result as GzResult};
use geozero::geo_types::GeoWriter;
use geozero::wkb::{process_ewkb_geom, process_wkb_geom};
use geozero::{FeatureProcessor, GeomProcessor, PropertyProcessor};

use super::validate::{GeomProblem, note_ring};

/// The deepest nesting of geometry collections accepted.
const MAX_DEPTH: usize = 16;

/// The fewest bytes each kind of counted item takes, whatever its dimensions.
mod min_bytes {
    /// An XY coordinate.
    pub const COORD: usize = 16;
    /// A point inside a multipoint: a byte order, a type and an XY coordinate.
    pub const POINT: usize = 1 + 4 + COORD;
    /// A ring: its point count.
    pub const RING: usize = 4;
    /// A nested geometry: a byte order, a type and a count.
    pub const GEOMETRY: usize = 1 + 4 + 4;
}

/// A geometry blob that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WkbError {
    #[error("not a GeoPackage geometry blob (no GP header)")]
    NotGeoPackage,
    #[error("invalid GeoPackage envelope indicator {0}")]
    Envelope(u8),
    #[error("the geometry ends early")]
    Truncated,
    #[error("the geometry claims {count} items but only {left} bytes follow")]
    CountTooLarge { count: usize, left: usize },
    #[error("geometry collections nested more than {MAX_DEPTH} deep")]
    TooDeep,
    #[error("unsupported WKB geometry type {0} (curves and surfaces are not supported)")]
    Unsupported(&'static str),
    #[error("unknown WKB geometry type")]
    UnknownType,
    #[error("malformed WKB: {0}")]
    Malformed(String),
}

impl WkbError {
    /// The Japanese text of the error, for the upload report.
    pub fn ja(&self) -> String {
        match self {
            Self::NotGeoPackage => {
                "GeoPackage のジオメトリ形式ではありません (GP ヘッダーがありません)".into()
            }
            Self::Envelope(e) => format!("GeoPackage の範囲 (envelope) 指定 {e} が不正です"),
            Self::Truncated => "ジオメトリのデータが途中で終わっています".into(),
            Self::CountTooLarge { count, left } => {
                format!(
                    "ジオメトリが {count} 個の要素を示していますが、残りは {left} バイトしかありません"
                )
            }
            Self::TooDeep => {
                format!("ジオメトリコレクションの入れ子が {MAX_DEPTH} 段を超えています")
            }
            Self::Unsupported(kind) => {
                format!("対応していないジオメトリ型 {kind} です (曲線・曲面には対応していません)")
            }
            Self::UnknownType => "不明な WKB ジオメトリ型です".into(),
            Self::Malformed(m) => format!("WKB が不正です: {m}"),
        }
    }
}

/// A parsed geometry (`None` for an empty one) and the problems noticed while reading it.
pub type Parsed = (Option<Geometry<f64>>, Vec<GeomProblem>);

/// Parses one WKB (or EWKB) geometry.
pub fn parse(b: &[u8]) -> Result<Parsed, WkbError> {
    // The byte order and the type word decide the dialect: EWKB sets flag bits in the type's
    // top byte, ISO WKB adds thousands. geozero reads nested geometries in the same dialect.
    let order = *b.first().ok_or(WkbError::Truncated)?;
    let word: [u8; 4] = b
        .get(1..5)
        .and_then(|s| s.try_into().ok())
        .ok_or(WkbError::Truncated)?;
    let raw = if order == 0 {
        u32::from_be_bytes(word)
    } else {
        u32::from_le_bytes(word)
    };
    let ewkb = raw & 0xE000_0000 != 0;
    let pos = Cell::new(0);
    let mut reader = Tracked { rest: b, pos: &pos };
    let mut guard = Guard {
        inner: GeoWriter::new(),
        len: b.len(),
        pos: &pos,
        depth: 0,
        polygon: false,
        ring: None,
        issues: Vec::new(),
        error: None,
    };
    let done = if ewkb {
        process_ewkb_geom(&mut reader, &mut guard)
    } else {
        process_wkb_geom(&mut reader, &mut guard)
    };
    if let Err(e) = done {
        return Err(guard.error.take().unwrap_or_else(|| from_geozero(e)));
    }
    Ok((guard.inner.take_geometry(), guard.issues))
}

/// Strips a GeoPackage geometry header (`GP`, flags, srs_id, envelope) and parses the WKB.
pub fn parse_gpkg(b: &[u8]) -> Result<Parsed, WkbError> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err(WkbError::NotGeoPackage);
    }
    let flags = b[3];
    if flags & 0x10 != 0 {
        return Ok((None, Vec::new()));
    }
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(WkbError::Envelope(e)),
    };
    parse(b.get(8 + envelope..).ok_or(WkbError::Truncated)?)
}

fn from_geozero(e: GeozeroError) -> WkbError {
    match e {
        GeozeroError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            WkbError::Truncated
        }
        GeozeroError::GeometryFormat => WkbError::UnknownType,
        other => WkbError::Malformed(other.to_string()),
    }
}

/// The blob as geozero reads it, counting the bytes read into `pos`.
struct Tracked<'a> {
    rest: &'a [u8],
    pos: &'a Cell<usize>,
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.rest.read(buf)?;
        self.pos.set(self.pos.get() + n);
        Ok(n)
    }
}

/// geozero's `GeoWriter` behind the checks of the module comment.
struct Guard<'a> {
    inner: GeoWriter,
    len: usize,
    /// Bytes geozero has read so far.
    pos: &'a Cell<usize>,
    depth: usize,
    /// Inside a polygon, where line strings are rings.
    polygon: bool,
    /// The current ring's first and last coordinates and its length.
    ring: Option<(Coord<f64>, Coord<f64>, usize)>,
    issues: Vec<GeomProblem>,
    /// Why the guard stopped geozero, when it did.
    error: Option<WkbError>,
}

impl Guard<'_> {
    fn stop(&mut self, e: WkbError) -> GzResult<()> {
        let text = e.to_string();
        self.error = Some(e);
        Err(GeozeroError::Geometry(text))
    }

    /// Refuses `count` items of at least `unit` bytes each unless the bytes left hold them.
    fn check(&mut self, count: usize, unit: usize) -> GzResult<()> {
        let left = self.len.saturating_sub(self.pos.get());
        if count.saturating_mul(unit) > left {
            return self.stop(WkbError::CountTooLarge { count, left });
        }
        Ok(())
    }
}

impl GeomProcessor for Guard<'_> {
    fn xy(&mut self, x: f64, y: f64, idx: usize) -> GzResult<()> {
        if let Some((first, last, n)) = &mut self.ring {
            let c = Coord { x, y };
            if *n == 0 {
                *first = c;
            }
            *last = c;
            *n += 1;
        }
        self.inner.xy(x, y, idx)
    }

    /// An empty point (NaN coordinates) is left out, as a whole geometry or a part.
    fn empty_point(&mut self, _idx: usize) -> GzResult<()> {
        Ok(())
    }

    fn point_begin(&mut self, idx: usize) -> GzResult<()> {
        self.inner.point_begin(idx)
    }

    fn point_end(&mut self, idx: usize) -> GzResult<()> {
        self.inner.point_end(idx)
    }

    fn multipoint_begin(&mut self, size: usize, idx: usize) -> GzResult<()> {
        self.check(size, min_bytes::POINT)?;
        self.inner.multipoint_begin(size, idx)
    }

    fn multipoint_end(&mut self, idx: usize) -> GzResult<()> {
        self.inner.multipoint_end(idx)
    }

    fn linestring_begin(&mut self, tagged: bool, size: usize, idx: usize) -> GzResult<()> {
        self.check(size, min_bytes::COORD)?;
        if self.polygon {
            self.ring = Some((Coord::default(), Coord::default(), 0));
        }
        self.inner.linestring_begin(tagged, size, idx)
    }

    fn linestring_end(&mut self, tagged: bool, idx: usize) -> GzResult<()> {
        if let Some((first, last, n)) = self.ring.take() {
            // Only the ends matter: the ring is unclosed when it has two or more points and
            // they differ.
            let ends: &[Coord<f64>] = if n > 1 { &[first, last] } else { &[] };
            note_ring(ends, &mut self.issues);
        }
        self.inner.linestring_end(tagged, idx)
    }

    fn multilinestring_begin(&mut self, size: usize, idx: usize) -> GzResult<()> {
        self.check(size, min_bytes::GEOMETRY)?;
        self.inner.multilinestring_begin(size, idx)
    }

    fn multilinestring_end(&mut self, idx: usize) -> GzResult<()> {
        self.inner.multilinestring_end(idx)
    }

    fn polygon_begin(&mut self, tagged: bool, size: usize, idx: usize) -> GzResult<()> {
        self.check(size, min_bytes::RING)?;
        self.polygon = true;
        self.inner.polygon_begin(tagged, size, idx)
    }

    fn polygon_end(&mut self, tagged: bool, idx: usize) -> GzResult<()> {
        self.polygon = false;
        self.inner.polygon_end(tagged, idx)
    }

    fn multipolygon_begin(&mut self, size: usize, idx: usize) -> GzResult<()> {
        self.check(size, min_bytes::GEOMETRY)?;
        self.inner.multipolygon_begin(size, idx)
    }

    fn multipolygon_end(&mut self, idx: usize) -> GzResult<()> {
        self.inner.multipolygon_end(idx)
    }

    fn geometrycollection_begin(&mut self, size: usize, idx: usize) -> GzResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.stop(WkbError::TooDeep);
        }
        self.check(size, min_bytes::GEOMETRY)?;
        self.inner.geometrycollection_begin(size, idx)
    }

    fn geometrycollection_end(&mut self, idx: usize) -> GzResult<()> {
        self.depth -= 1;
        self.inner.geometrycollection_end(idx)
    }

    fn circularstring_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.stop(WkbError::Unsupported("CircularString"))
    }

    fn compoundcurve_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.stop(WkbError::Unsupported("CompoundCurve"))
    }

    fn curvepolygon_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.stop(WkbError::Unsupported("CurvePolygon"))
    }

    fn multicurve_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.stop(WkbError::Unsupported("MultiCurve"))
    }

    fn multisurface_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.stop(WkbError::Unsupported("MultiSurface"))
    }

    fn triangle_begin(&mut self, _tagged: bool, _size: usize, _idx: usize) -> GzResult<()> {
        self.stop(WkbError::Unsupported("Triangle"))
    }

    fn polyhedralsurface_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.stop(WkbError::Unsupported("PolyhedralSurface"))
    }

    fn tin_begin(&mut self, _size: usize, _idx: usize) -> GzResult<()> {
        self.stop(WkbError::Unsupported("TIN"))
    }
}

impl PropertyProcessor for Guard<'_> {}

impl FeatureProcessor for Guard<'_> {}

#[cfg(test)]
mod tests {
    use geo::{LineString, MultiPoint, Point, Polygon};

    use super::*;

    fn header(b: &mut Vec<u8>, ty: u32) {
        b.push(1);
        b.extend(ty.to_le_bytes());
    }

    fn coords(b: &mut Vec<u8>, cs: &[(f64, f64)]) {
        for (x, y) in cs {
            b.extend(x.to_le_bytes());
            b.extend(y.to_le_bytes());
        }
    }

    fn point_wkb(little: bool, x: f64, y: f64) -> Vec<u8> {
        let mut b = vec![u8::from(little)];
        if little {
            b.extend(1u32.to_le_bytes());
            b.extend(x.to_le_bytes());
            b.extend(y.to_le_bytes());
        } else {
            b.extend(1u32.to_be_bytes());
            b.extend(x.to_be_bytes());
            b.extend(y.to_be_bytes());
        }
        b
    }

    fn polygon_wkb(ty: u32, rings: &[&[(f64, f64)]]) -> Vec<u8> {
        let mut b = Vec::new();
        header(&mut b, ty);
        b.extend((rings.len() as u32).to_le_bytes());
        for r in rings {
            b.extend((r.len() as u32).to_le_bytes());
            coords(&mut b, r);
        }
        b
    }

    #[test]
    fn points_in_both_byte_orders() {
        for little in [true, false] {
            let (g, _) = parse(&point_wkb(little, 130.1, 33.1)).unwrap();
            assert_eq!(g, Some(Geometry::Point(Point::new(130.1, 33.1))));
        }
    }

    #[test]
    fn gpkg_header_with_envelope_is_skipped() {
        let mut blob = b"GP\x00\x03".to_vec(); // little-endian, xy envelope
        blob.extend(6670i32.to_le_bytes());
        blob.extend([0u8; 32]);
        blob.extend(point_wkb(true, -83_238.17, 8_604.83));
        let (g, _) = parse_gpkg(&blob).unwrap();
        assert_eq!(g, Some(Geometry::Point(Point::new(-83_238.17, 8_604.83))));
    }

    #[test]
    fn gpkg_empty_flag_and_empty_point_give_no_geometry() {
        let mut blob = b"GP\x00\x11".to_vec(); // empty flag set
        blob.extend(0i32.to_le_bytes());
        blob.extend(point_wkb(true, f64::NAN, f64::NAN));
        assert_eq!(parse_gpkg(&blob).unwrap(), (None, Vec::new()));
        let (g, _) = parse(&point_wkb(true, f64::NAN, f64::NAN)).unwrap();
        assert_eq!(g, None);
    }

    #[test]
    fn iso_z_and_ewkb_z_drop_the_third_value() {
        let mut iso = Vec::new();
        header(&mut iso, 1001); // ISO Point Z
        coords(&mut iso, &[(1.0, 2.0)]);
        iso.extend(3.0f64.to_le_bytes());
        let mut ewkb = Vec::new();
        header(&mut ewkb, 0xA000_0001); // EWKB Point with Z and SRID
        ewkb.extend(6668i32.to_le_bytes());
        coords(&mut ewkb, &[(1.0, 2.0)]);
        ewkb.extend(3.0f64.to_le_bytes());
        for b in [iso, ewkb] {
            let (g, _) = parse(&b).unwrap();
            assert_eq!(g, Some(Geometry::Point(Point::new(1.0, 2.0))));
        }
    }

    #[test]
    fn polygons_keep_their_holes_and_unclosed_rings_are_noted() {
        let outer: &[(f64, f64)] = &[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)];
        let hole: &[(f64, f64)] = &[(1.0, 1.0), (1.0, 2.0), (2.0, 2.0), (1.0, 1.0)];
        let (g, issues) = parse(&polygon_wkb(3, &[outer, hole])).unwrap();
        let Some(Geometry::Polygon(p)) = g else {
            panic!("not a polygon: {g:?}");
        };
        assert_eq!(p.interiors().len(), 1);
        assert!(issues.is_empty(), "{issues:?}");
        let (g, issues) = parse(&polygon_wkb(3, &[&outer[..4]])).unwrap();
        assert_eq!(issues, vec![GeomProblem::UnclosedRing]);
        let closed = Polygon::new(LineString::from(outer.to_vec()), Vec::new());
        assert_eq!(g, Some(Geometry::Polygon(closed)));
    }

    #[test]
    fn multipoints_and_collections_come_through() {
        let mut b = Vec::new();
        header(&mut b, 4);
        b.extend(2u32.to_le_bytes());
        b.extend(point_wkb(true, 1.0, 2.0));
        b.extend(point_wkb(true, 3.0, 4.0));
        let (g, _) = parse(&b).unwrap();
        let want = MultiPoint::from(vec![(1.0, 2.0), (3.0, 4.0)]);
        assert_eq!(g, Some(Geometry::MultiPoint(want)));
        let mut c = Vec::new();
        header(&mut c, 7);
        c.extend(2u32.to_le_bytes());
        c.extend(point_wkb(true, 1.0, 2.0));
        c.extend(point_wkb(true, f64::NAN, f64::NAN));
        let (g, _) = parse(&c).unwrap();
        let Some(Geometry::GeometryCollection(gc)) = g else {
            panic!("not a collection: {g:?}");
        };
        assert_eq!(gc.0, vec![Geometry::Point(Point::new(1.0, 2.0))]);
    }

    /// A few bytes claiming `u32::MAX` items, at every level a count is read: refused before
    /// geozero could size a vector by it.
    #[test]
    fn huge_counts_are_refused_before_allocating() {
        for ty in [2u32, 3, 4, 5, 6, 7] {
            let mut b = Vec::new();
            header(&mut b, ty);
            b.extend(u32::MAX.to_le_bytes());
            let err = parse(&b).unwrap_err();
            assert!(
                matches!(err, WkbError::CountTooLarge { count, left: 0 } if count == u32::MAX as usize),
                "type {ty}: {err:?}"
            );
        }
        // A ring count that fits, then a ring claiming too many points.
        let mut b = Vec::new();
        header(&mut b, 3);
        b.extend(1u32.to_le_bytes());
        b.extend(1_000u32.to_le_bytes());
        coords(&mut b, &[(0.0, 0.0), (1.0, 0.0)]);
        assert_eq!(
            parse(&b).unwrap_err(),
            WkbError::CountTooLarge {
                count: 1_000,
                left: 32
            }
        );
    }

    #[test]
    fn truncated_blobs_are_errors() {
        assert_eq!(parse(&[]).unwrap_err(), WkbError::Truncated);
        assert_eq!(parse(&[1, 1, 0]).unwrap_err(), WkbError::Truncated);
        assert_eq!(
            parse(&point_wkb(true, 1.0, 2.0)[..10]).unwrap_err(),
            WkbError::Truncated
        );
        let square: &[(f64, f64)] = &[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)];
        let whole = polygon_wkb(3, &[square]);
        for cut in [5, 9, 13, whole.len() - 1] {
            let err = parse(&whole[..cut]).unwrap_err();
            assert!(
                matches!(err, WkbError::Truncated | WkbError::CountTooLarge { .. }),
                "cut at {cut}: {err:?}"
            );
        }
        assert_eq!(
            parse_gpkg(b"GP\x00\x03\x00\x00\x00\x00").unwrap_err(),
            WkbError::Truncated
        );
        assert_eq!(parse_gpkg(b"XX").unwrap_err(), WkbError::NotGeoPackage);
        let mut bad_env = b"GP\x00\x0b".to_vec(); // envelope indicator 5
        bad_env.extend([0u8; 4]);
        assert_eq!(parse_gpkg(&bad_env).unwrap_err(), WkbError::Envelope(5));
    }

    #[test]
    fn unknown_and_curved_types_are_refused() {
        let mut b = Vec::new();
        header(&mut b, 99);
        b.extend([0u8; 16]);
        assert_eq!(parse(&b).unwrap_err(), WkbError::UnknownType);
        let mut c = Vec::new();
        header(&mut c, 8); // CircularString
        c.extend(3u32.to_le_bytes());
        coords(&mut c, &[(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]);
        assert_eq!(
            parse(&c).unwrap_err(),
            WkbError::Unsupported("CircularString")
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut b = Vec::new();
        for _ in 0..=MAX_DEPTH {
            header(&mut b, 7);
            b.extend(1u32.to_le_bytes());
        }
        b.extend(point_wkb(true, 1.0, 2.0));
        assert_eq!(parse(&b).unwrap_err(), WkbError::TooDeep);
        let ok = &b[9..];
        assert!(parse(ok).is_ok());
    }
}
