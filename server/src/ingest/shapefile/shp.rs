//! The `.shp` geometry file, read record by record with every count checked against the
//! record's own length before anything is allocated.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use geo::{
    Area, Contains, Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
    Polygon,
};

use crate::ingest::validate::{GeomProblem, note_ring};

/// A sequential `.shp` reader.
pub struct ShpReader {
    input: BufReader<File>,
    file_len: u64,
    pos: u64,
    buf: Vec<u8>,
}

/// One record: its geometry (`None` for a null shape) and raw-coordinate problems.
pub type Shape = (Option<Geometry<f64>>, Vec<GeomProblem>);

impl ShpReader {
    pub fn open(path: &Path) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let file_len = file.metadata().map_err(|e| e.to_string())?.len();
        let mut input = BufReader::new(file);
        let mut head = [0u8; 100];
        input
            .read_exact(&mut head)
            .map_err(|_| "the .shp is shorter than its 100-byte header".to_owned())?;
        if head[..4] != [0, 0, 0x27, 0x0A] {
            return Err("the .shp does not start with the Shapefile file code 9994".into());
        }
        Ok(Self {
            input,
            file_len,
            pos: 100,
            buf: Vec::new(),
        })
    }

    /// The next record, or `None` at the end of the file.
    pub fn next_shape(&mut self) -> Result<Option<Shape>, String> {
        if self.pos + 8 > self.file_len {
            return Ok(None);
        }
        let mut head = [0u8; 8];
        self.input
            .read_exact(&mut head)
            .map_err(|e| e.to_string())?;
        let words = u64::from(u32::from_be_bytes([head[4], head[5], head[6], head[7]]));
        let len = words * 2;
        if self.pos + 8 + len > self.file_len {
            return Err(format!(
                "a record at byte {} claims {len} bytes but the file ends first (truncated .shp)",
                self.pos
            ));
        }
        self.buf.resize(len as usize, 0);
        self.input
            .read_exact(&mut self.buf)
            .map_err(|e| e.to_string())?;
        self.pos += 8 + len;
        parse(&self.buf).map(Some)
    }
}

/// Little-endian reads within one record, checked.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn i32(&mut self) -> Result<i32, String> {
        let s = self.b.get(self.i..self.i + 4).ok_or("record too short")?;
        self.i += 4;
        Ok(i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn f64(&mut self) -> Result<f64, String> {
        let s = self.b.get(self.i..self.i + 8).ok_or("record too short")?;
        self.i += 8;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(f64::from_le_bytes(a))
    }

    fn coord(&mut self) -> Result<Coord<f64>, String> {
        Ok(Coord {
            x: self.f64()?,
            y: self.f64()?,
        })
    }

    /// A count that must fit in the rest of the record at `unit` bytes each.
    fn count(&mut self, unit: usize) -> Result<usize, String> {
        let n = usize::try_from(self.i32()?).map_err(|_| "negative count")?;
        if n.saturating_mul(unit) > self.b.len().saturating_sub(self.i) {
            return Err(format!(
                "a record claims {n} items but is too short for them"
            ));
        }
        Ok(n)
    }
}

fn parse(b: &[u8]) -> Result<Shape, String> {
    let mut c = Cursor { b, i: 0 };
    let ty = c.i32()?;
    match ty {
        0 => Ok((None, Vec::new())),
        1 | 11 | 21 => Ok((Some(Geometry::Point(Point(c.coord()?))), Vec::new())),
        8 | 18 | 28 => {
            c.i += 32;
            let n = c.count(16)?;
            let pts = (0..n)
                .map(|_| c.coord().map(Point))
                .collect::<Result<_, _>>()?;
            Ok((Some(Geometry::MultiPoint(MultiPoint(pts))), Vec::new()))
        }
        3 | 13 | 23 | 5 | 15 | 25 => {
            let parts = parts(&mut c)?;
            if matches!(ty, 3 | 13 | 23) {
                Ok((Some(lines(parts)), Vec::new()))
            } else {
                let mut issues = Vec::new();
                for r in &parts {
                    note_ring(r, &mut issues);
                }
                Ok((Some(polygons(parts)), issues))
            }
        }
        31 => Err("MultiPatch (3D) shapes are not supported".into()),
        other => Err(format!("unknown shape type {other}")),
    }
}

