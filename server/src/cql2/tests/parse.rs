//! Parsing, canonical display and error positions.

use rstest::rstest;

use super::super::{Cql2Error, Expr, MAX_DEPTH};

/// Every case must parse, and its canonical text must parse back to an equal expression
/// and be a fixed point.
#[rstest]
#[case("用途地域名 = '商業地域'")]
#[case("口径 >= 100 AND 口径 < 300")]
#[case("5 < 口径")]
#[case("口径 = -1.5e3 OR 深さ <> .5 OR 深さ = 5. OR 口径 = +7")]
#[case("深さ = 1.0 OR 深さ = 1e300 OR 深さ = 1e-7 OR 口径 = 99999999999999999999")]
#[case("a = 1 AND (b = 2 OR c = 3)")]
#[case("(a = 1 AND b = 2) OR c = 3")]
#[case("a = 1 AND (b = 2 AND c = 3)")]
#[case("NOT a = 1")]
#[case("NOT NOT (a = 1 OR b = 2)")]
#[case("TRUE")]
#[case("false OR TRUE = 公開")]
#[case("name LIKE 'ab%\\_c' AND name NOT LIKE '%x'")]
#[case("CASEI(name) LIKE CASEI('abc%')")]
#[case("ACCENTI(CASEI(name)) = 'Café'")]
#[case("CASEI(name) IN ('a', CASEI('B'))")]
#[case("管種 IN ('DIP', 'VP') AND 管種 NOT IN ('CIP')")]
#[case("口径 BETWEEN 100 AND 200 AND 深さ NOT BETWEEN -1 AND 1.5")]
#[case("備考 IS NULL OR 備考 IS NOT NULL")]
#[case("\"name with spaces\" = 'it''s'")]
#[case("\"AND\" = 1 AND \"date\" = 2 AND \"2項道路\" = 3 AND \"a\"\"b\" = 4")]
#[case("date = 1 AND bbox = 2")]
#[case("認定年月日 >= DATE('2020-01-01') AND t < TIMESTAMP('2020-01-01T09:30:00.5Z')")]
#[case("S_INTERSECTS(geometry, POINT(130.1 33.1))")]
#[case("S_INTERSECTS(BBOX(130, 33, 130.2, 33.2), geom)")]
#[case("S_WITHIN(shape, POLYGON((130 33, 131 33, 131 34, 130 34, 130 33)))")]
#[case("S_CONTAINS(POLYGON((130 33, 131 33, 131 34, 130 34)), geometry)")]
#[case("S_DISJOINT(geometry, LINESTRING(130 33, 131 34))")]
#[case("S_INTERSECTS(geometry, MULTIPOINT((130 33), (131 34)))")]
#[case("S_INTERSECTS(geometry, MULTIPOINT(130 33, 131 34))")]
#[case("S_INTERSECTS(geometry, MULTILINESTRING((130 33, 131 34), (130 34, 131 33)))")]
#[case(
    "S_INTERSECTS(geometry, MULTIPOLYGON(((130 33, 131 33, 131 34, 130 33)), \
     ((132 33, 133 33, 133 34, 132 33))))"
)]
#[case(
    "S_INTERSECTS(geometry, POLYGON((130 33, 131 33, 131 34, 130 34, 130 33), \
     (130.2 33.2, 130.2 33.4, 130.4 33.4, 130.2 33.2)))"
)]
#[case("S_INTERSECTS(geometry, ENVELOPE(130, 33, 131, 34))")]
#[case("s_intersects(\"the geom\", point(130 33)) and 口径 in (1)")]
fn canonical_text_round_trips(#[case] text: &str) {
    let expr = Expr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let canonical = expr.to_string();
    let again = Expr::parse(&canonical).unwrap_or_else(|e| panic!("{canonical}: {e}"));
    assert_eq!(again, expr, "{text} → {canonical}");
    assert_eq!(again.to_string(), canonical);
}

