//! Photos of records: JPEG or PNG up to [`MAX_BYTES`], recognised by their content (never by
//! name or declared type), decoded whole (so a truncated or forged file is refused),
//! re-encoded as a JPEG without any metadata, with a thumbnail. The capture time and
//! position, when the camera recorded them (EXIF), are kept beside it in a small JSON file
//! and nothing else of the original is.
//!
//! Stored under `<store-dir>/photos/<layer>/<id>.jpg`, `<id>.thumb.jpg` and `<id>.json`,
//! each written to a temporary name, fsynced and renamed, before the upload is answered.

use std::collections::BTreeSet;
use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use image::{ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};

use super::{EditError, Refusal};

/// The largest photo taken, in bytes.
pub const MAX_BYTES: usize = 10 << 20;
/// The largest side of a decoded photo, in pixels.
const MAX_SIDE: u32 = 12_000;
/// The longest side of a thumbnail.
const THUMB: u32 = 320;
/// The longest side a stored photo keeps (phones take 4000 px; that is plenty for records).
const STORED: u32 = 2_048;

/// What is kept of a photo besides its pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoInfo {
    pub id: String,
    pub layer: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// `YYYY-MM-DDThh:mm:ss` as the camera recorded it (local time), if it did.
    pub taken: Option<String>,
    /// `[lon, lat]` from the camera's GPS, if it recorded one.
    pub position: Option<[f64; 2]>,
    pub uploaded_by: String,
    pub uploaded: String,
    /// The record the photo belongs to, once a saved record names it.
    #[serde(default)]
    pub record: Option<u64>,
    /// When its record was deleted or stopped naming it: kept for the record's history,
    /// shown only to the layer's editors.
    #[serde(default)]
    pub retired: Option<String>,
}

/// Why a photo was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoRefusal {
    /// Not a JPEG or PNG by content (415).
    NotAnImage,
    /// Over [`MAX_BYTES`] (413).
    TooLarge,
    /// Claims to be a JPEG or PNG but does not decode, or is too large in pixels (422).
    Unreadable,
}

impl PhotoRefusal {
    pub fn messages(self) -> (String, String) {
        match self {
            Self::NotAnImage => (
                "only JPEG and PNG photos are accepted (checked by content, not by name)".into(),
                "写真は JPEG か PNG のみ受け付けます（ファイル名ではなく内容で判定します）".into(),
            ),
            Self::TooLarge => (
                format!("a photo may be at most {} MB", MAX_BYTES >> 20),
                format!("写真は {} MB までです", MAX_BYTES >> 20),
            ),
            Self::Unreadable => (
                format!("the photo cannot be decoded, or is larger than {MAX_SIDE} pixels a side"),
                format!("写真を読み取れません（壊れているか、一辺 {MAX_SIDE} 画素を超えています）"),
            ),
        }
    }
}

/// The photo store of one data folder.
#[derive(Debug, Clone)]
pub struct Photos {
    root: PathBuf,
}

