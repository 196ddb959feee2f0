//! CSV with point columns (`lon`/`lat`, `経度`/`緯度`, `X`/`Y`, detected or named), as
//! Excel writes it: UTF-8 with or without a BOM, or CP932, CRLF line ends. The bytes are
//! split into cells before decoding, which is safe for CP932: no Shift_JIS trail byte is a
//! comma, quote or line end.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, UTF_8};
use geo::{Coord, Geometry, Point};
use unicode_normalization::UnicodeNormalization;

use super::IngestError;
use super::budget::Budget;
use super::crs::{Crs, Datum};
use super::encoding::{self, Choice, Reason};
use super::infer::{self, ColumnStats};
use super::report::{FormatInfo, Where, msg};
use super::source::{CrsFound, FeatureSource, Opened, Sink, SourceFeature};
use crate::model::{FieldType, Schema, Value};

/// Column-name pairs recognised as coordinates, in order of preference (compared after
/// NFKC normalisation and lower-casing).
const PAIRS: [(&str, &str); 6] = [
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("lng", "lat"),
    ("経度", "緯度"),
    ("x", "y"),
    ("x座標", "y座標"),
];

/// Named coordinate columns (the `x_column`/`y_column` options).
#[derive(Debug, Clone, Default)]
pub struct Columns {
    pub x: Option<String>,
    pub y: Option<String>,
}

/// The settings found by the first pass.
struct Layout {
    delimiter: u8,
    encoding: &'static Encoding,
    x: usize,
    y: usize,
    /// Attribute columns: (index in the row, type).
    attrs: Vec<(usize, FieldType)>,
}

/// Opens a CSV file. `hints` (the current version's schema) keeps column types stable.
pub fn open(
    path: &Path,
    label: &str,
    explicit: Option<&'static Encoding>,
    named: &Columns,
    (hints, budget): (Option<&Schema>, &Budget),
) -> Result<Opened, IngestError> {
    let choice = choose_encoding(path, explicit)?;
    let delimiter = sniff_delimiter(path)?;
    let mut rows = reader(path, delimiter)?;
    let header = read_header(&mut rows, choice.encoding, label)?;
    budget.columns(header.len())?;
    let (x, y, geographic_names) = coordinate_columns(&header, named, label)?;
    let mut stats: Vec<ColumnStats> = header.iter().map(|h| ColumnStats::new(h)).collect();
    let mut first: Option<(f64, f64)> = None;
    let mut record = csv::ByteRecord::new();
    while rows
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(&e, label))?
    {
        budget.alive()?;
        let row = record.position().map_or(0, csv::Position::record);
        for cell in &record {
            budget.value(row, cell.len())?;
        }
        for (i, s) in stats.iter_mut().enumerate() {
            s.text_value(&encoding::decode(choice.encoding, record.get(i).unwrap_or(b"")).0);
        }
        if first.is_none() {
            first = coords(&record, x, y, choice.encoding);
        }
    }
    let attrs: Vec<(usize, FieldType)> = (0..header.len())
        .filter(|i| *i != x && *i != y)
        .map(|i| {
            let hint = hints.and_then(|s| s.index_of(&header[i]).map(|j| s.field(j).ty));
            (i, stats[i].text_type(hint))
        })
        .collect();
    let fields = attrs.iter().map(|(i, ty)| stats[*i].field(*ty)).collect();
    let crs = assumed_crs(geographic_names, first, &header[x], &header[y]);
    let layout = Layout {
        delimiter,
        encoding: choice.encoding,
        x,
        y,
        attrs,
    };
    Ok(Opened {
        format: FormatInfo {
            code: "csv",
            name: "CSV",
            ..FormatInfo::default()
        },
        encoding: Some(choice),
        crs,
        schema: Schema::new(fields),
        file_label: label.to_owned(),
        notes: Vec::new(),
        possibly_truncated: Vec::new(),
        features: Box::new(Features {
            path: path.to_path_buf(),
            label: label.to_owned(),
            layout,
        }),
    })
}

fn csv_error(e: &csv::Error, label: &str) -> IngestError {
    let line = e.position().map(csv::Position::line);
    IngestError::malformed(
        Where::file(label).line(line),
        format!("CSV として読めません: {e}"),
        format!("not readable as CSV: {e}"),
    )
}

