//! CSV rows for the open-data export: RFC 4180 quoting, CRLF line ends, and a geometry as
//! `lon`/`lat` columns for point layers or a `WKT` column otherwise.
//!
//! Text that a spreadsheet would run as a formula (starting with `=`, `+`, `@`, a tab, a
//! carriage return, or `-` when it is not a number) is prefixed with `'`, the usual guard
//! against CSV injection: the file is meant to be opened in Excel.

use std::fmt::Write as _;

use geo::Geometry;

use super::wkt;
use crate::access::LayerView;
use crate::catalog::GeometryKind;
use crate::model::{Feature, FieldType, Value};

/// True when the layer's geometry goes in `lon`/`lat` columns.
pub fn as_points(view: &LayerView) -> bool {
    view.layer.def.geometry.single() == Some(GeometryKind::Point)
}

/// The header row: `id`, the geometry column(s), then the visible attributes.
pub fn header(out: &mut String, view: &LayerView) {
    out.push_str(if as_points(view) {
        "id,lon,lat"
    } else {
        "id,WKT"
    });
    for (_, f) in view.fields() {
        out.push(',');
        text(out, &f.name);
    }
    out.push_str("\r\n");
}

/// One feature's row.
pub fn row(out: &mut String, view: &LayerView, f: &Feature) {
    out.push_str(&f.id.to_string());
    out.push(',');
    if as_points(view) {
        lon_lat(out, &f.geometry);
    } else {
        let mut w = String::new();
        wkt::write(&mut w, &f.geometry);
        text(out, &w);
    }
    for (i, field) in view.fields() {
        out.push(',');
        value(out, f.property(i), field.ty);
    }
    out.push_str("\r\n");
}

/// A point's coordinates; a multipoint's first point (its WKT would not fit two columns).
fn lon_lat(out: &mut String, g: &Geometry<f64>) {
    let c = match g {
        Geometry::Point(p) => Some(p.0),
        Geometry::MultiPoint(mp) => mp.0.first().map(|p| p.0),
        _ => None,
    };
    if let Some(c) = c {
        let r = |v: f64| (v * 1e7).round() / 1e7;
        let _ = write!(out, "{},{}", r(c.x), r(c.y));
    } else {
        out.push(',');
    }
}

fn value(out: &mut String, v: &Value, ty: FieldType) {
    match v {
        Value::Null => {}
        Value::Bool(_) | Value::Int(_) | Value::Float(_) => out.push_str(&v.to_string()),
        Value::String(s) if ty == FieldType::String => guarded(out, s),
        Value::String(s) => text(out, s),
    }
}

/// Text that a spreadsheet could take for a formula gets a leading `'`.
fn guarded(out: &mut String, s: &str) {
    let formula = match s.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => s.len() > 1 && s.trim().parse::<f64>().is_err(),
        _ => false,
    };
    if formula {
        text(out, &format!("'{s}"));
    } else {
        text(out, s);
    }
}

/// A field, quoted when it holds a comma, a quote or a line break.
fn text(out: &mut String, s: &str) {
    if s.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("鹿島市", "鹿島市")]
    #[case("a,b", "\"a,b\"")]
    #[case("say \"hi\"", "\"say \"\"hi\"\"\"")]
    #[case("two\nlines", "\"two\nlines\"")]
    #[case("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    #[case("+81", "'+81")]
    #[case("-5", "-5")]
    #[case("-", "-")]
    #[case("-cmd", "'-cmd")]
    fn text_is_quoted_and_formulas_are_defused(#[case] input: &str, #[case] expected: &str) {
        let mut out = String::new();
        guarded(&mut out, input);
        assert_eq!(out, expected);
    }
}