/// True for the ids this module makes: 32 lowercase hex digits.
pub fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Photos {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn dir(&self, layer: &str) -> PathBuf {
        self.root.join(layer)
    }

    /// Checks, cleans and stores a photo. CPU and disk work: call from a blocking thread.
    pub fn add(
        &self,
        layer: &str,
        by: &str,
        bytes: &[u8],
    ) -> Result<Result<PhotoInfo, PhotoRefusal>, EditError> {
        let (full, thumb, mut info) = match clean(bytes) {
            Ok(x) => x,
            Err(r) => return Ok(Err(r)),
        };
        info.id = format!("{:032x}", rand::random::<u128>());
        layer.clone_into(&mut info.layer);
        by.clone_into(&mut info.uploaded_by);
        info.uploaded = crate::time::now_rfc3339();
        let dir = self.dir(layer);
        fs::create_dir_all(&dir).map_err(|e| EditError::io(&dir, e))?;
        write(&dir.join(format!("{}.jpg", info.id)), &full)?;
        write(&dir.join(format!("{}.thumb.jpg", info.id)), &thumb)?;
        let meta = serde_json::to_vec(&info).map_err(|e| EditError::io(&dir, e.into()))?;
        // The metadata last: a photo without it was never answered and is never served.
        write(&dir.join(format!("{}.json", info.id)), &meta)?;
        Ok(Ok(info))
    }

    /// A stored photo's info, if it exists.
    pub fn info(&self, layer: &str, id: &str) -> Option<PhotoInfo> {
        if !valid_id(id) {
            return None;
        }
        let text = fs::read(self.dir(layer).join(format!("{id}.json"))).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// A stored photo's JPEG bytes (or its thumbnail's).
    pub fn bytes(&self, layer: &str, id: &str, thumb: bool) -> Option<Vec<u8>> {
        self.info(layer, id)?;
        let name = if thumb {
            format!("{id}.thumb.jpg")
        } else {
            format!("{id}.jpg")
        };
        fs::read(self.dir(layer).join(name)).ok()
    }

    /// Refuses a photo list naming anything but this layer's stored photos that are free
    /// or already belong to `record` (`None`: a record not saved yet).
    pub fn check_list(
        &self,
        layer: &str,
        field: &str,
        value: &serde_json::Value,
        record: Option<u64>,
    ) -> Result<(), Refusal> {
        let bad = || {
            Refusal::field(
                field,
                "must be a list of photo ids uploaded to this layer and not used by another record",
                "このレイヤーにアップロードし、他の記録で使っていない写真の ID の一覧でなければなりません",
            )
        };
        if value.is_null() {
            return Ok(());
        }
        let list = value.as_array().ok_or_else(bad)?;
        for v in list {
            let id = v.as_str().ok_or_else(bad)?;
            let info = self.info(layer, id).ok_or_else(bad)?;
            let free = info.record.is_none() && info.retired.is_none();
            if !free && (record.is_none() || info.record != record) {
                return Err(bad());
            }
        }
        Ok(())
    }

    /// Marks photos as belonging to `record`, or (`retire`) as retired from it.
    pub fn mark(
        &self,
        layer: &str,
        ids: &BTreeSet<String>,
        record: u64,
        retire: bool,
    ) -> Result<(), EditError> {
        for id in ids {
            let Some(mut info) = self.info(layer, id) else {
                continue;
            };
            info.record = Some(record);
            info.retired = retire.then(crate::time::now_rfc3339);
            let path = self.dir(layer).join(format!("{id}.json"));
            let meta = serde_json::to_vec(&info).map_err(|e| EditError::io(&path, e.into()))?;
            write(&path, &meta)?;
        }
        Ok(())
    }

    /// Removes the photos of `layer` that no record ever took (`record` unset, not named
    /// by `keep`) and were uploaded more than `older_than` ago. Returns how many.
    pub fn sweep(&self, layer: &str, keep: &dyn Fn(&str) -> bool, older_than: Duration) -> usize {
        let dir = self.dir(layer);
        let Ok(entries) = fs::read_dir(&dir) else {
            return 0;
        };
        let mut removed = 0;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".json").filter(|id| valid_id(id)) else {
                continue;
            };
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= older_than);
            let orphan = self.info(layer, id).is_some_and(|i| i.record.is_none());
            if old && orphan && !keep(id) {
                // The metadata first: without it the photo is never served.
                for file in [
                    format!("{id}.json"),
                    format!("{id}.jpg"),
                    format!("{id}.thumb.jpg"),
                ] {
                    let _ = fs::remove_file(dir.join(file));
                }
                removed += 1;
            }
        }
        removed
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), EditError> {
    crate::durable::write_atomically(path, bytes).map_err(|e| EditError::io(path, e))
}

/// The format by the file's first bytes.
fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else {
        None
    }
}

