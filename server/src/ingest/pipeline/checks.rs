//! The report's checks that are not per feature: the CRS decision, the schema diff, the
//! policy attributes, the summaries and the distance from the current extent.

use geo::{Coord, Rect};

use super::{Settings, inside_japan};
use crate::ingest::IngestError;
use crate::ingest::Target;
use crate::ingest::crs::{self, Crs, CrsProblem, Datum};
use crate::ingest::report::{CrsInfo, Msg, Report, SchemaDiff, Severity, TypeChange, Where, msg};
use crate::ingest::source::CrsFound;
use crate::model::Schema;

/// Parses the `srs` option.
pub fn parse_srs(text: &str) -> Result<Crs, IngestError> {
    crs::parse(text).map_err(|p| crs_refusal(&p, "srs"))
}

fn crs_refusal(p: &CrsProblem, source: &str) -> IngestError {
    let list = crs::accepted_list();
    let (what, tokyo) = match p {
        CrsProblem::NotAccepted(s) => (s.clone(), s.contains("Tokyo")),
        CrsProblem::Unrecognised(s) => (s.clone(), false),
    };
    let extra_ja = if tokyo {
        " 旧日本測地系 (Tokyo) のデータは、世界測地系 (JGD2011) に変換してからアップロードしてください。"
    } else {
        ""
    };
    let extra_en = if tokyo {
        " Convert Tokyo-datum data to JGD2011 before uploading."
    } else {
        ""
    };
    IngestError::Crs {
        message: msg(
            format!(
                "座標系「{what}」({source}) には対応していません。{extra_ja}対応している座標系: {list}"
            ),
            format!(
                "the coordinate system `{what}` ({source}) is not accepted.{extra_en} Accepted: {list}"
            ),
        ),
    }
}

/// Decides the CRS: the `srs` option wins (with a warning if the file said otherwise).
pub fn resolve_crs(
    found: CrsFound,
    explicit: Option<Crs>,
    report: &mut Report,
) -> Result<Crs, IngestError> {
    let (crs, source, message) = match (explicit, found) {
        (Some(c), CrsFound::Declared { crs: d, source }) if d != c => {
            report.add(
                Severity::Warning,
                "srs_overrides_file",
                msg(
                    format!("ファイルの座標系は {d} ですが、指定された srs の {c} を使います"),
                    format!("the file says {d}, but the srs option {c} is used"),
                ),
                Where::default(),
            );
            let _ = source;
            (c, "explicit", given(c))
        }
        (Some(c), _) => (c, "explicit", given(c)),
        (None, CrsFound::Declared { crs, source }) => (crs, source, declared(crs, source)),
        (
            None,
            CrsFound::Default {
                crs,
                source,
                message,
            },
        ) => {
            if source == "assumed" {
                report.add(
                    Severity::Warning,
                    "crs_assumed",
                    message.clone(),
                    Where::default(),
                );
            }
            (crs, source, message)
        }
        (None, CrsFound::Unusable { problem, source }) => {
            return Err(crs_refusal(&problem, source));
        }
        (None, CrsFound::Missing { message }) => {
            let list = crs::accepted_list();
            return Err(IngestError::Crs {
                message: msg(
                    format!("{}。対応している座標系: {list}", message.ja),
                    format!("{}. Accepted: {list}", message.en),
                ),
            });
        }
    };
    report.crs = Some(CrsInfo {
        epsg: crs.epsg(),
        name: crs.name(),
        source,
        message,
    });
    Ok(crs)
}

fn given(c: Crs) -> Msg {
    msg(
        format!("指定された srs の {c} を使いました"),
        format!("{c}, as given by the srs option"),
    )
}

fn declared(c: Crs, source: &str) -> Msg {
    let (ja, en) = match source {
        "prj" => (".prj ファイル", "the .prj file"),
        "geojson_crs" => ("GeoJSON の crs", "the GeoJSON crs member"),
        "gpkg_srs_id" => ("GeoPackage の srs_id", "the GeoPackage srs_id"),
        "fgb_header" => ("FlatGeobuf のヘッダ", "the FlatGeobuf header"),
        _ => ("ファイル", "the file"),
    };
    msg(
        format!("{ja}から {c} と判定しました"),
        format!("{c}, from {en}"),
    )
}

