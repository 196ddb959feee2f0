//! Binding to a schema: unknown properties and literals that can never match.

use rstest::rstest;

use super::super::Expr;
use super::schema;

#[rstest]
#[case("口径 = 100")]
#[case("口径 = '100'")]
#[case("口径 = 100.5")]
#[case("深さ BETWEEN 1 AND '2.5'")]
#[case("公開 = TRUE")]
#[case("公開 = 'true'")]
#[case("公開 = 'FALSE'")]
#[case("公開 = 1")]
#[case("公開 = 0")]
#[case("数値文字 = 250")]
#[case("数値文字 = TRUE")]
#[case("認定年月日 >= DATE('2020-01-01')")]
#[case("認定年月日 < TIMESTAMP('2020-01-01T00:00:00Z')")]
#[case("認定年月日 LIKE '2019-%'")]
#[case("調査履歴 IS NOT NULL")]
#[case("CASEI(用途地域名) LIKE '%ABC%'")]
#[case("\"name with spaces\" IN ('a', 'b')")]
fn valid_filters_bind(#[case] text: &str) {
    let expr = Expr::parse(text).unwrap();
    expr.bind(&schema())
        .unwrap_or_else(|e| panic!("{text}: {e}"));
}

#[rstest]
#[case("存在しない = 1", 0, "unknown property `存在しない`")]
#[case("口径 = 1 AND 用途 = 'x'", 11, "unknown property `用途`")]
#[case("\"name with space\" IS NULL", 0, "unknown property `name with space`")]
#[case(
    "口径 LIKE '1%'",
    0,
    "LIKE needs a text property, but `口径` holds integers"
)]
#[case("公開 LIKE 't%'", 0, "LIKE needs a text property")]
#[case("口径 = 'abc'", 0, "'abc' can never match, but `口径` holds integers")]
#[case("深さ = TRUE", 0, "TRUE can never match, but `深さ` holds numbers")]
#[case("口径 IN (1, 'x')", 0, "'x' can never match")]
#[case("口径 = DATE('2020-01-01')", 0, "can never match")]
#[case("公開 = 'yes'", 0, "'yes' can never match, but `公開` holds booleans")]
#[case("公開 = 2", 0, "2 can never match")]
#[case(
    "認定年月日 = 20200101",
    0,
    "can never match, but `認定年月日` holds dates"
)]
#[case("調査履歴 = 'x'", 0, "only IS NULL applies to JSON")]
#[case("CASEI(口径) = 1", 6, "CASEI and ACCENTI apply only to text")]
#[case("CASEI(用途地域名) = 1", 6, "CASEI and ACCENTI apply only to text")]
#[case("口径 BETWEEN 1 AND 'x'", 0, "'x' can never match")]
fn bind_errors_name_the_property(
    #[case] text: &str,
    #[case] position: usize,
    #[case] needle: &str,
) {
    let e = Expr::parse(text).unwrap().bind(&schema()).unwrap_err();
    assert!(e.message.contains(needle), "{text}: {e}");
    assert_eq!(e.position, position, "{text}: {e}");
}

#[test]
fn geometry_names_are_not_bound_to_columns() {
    let e = Expr::parse("S_INTERSECTS(any_name, POINT(130 33))").unwrap();
    assert!(e.bind(&schema()).is_ok());
}