#[rstest]
#[case("5 < 口径", "口径 > 5")]
#[case("100 >= 口径", "口径 <= 100")]
#[case("a=1 and b=2 or c=3", "(a = 1 AND b = 2) OR c = 3")]
#[case("not a = 1", "NOT (a = 1)")]
#[case("公開 = true", "公開 = TRUE")]
#[case("深さ = 1.0", "深さ = 1.0")]
#[case("深さ = 1e3", "深さ = 1000.0")]
#[case("x = 'it''s'", "x = 'it''s'")]
#[case("\"用途地域名\" = 'x'", "用途地域名 = 'x'")]
#[case("\"name with spaces\" = 'x'", "\"name with spaces\" = 'x'")]
#[case("\"or\" = 1", "\"or\" = 1")]
#[case("CASEI(x) = 'Ab'", "CASEI(x) = CASEI('Ab')")]
#[case("x = CASEI('Ab')", "CASEI(x) = CASEI('Ab')")]
#[case(
    "S_INTERSECTS(POINT(130 33), geom)",
    "S_INTERSECTS(geom, POINT(130.0 33.0))"
)]
#[case(
    "S_WITHIN(BBOX(130, 33, 131, 34), geom)",
    "S_CONTAINS(geom, BBOX(130.0, 33.0, 131.0, 34.0))"
)]
#[case(
    "S_INTERSECTS(geom, ENVELOPE(130, 33, 131, 34))",
    "S_INTERSECTS(geom, BBOX(130.0, 33.0, 131.0, 34.0))"
)]
#[case(
    "S_INTERSECTS(geom, POLYGON((130 33, 131 33, 131 34)))",
    "S_INTERSECTS(geom, POLYGON((130.0 33.0, 131.0 33.0, 131.0 34.0, 130.0 33.0)))"
)]
fn display_is_canonical(#[case] text: &str, #[case] canonical: &str) {
    assert_eq!(Expr::parse(text).unwrap().to_string(), canonical);
}

#[test]
fn built_junctions_display_as_their_meaning() {
    let a = Expr::parse("公開 = true").unwrap();
    let b = Expr::parse("x = 1 OR y = 2").unwrap();
    assert_eq!(Expr::Or(vec![a.clone()]).to_string(), "公開 = TRUE");
    assert_eq!(Expr::Or(vec![]).to_string(), "FALSE");
    assert_eq!(Expr::And(vec![]).to_string(), "TRUE");
    assert_eq!(
        Expr::And(vec![a.clone(), Expr::Or(vec![b])]).to_string(),
        "公開 = TRUE AND (x = 1 OR y = 2)"
    );
    assert_eq!(
        Expr::Or(vec![a.clone(), a]).to_string(),
        "公開 = TRUE OR 公開 = TRUE"
    );
}

#[test]
fn keywords_are_case_insensitive() {
    let upper = Expr::parse("A = 1 AND NOT B IS NULL OR C IN (1) AND D LIKE 'x'").unwrap();
    let lower = Expr::parse("A = 1 and not B is null or C in (1) and D like 'x'").unwrap();
    let mixed = Expr::parse("A = 1 And Not B Is Null Or C In (1) aNd D LiKe 'x'").unwrap();
    assert_eq!(upper, lower);
    assert_eq!(upper, mixed);
}

#[test]
fn attributes_lists_properties_but_not_the_geometry() {
    let e = Expr::parse(
        "用途地域名 = 'x' AND (口径 IN (1, 2) OR NOT 備考 IS NULL) \
         AND S_INTERSECTS(geometry, POINT(130 33)) AND \"name with spaces\" LIKE 'a%'",
    )
    .unwrap();
    let names: Vec<String> = e.attributes().into_iter().collect();
    assert_eq!(names, ["name with spaces", "備考", "口径", "用途地域名"]);
}

