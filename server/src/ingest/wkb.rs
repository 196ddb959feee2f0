//! Well-Known Binary (ISO and EWKB flavours) to geo geometries, for GeoPackage blobs.
//! Every count is checked against the bytes left before anything is allocated; Z and M
//! values are read past and dropped.

use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};

use super::validate::{GeomProblem, note_ring};

const MAX_DEPTH: usize = 16;

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
    little: bool,
    dims: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self.b.get(self.i..self.i + N).ok_or("WKB ends early")?;
        self.i += N;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let a = self.take::<4>()?;
        Ok(if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn f64(&mut self) -> Result<f64, String> {
        let a = self.take::<8>()?;
        Ok(if self.little {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        })
    }

    fn count(&mut self, unit: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(unit) > self.b.len() - self.i {
            return Err(format!("WKB claims {n} items but is too short for them"));
        }
        Ok(n)
    }

    fn coord(&mut self) -> Result<Coord<f64>, String> {
        let c = Coord {
            x: self.f64()?,
            y: self.f64()?,
        };
        for _ in 2..self.dims {
            self.f64()?;
        }
        Ok(c)
    }

    fn coords(&mut self) -> Result<Vec<Coord<f64>>, String> {
        let n = self.count(8 * self.dims)?;
        (0..n).map(|_| self.coord()).collect()
    }
}

/// Parses one WKB geometry. `None` for an empty point.
pub fn parse(b: &[u8]) -> Result<(Option<Geometry<f64>>, Vec<GeomProblem>), String> {
    let mut issues = Vec::new();
    let g = geometry(b, &mut 0, &mut issues, 0)?;
    Ok((g, issues))
}

fn geometry(
    b: &[u8],
    at: &mut usize,
    issues: &mut Vec<GeomProblem>,
    depth: usize,
) -> Result<Option<Geometry<f64>>, String> {
    if depth > MAX_DEPTH {
        return Err("WKB nested too deeply".into());
    }
    let order = *b.get(*at).ok_or("WKB ends early")?;
    let mut r = Reader {
        b,
        i: *at + 1,
        little: order == 1,
        dims: 2,
    };
    let raw = r.u32()?;
    if raw & 0x2000_0000 != 0 {
        r.u32()?; // EWKB SRID
    }
    let (base, dims) = type_and_dims(raw);
    r.dims = dims;
    let g = match base {
        1 => {
            let c = r.coord()?;
            (c.x.is_finite() || c.y.is_finite()).then_some(Geometry::Point(Point(c)))
        }
        2 => Some(Geometry::LineString(LineString(r.coords()?))),
        3 => Some(Geometry::Polygon(polygon(&mut r, issues)?)),
        4..=7 => Some(collection(base, &mut r, issues, depth)?),
        other => {
            return Err(format!(
                "unsupported WKB geometry type {other} (curves and surfaces are not supported)"
            ));
        }
    };
    *at = r.i;
    Ok(g)
}

fn type_and_dims(raw: u32) -> (u32, usize) {
    let flags_z = raw & 0x8000_0000 != 0;
    let flags_m = raw & 0x4000_0000 != 0;
    let t = raw & 0x0FFF_FFFF;
    let (base, iso_z, iso_m) = (
        t % 1000,
        matches!(t / 1000, 1 | 3),
        matches!(t / 1000, 2 | 3),
    );
    let dims = 2 + usize::from(flags_z || iso_z) + usize::from(flags_m || iso_m);
    (base, dims)
}

fn polygon(r: &mut Reader<'_>, issues: &mut Vec<GeomProblem>) -> Result<Polygon<f64>, String> {
    let n = r.count(4)?;
    let mut rings = Vec::with_capacity(n);
    for _ in 0..n {
        let ring = r.coords()?;
        note_ring(&ring, issues);
        rings.push(LineString(ring));
    }
    if rings.is_empty() {
        return Ok(Polygon::new(LineString(Vec::new()), Vec::new()));
    }
    let exterior = rings.remove(0);
    Ok(Polygon::new(exterior, rings))
}

fn collection(
    base: u32,
    r: &mut Reader<'_>,
    issues: &mut Vec<GeomProblem>,
    depth: usize,
) -> Result<Geometry<f64>, String> {
    let n = r.count(5)?;
    let mut parts = Vec::with_capacity(n);
    for _ in 0..n {
        let mut at = r.i;
        parts.extend(geometry(r.b, &mut at, issues, depth + 1)?);
        r.i = at;
    }
    let only = |want: fn(&Geometry<f64>) -> bool| parts.iter().all(want);
    Ok(match base {
        4 if only(|g| matches!(g, Geometry::Point(_))) => Geometry::MultiPoint(MultiPoint(
            parts
                .into_iter()
                .filter_map(|g| {
                    if let Geometry::Point(p) = g {
                        Some(p)
                    } else {
                        None
                    }
                })
                .collect(),
        )),
        5 if only(|g| matches!(g, Geometry::LineString(_))) => {
            Geometry::MultiLineString(MultiLineString(
                parts
                    .into_iter()
                    .filter_map(|g| {
                        if let Geometry::LineString(l) = g {
                            Some(l)
                        } else {
                            None
                        }
                    })
                    .collect(),
            ))
        }
        6 if only(|g| matches!(g, Geometry::Polygon(_))) => Geometry::MultiPolygon(MultiPolygon(
            parts
                .into_iter()
                .filter_map(|g| {
                    if let Geometry::Polygon(p) = g {
                        Some(p)
                    } else {
                        None
                    }
                })
                .collect(),
        )),
        _ => Geometry::GeometryCollection(GeometryCollection(parts)),
    })
}

/// Strips a GeoPackage geometry header (`GP`, flags, srs_id, envelope) and parses the WKB.
pub fn parse_gpkg(b: &[u8]) -> Result<(Option<Geometry<f64>>, Vec<GeomProblem>), String> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err("not a GeoPackage geometry blob (no GP header)".into());
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
        e => return Err(format!("invalid GeoPackage envelope indicator {e}")),
    };
    let start = 8 + envelope;
    let wkb = b
        .get(start..)
        .ok_or("GeoPackage geometry blob ends in its header")?;
    parse(wkb)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn lying_counts_and_truncation_are_errors() {
        let mut b = vec![1u8];
        b.extend(2u32.to_le_bytes());
        b.extend(u32::MAX.to_le_bytes());
        assert!(parse(&b).is_err());
        assert!(parse(&point_wkb(true, 1.0, 2.0)[..10]).is_err());
        assert!(parse(&[]).is_err());
    }
}