/// Decodes and re-encodes: the stored JPEG, its thumbnail, and what is kept of the EXIF.
fn clean(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>, PhotoInfo), PhotoRefusal> {
    if bytes.len() > MAX_BYTES {
        return Err(PhotoRefusal::TooLarge);
    }
    let format = sniff(bytes).ok_or(PhotoRefusal::NotAnImage)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| PhotoRefusal::Unreadable)?;
    let img = if img.width().max(img.height()) > STORED {
        img.thumbnail(STORED, STORED)
    } else {
        img
    };
    let encode = |i: &image::DynamicImage| -> Result<Vec<u8>, PhotoRefusal> {
        let mut out = Vec::new();
        let rgb = image::DynamicImage::ImageRgb8(i.to_rgb8());
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 85,
        ))
        .map_err(|_| PhotoRefusal::Unreadable)?;
        Ok(out)
    };
    let full = encode(&img)?;
    let thumb = encode(&img.thumbnail(THUMB, THUMB))?;
    let exif = if format == ImageFormat::Jpeg {
        exif::read(bytes)
    } else {
        exif::Exif::default()
    };
    let info = PhotoInfo {
        id: String::new(),
        layer: String::new(),
        width: img.width(),
        height: img.height(),
        bytes: full.len() as u64,
        taken: exif.taken,
        position: exif.position,
        uploaded_by: String::new(),
        uploaded: String::new(),
        record: None,
        retired: None,
    };
    Ok((full, thumb, info))
}

/// Just enough EXIF: the capture time and the GPS position, read with bounds checks only.
mod exif {
    #[derive(Debug, Default)]
    pub struct Exif {
        pub taken: Option<String>,
        pub position: Option<[f64; 2]>,
    }

