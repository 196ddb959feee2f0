//! Text encodings of uploads: which one, and why.
//!
//! Order of precedence: an explicit `encoding` option, then what the file says (`.cpg`,
//! the DBF language-driver byte, a byte-order mark), then the content: UTF-8 when every byte
//! sequence is valid UTF-8, otherwise CP932 (Windows Shift_JIS), which is what Japanese
//! desktop GIS and Excel write.

use std::borrow::Cow;
use std::io::Read;

use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};

use super::IngestError;
use super::report::{EncodingInfo, Msg, msg};

/// An encoding and the reason it was chosen.
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    pub encoding: &'static Encoding,
    pub reason: Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Explicit,
    Cpg,
    LanguageDriver(u8),
    Bom,
    ValidUtf8,
    NotUtf8,
    /// The format is always UTF-8 (GeoPackage, FlatGeobuf).
    Format,
}

impl Choice {
    pub fn new(encoding: &'static Encoding, reason: Reason) -> Self {
        Self { encoding, reason }
    }

    /// The encoding's display name: `UTF-8` or `Shift_JIS (CP932)`.
    pub fn name(&self) -> String {
        display_name(self.encoding)
    }

    pub fn info(&self) -> EncodingInfo {
        let name = self.name();
        let (reason, message) = match self.reason {
            Reason::Explicit => (
                "explicit",
                msg(
                    format!("指定された文字コード {name} で読み込みました"),
                    format!("read as {name}, as requested"),
                ),
            ),
            Reason::Cpg => (
                "cpg",
                msg(
                    format!(".cpg ファイルの指定により {name} で読み込みました"),
                    format!("read as {name}, as the .cpg file says"),
                ),
            ),
            Reason::LanguageDriver(b) => (
                "dbf_language_driver",
                msg(
                    format!("DBF の言語ドライバ (0x{b:02X}) の指定により {name} で読み込みました"),
                    format!("read as {name}, as the DBF language driver byte (0x{b:02X}) says"),
                ),
            ),
            Reason::Bom => (
                "bom",
                msg(
                    "BOM 付き UTF-8 として読み込みました",
                    "read as UTF-8: the file starts with a byte-order mark",
                ),
            ),
            Reason::ValidUtf8 => (
                "valid_utf8",
                msg(
                    "文字コードの指定がなく、すべて UTF-8 として正しいため UTF-8 で読み込みました",
                    "no encoding declared; every byte sequence is valid UTF-8, so read as UTF-8",
                ),
            ),
            Reason::NotUtf8 => (
                "not_utf8_cp932",
                msg(
                    "文字コードの指定がなく、UTF-8 ではないため Shift_JIS (CP932) で読み込みました",
                    "no encoding declared and the text is not valid UTF-8, so read as Shift_JIS (CP932)",
                ),
            ),
            Reason::Format => (
                "format",
                msg("この形式は常に UTF-8 です", "this format is always UTF-8"),
            ),
        };
        EncodingInfo {
            name,
            reason,
            message,
        }
    }
}

fn display_name(e: &'static Encoding) -> String {
    if e == SHIFT_JIS {
        "Shift_JIS (CP932)".into()
    } else {
        e.name().into()
    }
}

/// Parses the `encoding` option: `utf-8`, `shift_jis`, `cp932` and their usual aliases.
pub fn parse_option(text: &str) -> Result<&'static Encoding, IngestError> {
    from_label(text).ok_or_else(|| IngestError::Option {
        option: "encoding",
        message: msg(
            format!("文字コード `{text}` は使えません。utf-8 または shift_jis (cp932) を指定してください"),
            format!("unknown encoding `{text}`: use utf-8 or shift_jis (cp932)"),
        ),
    })
}

/// A `.cpg` or option label: WHATWG labels plus Windows code-page numbers (`932`,
/// `CP932`, `ANSI 932`, `65001`).
pub fn from_label(text: &str) -> Option<&'static Encoding> {
    let t = text.trim().trim_matches('\u{feff}').trim();
    if let Some(e) = Encoding::for_label(t.as_bytes()) {
        return Some(e);
    }
    let lower = t.to_ascii_lowercase();
    let digits = lower
        .trim_start_matches("ansi")
        .trim_start_matches("cp")
        .trim_start_matches("windows-")
        .trim();
    match digits {
        "932" => Some(SHIFT_JIS),
        "65001" | "utf8" => Some(UTF_8),
        "936" => Some(encoding_rs::GBK),
        "949" => Some(encoding_rs::EUC_KR),
        "950" => Some(encoding_rs::BIG5),
        "1250" | "1251" | "1252" | "1253" | "1254" | "1255" | "1256" | "1257" | "1258" => {
            Encoding::for_label(format!("windows-{digits}").as_bytes())
        }
        _ => None,
    }
}

