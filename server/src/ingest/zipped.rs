//! Opens any accepted upload: dispatches on the detected format, and for a zip chooses the
//! Shapefile layer (or the single GeoJSON/GeoPackage/FlatGeobuf/CSV file) inside it.

use std::path::Path;

use encoding_rs::Encoding;

use super::archive::{Archive, Entry, ZipLimits};
use super::budget::Budget;
use super::detect::{self, Format};
use super::report::msg;
use super::shapefile::{self, ShapefileParts};
use super::source::Opened;
use super::{IngestError, Options, csv, fgbfile, geojson, gpkg};
use crate::model::Schema;

/// Opens a file of any accepted format.
pub fn open_any(
    path: &Path,
    name: &str,
    work: &Path,
    opts: &Options,
    explicit: Option<&'static Encoding>,
    limits: (ZipLimits, &Budget),
    hints: Option<&Schema>,
) -> Result<Opened, IngestError> {
    match detect::detect(path, name)? {
        Format::Zip => open_zip(path, name, work, opts, explicit, limits, hints),
        other => open_plain(other, path, name, work, opts, explicit, (hints, limits.1)),
    }
}

fn open_plain(
    format: Format,
    path: &Path,
    name: &str,
    work: &Path,
    opts: &Options,
    explicit: Option<&'static Encoding>,
    (hints, budget): (Option<&Schema>, &Budget),
) -> Result<Opened, IngestError> {
    match format {
        Format::GeoJson => geojson::open(path, name, explicit, work),
        Format::Csv => {
            let cols = csv::Columns {
                x: opts.x_column.clone(),
                y: opts.y_column.clone(),
            };
            csv::open(path, name, explicit, &cols, (hints, budget))
        }
        Format::GeoPackage => gpkg::open(path, name, opts.source_layer.as_deref(), budget.limits()),
        Format::FlatGeobuf => fgbfile::open(path, name),
        Format::Shp => shapefile::open(shapefile::parts_beside(path)?, explicit),
        Format::Zip => Err(IngestError::Unsupported {
            message: msg(
                "zip の中の zip は読めません",
                "a zip inside a zip is not supported",
            ),
        }),
    }
}

/// Entries that are not data: macOS resource forks and folders of metadata.
fn is_noise(e: &Entry) -> bool {
    e.name.starts_with("__MACOSX/")
        || e.name
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with("._"))
}

fn open_zip(
    path: &Path,
    name: &str,
    work: &Path,
    opts: &Options,
    explicit: Option<&'static Encoding>,
    limits: (ZipLimits, &Budget),
    hints: Option<&Schema>,
) -> Result<Opened, IngestError> {
    let mut zip = Archive::open(path, name, limits)?;
    let entries: Vec<Entry> = zip
        .entries
        .iter()
        .filter(|e| !is_noise(e))
        .cloned()
        .collect();
    if entries.iter().any(|e| e.name == "xl/workbook.xml") {
        return Err(IngestError::Unsupported {
            message: msg(
                "Excel (.xlsx) のファイルです。CSV で保存してください",
                "an Excel (.xlsx) workbook: save it as CSV",
            ),
        });
    }
    let shps: Vec<&Entry> = entries.iter().filter(|e| e.extension() == "shp").collect();
    if !shps.is_empty() {
        let chosen = choose(
            &shps,
            opts.source_layer.as_deref(),
            "シェープファイル",
            "Shapefile",
        )?;
        let layers: Vec<String> = shps.iter().map(|e| e.layer_name().to_owned()).collect();
        let mut opened = open_shapefile(&mut zip, &entries, chosen, name, work, explicit)?;
        if layers.len() > 1 {
            opened.format.layers_available = layers;
        }
        return Ok(opened);
    }
    let data: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            matches!(
                e.extension().as_str(),
                "geojson" | "json" | "gpkg" | "fgb" | "csv"
            )
        })
        .collect();
    if data.is_empty() {
        return Err(IngestError::Unsupported {
            message: msg(
                "zip の中にシェープファイル (.shp) も GeoJSON・GeoPackage・FlatGeobuf・CSV もありません",
                "the zip holds no Shapefile (.shp) and no GeoJSON, GeoPackage, FlatGeobuf or CSV file",
            ),
        });
    }
    let chosen = choose(&data, opts.source_layer.as_deref(), "ファイル", "file")?;
    let inner = work.join(format!("inner.{}", chosen.extension()));
    zip.extract(chosen, &inner)?;
    let label = format!("{name}:{}", chosen.name);
    let format = detect::detect(&inner, &chosen.name)?;
    open_plain(
        format,
        &inner,
        &label,
        work,
        opts,
        explicit,
        (hints, limits.1),
    )
}

/// One entry chosen by `source_layer` (layer name or path), or the only one.
fn choose<'e>(
    candidates: &[&'e Entry],
    wanted: Option<&str>,
    ja: &str,
    en: &str,
) -> Result<&'e Entry, IngestError> {
    let names: Vec<String> = candidates
        .iter()
        .map(|e| e.layer_name().to_owned())
        .collect();
    if let Some(w) = wanted {
        return candidates
            .iter()
            .find(|e| e.layer_name() == w || e.stem() == w || e.name == w)
            .copied()
            .ok_or_else(|| IngestError::Choose {
                message: msg(
                    format!("zip に「{w}」という{ja}がありません。次から選んでください"),
                    format!("the zip has no {en} `{w}`; choose one of"),
                ),
                options: names.clone(),
            });
    }
    match candidates {
        [one] => Ok(one),
        _ => Err(IngestError::Choose {
            message: msg(
                format!("zip に{ja}が複数あります。source_layer で次から選んでください"),
                format!("the zip holds several {en}s; choose one with source_layer"),
            ),
            options: names,
        }),
    }
}

fn open_shapefile(
    zip: &mut Archive,
    entries: &[Entry],
    shp: &Entry,
    name: &str,
    work: &Path,
    explicit: Option<&'static Encoding>,
) -> Result<Opened, IngestError> {
    let sibling = |ext: &str| {
        entries
            .iter()
            .find(|e| e.stem() == shp.stem() && e.extension() == ext)
    };
    let Some(dbf) = sibling("dbf") else {
        return Err(IngestError::Malformed {
            message: msg(
                format!(
                    "zip に「{}.dbf」がありません。.shp .shx .dbf .prj をまとめて zip にしてください",
                    shp.stem()
                ),
                format!(
                    "the zip has no `{}.dbf`; zip the .shp, .shx, .dbf and .prj together",
                    shp.stem()
                ),
            ),
            at: Box::new(super::report::Where::file(name)),
        });
    };
    let shp_path = work.join("layer.shp");
    let dbf_path = work.join("layer.dbf");
    zip.extract(shp, &shp_path)?;
    zip.extract(dbf, &dbf_path)?;
    let mut small = |ext: &str| -> Result<Option<String>, IngestError> {
        let Some(e) = sibling(ext) else {
            return Ok(None);
        };
        let p = work.join(format!("layer.{ext}"));
        zip.extract(e, &p)?;
        Ok(shapefile::read_text(&p))
    };
    let prj = small("prj")?;
    let cpg = small("cpg")?;
    shapefile::open(
        ShapefileParts {
            shp: shp_path,
            dbf: dbf_path,
            prj,
            cpg,
            layer: shp.layer_name().to_owned(),
            shp_label: format!("{name}:{}", shp.name),
            dbf_label: format!("{name}:{}", dbf.name),
        },
        explicit,
    )
}
