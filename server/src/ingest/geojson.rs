//! GeoJSON (RFC 7946, and the legacy `crs` member of the 2008 specification), read as a
//! stream: the file is walked twice (once for the schema and CRS, once for the features)
//! and never held in memory. Text that is not UTF-8 is transcoded to a temporary file first.
//! A feature's geometry is read straight into coordinates ([`coords`], [`geometry`]), never
//! into a `serde_json::Value`, so a feature costs about its geometry's size, not 20× it.

mod coords;
mod geometry;
#[cfg(test)]
mod reference;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use encoding_rs::{Encoding, UTF_8};
use serde::Deserialize;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value as Json};

use super::IngestError;
use super::crs::{self, Crs};
use super::encoding::{self, Choice, Reason};
use super::infer::{self, ColumnStats};
use super::report::{FormatInfo, Severity, Where, msg};
use super::source::{CrsFound, FeatureSource, Opened, Sink, SourceFeature};
use crate::model::{FieldType, Schema};
use geometry::{Raw, Slot};

/// A feature as the first pass needs it: properties only (the geometry is skipped).
#[derive(Deserialize)]
struct PropsOnly {
    #[serde(default)]
    properties: Option<Map<String, Json>>,
}

/// A feature as the second pass needs it.
#[derive(Deserialize)]
struct Full {
    #[serde(default)]
    geometry: Option<Slot>,
    #[serde(default)]
    properties: Option<Map<String, Json>>,
}

/// Opens a GeoJSON file (UTF-8, or transcoded when `explicit` or the content says so).
pub fn open(
    path: &Path,
    label: &str,
    explicit: Option<&'static Encoding>,
    work: &Path,
) -> Result<Opened, IngestError> {
    let choice = choose_encoding(path, explicit)?;
    let mut notes = Vec::new();
    let path = if choice.encoding == UTF_8 {
        path.to_path_buf()
    } else {
        let to = work.join("transcoded.geojson");
        if transcode(path, choice.encoding, &to)? {
            let m = encoding::replacement_warning(choice.encoding);
            notes.push((Severity::Warning, "undecodable_text", m, Where::file(label)));
        }
        to
    };
    let scan = scan(&path, label)?;
    let fields: Vec<_> = scan
        .columns
        .iter()
        .map(|c| c.field(c.json_type()))
        .collect();
    let types = fields.iter().map(|f| f.ty).collect();
    Ok(Opened {
        format: FormatInfo {
            code: "geojson",
            name: "GeoJSON",
            ..FormatInfo::default()
        },
        encoding: Some(choice),
        crs: scan.crs,
        schema: Schema::new(fields),
        file_label: label.to_owned(),
        notes,
        possibly_truncated: Vec::new(),
        features: Box::new(Features {
            path,
            label: label.to_owned(),
            index: scan.index,
            types,
        }),
    })
}

fn choose_encoding(
    path: &Path,
    explicit: Option<&'static Encoding>,
) -> Result<Choice, IngestError> {
    if let Some(e) = explicit {
        return Ok(Choice::new(e, Reason::Explicit));
    }
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let mut head = [0u8; 3];
    let n = (&file)
        .take(3)
        .read(&mut head)
        .map_err(|e| IngestError::io(path, e))?;
    if head[..n] == [0xEF, 0xBB, 0xBF] {
        return Ok(Choice::new(UTF_8, Reason::Bom));
    }
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let ok = encoding::is_all_utf8(BufReader::new(file)).map_err(|e| IngestError::io(path, e))?;
    Ok(encoding::by_content(ok))
}