#[rstest]
#[case("用途地域名 = = 1", 8, "expected a value after '=' but found '='")]
#[case(
    "用途地域名 = '商業' AND 口径 = )",
    22,
    "expected a value after '=' but found ')'"
)]
#[case(
    "(用途地域名 = '商業'",
    13,
    "expected ')' to close the '(' at position 0"
)]
#[case("用途地域名 = '商業", 8, "unterminated string")]
#[case(
    "口径 = 1 口径 = 2",
    7,
    "expected AND, OR or the end of the filter but found `口径`"
)]
#[case(
    "口径 1",
    3,
    "expected a comparison operator, LIKE, IN, BETWEEN or IS after `口径`"
)]
#[case("口径 = 1 AND", 10, "but found the end of the filter")]
#[case("", 0, "but found the end of the filter")]
#[case("管種 NOT = 'x'", 7, "expected LIKE, IN or BETWEEN after NOT")]
#[case("管種 IS 'x'", 6, "expected NULL after IS")]
#[case("管種 IN ('a' 'b')", 11, "expected ',' or ')' in the IN list")]
#[case("管種 IN ()", 7, "expected a value in the IN list")]
#[case("管種 IN (口径)", 7, "found the property `口径`")]
#[case("口径 BETWEEN 1 OR 2", 13, "expected AND between the BETWEEN bounds")]
#[case("管種 LIKE 5", 8, "'pattern' string")]
#[case("管種 LIKE 'abc\\'", 8, "ends with '\\'")]
#[case("口径 = 口径", 5, "comparing two properties")]
#[case("1 = 2", 0, "needs a property on one side")]
#[case("口径 = foo(1)", 5, "unknown function `foo`")]
#[case("d = DATE('2020-13-01')", 9, "not a valid DATE")]
#[case("d = TIMESTAMP('2020-01-01')", 14, "not a valid TIMESTAMP")]
#[case("d = DATE(2020)", 9, "expected a 'YYYY-MM-DD' string")]
#[case("口径 = 1e999", 5, "out of range")]
#[case(
    "AND = 1",
    0,
    "expected a predicate, a property or '(' but found `AND`"
)]
#[case(
    "S_INTERSECTS(geometry POINT(1 2))",
    22,
    "expected ',' between the arguments"
)]
#[case(
    "S_INTERSECTS(geometry, geom)",
    13,
    "needs the feature geometry and one geometry"
)]
#[case(
    "S_INTERSECTS(POINT(1 2), POINT(1 2))",
    13,
    "needs the feature geometry"
)]
#[case(
    "S_INTERSECTS(geometry, CIRCLE(1 2))",
    23,
    "unknown geometry type `CIRCLE`"
)]
#[case(
    "S_INTERSECTS(geometry, POINT(1))",
    30,
    "expected a latitude after the longitude"
)]
#[case(
    "S_INTERSECTS(geometry, POINT(1 2 3))",
    33,
    "expected ')' after the point"
)]
#[case("S_INTERSECTS(geometry, LINESTRING(1 2))", 33, "at least 2 points")]
#[case("S_INTERSECTS(geometry, POLYGON((1 2, 3 4)))", 31, "at least 3 points")]
#[case("S_INTERSECTS(geometry, BBOX(1, 2, 3))", 23, "BBOX takes 4 numbers")]
#[case(
    "S_INTERSECTS(geometry, BBOX(3, 2, 1, 4))",
    23,
    "a minimum exceeds its maximum"
)]
#[case(
    "S_INTERSECTS(geometry, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))",
    23,
    "invalid geometry"
)]
fn errors_name_the_position_and_what_was_expected(
    #[case] text: &str,
    #[case] position: usize,
    #[case] needle: &str,
) {
    let e = Expr::parse(text).unwrap_err();
    assert!(e.message.contains(needle), "{text}: {e}");
    assert_eq!(e.position, position, "{text}: {e}");
}

#[test]
fn error_display_points_past_japanese_text() {
    let e = Expr::parse("(用途地域名 = '商業' AND 口径 = )").unwrap_err();
    assert_eq!(
        e.to_string(),
        "at position 23: expected a value after '=' but found ')'"
    );
}

fn nested(open: &str, depth: usize, inner: &str, close: &str) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

#[rstest]
#[case("(", ")")]
#[case("NOT ", "")]
#[case("NOT (", ")")]
fn nesting_is_limited(#[case] open: &str, #[case] close: &str) {
    let ok = nested(open, MAX_DEPTH, "a = 1", close);
    Expr::parse(&ok).unwrap_or_else(|e| panic!("{e}"));
    let deep = nested(open, MAX_DEPTH + 1, "a = 1", close);
    let e = Expr::parse(&deep).unwrap_err();
    assert!(e.message.contains("nests deeper than 100"), "{e}");
}

#[test]
fn function_nesting_is_limited() {
    let deep = format!("{} = 'x'", nested("CASEI(", MAX_DEPTH + 1, "a", ")"));
    let e = Expr::parse(&deep).unwrap_err();
    assert!(e.message.contains("nests deeper"), "{e}");
}

#[test]
fn hostile_nesting_does_not_overflow_the_stack() {
    for open in ["(", "NOT ", "NOT (", "CASEI("] {
        let e = Expr::parse(&open.repeat(2500)).unwrap_err();
        assert!(e.message.contains("nests deeper"), "{e}");
    }
}

#[test]
fn long_filters_are_refused() {
    let long = "口径 = 1 OR ".repeat(2000) + "口径 = 2";
    let e: Cql2Error = Expr::parse(&long).unwrap_err();
    assert!(e.message.contains("longer than 16384 bytes"), "{e}");
    assert!(e.position > 1000, "{e}");
    let fits = "口径 = 1 OR ".repeat(500) + "口径 = 2";
    assert!(Expr::parse(&fits).is_ok());
}

#[test]
fn deep_canonical_text_still_parses() {
    // `NOT x` counts one level like `NOT (x)`, which display writes.
    let text = nested("NOT ", MAX_DEPTH, "a = 1", "");
    let expr = Expr::parse(&text).unwrap();
    assert_eq!(Expr::parse(&expr.to_string()).unwrap(), expr);
}
