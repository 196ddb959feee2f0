//! Zip uploads, opened defensively: every entry is checked before anything is extracted
//! (no links, no absolute paths or paths leaving the archive, no encryption, declared sizes
//! within the limits). Extraction trusts no declared size: the ratio is of the bytes really
//! inflated to the compressed bytes really read, counted as they stream, and inflated bytes
//! count against the conversion's budget (shared across concurrent uploads).

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use zip::ZipArchive;

use super::IngestError;
use super::budget::Budget;
use super::report::{Where, msg};

/// Limits against zip bombs.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    /// Total uncompressed bytes that may be extracted.
    pub max_total: u64,
    /// Largest uncompressed/compressed ratio of an entry over 1 MiB.
    pub max_ratio: u64,
}

/// Entries smaller than this may have any ratio (a tiny file of spaces compresses 1000×).
const RATIO_FLOOR: u64 = 1 << 20;

/// One file in the archive.
#[derive(Debug, Clone)]
pub struct Entry {
    pub index: usize,
    /// The path inside the archive, `/`-separated, decoded as UTF-8 or else CP932.
    pub name: String,
    pub size: u64,
}

impl Entry {
    /// The lower-case extension (`shp`, `dbf`, …).
    pub fn extension(&self) -> String {
        self.name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// The path without extension: a Shapefile's layer key.
    pub fn stem(&self) -> &str {
        self.name.rsplit_once('.').map_or(&self.name, |(s, _)| s)
    }

    /// The file name without folders or extension: a layer's display name.
    pub fn layer_name(&self) -> &str {
        let stem = self.stem();
        stem.rsplit_once('/').map_or(stem, |(_, n)| n)
    }
}

/// The archive file, counting the bytes read from it (the compressed bytes really used).
struct Counted {
    file: File,
    read: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for Counted {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

/// An archive whose entries passed the checks.
pub struct Archive<'b> {
    zip: ZipArchive<Counted>,
    read: Arc<AtomicU64>,
    pub entries: Vec<Entry>,
    label: String,
    limits: ZipLimits,
    budget: &'b Budget,
    extracted: u64,
}

impl<'b> Archive<'b> {
    /// Opens and checks every entry.
    pub fn open(
        path: &Path,
        label: &str,
        (limits, budget): (ZipLimits, &'b Budget),
    ) -> Result<Self, IngestError> {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let read = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            file,
            read: Arc::clone(&read),
        };
        let mut zip = ZipArchive::new(counted).map_err(|e| {
            IngestError::malformed(
                Where::file(label),
                format!("zip ファイルとして読めません: {e}"),
                format!("not a readable zip file: {e}"),
            )
        })?;
        let mut entries = Vec::new();
        let mut declared = 0u64;
        for index in 0..zip.len() {
            let Some(entry) = check_entry(&mut zip, index, label, limits)? else {
                continue;
            };
            declared = declared.saturating_add(entry.size);
            entries.push(entry);
        }
        if declared > limits.max_total {
            return Err(too_large(label, declared, limits.max_total));
        }
        Ok(Self {
            zip,
            read,
            entries,
            label: label.to_owned(),
            limits,
            budget,
            extracted: 0,
        })
    }