/// The encoding a DBF language-driver id (byte 29) names; `None` for 0 and for 0x57
/// ("ANSI", meaning the writer's system code page, which says nothing).
pub fn from_ldid(ldid: u8) -> Option<&'static Encoding> {
    let cp = match ldid {
        0x13 | 0x7B => "932",
        0x4D | 0x7A => "936",
        0x4E | 0x79 => "949",
        0x4F | 0x78 => "950",
        0x01 | 0x03 | 0x58 | 0x59 => "1252",
        0xC8 => "1250",
        0xC9 => "1251",
        0xCB => "1253",
        0xCA => "1254",
        0x7D => "1255",
        0x7E => "1256",
        0xCC => "1257",
        _ => return None,
    };
    from_label(cp)
}

/// Reads a stream to its end and says whether it is entirely valid UTF-8.
pub fn is_all_utf8(mut input: impl Read) -> std::io::Result<bool> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            return Ok(carry.is_empty());
        }
        carry.extend_from_slice(&buf[..n]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_some() => return Ok(false),
            Err(e) => {
                // An incomplete sequence at the end: keep it for the next chunk.
                let tail = carry.split_off(e.valid_up_to());
                carry = tail;
            }
        }
    }
}

/// The content-based choice: UTF-8 when valid, else CP932.
pub fn by_content(all_utf8: bool) -> Choice {
    if all_utf8 {
        Choice::new(UTF_8, Reason::ValidUtf8)
    } else {
        Choice::new(SHIFT_JIS, Reason::NotUtf8)
    }
}

/// Decodes bytes; the flag is true when some bytes were not valid in the encoding (and
/// were replaced by U+FFFD).
pub fn decode<'b>(e: &'static Encoding, bytes: &'b [u8]) -> (Cow<'b, str>, bool) {
    let (text, had_errors) = e.decode_without_bom_handling(bytes);
    (text, had_errors)
}

/// A warning for text that did not decode cleanly.
pub fn replacement_warning(e: &'static Encoding) -> Msg {
    let name = display_name(e);
    msg(
        format!(
            "{name} として正しくない文字があり、〓 (U+FFFD) に置き換えました。文字コードの指定 (encoding) を確認してください"
        ),
        format!(
            "some bytes are not valid {name} and were replaced by U+FFFD; check the encoding option"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("UTF-8", UTF_8)]
    #[case("utf8", UTF_8)]
    #[case("65001", UTF_8)]
    #[case("CP932", SHIFT_JIS)]
    #[case("932", SHIFT_JIS)]
    #[case("ANSI 932", SHIFT_JIS)]
    #[case("Shift_JIS", SHIFT_JIS)]
    #[case("SJIS", SHIFT_JIS)]
    #[case("windows-31j", SHIFT_JIS)]
    #[case("1252", encoding_rs::WINDOWS_1252)]
    fn labels_are_recognised(#[case] label: &str, #[case] e: &'static Encoding) {
        assert_eq!(from_label(label), Some(e));
    }

    #[test]
    fn ansi_language_driver_says_nothing() {
        assert_eq!(from_ldid(0x57), None);
        assert_eq!(from_ldid(0), None);
        assert_eq!(from_ldid(0x13), Some(SHIFT_JIS));
    }

    #[test]
    fn utf8_check_handles_sequences_split_across_reads() {
        let text = "避難所".repeat(30_000);
        assert!(is_all_utf8(text.as_bytes()).unwrap());
        let (sjis, _, _) = SHIFT_JIS.encode(&text);
        assert!(!is_all_utf8(&sjis[..]).unwrap());
        assert!(
            !is_all_utf8(&b"abc\xe9"[..]).unwrap(),
            "truncated at the end"
        );
    }

    #[test]
    fn cp932_round_trips_japanese_text() {
        let text = "祐徳稲荷神社参集殿　佐賀県鹿島市古枝乙1855";
        let (bytes, _, _) = SHIFT_JIS.encode(text);
        let (back, bad) = decode(SHIFT_JIS, &bytes);
        assert_eq!(back, text);
        assert!(!bad);
    }

    #[test]
    fn unknown_option_is_refused() {
        assert!(parse_option("ebcdic").is_err());
        assert_eq!(parse_option("cp932").unwrap(), SHIFT_JIS);
    }
}