/// Streams a file through a decoder into a UTF-8 copy; true when some bytes did not decode.
fn transcode(from: &Path, e: &'static Encoding, to: &Path) -> Result<bool, IngestError> {
    let mut input = BufReader::new(File::open(from).map_err(|err| IngestError::io(from, err))?);
    let mut out = BufWriter::new(File::create(to).map_err(|err| IngestError::io(to, err))?);
    let mut decoder = e.new_decoder_without_bom_handling();
    let mut buf = vec![0u8; 64 * 1024];
    let mut text = String::with_capacity(4 * buf.len());
    let mut replaced = false;
    loop {
        let n = input
            .read(&mut buf)
            .map_err(|err| IngestError::io(from, err))?;
        let mut start = 0;
        loop {
            let (result, read, bad) = decoder.decode_to_string(&buf[start..n], &mut text, n == 0);
            replaced |= bad;
            start += read;
            out.write_all(text.as_bytes())
                .map_err(|err| IngestError::io(to, err))?;
            text.clear();
            if result == encoding_rs::CoderResult::InputEmpty {
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    out.flush().map_err(|err| IngestError::io(to, err))?;
    Ok(replaced)
}

/// What the first pass found.
struct Scan {
    columns: Vec<ColumnStats>,
    index: HashMap<String, usize>,
    crs: CrsFound,
}

fn scan(path: &Path, label: &str) -> Result<Scan, IngestError> {
    let mut columns: Vec<ColumnStats> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut record = |props: Option<Map<String, Json>>| {
        for (k, v) in props.into_iter().flatten() {
            let i = *index.entry(k.clone()).or_insert_with(|| {
                columns.push(ColumnStats::new(&k));
                columns.len() - 1
            });
            columns[i].json_value(&v);
        }
        Ok(())
    };
    let top = walk::<PropsOnly>(path, label, &mut |f: PropsOnly, _| record(f.properties))?;
    if let Some(single) = top.single {
        record(single.properties)?;
    }
    Ok(Scan {
        crs: crs_of(top.crs.as_ref()),
        columns,
        index,
    })
}

/// The legacy `crs` member, or RFC 7946's WGS 84 when absent.
fn crs_of(member: Option<&Json>) -> CrsFound {
    let Some(m) = member.filter(|m| !m.is_null()) else {
        return CrsFound::Default {
            crs: Crs::Wgs84,
            source: "rfc7946",
            message: msg(
                "crs の指定がないため、RFC 7946 に従い WGS 84 (経度・緯度) とみなしました",
                "no `crs` member: WGS 84 longitude/latitude, as RFC 7946 says",
            ),
        };
    };
    let props = &m["properties"];
    let text = props["name"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| props["code"].as_u64().map(|c| format!("EPSG:{c}")))
        .unwrap_or_else(|| m.to_string());
    match crs::parse(&text) {
        Ok(crs) => CrsFound::Declared {
            crs,
            source: "geojson_crs",
        },
        Err(problem) => CrsFound::Unusable {
            problem,
            source: "geojson_crs",
        },
    }
}

struct Features {
    path: PathBuf,
    label: String,
    index: HashMap<String, usize>,
    types: Vec<FieldType>,
}

impl Features {
    fn feature(&self, f: Full, line: u64, number: u64) -> Result<SourceFeature, IngestError> {
        let at = || Where::file(&self.label).line(Some(line)).feature(number);
        let (geometry, issues) = match f.geometry {
            None => (None, Vec::new()),
            Some(g) => {
                geometry::convert(g).map_err(|(ja, en)| IngestError::malformed(at(), ja, en))?
            }
        };
        let mut properties = vec![crate::model::Value::Null; self.types.len()];
        for (k, v) in f.properties.into_iter().flatten() {
            if let Some(&i) = self.index.get(&k) {
                properties[i] = infer::from_json(&v, self.types[i]);
            }
        }
        Ok(SourceFeature {
            geometry,
            issues,
            properties,
            line: Some(line),
            bad_fields: Vec::new(),
        })
    }
}

impl FeatureSource for Features {
    fn run(self: Box<Self>, sink: &mut Sink<'_>) -> Result<(), IngestError> {
        let mut number = 0u64;
        let top = walk::<Full>(&self.path, &self.label, &mut |f, line| {
            number += 1;
            sink(self.feature(f, line, number)?)
        })?;
        if let Some(single) = top.single {
            sink(self.feature(single, 1, 1)?)?;
        }
        Ok(())
    }
}

/// The top-level object: its `crs`, and the feature itself when the file is a single
/// Feature or bare geometry rather than a FeatureCollection.
struct Top<T> {
    crs: Option<Json>,
    single: Option<T>,
}

/// Walks a GeoJSON file, calling `each` with every feature of a FeatureCollection and the
/// line it ends on.
fn walk<T: DeserializeOwned + FromSingle>(
    path: &Path,
    label: &str,
    each: &mut dyn FnMut(T, u64) -> Result<(), IngestError>,
) -> Result<Top<T>, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let line = Rc::new(Cell::new(1u64));
    let mut reader = LineCounter {
        inner: BufReader::with_capacity(256 * 1024, file),
        line: Rc::clone(&line),
    };
    skip_bom(&mut reader).map_err(|e| IngestError::io(path, e))?;
    let failure = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let visitor = TopVisitor {
        each,
        line: &line,
        failure: &failure,
        marker: std::marker::PhantomData,
    };
    let result =
        de::Deserializer::deserialize_map(&mut de, visitor).and_then(|top| de.end().map(|()| top));
    match (result, failure.into_inner()) {
        (_, Some(e)) => Err(e),
        (Ok(top), None) => Ok(top),
        (Err(e), None) => Err(syntax_error(&e, label)),
    }
}

fn skip_bom(r: &mut LineCounter) -> std::io::Result<()> {
    use std::io::BufRead;
    if r.inner.fill_buf()?.starts_with(&[0xEF, 0xBB, 0xBF]) {
        r.inner.consume(3);
    }
    Ok(())
}

fn syntax_error(e: &serde_json::Error, label: &str) -> IngestError {
    let line = (e.line() > 0).then_some(e.line() as u64);
    let text = e.to_string();
    IngestError::malformed(
        Where::file(label).line(line),
        format!("GeoJSON として読めません ({}行目付近): {text}", e.line()),
        format!("not valid GeoJSON: {text}"),
    )
}

/// Counts the lines serde_json has consumed (it reads one byte at a time from here).
struct LineCounter {
    inner: BufReader<File>,
    line: Rc<Cell<u64>>,
}

#[expect(
    clippy::naive_bytecount,
    reason = "not worth a dependency for counting newlines"
)]
impl Read for LineCounter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let newlines = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        if newlines > 0 {
            self.line.set(self.line.get() + newlines);
        }
        Ok(n)
    }
}