fn choose_encoding(
    path: &Path,
    explicit: Option<&'static Encoding>,
) -> Result<Choice, IngestError> {
    let mut head = [0u8; 3];
    let n = File::open(path)
        .and_then(|f| f.take(3).read(&mut head))
        .map_err(|e| IngestError::io(path, e))?;
    if head[..n.min(2)] == [0xFF, 0xFE] || head[..n.min(2)] == [0xFE, 0xFF] {
        return Err(IngestError::Unsupported {
            message: msg(
                "UTF-16 (Unicode テキスト) の CSV は読めません。Excel では「CSV UTF-8 (コンマ区切り)」または「CSV (コンマ区切り)」で保存してください",
                "UTF-16 (\"Unicode text\") is not supported; save from Excel as \"CSV UTF-8\" or \"CSV\"",
            ),
        });
    }
    if let Some(e) = explicit {
        return Ok(Choice::new(e, Reason::Explicit));
    }
    if head[..n] == [0xEF, 0xBB, 0xBF] {
        return Ok(Choice::new(UTF_8, Reason::Bom));
    }
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let ok = encoding::is_all_utf8(BufReader::new(file)).map_err(|e| IngestError::io(path, e))?;
    Ok(encoding::by_content(ok))
}

/// Tab-separated when the first line has tabs and no commas; else comma-separated.
fn sniff_delimiter(path: &Path) -> Result<u8, IngestError> {
    let mut head = vec![0u8; 8192];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| IngestError::io(path, e))?;
    let line = head[..n].split(|b| *b == b'\n').next().unwrap_or(&[]);
    Ok(if line.contains(&b'\t') && !line.contains(&b',') {
        b'\t'
    } else {
        b','
    })
}

fn reader(path: &Path, delimiter: u8) -> Result<csv::Reader<BufReader<File>>, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(BufReader::with_capacity(256 * 1024, file)))
}

fn read_header(
    rows: &mut csv::Reader<BufReader<File>>,
    e: &'static Encoding,
    label: &str,
) -> Result<Vec<String>, IngestError> {
    let raw = rows
        .byte_headers()
        .map_err(|err| csv_error(&err, label))?
        .clone();
    let names = raw.iter().enumerate().map(|(i, cell)| {
        let text = encoding::decode(e, cell)
            .0
            .trim_start_matches('\u{feff}')
            .trim()
            .to_owned();
        if text.is_empty() {
            format!("field_{}", i + 1)
        } else {
            text
        }
    });
    Ok(unique_names(names))
}

/// Makes repeated names unique (`a`, `a_2`, `a_3`…) in time linear in the names: each
/// base name remembers the next suffix to try.
fn unique_names(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for name in names {
        let mut candidate = name.clone();
        if taken.contains(&candidate) {
            let n = next.entry(name.clone()).or_insert(2);
            loop {
                candidate = format!("{name}_{n}");
                *n += 1;
                if !taken.contains(&candidate) {
                    break;
                }
            }
        }
        taken.insert(candidate.clone());
        out.push(candidate);
    }
    out
}

fn key(name: &str) -> String {
    name.nfkc().collect::<String>().trim().to_lowercase()
}

/// The x and y columns, and whether their names say longitude/latitude.
fn coordinate_columns(
    header: &[String],
    named: &Columns,
    label: &str,
) -> Result<(usize, usize, bool), IngestError> {
    let find = |n: &str| header.iter().position(|h| key(h) == key(n));
    if let (Some(xn), Some(yn)) = (&named.x, &named.y) {
        return match (find(xn), find(yn)) {
            (Some(x), Some(y)) if x != y => Ok((x, y, false)),
            _ => Err(no_columns(header, label, Some((xn, yn)))),
        };
    }
    PAIRS
        .iter()
        .find_map(|(xn, yn)| Some((find(xn)?, find(yn)?, !xn.starts_with('x'))))
        .ok_or_else(|| no_columns(header, label, None))
}

fn no_columns(header: &[String], label: &str, named: Option<(&String, &String)>) -> IngestError {
    let list = header.join(", ");
    let (ja, en) = match named {
        Some((x, y)) => (
            format!("指定された座標の列「{x}」「{y}」が見つかりません。列: {list}"),
            format!("the named coordinate columns `{x}`/`{y}` are not in the header: {list}"),
        ),
        None => (
            format!(
                "座標の列が見つかりません。経度/緯度、lon/lat、X/Y のいずれかの列名にするか、x_column と y_column で指定してください。列: {list}"
            ),
            format!(
                "no coordinate columns found: name them 経度/緯度, lon/lat or X/Y, or give x_column and y_column. Columns: {list}"
            ),
        ),
    };
    IngestError::malformed(Where::file(label).line(Some(1)), ja, en)
}

