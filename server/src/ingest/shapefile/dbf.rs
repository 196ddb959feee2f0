//! dBASE III tables (the `.dbf` of a Shapefile), read record by record. Text stays bytes
//! until the encoding is chosen, so Japanese text decodes exactly.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use encoding_rs::Encoding;

use crate::model::{FieldType, Value};

/// One column of the table.
#[derive(Debug, Clone)]
pub struct DbfField {
    /// The name bytes (at most 10 by the format), undecoded.
    pub raw_name: Vec<u8>,
    pub kind: u8,
    pub len: usize,
    pub decimals: u8,
    offset: usize,
}

impl DbfField {
    /// Our type for the dBASE type letter.
    pub fn field_type(&self) -> FieldType {
        match self.kind {
            b'N' if self.decimals == 0 && self.len < 19 => FieldType::Int,
            b'N' | b'F' => FieldType::Float,
            b'L' => FieldType::Bool,
            b'D' => FieldType::Date,
            _ => FieldType::String,
        }
    }
}

/// A table header.
#[derive(Debug, Clone)]
pub struct DbfHeader {
    pub records: u32,
    pub record_len: usize,
    /// The language driver id (code page) at byte 29.
    pub ldid: u8,
    pub fields: Vec<DbfField>,
}

/// A record-by-record reader.
pub struct DbfReader {
    input: BufReader<File>,
    pub header: DbfHeader,
    buf: Vec<u8>,
    read: u32,
}

impl DbfReader {
    pub fn open(path: &Path) -> Result<Self, String> {
        let mut input = BufReader::new(File::open(path).map_err(|e| e.to_string())?);
        let header = read_header(&mut input)?;
        Ok(Self {
            buf: vec![0; header.record_len],
            input,
            header,
            read: 0,
        })
    }

    /// The next record: `(deleted, bytes)`, or `None` after the last one.
    pub fn next_record(&mut self) -> Result<Option<(bool, &[u8])>, String> {
        if self.read >= self.header.records {
            return Ok(None);
        }
        self.input.read_exact(&mut self.buf).map_err(|_| {
            format!(
                "the table ends after {} of the {} records its header announces (truncated .dbf)",
                self.read, self.header.records
            )
        })?;
        self.read += 1;
        Ok(Some((self.buf[0] == b'*', &self.buf)))
    }
}

fn read_header(input: &mut impl Read) -> Result<DbfHeader, String> {
    let mut head = [0u8; 32];
    input
        .read_exact(&mut head)
        .map_err(|_| "the .dbf is shorter than its 32-byte header".to_owned())?;
    let records = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let header_len = usize::from(u16::from_le_bytes([head[8], head[9]]));
    let record_len = usize::from(u16::from_le_bytes([head[10], head[11]]));
    if header_len < 33 || record_len == 0 {
        return Err(format!(
            "implausible .dbf header (header {header_len} bytes, record {record_len} bytes)"
        ));
    }
    let mut rest = vec![0u8; header_len - 32];
    input
        .read_exact(&mut rest)
        .map_err(|_| "the .dbf header is truncated".to_owned())?;
    let fields = parse_fields(&rest, record_len)?;
    Ok(DbfHeader {
        records,
        record_len,
        ldid: head[29],
        fields,
    })
}

fn parse_fields(rest: &[u8], record_len: usize) -> Result<Vec<DbfField>, String> {
    let mut fields = Vec::new();
    let mut offset = 1; // the deletion flag
    for d in rest.chunks_exact(32) {
        if d[0] == 0x0D {
            break;
        }
        let raw_name: Vec<u8> = d[..11].iter().take_while(|b| **b != 0).copied().collect();
        let len = usize::from(d[16]);
        fields.push(DbfField {
            raw_name,
            kind: d[11].to_ascii_uppercase(),
            len,
            decimals: d[17],
            offset,
        });
        offset += len;
    }
    if offset > record_len {
        return Err(format!(
            "the .dbf fields need {offset} bytes but records have {record_len}"
        ));
    }
    Ok(fields)
}

/// The raw bytes of a field in a record, without the padding.
pub fn field_bytes<'r>(record: &'r [u8], f: &DbfField) -> &'r [u8] {
    let end = (f.offset + f.len).min(record.len());
    let raw = record.get(f.offset..end).unwrap_or(&[]);
    let trimmed_end = raw
        .iter()
        .rposition(|b| *b != b' ' && *b != 0)
        .map_or(0, |p| p + 1);
    &raw[..trimmed_end]
}

/// Decodes a field value. The flag is true when text did not decode cleanly or a number
/// did not parse.
pub fn value(record: &[u8], f: &DbfField, e: &'static Encoding) -> (Value, bool) {
    let raw = field_bytes(record, f);
    match f.kind {
        b'C' => {
            let (text, bad) = e.decode_without_bom_handling(raw);
            (Value::String(text.as_ref().into()), bad)
        }
        b'N' | b'F' => number(raw, f.field_type()),
        b'L' => (
            match raw.first() {
                Some(b'T' | b't' | b'Y' | b'y') => Value::Bool(true),
                Some(b'F' | b'f' | b'N' | b'n') => Value::Bool(false),
                _ => Value::Null,
            },
            false,
        ),
        b'D' => date(raw),
        _ => (Value::Null, false),
    }
}

fn number(raw: &[u8], ty: FieldType) -> (Value, bool) {
    let text = String::from_utf8_lossy(raw);
    let t = text.trim();
    if t.is_empty() || t.starts_with('*') {
        return (Value::Null, false);
    }
    let parsed = if ty == FieldType::Int {
        t.parse().map(Value::Int).ok()
    } else {
        t.parse().map(Value::Float).ok()
    };
    parsed.map_or((Value::Null, true), |v| (v, false))
}

fn date(raw: &[u8]) -> (Value, bool) {
    let t = String::from_utf8_lossy(raw);
    let t = t.trim();
    if t.is_empty() {
        return (Value::Null, false);
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return (
            Value::String(format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..]).into()),
            false,
        );
    }
    (Value::Null, true)
}

/// True when every text field of every record is valid UTF-8 (the encoding heuristic).
pub fn text_is_utf8(path: &Path) -> Result<bool, String> {
    let mut r = DbfReader::open(path)?;
    let text: Vec<DbfField> = r
        .header
        .fields
        .iter()
        .filter(|f| f.kind == b'C')
        .cloned()
        .collect();
    let names_ok = r
        .header
        .fields
        .iter()
        .all(|f| utf8_allowing_cut_end(&f.raw_name));
    if !names_ok {
        return Ok(false);
    }
    while let Some((_, rec)) = r.next_record()? {
        if text
            .iter()
            .any(|f| !utf8_allowing_cut_end(field_bytes(rec, f)))
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Valid UTF-8, except perhaps a sequence cut by the field width at the very end.
fn utf8_allowing_cut_end(b: &[u8]) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}