/// The schema diff against the current version, and the attributes the layer's policy
/// (or search, labels, field metadata) needs.
pub fn schema(upload: &Schema, truncated: Vec<String>, target: Target<'_>, report: &mut Report) {
    let mut diff = SchemaDiff {
        fields: upload.fields().to_vec(),
        possibly_truncated: truncated,
        ..SchemaDiff::default()
    };
    if let Some(current) = target.current.map(|v| &v.schema) {
        for f in upload.fields() {
            match current.index_of(&f.name).map(|i| current.field(i)) {
                None => diff.added.push(f.name.clone()),
                Some(old) if old.ty != f.ty => diff.type_changed.push(TypeChange {
                    name: f.name.clone(),
                    from: old.ty,
                    to: f.ty,
                }),
                Some(_) => {}
            }
        }
        diff.removed = current
            .fields()
            .iter()
            .filter(|f| upload.index_of(&f.name).is_none())
            .map(|f| f.name.clone())
            .collect();
    }
    for name in &diff.possibly_truncated {
        report.add(Severity::Info, "field_name_truncated", msg(
            format!("フィールド名「{name}」は DBF の上限の10バイトちょうどです。元の名前が切り詰められた可能性があります (そのまま使います)"),
            format!("field name `{name}` is exactly the DBF limit of 10 bytes and may have been cut; it is kept as it is"),
        ), Where::default().field(name.clone()));
    }
    let mut missing: Vec<(String, String)> = target
        .def
        .referenced_attributes()
        .into_iter()
        .filter(|(n, _)| upload.index_of(n).is_none())
        .collect();
    missing.sort();
    missing.dedup_by(|a, b| a.0 == b.0);
    for (name, key) in &missing {
        let cut = diff
            .possibly_truncated
            .iter()
            .find(|t| name.starts_with(t.as_str()));
        let (hint_ja, hint_en) = cut.map_or((String::new(), String::new()), |t| (
            format!(" ファイルの「{t}」は DBF の10バイト制限で切れた名前かもしれません。GeoPackage で書き出すと名前が切れません。"),
            format!(" The file's `{t}` may be this name cut by the DBF 10-byte limit; export GeoPackage to keep full names."),
        ));
        report.add(Severity::Error, "missing_policy_attribute", msg(
            format!("レイヤー定義 ({key}) が使う属性「{name}」がファイルにありません。{hint_ja}"),
            format!("the layer definition ({key}) uses attribute `{name}`, which the file lacks.{hint_en}"),
        ), Where::default().field(name.clone()));
    }
    report.missing_policy_attributes = missing.into_iter().map(|(n, _)| n).collect();
    report.schema = diff;
}

/// Explains coordinates outside Japan; `detailed` adds the axis and unit hints.
pub fn outside_japan(lonlat: Coord<f64>, source: Coord<f64>, crs: Crs, detailed: bool) -> Msg {
    let base_ja = format!(
        "座標が日本の範囲 (経度122〜154°、緯度20〜46°) の外になりました (経度 {:.5}、緯度 {:.5})。",
        lonlat.x, lonlat.y
    );
    let base_en = format!(
        "the coordinates land outside Japan (lon 122–154°, lat 20–46°): lon {:.5}, lat {:.5}.",
        lonlat.x, lonlat.y
    );
    if !detailed {
        return msg(base_ja, base_en);
    }
    let swapped = crs.to_lonlat().apply(source.y, source.x);
    let (hint_ja, hint_en) = if inside_japan(swapped.0, swapped.1) {
        (
            " X と Y (経度と緯度) を入れ替えると日本国内になります。列や軸の順序が逆ではありませんか。".to_owned(),
            " Swapping X and Y (longitude and latitude) puts them in Japan: are the axes swapped?".to_owned(),
        )
    } else if crs.is_geographic() && (source.x.abs() > 180.0 || source.y.abs() > 90.0) {
        (
            " 値がメートル単位のようです。平面直角座標系なら srs で系番号を指定してください (例: EPSG:6670)。".to_owned(),
            " The values look like metres: for plane-rectangular data give the zone as srs (e.g. EPSG:6670).".to_owned(),
        )
    } else if crs == Crs::WebMercator && source.x.abs() <= 180.0 && source.y.abs() <= 90.0 {
        (
            " 値が度単位のようです。経緯度なら srs=EPSG:6668 を指定してください。".to_owned(),
            " The values look like degrees: give srs=EPSG:6668 for longitude/latitude.".to_owned(),
        )
    } else {
        (
            format!(" 座標系 {crs} が正しいか (系番号の誤りなど) 確認してください。"),
            format!(" Check that {crs} is right (e.g. the zone number)."),
        )
    };
    msg(base_ja + &hint_ja, base_en + &hint_en)
}

