//! The pipeline: one pass over an opened file. Each feature is reprojected to EPSG:4326,
//! checked (validity, geometry type, inside Japan), repaired if asked, and written to a
//! spooling FlatGeobuf writer; the report collects what was found.

mod checks;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use geo::{BoundingRect, Coord, CoordsIter, Geometry, MapCoordsInPlace, Rect};

use super::columns;
use super::crs::{Crs, Transform};
use super::diff::Differ;
use super::report::{
    FileInfo, GeometrySummary, InvalidFeature, MAX_LISTED, Problem, RepairOutcome, Report,
    Severity, Where, msg,
};
use super::source::{Opened, SourceFeature};
use super::validate::{self, GeomProblem};
use super::{IngestError, Target, infer};
use crate::fgb::{FgbError, StreamWriter};
use crate::model::{FieldType, Schema, Value};

pub use checks::parse_srs;

/// How to run.
pub struct Settings<'a> {
    /// The conversion's budget of work.
    pub budget: &'a super::budget::Budget,
    /// The `srs` option, overriding the file.
    pub srs: Option<Crs>,
    pub repair: bool,
    pub far_km: f64,
    pub target: Target<'a>,
    /// Layer field → file column (the upload's `mapping`).
    pub mapping: &'a std::collections::BTreeMap<String, String>,
}

/// Japan, generously: results outside are refused.
pub const JAPAN: (f64, f64, f64, f64) = (122.0, 20.0, 154.0, 46.0);

/// Runs the pipeline and writes `out` when the upload is accepted.
pub fn run(
    opened: Opened,
    s: &Settings<'_>,
    file: FileInfo,
    out: &Path,
) -> Result<Report, IngestError> {
    let mut report = Report {
        accepted: true,
        layer: s.target.def.id.clone(),
        file,
        format: opened.format,
        encoding: opened.encoding.map(|c| c.info()),
        repair: s.repair,
        geometry: GeometrySummary {
            expected: format!("{:?}", s.target.def.geometry),
            ..GeometrySummary::default()
        },
        ..Report::default()
    };
    for (severity, code, message, at) in opened.notes {
        report.add(severity, code, message, at);
    }
    s.budget.columns(opened.schema.len())?;
    let crs = checks::resolve_crs(opened.crs, s.srs, &mut report)?;
    let plan = columns::plan(
        &opened.schema,
        &opened.possibly_truncated,
        s.target,
        s.mapping,
        &mut report,
    )?;
    let truncated = opened
        .possibly_truncated
        .into_iter()
        .filter(|n| !plan.completed.contains(n))
        .collect();
    checks::schema(&plan.schema, truncated, s.target, &mut report);
    let writer =
        StreamWriter::new(&s.target.def.id, &plan.schema).map_err(|e| fgb_error(e, out))?;
    let schema = plan.schema;
    // The differ borrows the schema for the whole run, so it lives beside the state.
    let mut differ = Differ::new(s.target, &schema);
    let mut state = State {
        s,
        crs,
        transform: crs.to_lonlat(),
        types: opened.schema.fields().iter().map(|f| f.ty).collect(),
        convert: plan.convert,
        schema: schema.clone(),
        label: opened.file_label,
        writer,
        bbox: None,
        source_bbox: None,
        outside: 0,
        report,
    };
    opened
        .features
        .run(&mut |f| state.feature(f, &mut differ))?;
    state.report.changes = differ.finish();
    state.finish(out)
}

fn fgb_error(e: FgbError, out: &Path) -> IngestError {
    match e {
        FgbError::Io(io) => IngestError::io(out, io),
        other => IngestError::io(out, std::io::Error::other(other.to_string())),
    }
}

/// What the report needs of a feature's geometry in the source CRS.
struct SourceExtent {
    first: Coord<f64>,
    bbox: Option<Rect<f64>>,
}

struct State<'a> {
    s: &'a Settings<'a>,
    crs: Crs,
    transform: Transform,
    /// The output schema (the file's columns renamed and typed for the layer).
    schema: Schema,
    /// The file's own column types.
    types: Vec<FieldType>,
    /// Per column, the layer's type its values are converted to.
    convert: Vec<Option<FieldType>>,
    label: String,
    writer: StreamWriter<'static>,
    bbox: Option<Rect<f64>>,
    /// The extent in the source CRS (to suggest another zone).
    source_bbox: Option<Rect<f64>>,
    outside: u64,
    report: Report,
}

