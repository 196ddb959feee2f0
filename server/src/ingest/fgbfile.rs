//! FlatGeobuf uploads. The file is untrusted: before the flatgeobuf reader sees it, a
//! pre-scan walks the size prefixes and checks the header's feature count, the index size
//! and every feature length against the real file length (the reader would otherwise
//! allocate whatever a length prefix claims). Calls into the flatgeobuf/geozero decoders
//! are wrapped in `catch_unwind`, as they can panic on malformed buffers.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use flatgeobuf::{FallibleStreamingIterator, FgbReader};
use geozero::{ColumnValue, FeatureProperties, PropertyProcessor, ToGeo};

use super::IngestError;
use super::crs::{self, CrsProblem};
use super::encoding::{Choice, Reason};
use super::report::{FormatInfo, Where};
use super::source::{CrsFound, FeatureSource, Opened, Sink, SourceFeature};
use crate::fgb::{header_fields, value_of};
use crate::model::{Schema, Value};

/// Size of one packed R-tree node on disk.
const NODE_ITEM_BYTES: u128 = 40;

fn bad(label: &str, feature: Option<u64>, en: &str) -> IngestError {
    let mut at = Where::file(label);
    at.feature = feature;
    IngestError::malformed(
        at,
        format!("FlatGeobuf ファイルが壊れています: {en}"),
        format!("damaged FlatGeobuf file: {en}"),
    )
}

/// Opens a FlatGeobuf file after the pre-scan.
pub fn open(path: &Path, label: &str) -> Result<Opened, IngestError> {
    prescan(path, label)?;
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let opened = catch_unwind(AssertUnwindSafe(|| FgbReader::open(BufReader::new(file))))
        .map_err(|_| bad(label, None, "the header could not be decoded"))?
        .map_err(|e| bad(label, None, &e.to_string()))?;
    let header = opened.header();
    let fields = header_fields(&header);
    let crs = match header.crs() {
        None => CrsFound::Missing {
            message: super::report::msg(
                "FlatGeobuf のヘッダに座標系がありません。srs (例: EPSG:6668) を指定してください",
                "the FlatGeobuf header names no coordinate system; give srs (e.g. EPSG:6668)",
            ),
        },
        Some(c) => header_crs(c.org(), c.code(), c.wkt()),
    };
    Ok(Opened {
        format: FormatInfo {
            code: "flatgeobuf",
            name: "FlatGeobuf",
            ..FormatInfo::default()
        },
        encoding: Some(Choice::new(encoding_rs::UTF_8, Reason::Format)),
        crs,
        schema: Schema::new(fields),
        file_label: label.to_owned(),
        notes: Vec::new(),
        possibly_truncated: Vec::new(),
        features: Box::new(Features {
            path: path.to_path_buf(),
            label: label.to_owned(),
        }),
    })
}

fn header_crs(org: Option<&str>, code: i32, wkt: Option<&str>) -> CrsFound {
    let epsg = org.is_none_or(|o| o.eq_ignore_ascii_case("EPSG"));
    let found = if code > 0 && epsg {
        u32::try_from(code)
            .ok()
            .and_then(crs::Crs::from_epsg)
            .ok_or(CrsProblem::NotAccepted(format!("EPSG:{code}")))
    } else if let Some(w) = wkt {
        crs::from_wkt(w)
    } else {
        Err(CrsProblem::Unrecognised(format!(
            "{}:{code}",
            org.unwrap_or("?")
        )))
    };
    match found {
        Ok(crs) => CrsFound::Declared {
            crs,
            source: "fgb_header",
        },
        Err(problem) => CrsFound::Unusable {
            problem,
            source: "fgb_header",
        },
    }
}

/// Walks the file's structure without decoding it, so no length prefix is trusted.
fn prescan(path: &Path, label: &str) -> Result<(), IngestError> {
    let io = |e| IngestError::io(path, e);
    let mut f = File::open(path).map_err(io)?;
    let len = u128::from(f.metadata().map_err(io)?.len());
    let mut magic = [0u8; 12];
    f.read_exact(&mut magic)
        .map_err(|_| bad(label, None, "shorter than its header"))?;
    if magic[3] != 3 {
        return Err(old_version(label, magic[3]));
    }
    if &magic[4..7] != b"fgb" {
        return Err(bad(label, None, "the magic bytes are wrong"));
    }
    let header_len = u128::from(u32::from_le_bytes([
        magic[8], magic[9], magic[10], magic[11],
    ]));
    if 12 + header_len > len {
        return Err(bad(label, None, "the header is longer than the file"));
    }
    let (count, node_size) = header_counts(path, label)?;
    let index = index_bytes(count, node_size);
    let mut pos = 12 + header_len + index;
    if pos > len {
        return Err(bad(
            label,
            None,
            &format!("the header claims {count} features, more than the file can hold"),
        ));
    }
    let mut walked = 0u64;
    while pos < len {
        f.seek(SeekFrom::Start(pos as u64)).map_err(io)?;
        let mut size = [0u8; 4];
        f.read_exact(&mut size)
            .map_err(|_| bad(label, Some(walked + 1), "a feature is cut off"))?;
        pos += 4 + u128::from(u32::from_le_bytes(size));
        if pos > len {
            return Err(bad(
                label,
                Some(walked + 1),
                "a feature claims more bytes than the file has (truncated file?)",
            ));
        }
        walked += 1;
    }
    if count != 0 && walked != count {
        return Err(bad(
            label,
            None,
            &format!("the header says {count} features but the file holds {walked}"),
        ));
    }
    Ok(())
}