/// Summary lines for invalid geometries, mismatched types and an empty result.
pub fn summaries(report: &mut Report, repair: bool) {
    let inv = report.invalid.clone();
    if inv.total > 0 && !repair {
        report.add(
            Severity::Error,
            "invalid_geometries",
            msg(
                format!(
                    "{} 件の地物の図形が不正です (invalid を参照)。repair を指定すると修復します",
                    inv.total
                ),
                format!(
                    "{} features have invalid geometry (see `invalid`); give repair to fix them",
                    inv.total
                ),
            ),
            Where::default(),
        );
    }
    if repair && inv.dropped > 0 {
        report.add(
            Severity::Warning,
            "features_dropped",
            msg(
                format!(
                    "修復できない {} 件の地物 (空の図形など) を除きました",
                    inv.dropped
                ),
                format!(
                    "{} features that could not be repaired (empty geometry, …) were left out",
                    inv.dropped
                ),
            ),
            Where::default(),
        );
    }
    if report.feature_count == 0 && report.accepted {
        report.add(
            Severity::Error,
            "no_features",
            msg(
                "公開できる地物が1件もありません",
                "there are no features to publish",
            ),
            Where::default(),
        );
    }
}

/// Warns when the upload lies far from the current version, suggesting another zone when
/// one would put it there.
pub fn extent(
    report: &mut Report,
    bbox: Option<Rect<f64>>,
    source: Option<Rect<f64>>,
    crs: Crs,
    s: &Settings<'_>,
) {
    let (Some(new), Some(old)) = (bbox, s.target.current.and_then(|v| v.bbox)) else {
        return;
    };
    let km = distance_km(new, old);
    if km <= s.far_km {
        return;
    }
    let zone = match (crs, source) {
        (Crs::Plane(datum, z), Some(src)) => better_zone(datum, z, src.center(), old, s.far_km),
        _ => None,
    };
    let (zja, zen) = zone.map_or((String::new(), String::new()), |c| {
        (
            format!(" {c} として読むと現在の範囲に重なります。系番号の誤りではありませんか。"),
            format!(" Read as {c} it would overlap the current extent: is the zone wrong?"),
        )
    });
    report.add(
        Severity::Warning,
        "far_from_current",
        msg(
            format!("アップロードしたデータは現在の版の範囲から約 {km:.0} km 離れています。{zja}"),
            format!("the upload lies about {km:.0} km from the current version's extent.{zen}"),
        ),
        Where::default(),
    );
}

/// Distance between two lon/lat rectangles in km (0 when they overlap).
pub fn distance_km(a: Rect<f64>, b: Rect<f64>) -> f64 {
    let dx = (a.min().x - b.max().x).max(b.min().x - a.max().x).max(0.0);
    let dy = (a.min().y - b.max().y).max(b.min().y - a.max().y).max(0.0);
    let lat = f64::midpoint(a.center().y, b.center().y).to_radians();
    (dx * lat.cos()).hypot(dy) * 111.32
}

fn better_zone(
    datum: Datum,
    current: u8,
    center: Coord<f64>,
    old: Rect<f64>,
    far_km: f64,
) -> Option<Crs> {
    (1..=19u8)
        .filter(|z| *z != current)
        .map(|z| Crs::Plane(datum, z))
        .find(|c| {
            let (lon, lat) = c.to_lonlat().apply(center.x, center.y);
            let p = Rect::new(Coord { x: lon, y: lat }, Coord { x: lon, y: lat });
            lon.is_finite() && distance_km(p, old) <= far_km
        })
}
