//! Open-data downloads of what a caller may see of one layer: GeoJSON, CSV and FlatGeobuf.
//!
//! Only the view's attributes and admitted rows are written. GeoJSON and CSV are produced
//! as a stream of chunks straight from the layer version in memory, so an export never holds
//! a second copy of the layer; FlatGeobuf needs every feature before its spatial index can be
//! written, so it is built whole (the writer spools features to a temporary file).

mod csv;
mod wkt;

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::access::LayerView;
use crate::fgb;
use crate::fgb::FgbError;
use crate::query::geojson;

/// Bytes per streamed chunk (approximate: a chunk ends after the feature that passes it).
const CHUNK: usize = 64 * 1024;

/// An export that could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("export of layer `{layer}`: {source}")]
    Fgb { layer: String, source: FgbError },
}

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    FlatGeobuf,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::Csv => "csv",
            Self::FlatGeobuf => "fgb",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::GeoJson => "application/geo+json",
            Self::Csv => "text/csv; charset=utf-8",
            Self::FlatGeobuf => "application/flatgeobuf",
        }
    }
}

/// `Content-Disposition` naming the file after the layer: the id as the ASCII `filename` and
/// the Japanese title as the RFC 5987 `filename*`.
pub fn content_disposition(view: &LayerView, format: Format) -> String {
    /// RFC 5987 `attr-char`: everything else is percent-encoded.
    const ATTR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let def = &view.layer.def;
    let ext = format.extension();
    let title: String = def
        .title
        .ja
        .chars()
        .map(|c| {
            if c.is_control() || "/\\\"".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let utf8 = utf8_percent_encode(&format!("{title}.{ext}"), ATTR).to_string();
    format!(
        "attachment; filename=\"{}.{ext}\"; filename*=UTF-8''{utf8}",
        def.id
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Head,
    Body,
    Done,
}

/// A GeoJSON or CSV export as an iterator of chunks, for a streamed response body.
#[derive(Debug)]
pub struct TextExport {
    view: LayerView,
    csv: bool,
    next: usize,
    written: usize,
    stage: Stage,
}

impl TextExport {
    /// `format` must be GeoJSON or CSV; FlatGeobuf is built by [`flatgeobuf`].
    pub fn new(view: LayerView, format: Format) -> Self {
        Self {
            view,
            csv: format == Format::Csv,
            next: 0,
            written: 0,
            stage: Stage::Head,
        }
    }

    fn head(&self, out: &mut String) {
        if self.csv {
            // A BOM, so that Excel in Japan opens the file as UTF-8.
            out.push('\u{FEFF}');
            csv::header(out, &self.view);
        } else {
            let def = &self.view.layer.def;
            let head = serde_json::json!({
                "type": "FeatureCollection",
                "name": def.id,
                "title": def.title.ja,
                "attribution": def.attribution,
            })
            .to_string();
            // Re-open the object to append the features array.
            out.push_str(&head[..head.len() - 1]);
            out.push_str(",\"features\":[\n");
        }
    }

    /// Appends admitted features until the chunk is full; false when none are left.
    fn body(&mut self, out: &mut String) -> bool {
        let features = &self.view.layer.features;
        while self.next < features.len() && out.len() < CHUNK {
            let f = &features[self.next];
            self.next += 1;
            if !self.view.admits(f) {
                continue;
            }
            if self.csv {
                csv::row(out, &self.view, f);
            } else {
                if self.written > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&geojson::feature(&self.view, f, None).to_string());
            }
            self.written += 1;
        }
        self.next < features.len()
    }
}

impl Iterator for TextExport {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let mut out = String::with_capacity(CHUNK + 4096);
        match self.stage {
            Stage::Done => return None,
            Stage::Head => {
                self.head(&mut out);
                self.stage = Stage::Body;
            }
            Stage::Body => {}
        }
        if !self.body(&mut out) {
            if !self.csv {
                out.push_str("\n]}\n");
            }
            self.stage = Stage::Done;
        }
        Some(Bytes::from(out))
    }
}

/// The FlatGeobuf export, with a spatial index.
pub fn flatgeobuf(view: &LayerView) -> Result<Vec<u8>, ExportError> {
    let layer = &view.layer;
    let mut out = Vec::new();
    let features = layer.features.iter().filter(|f| view.admits(f));
    let options = fgb::WriteOptions {
        index: true,
        title: Some(&layer.def.title.ja),
        description: layer.def.description.as_ref().map(|d| d.ja.as_str()),
    };
    fgb::write(
        &mut out,
        layer.id(),
        &layer.schema,
        &view.attributes,
        features,
        options,
    )
    .map_err(|source| ExportError::Fgb {
        layer: layer.id().to_owned(),
        source,
    })?;
    Ok(out)
}