/// Builds the single feature of a top-level Feature or bare geometry.
trait FromSingle: Sized {
    /// Whether the geometry is read (the first pass skips it).
    const GEOMETRY: bool;
    fn from_single(geometry: Option<Slot>, properties: Option<Map<String, Json>>) -> Self;
}

impl FromSingle for PropsOnly {
    const GEOMETRY: bool = false;
    fn from_single(_: Option<Slot>, properties: Option<Map<String, Json>>) -> Self {
        Self { properties }
    }
}

impl FromSingle for Full {
    const GEOMETRY: bool = true;
    fn from_single(geometry: Option<Slot>, properties: Option<Map<String, Json>>) -> Self {
        Self {
            geometry,
            properties,
        }
    }
}

struct TopVisitor<'a, T> {
    each: &'a mut dyn FnMut(T, u64) -> Result<(), IngestError>,
    line: &'a Rc<Cell<u64>>,
    failure: &'a RefCell<Option<IngestError>>,
    marker: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned + FromSingle> Visitor<'de> for TopVisitor<'_, T> {
    type Value = Top<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<T>, A::Error> {
        let (mut ty, mut crs, mut geometry, mut properties) = (None::<String>, None, None, None);
        let mut bare = Raw::default();
        let mut had_features = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "geometry" | "coordinates" | "geometries" if !T::GEOMETRY => {
                    map.next_value::<IgnoredAny>()?;
                }
                "type" => ty = Some(map.next_value()?),
                "crs" => crs = Some(map.next_value()?),
                "features" => {
                    had_features = true;
                    map.next_value_seed(FeaturesSeed {
                        each: &mut *self.each,
                        line: self.line,
                        failure: self.failure,
                        marker: std::marker::PhantomData,
                    })?;
                }
                "geometry" => geometry = map.next_value()?,
                "properties" => properties = map.next_value()?,
                "coordinates" | "geometries" => {
                    bare.member(&key, &mut map)?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let single = single_feature(ty.as_deref(), had_features, geometry, properties, bare)
            .map_err(de::Error::custom)?;
        Ok(Top { crs, single })
    }
}

fn single_feature<T: FromSingle>(
    ty: Option<&str>,
    had_features: bool,
    geometry: Option<Slot>,
    properties: Option<Map<String, Json>>,
    mut bare: Raw,
) -> Result<Option<T>, String> {
    match ty {
        Some("FeatureCollection") if had_features => Ok(None),
        Some("FeatureCollection") => Err("a FeatureCollection without `features`".into()),
        Some("Feature") => Ok(Some(T::from_single(geometry, properties))),
        Some(g) if geometry::TYPES.contains(&g) => {
            bare.ty = Some(g.into());
            Ok(Some(T::from_single(Some(Slot::Object(bare)), None)))
        }
        Some(other) => Err(format!("unknown GeoJSON type `{other}`")),
        None => Err("the top-level object has no `type`".into()),
    }
}

struct FeaturesSeed<'a, T> {
    each: &'a mut dyn FnMut(T, u64) -> Result<(), IngestError>,
    line: &'a Rc<Cell<u64>>,
    failure: &'a RefCell<Option<IngestError>>,
    marker: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for FeaturesSeed<'_, T> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for FeaturesSeed<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(feature) = seq.next_element::<T>()? {
            if let Err(e) = (self.each)(feature, self.line.get()) {
                *self.failure.borrow_mut() = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