impl State<'_> {
    fn at(&self, n: u64, line: Option<u64>) -> Where {
        Where::file(&self.label).line(line).feature(n)
    }

    fn feature(&mut self, f: SourceFeature, differ: &mut Differ<'_>) -> Result<(), IngestError> {
        self.s.budget.feature(&f)?;
        self.report.features_read += 1;
        let n = self.report.features_read;
        let properties = self.properties(f.properties, &f.bad_fields, n, f.line);
        // What the report needs of the source geometry is taken before it is reprojected
        // in place: a feature is never held twice.
        let source = f.geometry.as_ref().map(|g| SourceExtent {
            first: g.coords_iter().next().unwrap_or_default(),
            bbox: g.bounding_rect(),
        });
        let mut lonlat = f.geometry;
        if let Some(g) = &mut lonlat {
            self.reproject(g);
        }
        let mut problems = f.issues;
        match &lonlat {
            None => problems.push(GeomProblem::Empty),
            Some(g) => problems.extend(validate::check(g)),
        }
        problems.sort_unstable();
        problems.dedup();
        let geometry = if problems.is_empty() {
            lonlat
        } else {
            self.invalid(n, f.line, &problems, lonlat, &properties)
        };
        let Some(g) = geometry else { return Ok(()) };
        if !self.admissible(&g, source.as_ref(), n, f.line) {
            return Ok(());
        }
        self.count(&g, source.as_ref());
        differ.feature(&g, &properties, n);
        if self.report.accepted {
            self.writer
                .add(g, &properties)
                .map_err(|e| fgb_error(e, Path::new("(spool)")))?;
        }
        Ok(())
    }

    /// Conforms values to the schema and reports values that did not decode or convert.
    fn properties(
        &mut self,
        values: Vec<Value>,
        bad: &[usize],
        n: u64,
        line: Option<u64>,
    ) -> Vec<Value> {
        let mut out = Vec::with_capacity(self.types.len());
        let mut bad: Vec<usize> = bad.to_vec();
        for (i, (v, ty)) in values.into_iter().zip(&self.types).enumerate() {
            let (v, failed) = infer::conform(v, *ty);
            if failed {
                bad.push(i);
            }
            out.push(v);
        }
        out.resize(self.types.len(), Value::Null);
        self.convert_to_layer_types(&mut out, n, line);
        for i in bad {
            let name = self.schema.field(i).name.clone();
            let at = self.at(n, line).field(name);
            self.report.add(Severity::Warning, "unreadable_value", msg(
                "値を文字コードどおりに読めないか、型に合わないため、空または〓 (U+FFFD) にしました",
                "a value did not decode in the chosen encoding or did not fit its type; it was left empty or given U+FFFD",
            ), at);
        }
        out
    }

    /// Converts values to the layer's types; a value that does not convert is an error
    /// naming the file, line, feature and field.
    fn convert_to_layer_types(&mut self, values: &mut [Value], n: u64, line: Option<u64>) {
        for (i, v) in values.iter_mut().enumerate() {
            let Some(ty) = self.convert.get(i).copied().flatten() else {
                continue;
            };
            let original = std::mem::replace(v, Value::Null);
            let shown = original.to_string();
            if let Some(c) = infer::to_declared(original, ty) {
                *v = c;
                continue;
            }
            let name = self.schema.field(i).name.clone();
            let at = self.at(n, line).field(name.clone());
            let t = ty.json_schema_type();
            self.report.add(Severity::Error, "value_not_convertible", msg(
                format!("属性「{name}」の値「{shown}」をこのレイヤーの型 ({t}) に変換できません"),
                format!("the value `{shown}` of `{name}` cannot be converted to this layer's type ({t})"),
            ), at);
        }
    }

    fn reproject(&self, g: &mut Geometry<f64>) {
        if !matches!(self.transform, Transform::Identity) {
            g.map_coords_in_place(|c| {
                let (x, y) = self.transform.apply(c.x, c.y);
                Coord { x, y }
            });
        }
    }

    /// Records an invalid geometry; with `repair`, returns the repaired one (or `None`
    /// when the feature is dropped).
    fn invalid(
        &mut self,
        n: u64,
        line: Option<u64>,
        problems: &[GeomProblem],
        g: Option<Geometry<f64>>,
        props: &[Value],
    ) -> Option<Geometry<f64>> {
        let (result, outcome) = self.repaired(g);
        self.count_invalid(problems, outcome);
        if self.report.invalid.listed.len() < MAX_LISTED {
            let listed = self.listed_invalid(n, line, problems, outcome, props);
            self.report.invalid.listed.push(listed);
        }
        match outcome {
            RepairOutcome::Failed => {
                let at = self.at(n, line);
                self.report.add(
                    Severity::Error,
                    "repair_failed",
                    msg(
                        "修復しても有効な図形になりませんでした",
                        "repair did not produce a valid geometry",
                    ),
                    at,
                );
            }
            RepairOutcome::Refused => self.report.accepted = false,
            _ => {}
        }
        result
    }

    /// The repaired geometry when `repair` is asked for and gives a valid one, and what
    /// became of the feature.
    fn repaired(&self, g: Option<Geometry<f64>>) -> (Option<Geometry<f64>>, RepairOutcome) {
        if !self.s.repair {
            return (None, RepairOutcome::Refused);
        }
        match g.and_then(validate::repair) {
            Some(fixed) if validate::check(&fixed).is_empty() => {
                (Some(fixed), RepairOutcome::Repaired)
            }
            Some(_) => (None, RepairOutcome::Failed),
            None => (None, RepairOutcome::Dropped),
        }
    }

    fn count_invalid(&mut self, problems: &[GeomProblem], outcome: RepairOutcome) {
        let inv = &mut self.report.invalid;
        inv.total += 1;
        for p in problems {
            *inv.by_problem.entry(p.code()).or_default() += 1;
        }
        match outcome {
            RepairOutcome::Repaired => inv.repaired += 1,
            RepairOutcome::Dropped => inv.dropped += 1,
            _ => {}
        }
    }

    /// The report's entry for an invalid feature: its problems, outcome and attributes.
    fn listed_invalid(
        &self,
        n: u64,
        line: Option<u64>,
        problems: &[GeomProblem],
        outcome: RepairOutcome,
        props: &[Value],
    ) -> InvalidFeature {
        let severity = if outcome.is_error() {
            Severity::Error
        } else {
            Severity::Warning
        };
        InvalidFeature {
            feature: n,
            line,
            problems: problems
                .iter()
                .map(|p| Problem {
                    severity,
                    code: p.code(),
                    message: p.message(),
                    at: Where::default(),
                })
                .collect(),
            outcome: self.s.repair.then_some(outcome),
            attributes: self.attributes(props),
        }
    }

    fn attributes(&self, props: &[Value]) -> serde_json::Map<String, serde_json::Value> {
        self.schema
            .fields()
            .iter()
            .zip(props)
            .map(|(f, v)| (f.name.clone(), v.to_json(f.ty)))
            .collect()
    }

    /// Geometry type and extent checks; false refuses the feature.
    fn admissible(
        &mut self,
        g: &Geometry<f64>,
        source: Option<&SourceExtent>,
        n: u64,
        line: Option<u64>,
    ) -> bool {
        let kind = self.s.target.def.geometry;
        if !kind.accepts(g) {
            self.report.geometry.mismatched += 1;
            let found = type_name(g);
            let at = self.at(n, line);
            self.report.add(
                Severity::Error,
                "wrong_geometry_type",
                msg(
                    format!("図形の種類が {found} ですが、このレイヤーは {kind:?} です"),
                    format!("the geometry is a {found} but the layer holds {kind:?}"),
                ),
                at,
            );
            return false;
        }
        if g.coords_iter().all(|c| inside_japan(c.x, c.y)) {
            return true;
        }
        self.outside += 1;
        let first = g
            .coords_iter()
            .find(|c| !inside_japan(c.x, c.y))
            .unwrap_or_default();
        let src = source.map(|s| s.first).unwrap_or_default();
        let at = self.at(n, line);
        let m = checks::outside_japan(first, src, self.crs, self.outside == 1);
        self.report.add(Severity::Error, "outside_japan", m, at);
        false
    }

    fn count(&mut self, g: &Geometry<f64>, source: Option<&SourceExtent>) {
        *self
            .report
            .geometry
            .found
            .entry(type_name(g).to_owned())
            .or_default() += 1;
        self.report.feature_count += 1;
        if let Some(r) = g.bounding_rect() {
            self.bbox = Some(self.bbox.map_or(r, |b| union(b, r)));
        }
        if let Some(r) = source.and_then(|s| s.bbox) {
            self.source_bbox = Some(self.source_bbox.map_or(r, |b| union(b, r)));
        }
    }

    fn finish(mut self, out: &Path) -> Result<Report, IngestError> {
        self.report.bbox = self
            .bbox
            .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]);
        checks::summaries(&mut self.report, self.s.repair);
        checks::extent(
            &mut self.report,
            self.bbox,
            self.source_bbox,
            self.crs,
            self.s,
        );
        if !self.report.accepted {
            return Ok(self.report);
        }
        let file = File::create(out).map_err(|e| IngestError::io(out, e))?;
        let mut w = BufWriter::new(file);
        self.writer.finish(&mut w).map_err(|e| fgb_error(e, out))?;
        w.flush().map_err(|e| IngestError::io(out, e))?;
        Ok(self.report)
    }
}

pub fn inside_japan(lon: f64, lat: f64) -> bool {
    (JAPAN.0..=JAPAN.2).contains(&lon) && (JAPAN.1..=JAPAN.3).contains(&lat)
}

fn union(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        Coord {
            x: a.min().x.min(b.min().x),
            y: a.min().y.min(b.min().y),
        },
        Coord {
            x: a.max().x.max(b.max().x),
            y: a.max().y.max(b.max().y),
        },
    )
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::LineString(_) | Geometry::Line(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}
