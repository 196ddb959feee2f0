//! ESRI Shapefiles: `.shp` geometry and `.dbf` attributes read in step, the CRS from the
//! `.prj`, the text encoding from `.cpg`, the DBF language driver or the content.
//! Written here rather than with the `shapefile` crate so that text stays bytes until the
//! encoding is chosen.

mod dbf;
mod shp;

use std::path::{Path, PathBuf};

use encoding_rs::Encoding;

use super::IngestError;
use super::crs;
use super::encoding::{self, Choice, Reason};
use super::report::{FormatInfo, Msg, Severity, Where, msg};
use super::source::{CrsFound, FeatureSource, Opened, Sink, SourceFeature};
use crate::model::{Field, Schema, Value};

/// The files of one Shapefile layer.
#[derive(Debug, Clone)]
pub struct ShapefileParts {
    pub shp: PathBuf,
    pub dbf: PathBuf,
    pub prj: Option<String>,
    pub cpg: Option<String>,
    /// Names for messages: the layer and its `.shp`/`.dbf` (zip paths when zipped).
    pub layer: String,
    pub shp_label: String,
    pub dbf_label: String,
}

/// Opens a Shapefile layer.
pub fn open(
    parts: ShapefileParts,
    explicit: Option<&'static Encoding>,
) -> Result<Opened, IngestError> {
    let bad_dbf = |m: String| {
        IngestError::malformed(
            Where::file(&parts.dbf_label),
            format!("DBF ファイルが読めません: {m}"),
            format!("cannot read the .dbf: {m}"),
        )
    };
    let table = dbf::DbfReader::open(&parts.dbf).map_err(bad_dbf)?;
    let header = table.header.clone();
    drop(table);
    let choice = choose_encoding(&parts, explicit, header.ldid).map_err(bad_dbf)?;
    let mut notes = Vec::new();
    let mut truncated = Vec::new();
    let fields: Vec<Field> = header
        .fields
        .iter()
        .map(|f| {
            let (name, bad) = encoding::decode(choice.encoding, &f.raw_name);
            let name = name.trim_end_matches('\u{fffd}').to_owned();
            if bad {
                notes.push((
                    Severity::Warning,
                    "undecodable_field_name",
                    encoding::replacement_warning(choice.encoding),
                    Where::file(&parts.dbf_label).field(&name),
                ));
            }
            if f.raw_name.len() >= 10 {
                truncated.push(name.clone());
            }
            if f.kind == b'M' {
                notes.push((
                    Severity::Warning,
                    "memo_field",
                    memo_note(),
                    Where::file(&parts.dbf_label).field(&name),
                ));
            }
            Field {
                name,
                ty: f.field_type(),
            }
        })
        .collect();
    if encoding::from_ldid(header.ldid).is_some_and(Encoding::is_single_byte)
        && choice.reason == Reason::LanguageDriver(header.ldid)
    {
        notes.push((
            Severity::Warning,
            "western_code_page",
            western_note(choice.encoding),
            Where::file(&parts.dbf_label),
        ));
    }
    let crs = match &parts.prj {
        None => CrsFound::Missing {
            message: msg(
                ".prj ファイルがないため座標系がわかりません。srs (例: EPSG:6670) を指定してください",
                "no .prj file, so the coordinate system is unknown; give srs (e.g. EPSG:6670)",
            ),
        },
        Some(wkt) => match crs::from_wkt(wkt) {
            Ok(crs) => CrsFound::Declared { crs, source: "prj" },
            Err(problem) => CrsFound::Unusable {
                problem,
                source: "prj",
            },
        },
    };
    Ok(Opened {
        format: FormatInfo {
            code: "shapefile",
            name: "ESRI Shapefile",
            source_layer: Some(parts.layer.clone()),
            ..FormatInfo::default()
        },
        encoding: Some(choice),
        crs,
        schema: Schema::new(fields),
        file_label: parts.shp_label.clone(),
        notes,
        possibly_truncated: truncated,
        features: Box::new(Features {
            parts,
            encoding: choice.encoding,
        }),
    })
}

fn memo_note() -> Msg {
    msg(
        "メモ型 (M) のフィールドは読み込めないため空になります",
        "memo (M) fields cannot be read and are left empty",
    )
}

fn western_note(e: &'static Encoding) -> Msg {
    msg(
        format!(
            "DBF の言語ドライバが欧文の {} を指定しています。日本語が文字化けする場合は encoding=cp932 を指定してください",
            e.name()
        ),
        format!(
            "the DBF language driver says {}, a Western code page; if Japanese text is garbled, give encoding=cp932",
            e.name()
        ),
    )
}