/// No CSV declares its CRS: longitude/latitude names (or values that can only be degrees)
/// mean JGD2011 geographic; metres need an explicit `srs`.
fn assumed_crs(geographic_names: bool, first: Option<(f64, f64)>, xn: &str, yn: &str) -> CrsFound {
    let degrees = first.is_some_and(|(x, y)| x.abs() <= 180.0 && y.abs() <= 90.0);
    if geographic_names || degrees {
        return CrsFound::Default {
            crs: Crs::Geographic(Datum::Jgd2011),
            source: "assumed",
            message: msg(
                format!(
                    "CSV には座標系の情報がないため、列「{xn}」「{yn}」を JGD2011 の経度・緯度とみなしました"
                ),
                format!(
                    "a CSV declares no CRS: columns `{xn}`/`{yn}` were taken as JGD2011 longitude/latitude"
                ),
            ),
        };
    }
    CrsFound::Missing {
        message: msg(
            format!(
                "列「{xn}」「{yn}」はメートル単位の座標のようです。平面直角座標系の系番号を srs で指定してください (例: II 系なら EPSG:6670)"
            ),
            format!(
                "columns `{xn}`/`{yn}` look like metres; give the plane-rectangular zone as srs (e.g. EPSG:6670 for zone II)"
            ),
        ),
    }
}

/// Parses a coordinate cell: NFKC first, so full-width digits (１３０．１) read too.
fn number(cell: &[u8], e: &'static Encoding) -> Option<f64> {
    let text: String = encoding::decode(e, cell).0.nfkc().collect();
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn coords(r: &csv::ByteRecord, x: usize, y: usize, e: &'static Encoding) -> Option<(f64, f64)> {
    Some((number(r.get(x)?, e)?, number(r.get(y)?, e)?))
}

struct Features {
    path: PathBuf,
    label: String,
    layout: Layout,
}

impl Features {
    fn feature(&self, r: &csv::ByteRecord) -> SourceFeature {
        let l = &self.layout;
        let cell = |i: usize| r.get(i).unwrap_or(b"");
        let blank = |i: usize| cell(i).iter().all(u8::is_ascii_whitespace);
        let geometry = if blank(l.x) && blank(l.y) {
            None
        } else {
            let (x, y) = coords(r, l.x, l.y, l.encoding).unwrap_or((f64::NAN, f64::NAN));
            Some(Geometry::Point(Point(Coord { x, y })))
        };
        let mut bad_fields = Vec::new();
        let properties = l
            .attrs
            .iter()
            .enumerate()
            .map(|(k, (i, ty))| {
                let (text, bad) = encoding::decode(l.encoding, cell(*i));
                if bad {
                    bad_fields.push(k);
                }
                infer::from_text(&text, *ty)
            })
            .collect::<Vec<Value>>();
        SourceFeature {
            geometry,
            issues: Vec::new(),
            properties,
            line: r.position().map(csv::Position::line),
            bad_fields,
        }
    }
}

impl FeatureSource for Features {
    fn run(self: Box<Self>, sink: &mut Sink<'_>) -> Result<(), IngestError> {
        let mut rows = reader(&self.path, self.layout.delimiter)?;
        rows.byte_headers()
            .map_err(|e| csv_error(&e, &self.label))?;
        let mut record = csv::ByteRecord::new();
        while rows
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(&e, &self.label))?
        {
            if record.iter().all(<[u8]>::is_empty) {
                continue;
            }
            sink(self.feature(&record))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_get_numbered_suffixes_that_never_collide() {
        let names = ["a", "a", "a_2", "a", "", "b"].map(String::from);
        assert_eq!(
            unique_names(names.into_iter()),
            ["a", "a_2", "a_2_2", "a_3", "", "b"]
        );
    }

    /// 200,000 copies of one name and 200,000 distinct ones: the old check of every new
    /// name against every earlier one took minutes here; this is linear.
    #[test]
    fn a_huge_header_is_renamed_in_linear_time() {
        let same = unique_names((0..200_000).map(|_| "列".to_owned()));
        assert_eq!(same[199_999], "列_200000");
        let distinct = unique_names((0..200_000).map(|i| format!("c{i}")));
        assert_eq!(distinct.len(), 200_000);
    }
}
