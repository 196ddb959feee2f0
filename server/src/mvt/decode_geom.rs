//! Interprets MVT geometry commands (spec section 4.3) strictly.

use super::TileError;
use super::decode::DecodedGeometry;

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// Walks a command stream, keeping the cursor.
struct Commands<'a> {
    ints: &'a [u32],
    pos: usize,
    cursor: [i64; 2],
    base: usize,
}

impl Commands<'_> {
    fn err(&self, message: impl Into<String>) -> TileError {
        TileError::decode(self.base, format!("geometry: {}", message.into()))
    }

    fn done(&self) -> bool {
        self.pos >= self.ints.len()
    }

    /// The next command; its count is checked against the parameters that remain, so a
    /// huge count cannot size an allocation.
    fn command(&mut self) -> Result<(u32, usize), TileError> {
        let c = *self
            .ints
            .get(self.pos)
            .ok_or_else(|| self.err("expected a command"))?;
        self.pos += 1;
        let (id, count) = (c & 7, (c >> 3) as usize);
        let params = if id == CLOSE_PATH { 0 } else { 2 * count };
        if params > self.ints.len() - self.pos {
            return Err(self.err(format!(
                "command {id} with count {count} has too few parameters"
            )));
        }
        Ok((id, count))
    }

    fn point(&mut self) -> [i64; 2] {
        let unzig = |u: u32| i64::from((u >> 1) as i32 ^ -((u & 1) as i32));
        let dx = unzig(self.ints[self.pos]);
        let dy = unzig(self.ints[self.pos + 1]);
        self.pos += 2;
        self.cursor = [self.cursor[0] + dx, self.cursor[1] + dy];
        self.cursor
    }

    /// `MoveTo(1)` then `LineTo(n >= min_line_to)`: one path's points.
    fn path(&mut self, min_line_to: usize) -> Result<Vec<[i64; 2]>, TileError> {
        match self.command()? {
            (MOVE_TO, 1) => {}
            (id, count) => {
                return Err(self.err(format!(
                    "a path must start with MoveTo(1), found command {id} count {count}"
                )));
            }
        }
        let mut pts = vec![self.point()];
        match self.command()? {
            (LINE_TO, n) if n >= min_line_to => {
                pts.reserve(n);
                for _ in 0..n {
                    let p = self.point();
                    if Some(&p) == pts.last() {
                        return Err(self.err("LineTo with a zero-length segment"));
                    }
                    pts.push(p);
                }
                Ok(pts)
            }
            (id, count) => Err(self.err(format!(
                "expected LineTo with count >= {min_line_to}, found command {id} count {count}"
            ))),
        }
    }
}

/// Decodes the geometry of a feature of MVT type `ty` (0 unknown, 1 point, 2 line, 3 polygon).
pub(crate) fn geometry(ty: u64, ints: &[u32], base: usize) -> Result<DecodedGeometry, TileError> {
    let mut c = Commands {
        ints,
        pos: 0,
        cursor: [0, 0],
        base,
    };
    match ty {
        0 => Ok(DecodedGeometry::Unknown),
        1 => points(&mut c),
        2 => lines(&mut c),
        3 => polygons(&mut c),
        _ => Err(TileError::decode(
            base,
            format!("unknown geometry type {ty}"),
        )),
    }
}

fn points(c: &mut Commands<'_>) -> Result<DecodedGeometry, TileError> {
    let (id, count) = c.command()?;
    if id != MOVE_TO || count == 0 {
        return Err(c.err("a point geometry must be one MoveTo with count > 0"));
    }
    let pts = (0..count).map(|_| c.point()).collect();
    if !c.done() {
        return Err(c.err("commands after a point MoveTo"));
    }
    Ok(DecodedGeometry::Points(pts))
}

fn lines(c: &mut Commands<'_>) -> Result<DecodedGeometry, TileError> {
    let mut out = Vec::new();
    while !c.done() {
        out.push(c.path(1)?);
    }
    if out.is_empty() {
        return Err(c.err("empty linestring geometry"));
    }
    Ok(DecodedGeometry::Lines(out))
}

fn polygons(c: &mut Commands<'_>) -> Result<DecodedGeometry, TileError> {
    let mut out: Vec<Vec<Vec<[i64; 2]>>> = Vec::new();
    while !c.done() {
        let ring = c.path(2)?;
        match c.command()? {
            (CLOSE_PATH, 1) => {}
            (id, count) => {
                return Err(c.err(format!(
                    "a ring must end with ClosePath(1), found command {id} count {count}"
                )));
            }
        }
        match ring_area2(&ring).cmp(&0) {
            std::cmp::Ordering::Greater => out.push(vec![ring]),
            std::cmp::Ordering::Less => {
                let Some(poly) = out.last_mut() else {
                    return Err(c.err("the first ring of a polygon is not an exterior ring"));
                };
                poly.push(ring);
            }
            std::cmp::Ordering::Equal => return Err(c.err("a ring has zero area")),
        }
    }
    if out.is_empty() {
        return Err(c.err("empty polygon geometry"));
    }
    Ok(DecodedGeometry::Polygons(out))
}

/// Twice the surveyor's-formula area in tile coordinates (positive: exterior).
pub(crate) fn ring_area2(ring: &[[i64; 2]]) -> i128 {
    let mut sum = 0i128;
    let mut prev = ring[ring.len() - 1];
    for &p in ring {
        sum += i128::from(prev[0]) * i128::from(p[1]) - i128::from(p[0]) * i128::from(prev[1]);
        prev = p;
    }
    sum
}