/// The parts of a PolyLine or Polygon record.
fn parts(c: &mut Cursor<'_>) -> Result<Vec<Vec<Coord<f64>>>, String> {
    c.i += 32;
    let nparts = c.count(4)?;
    let npoints = usize::try_from(c.i32()?).map_err(|_| "negative count")?;
    let starts: Vec<usize> = (0..nparts)
        .map(|_| c.i32().map(|v| usize::try_from(v).unwrap_or(usize::MAX)))
        .collect::<Result<_, _>>()?;
    if npoints.saturating_mul(16) > c.b.len().saturating_sub(c.i) {
        return Err(format!(
            "a record claims {npoints} points but is too short for them"
        ));
    }
    let points: Vec<Coord<f64>> = (0..npoints).map(|_| c.coord()).collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(nparts);
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(npoints);
        let part = points
            .get(s..e)
            .ok_or("part offsets out of order or out of range")?;
        out.push(part.to_vec());
    }
    Ok(out)
}

fn lines(parts: Vec<Vec<Coord<f64>>>) -> Geometry<f64> {
    let mut ls: Vec<LineString<f64>> = parts.into_iter().map(LineString).collect();
    if ls.len() == 1 {
        Geometry::LineString(ls.remove(0))
    } else {
        Geometry::MultiLineString(MultiLineString(ls))
    }
}

/// Assembles rings into polygons: clockwise rings are shells, the others holes, each put
/// in the smallest shell that contains it (a hole no shell contains becomes a shell).
fn polygons(parts: Vec<Vec<Coord<f64>>>) -> Geometry<f64> {
    let rings: Vec<LineString<f64>> = parts.into_iter().map(LineString).collect();
    let (mut shells, mut holes): (Vec<_>, Vec<_>) = rings
        .into_iter()
        .partition(|r| Polygon::new(r.clone(), vec![]).signed_area() < 0.0);
    if shells.is_empty() {
        shells = std::mem::take(&mut holes);
    }
    let mut polys: Vec<(Polygon<f64>, Vec<LineString<f64>>)> = shells
        .into_iter()
        .map(|s| (Polygon::new(s, vec![]), Vec::new()))
        .collect();
    for hole in holes {
        let probe = hole.0.first().copied().map(Point);
        let home = probe.and_then(|p| {
            polys
                .iter()
                .enumerate()
                .filter(|(_, (shell, _))| shell.contains(&p))
                .min_by(|a, b| a.1.0.unsigned_area().total_cmp(&b.1.0.unsigned_area()))
                .map(|(i, _)| i)
        });
        match home {
            Some(i) => polys[i].1.push(hole),
            None => polys.push((Polygon::new(hole, vec![]), Vec::new())),
        }
    }
    let mut out: Vec<Polygon<f64>> = polys
        .into_iter()
        .map(|(shell, holes)| Polygon::new(shell.into_inner().0, holes))
        .collect();
    if out.len() == 1 {
        Geometry::Polygon(out.remove(0))
    } else {
        Geometry::MultiPolygon(MultiPolygon(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ty: i32, parts: &[&[(f64, f64)]]) -> Vec<u8> {
        let mut b = ty.to_le_bytes().to_vec();
        b.extend([0u8; 32]);
        let n: usize = parts.iter().map(|p| p.len()).sum();
        b.extend((parts.len() as i32).to_le_bytes());
        b.extend((n as i32).to_le_bytes());
        let mut start = 0i32;
        for p in parts {
            b.extend(start.to_le_bytes());
            start += p.len() as i32;
        }
        for (x, y) in parts.iter().flat_map(|p| p.iter()) {
            b.extend(x.to_le_bytes());
            b.extend(y.to_le_bytes());
        }
        b
    }

    #[test]
    fn holes_go_into_their_shell() {
        let shell: &[(f64, f64)] = &[
            (0.0, 0.0),
            (0.0, 10.0),
            (10.0, 10.0),
            (10.0, 0.0),
            (0.0, 0.0),
        ];
        let hole: &[(f64, f64)] = &[(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 4.0), (2.0, 2.0)];
        let (g, issues) = parse(&record(5, &[shell, hole])).unwrap();
        assert!(issues.is_empty());
        match g.unwrap() {
            Geometry::Polygon(p) => assert_eq!(p.interiors().len(), 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unclosed_ring_is_noticed() {
        let open: &[(f64, f64)] = &[(0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0)];
        let (_, issues) = parse(&record(5, &[open])).unwrap();
        assert_eq!(issues, vec![GeomProblem::UnclosedRing]);
    }

    #[test]
    fn lying_counts_are_refused_without_allocating() {
        let mut b = record(3, &[&[(0.0, 0.0), (1.0, 1.0)]]);
        b[40..44].copy_from_slice(&i32::MAX.to_le_bytes());
        assert!(parse(&b).is_err());
        assert!(parse(&[1, 0, 0, 0, 1]).is_err());
    }
}