    /// Extracts one entry to `dest`, counting real bytes against the limits.
    pub fn extract(&mut self, entry: &Entry, dest: &Path) -> Result<(), IngestError> {
        let label = format!("{}:{}", self.label, entry.name);
        // Compressed bytes are counted from here: the entry's own header and data.
        let start = self.read.load(Ordering::Relaxed);
        let mut file = self.zip.by_index(entry.index).map_err(|e| {
            IngestError::malformed(
                Where::file(&label),
                format!("zip の中のファイルが読めません: {e}"),
                format!("cannot read the zip entry: {e}"),
            )
        })?;
        let out = File::create(dest).map_err(|e| IngestError::io(dest, e))?;
        let mut out = BufWriter::new(out);
        let mut buf = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(|e| {
                IngestError::malformed(
                    Where::file(&label),
                    format!("zip の中のファイルが壊れています: {e}"),
                    format!("the zip entry is damaged: {e}"),
                )
            })?;
            if n == 0 {
                break;
            }
            written += n as u64;
            self.extracted += n as u64;
            let compressed = (self.read.load(Ordering::Relaxed) - start).max(1);
            if written > RATIO_FLOOR && written / compressed > self.limits.max_ratio {
                return Err(ratio_too_high(
                    &label,
                    written / compressed,
                    self.limits.max_ratio,
                ));
            }
            self.budget.inflated(n as u64)?;
            if self.extracted > self.limits.max_total {
                return Err(too_large(
                    &self.label,
                    self.extracted,
                    self.limits.max_total,
                ));
            }
            out.write_all(&buf[..n])
                .map_err(|e| IngestError::io(dest, e))?;
        }
        out.flush().map_err(|e| IngestError::io(dest, e))?;
        Ok(())
    }
}

/// Checks one entry; `None` for folders.
fn check_entry(
    zip: &mut ZipArchive<Counted>,
    index: usize,
    label: &str,
    limits: ZipLimits,
) -> Result<Option<Entry>, IngestError> {
    let f = zip.by_index_raw(index).map_err(|e| {
        IngestError::malformed(
            Where::file(label),
            format!("zip の目次が壊れています: {e}"),
            format!("the zip directory is damaged: {e}"),
        )
    })?;
    let name = decode_name(f.name_raw());
    let at = || Where::file(format!("{label}:{name}"));
    if f.is_symlink() {
        return Err(IngestError::Unsupported {
            message: msg(
                format!(
                    "zip の中にシンボリックリンク「{name}」があります。リンクを含まない zip にしてください"
                ),
                format!("the zip holds a symbolic link `{name}`; links are refused"),
            ),
        });
    }
    if f.enclosed_name().is_none() || !is_relative_inside(&name) {
        return Err(IngestError::malformed(
            at(),
            format!(
                "zip の中のパス「{name}」が zip の外を指しています (パストラバーサル)。受け付けません"
            ),
            format!(
                "the zip entry path `{name}` points outside the archive (path traversal); refused"
            ),
        ));
    }
    if f.encrypted() {
        return Err(IngestError::Unsupported {
            message: msg(
                "パスワード付きの zip は受け付けません",
                "password-protected zip files are not accepted",
            ),
        });
    }
    if f.is_dir() {
        return Ok(None);
    }
    let ratio = f.size() / f.compressed_size().max(1);
    if f.size() > RATIO_FLOOR && ratio > limits.max_ratio {
        return Err(ratio_too_high(
            &format!("{label}:{name}"),
            ratio,
            limits.max_ratio,
        ));
    }
    Ok(Some(Entry {
        index,
        name: name.replace('\\', "/"),
        size: f.size(),
    }))
}

/// A path that stays inside the archive: not absolute (`/x`, `\\x`, `C:x`), and no `..`.
fn is_relative_inside(name: &str) -> bool {
    let absolute = name.starts_with(['/', '\\'])
        || name.as_bytes().get(1) == Some(&b':') && name.as_bytes()[0].is_ascii_alphabetic();
    !absolute && !name.split(['/', '\\']).any(|p| p == "..")
}

/// Zip names are UTF-8 when flagged, but Japanese Windows writes CP932 without the flag.
fn decode_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::SHIFT_JIS
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
}

fn too_large(label: &str, bytes: u64, max: u64) -> IngestError {
    let _ = label;
    IngestError::TooLarge {
        message: msg(
            format!(
                "zip を展開すると {} MB を超えます (上限 {} MB)。zip 爆弾の疑いがあるため受け付けません",
                bytes >> 20,
                max >> 20
            ),
            format!(
                "the zip expands to more than {} MiB (limit {} MiB); refused as a possible zip bomb",
                bytes >> 20,
                max >> 20
            ),
        ),
    }
}

fn ratio_too_high(label: &str, ratio: u64, max: u64) -> IngestError {
    IngestError::TooLarge {
        message: msg(
            format!(
                "{label} の圧縮率が {ratio} 倍で上限 {max} 倍を超えています。zip 爆弾の疑いがあるため受け付けません"
            ),
            format!(
                "{label} is compressed {ratio}:1, over the limit of {max}:1; refused as a possible zip bomb"
            ),
        ),
    }
}
