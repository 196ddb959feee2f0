//! A bounds-checked protobuf reader for the decoder.

use super::TileError;

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` in the whole tile, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn err(&self, message: impl Into<String>) -> TileError {
        TileError::decode(self.offset(), message)
    }

    pub(crate) fn varint(&mut self) -> Result<u64, TileError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| self.err("truncated varint"))?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    /// The next field number and wire type; `None` at the end of the message.
    pub(crate) fn key(&mut self) -> Result<Option<(u32, u32)>, TileError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let k = self.varint()?;
        let field = u32::try_from(k >> 3).map_err(|_| self.err("field number too large"))?;
        if field == 0 {
            return Err(self.err("field number 0"));
        }
        Ok(Some((field, (k & 7) as u32)))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], TileError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.err(format!("field of {n} bytes runs past the end")))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn fixed32(&mut self) -> Result<u32, TileError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn fixed64(&mut self) -> Result<u64, TileError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn expect_wire(&self, wire: u32, want: u32, what: &str) -> Result<(), TileError> {
        if wire == want {
            Ok(())
        } else {
            Err(self.err(format!("{what} has wire type {wire}, expected {want}")))
        }
    }

    /// A length-delimited field: its offset in the tile and its bytes.
    pub(crate) fn len_field(
        &mut self,
        wire: u32,
        what: &str,
    ) -> Result<(usize, &'a [u8]), TileError> {
        self.expect_wire(wire, 2, what)?;
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| self.err("length too large"))?;
        let offset = self.offset();
        Ok((offset, self.take(n)?))
    }

    pub(crate) fn string_field(&mut self, wire: u32, what: &str) -> Result<String, TileError> {
        let (offset, b) = self.len_field(wire, what)?;
        String::from_utf8(b.to_vec())
            .map_err(|_| TileError::decode(offset, format!("{what} is not UTF-8")))
    }

    pub(crate) fn varint_field(&mut self, wire: u32, what: &str) -> Result<u64, TileError> {
        self.expect_wire(wire, 0, what)?;
        self.varint()
    }

    pub(crate) fn u32_field(&mut self, wire: u32, what: &str) -> Result<u32, TileError> {
        let v = self.varint_field(wire, what)?;
        u32::try_from(v).map_err(|_| self.err(format!("{what} {v} does not fit 32 bits")))
    }

    /// A repeated `uint32`, packed or not.
    pub(crate) fn packed_u32(
        &mut self,
        wire: u32,
        out: &mut Vec<u32>,
        what: &str,
    ) -> Result<(), TileError> {
        if wire == 0 {
            let v = self.varint()?;
            out.push(u32::try_from(v).map_err(|_| self.err(format!("{what} overflows")))?);
            return Ok(());
        }
        let (offset, body) = self.len_field(wire, what)?;
        let mut inner = Reader::new(body, offset);
        while inner.pos < body.len() {
            let v = inner.varint()?;
            out.push(u32::try_from(v).map_err(|_| inner.err(format!("{what} overflows")))?);
        }
        Ok(())
    }

    pub(crate) fn skip(&mut self, wire: u32) -> Result<(), TileError> {
        match wire {
            0 => self.varint().map(|_| ()),
            1 => self.take(8).map(|_| ()),
            2 => self.len_field(wire, "unknown field").map(|_| ()),
            5 => self.take(4).map(|_| ()),
            _ => Err(self.err(format!("unsupported wire type {wire}"))),
        }
    }
}