    struct Tiff<'a> {
        b: &'a [u8],
        le: bool,
    }

    impl Tiff<'_> {
        fn u16(&self, at: usize) -> Option<u16> {
            let s: [u8; 2] = self.b.get(at..at + 2)?.try_into().ok()?;
            Some(if self.le {
                u16::from_le_bytes(s)
            } else {
                u16::from_be_bytes(s)
            })
        }
        fn u32(&self, at: usize) -> Option<u32> {
            let s: [u8; 4] = self.b.get(at..at + 4)?.try_into().ok()?;
            Some(if self.le {
                u32::from_le_bytes(s)
            } else {
                u32::from_be_bytes(s)
            })
        }
        /// (tag, type, count, value offset field position) of each entry of an IFD.
        fn entries(&self, ifd: usize) -> Vec<(u16, u16, u32, usize)> {
            let n = self.u16(ifd).unwrap_or(0).min(512);
            (0..usize::from(n))
                .filter_map(|i| {
                    let e = ifd + 2 + i * 12;
                    Some((self.u16(e)?, self.u16(e + 2)?, self.u32(e + 4)?, e + 8))
                })
                .collect()
        }
        fn find(&self, ifd: usize, tag: u16) -> Option<(u16, u32, usize)> {
            self.entries(ifd)
                .into_iter()
                .find(|e| e.0 == tag)
                .map(|(_, t, c, v)| (t, c, v))
        }
        fn ascii(&self, ifd: usize, tag: u16) -> Option<String> {
            let (_, count, v) = self.find(ifd, tag)?;
            let at = if count > 4 { self.u32(v)? as usize } else { v };
            let raw = self.b.get(at..at + count as usize)?;
            let s = std::str::from_utf8(raw).ok()?.trim_end_matches('\0');
            Some(s.to_owned())
        }
        fn dms(&self, ifd: usize, tag: u16) -> Option<f64> {
            let (_, count, v) = self.find(ifd, tag)?;
            if count != 3 {
                return None;
            }
            let at = self.u32(v)? as usize;
            let r = |i: usize| -> Option<f64> {
                let d = f64::from(self.u32(at + i * 8 + 4)?);
                (d != 0.0).then(|| f64::from(self.u32(at + i * 8).unwrap_or(0)) / d)
            };
            Some(r(0)? + r(1)? / 60.0 + r(2)? / 3600.0)
        }
    }

    /// The EXIF of a JPEG, if it has an APP1 `Exif` segment.
    pub fn read(jpeg: &[u8]) -> Exif {
        segment(jpeg).and_then(parse).unwrap_or_default()
    }

    fn segment(jpeg: &[u8]) -> Option<&[u8]> {
        let mut at = 2;
        while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
            let marker = jpeg[at + 1];
            let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            let body = jpeg.get(at + 4..at + 2 + len)?;
            if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
                return Some(&body[6..]);
            }
            if marker == 0xDA {
                return None;
            }
            at += 2 + len;
        }
        None
    }

    fn parse(b: &[u8]) -> Option<Exif> {
        let le = match b.get(0..2)? {
            b"II" => true,
            b"MM" => false,
            _ => return None,
        };
        let t = Tiff { b, le };
        let ifd0 = t.u32(4)? as usize;
        let taken = t
            .find(ifd0, 0x8769)
            .and_then(|(_, _, v)| t.u32(v))
            .and_then(|exif| t.ascii(exif as usize, 0x9003))
            .map(|s| s.replacen(':', "-", 2).replacen(' ', "T", 1));
        let position = t.find(ifd0, 0x8825).and_then(|(_, _, v)| {
            let gps = t.u32(v)? as usize;
            let lat = t.dms(gps, 2)? * if t.ascii(gps, 1)? == "S" { -1.0 } else { 1.0 };
            let lon = t.dms(gps, 4)? * if t.ascii(gps, 3)? == "W" { -1.0 } else { 1.0 };
            Some([lon, lat])
        });
        Some(Exif { taken, position })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A JPEG with an EXIF segment holding a capture time, a GPS position and a maker note.
    pub(crate) fn jpeg_with_exif() -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 48, |x, _| image::Rgb([x as u8, 10, 200]));
        let mut plain = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut plain))
            .unwrap();
        let mut t: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
        // IFD0 at 8: 3 entries: Make (ascii), ExifIFD, GPS IFD.
        let ifd0 = 8;
        let exif_ifd = ifd0 + 2 + 3 * 12 + 4; // 50
        let gps_ifd = exif_ifd + 2 + 12 + 4; // 68
        let data = gps_ifd + 2 + 4 * 12 + 4; // 122
        let entry = |t: &mut Vec<u8>, tag: u16, ty: u16, count: u32, value: u32| {
            t.extend(tag.to_le_bytes());
            t.extend(ty.to_le_bytes());
            t.extend(count.to_le_bytes());
            t.extend(value.to_le_bytes());
        };
        t.extend(3u16.to_le_bytes());
        entry(&mut t, 0x010F, 2, 4, u32::from_le_bytes(*b"ACM\0"));
        entry(&mut t, 0x8769, 4, 1, exif_ifd as u32);
        entry(&mut t, 0x8825, 4, 1, gps_ifd as u32);
        t.extend(0u32.to_le_bytes());
        t.extend(1u16.to_le_bytes());
        entry(&mut t, 0x9003, 2, 20, data as u32);
        t.extend(0u32.to_le_bytes());
        t.extend(4u16.to_le_bytes());
        entry(&mut t, 1, 2, 2, u32::from(b'N'));
        entry(&mut t, 2, 5, 3, (data + 20) as u32);
        entry(&mut t, 3, 2, 2, u32::from(b'E'));
        entry(&mut t, 4, 5, 3, (data + 44) as u32);
        t.extend(0u32.to_le_bytes());
        assert_eq!(t.len(), data);
        t.extend(b"2026:04:01 10:20:30\0");
        for (d, m, s) in [(33u32, 4u32, 27u32), (130, 6, 30)] {
            for v in [d, m, s] {
                t.extend(v.to_le_bytes());
                t.extend(1u32.to_le_bytes());
            }
        }
        let mut seg = b"Exif\0\0".to_vec();
        seg.extend(&t);
        let mut out = plain[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(((seg.len() + 2) as u16).to_be_bytes());
        out.extend(&seg);
        out.extend(&plain[2..]);
        out
    }

    #[test]
    fn only_old_photos_no_record_took_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let photos = Photos::new(dir.path().to_path_buf());
        let add = || photos.add("leaks", "t", &png(40, 30)).unwrap().unwrap().id;
        let (orphan, named, taken, young) = (add(), add(), add(), add());
        photos
            .mark("leaks", &BTreeSet::from([taken.clone()]), 7, false)
            .unwrap();
        let keep = |id: &str| id == named;
        assert_eq!(photos.sweep("leaks", &keep, Duration::from_secs(3600)), 0);
        assert_eq!(photos.sweep("leaks", &keep, Duration::ZERO), 2);
        assert!(photos.info("leaks", &orphan).is_none());
        assert!(photos.bytes("leaks", &young, false).is_none());
        assert!(photos.bytes("leaks", &named, true).is_some());
        assert_eq!(photos.info("leaks", &taken).unwrap().record, Some(7));
        let files = fs::read_dir(dir.path().join("leaks")).unwrap().count();
        assert_eq!(files, 6, "two photos of three files each are left");
    }

    #[test]
    fn a_photo_belongs_to_one_record() {
        let dir = tempfile::tempdir().unwrap();
        let photos = Photos::new(dir.path().to_path_buf());
        let id = photos.add("leaks", "t", &png(40, 30)).unwrap().unwrap().id;
        let list = serde_json::json!([id]);
        assert!(photos.check_list("leaks", "写真", &list, None).is_ok());
        photos
            .mark("leaks", &BTreeSet::from([id.clone()]), 7, false)
            .unwrap();
        assert!(photos.check_list("leaks", "写真", &list, Some(7)).is_ok());
        assert!(photos.check_list("leaks", "写真", &list, Some(8)).is_err());
        assert!(photos.check_list("leaks", "写真", &list, None).is_err());
        photos
            .mark("leaks", &BTreeSet::from([id.clone()]), 7, true)
            .unwrap();
        let info = photos.info("leaks", &id).unwrap();
        assert!(info.retired.is_some() && info.record == Some(7));
        assert!(photos.check_list("leaks", "写真", &list, Some(8)).is_err());
    }

    #[test]
    fn a_jpeg_keeps_only_its_capture_time_and_position() {
        let (full, thumb, info) = clean(&jpeg_with_exif()).unwrap();
        assert_eq!(info.taken.as_deref(), Some("2026-04-01T10:20:30"));
        let [lon, lat] = info.position.unwrap();
        assert!((lon - 130.108_333).abs() < 1e-4 && (lat - 33.074_167).abs() < 1e-4);
        for out in [&full, &thumb] {
            assert_eq!(sniff(out), Some(ImageFormat::Jpeg));
            assert!(exif::read(out).taken.is_none(), "no EXIF is left");
            assert!(!out.windows(3).any(|w| w == b"ACM"), "the maker is gone");
        }
    }

    #[test]
    fn a_png_is_reencoded_with_a_thumbnail() {
        let (full, thumb, info) = clean(&png(800, 600)).unwrap();
        assert_eq!((info.width, info.height), (800, 600));
        let t = image::load_from_memory(&thumb).unwrap();
        assert_eq!(t.width().max(t.height()), THUMB);
        assert!(image::load_from_memory(&full).is_ok());
    }

    #[test]
    fn anything_else_is_refused_by_content() {
        assert_eq!(
            clean(b"<html><script>alert(1)</script></html>").unwrap_err(),
            PhotoRefusal::NotAnImage
        );
        assert_eq!(
            clean(b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap_err(),
            PhotoRefusal::NotAnImage
        );
        let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
        fake.extend(b"<html>not really</html>");
        assert_eq!(clean(&fake).unwrap_err(), PhotoRefusal::Unreadable);
        assert_eq!(
            clean(&vec![0xFF; MAX_BYTES + 1]).unwrap_err(),
            PhotoRefusal::TooLarge
        );
        let p = png(64, 64);
        assert_eq!(
            clean(&p[..p.len() / 2]).unwrap_err(),
            PhotoRefusal::Unreadable
        );
    }
}