/// The feature count and index node size from a verified header.
fn header_counts(path: &Path, label: &str) -> Result<(u64, u16), IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    catch_unwind(AssertUnwindSafe(|| {
        FgbReader::open(BufReader::new(file))
            .map(|r| (r.header().features_count(), r.header().index_node_size()))
    }))
    .map_err(|_| bad(label, None, "the header could not be decoded"))?
    .map_err(|e| bad(label, None, &e.to_string()))
}

/// The packed R-tree's size in bytes, without overflow for absurd counts.
fn index_bytes(count: u64, node_size: u16) -> u128 {
    if node_size < 2 || count == 0 {
        return 0;
    }
    let node = u128::from(node_size);
    let mut n = u128::from(count);
    let mut nodes = n;
    while n > 1 {
        n = n.div_ceil(node);
        nodes += n;
    }
    if count == 1 {
        nodes += 1;
    }
    nodes * NODE_ITEM_BYTES
}

fn old_version(label: &str, v: u8) -> IngestError {
    IngestError::malformed(
        Where::file(label),
        format!(
            "古い FlatGeobuf 形式 (バージョン {v}) です。GDAL 3.1 以降や QGIS で書き出し直してください"
        ),
        format!("an old FlatGeobuf version ({v}); export it again with GDAL 3.1 or later, or QGIS"),
    )
}

struct Features {
    path: PathBuf,
    label: String,
}

impl FeatureSource for Features {
    fn run(self: Box<Self>, sink: &mut Sink<'_>) -> Result<(), IngestError> {
        let file = File::open(&self.path).map_err(|e| IngestError::io(&self.path, e))?;
        let label = &self.label;
        let reader = catch_unwind(AssertUnwindSafe(|| {
            FgbReader::open(BufReader::new(file)).and_then(FgbReader::select_all_seq)
        }))
        .map_err(|_| bad(label, None, "the header could not be decoded"))?
        .map_err(|e| bad(label, None, &e.to_string()))?;
        let columns = reader.header().columns().map_or(0, |c| c.len());
        let mut iter = reader;
        let mut number = 0u64;
        loop {
            number += 1;
            let next = catch_unwind(AssertUnwindSafe(|| {
                iter.next().map(|f| f.map(|f| decode(f, columns)))
            }))
            .map_err(|_| bad(label, Some(number), "the feature could not be decoded"))?
            .map_err(|e| bad(label, Some(number), &e.to_string()))?;
            match next {
                None => return Ok(()),
                Some(Err(e)) => return Err(bad(label, Some(number), &e)),
                Some(Ok(feature)) => sink(feature)?,
            }
        }
    }
}

fn decode(f: &flatgeobuf::FgbFeature, columns: usize) -> Result<SourceFeature, String> {
    let geometry = match f.geometry() {
        None => None,
        Some(_) => Some(f.to_geo().map_err(|e| e.to_string())?),
    };
    let mut props = Props(vec![Value::Null; columns]);
    f.process_properties(&mut props)
        .map_err(|e| e.to_string())?;
    Ok(SourceFeature {
        geometry,
        issues: Vec::new(),
        properties: props.0,
        line: None,
        bad_fields: Vec::new(),
    })
}

struct Props(Vec<Value>);

impl PropertyProcessor for Props {
    fn property(&mut self, i: usize, _: &str, v: &ColumnValue) -> geozero::error::Result<bool> {
        if let Some(slot) = self.0.get_mut(i) {
            *slot = value_of(v);
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fgb")
            .join(name)
    }

    fn read_all(path: &Path) -> Result<usize, IngestError> {
        let opened = open(path, "t.fgb")?;
        let mut n = 0;
        opened.features.run(&mut |_| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    #[rstest]
    #[case("clusterfuzz-testcase-minimized-fgb_fuzzer-4642513358553088")]
    #[case("topp_states.fgb")]
    fn malformed_files_are_errors_not_panics(#[case] name: &str) {
        let e = read_all(&fixture(name)).unwrap_err();
        assert!(matches!(e, IngestError::Malformed { .. }), "{e:?}");
    }

    #[test]
    fn fuzz_case_with_repaired_magic_is_still_refused() {
        // Fix the magic bytes so the fuzzer's header and counts reach the deeper checks.
        let mut bytes = std::fs::read(fixture(
            "clusterfuzz-testcase-minimized-fgb_fuzzer-4642513358553088",
        ))
        .unwrap();
        bytes[4..8].copy_from_slice(b"fgb\0");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.fgb");
        std::fs::write(&p, &bytes).unwrap();
        assert!(read_all(&p).is_err());
    }

    #[test]
    fn a_huge_claimed_feature_count_is_refused_before_allocating() {
        let mut bytes = std::fs::read(fixture("heterogeneous.fgb")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.fgb");
        // Truncate inside the last feature: its length prefix now claims bytes that are gone.
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&p, &bytes).unwrap();
        let e = read_all(&p).unwrap_err();
        assert!(
            e.to_string().contains("truncated")
                || e.to_string().contains("cut off")
                || e.to_string().contains("holds"),
            "{e}"
        );
    }

    #[rstest]
    #[case("unknown_feature_count.fgb", 1)]
    #[case("empty.fgb", 0)]
    #[case("heterogeneous.fgb", 3)]
    fn edge_case_files_are_read(#[case] name: &str, #[case] count: usize) {
        assert_eq!(read_all(&fixture(name)).unwrap(), count);
    }

    #[test]
    fn index_size_does_not_overflow() {
        assert_eq!(index_bytes(1, 16), 80);
        assert!(index_bytes(u64::MAX, 16) > u128::from(u64::MAX));
    }
}
