//! Format detection by content: magic bytes and structure, never the file name alone
//! (the name only sharpens an error message).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::IngestError;
use super::report::msg;

/// A format we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Zip,
    GeoPackage,
    FlatGeobuf,
    /// A bare `.shp` (its siblings are looked up beside it: CLI only).
    Shp,
    Csv,
}

/// Looks at the first bytes of a file and says what it is.
pub fn detect(path: &Path, name: &str) -> Result<Format, IngestError> {
    let mut head = vec![0u8; 4096];
    let n = File::open(path)
        .and_then(|f| f.take(4096).read(&mut head))
        .map_err(|e| IngestError::io(path, e))?;
    let head = &head[..n];
    if n == 0 {
        return Err(unsupported("ファイルが空です", "the file is empty"));
    }
    if let Some(f) = by_magic(head) {
        return Ok(f);
    }
    if let Some(e) = known_unsupported(head, name) {
        return Err(e);
    }
    by_text(head, name)
}

/// A file without magic bytes: GeoJSON when its text starts with `{` (a JSON array is
/// refused), else CSV, unless it holds NUL bytes without a UTF-16 byte order mark.
fn by_text(head: &[u8], name: &str) -> Result<Format, IngestError> {
    let text = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(Format::GeoJson),
        Some(b'[') => Err(unsupported(
            "JSON の配列は GeoJSON ではありません。FeatureCollection にしてください",
            "a JSON array is not GeoJSON; upload a FeatureCollection",
        )),
        _ if text.contains(&0)
            && !head.starts_with(&[0xFF, 0xFE])
            && !head.starts_with(&[0xFE, 0xFF]) =>
        {
            Err(not_recognised(name))
        }
        _ => Ok(Format::Csv),
    }
}

fn by_magic(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if head.starts_with(b"SQLite format 3\0") {
        Some(Format::GeoPackage)
    } else if head.len() >= 4 && &head[..3] == b"fgb" && (1..=9).contains(&head[3]) {
        // The version byte alone: a damaged file still goes to the FlatGeobuf reader,
        // which says what is wrong with it.
        Some(Format::FlatGeobuf)
    } else if head.starts_with(&[0, 0, 0x27, 0x0A]) {
        Some(Format::Shp)
    } else {
        None
    }
}

/// Formats people will try, with what to do instead.
fn known_unsupported(head: &[u8], name: &str) -> Option<IngestError> {
    let lower = name.to_ascii_lowercase();
    if head.starts_with(&[0x1F, 0x8B]) {
        return Some(unsupported(
            "gzip 圧縮は使えません。zip にするか展開してください",
            "gzip is not supported; use zip or upload the file itself",
        ));
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Some(unsupported(
            "Excel (.xls) のファイルです。CSV で保存してください",
            "an Excel (.xls) file: save it as CSV",
        ));
    }
    let text = String::from_utf8_lossy(&head[..head.len().min(512)]);
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
    {
        return Some(unsupported(
            "XML (KML/GML など) は使えません。GeoPackage や GeoJSON で書き出してください",
            "XML formats (KML, GML, …) are not supported; export GeoPackage or GeoJSON",
        ));
    }
    let ext = Path::new(&lower)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    if ext == "dbf" || ext == "shx" {
        return Some(unsupported(
            "シェープファイルは .shp .shx .dbf .prj (.cpg) をまとめて zip にしてアップロードしてください",
            "upload a Shapefile as one zip holding its .shp, .shx, .dbf, .prj (and .cpg)",
        ));
    }
    None
}

fn unsupported(ja: &str, en: &str) -> IngestError {
    IngestError::Unsupported {
        message: msg(ja, en),
    }
}

fn not_recognised(name: &str) -> IngestError {
    IngestError::Unsupported {
        message: msg(
            format!(
                "「{name}」の形式がわかりません。使える形式: GeoJSON、シェープファイル (zip)、GeoPackage、FlatGeobuf、CSV (緯度・経度の列つき)"
            ),
            format!(
                "`{name}`: unrecognised format. Supported: GeoJSON, zipped Shapefile, GeoPackage, FlatGeobuf, CSV with coordinate columns"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(b"PK\x03\x04rest", Format::Zip)]
    #[case(b"SQLite format 3\0....", Format::GeoPackage)]
    #[case(b"fgb\x03fgb\x00....", Format::FlatGeobuf)]
    #[case(b"\xEF\xBB\xBF  {\"type\":", Format::GeoJson)]
    #[case("名称,経度,緯度\r\n".as_bytes(), Format::Csv)]
    fn formats_are_told_by_content(#[case] bytes: &[u8], #[case] f: Format) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("upload.bin");
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(detect(&p, "upload.bin").unwrap(), f);
    }

    #[test]
    fn a_misnamed_file_is_still_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("data.csv");
        std::fs::write(&p, b"{\"type\":\"FeatureCollection\",\"features\":[]}").unwrap();
        assert_eq!(detect(&p, "data.csv").unwrap(), Format::GeoJson);
    }

    #[test]
    fn binary_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, [0u8, 1, 2, 3, 0, 5]).unwrap();
        assert!(matches!(
            detect(&p, "x"),
            Err(IngestError::Unsupported { .. })
        ));
    }
}