fn choose_encoding(
    parts: &ShapefileParts,
    explicit: Option<&'static Encoding>,
    ldid: u8,
) -> Result<Choice, String> {
    if let Some(e) = explicit {
        return Ok(Choice::new(e, Reason::Explicit));
    }
    if let Some(e) = parts.cpg.as_deref().and_then(encoding::from_label) {
        return Ok(Choice::new(e, Reason::Cpg));
    }
    if let Some(e) = encoding::from_ldid(ldid) {
        return Ok(Choice::new(e, Reason::LanguageDriver(ldid)));
    }
    Ok(encoding::by_content(dbf::text_is_utf8(&parts.dbf)?))
}

struct Features {
    parts: ShapefileParts,
    encoding: &'static Encoding,
}

impl FeatureSource for Features {
    fn run(self: Box<Self>, sink: &mut Sink<'_>) -> Result<(), IngestError> {
        let p = &self.parts;
        let shp_err = |m: String| {
            IngestError::malformed(
                Where::file(&p.shp_label),
                format!("SHP ファイルが読めません: {m}"),
                format!("cannot read the .shp: {m}"),
            )
        };
        let dbf_err = |m: String| {
            IngestError::malformed(
                Where::file(&p.dbf_label),
                format!("DBF ファイルが読めません: {m}"),
                format!("cannot read the .dbf: {m}"),
            )
        };
        let mut shapes = shp::ShpReader::open(&p.shp).map_err(shp_err)?;
        let mut table = dbf::DbfReader::open(&p.dbf).map_err(dbf_err)?;
        let fields = table.header.fields.clone();
        let mut number = 0u64;
        loop {
            let shape = shapes
                .next_shape()
                .map_err(|m| shp_err(format!("record {}: {m}", number + 1)))?;
            let record = table.next_record().map_err(dbf_err)?;
            let ((geometry, issues), (deleted, rec)) = match (shape, record) {
                (None, None) => return Ok(()),
                (Some(s), Some(r)) => (s, r),
                _ => return Err(count_mismatch(p, number)),
            };
            number += 1;
            if deleted {
                continue;
            }
            let mut bad_fields = Vec::new();
            let properties: Vec<Value> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let (v, bad) = dbf::value(rec, f, self.encoding);
                    if bad {
                        bad_fields.push(i);
                    }
                    v
                })
                .collect();
            sink(SourceFeature {
                geometry,
                issues,
                properties,
                line: None,
                bad_fields,
            })?;
        }
    }
}

fn count_mismatch(p: &ShapefileParts, after: u64) -> IngestError {
    IngestError::malformed(
        Where::file(&p.dbf_label).feature(after + 1),
        format!(
            "SHP と DBF のレコード数が一致しません ({after} 件目の後)。ファイルが欠けているか、別のレイヤーのものです"
        ),
        format!(
            "the .shp and .dbf have different numbers of records (after record {after}); a file is truncated or belongs to another layer"
        ),
    )
}

/// Finds the sibling files of a `.shp` on disk (for `kashimap import file.shp`).
pub fn parts_beside(shp: &Path) -> Result<ShapefileParts, IngestError> {
    let sibling = |ext: &str| -> Option<PathBuf> {
        [ext.to_owned(), ext.to_ascii_uppercase()]
            .iter()
            .map(|e| shp.with_extension(e))
            .find(|p| p.is_file())
    };
    let label = |p: &Path| {
        p.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    };
    let dbf = sibling("dbf").ok_or_else(|| {
        IngestError::malformed(
            Where::file(label(shp)),
            "同じ名前の .dbf ファイルがありません",
            "there is no .dbf file of the same name beside the .shp",
        )
    })?;
    let read_small = |p: Option<PathBuf>| p.and_then(|p| read_text(&p));
    Ok(ShapefileParts {
        layer: shp
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        shp_label: label(shp),
        dbf_label: label(&dbf),
        shp: shp.to_path_buf(),
        dbf,
        prj: read_small(sibling("prj")),
        cpg: read_small(sibling("cpg")),
    })
}

/// Reads a small text file (`.prj`, `.cpg`), at most 64 KiB.
pub fn read_text(p: &Path) -> Option<String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(p)
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut buf)
        .ok()?;
    Some(String::from_utf8_lossy(&buf).trim().to_owned())
}
