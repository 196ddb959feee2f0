//! Evaluation: value semantics, three-valued logic, LIKE, IN, BETWEEN, dates.

use geo::point;
use rstest::rstest;

use super::super::{Expr, Filter};
use super::{bind, feature, matches, sample, text};
use crate::model::{Feature, Value};

#[rstest]
#[case("用途地域名 = '商業地域'", true)]
#[case("用途地域名 <> '商業地域'", false)]
#[case("用途地域名 > '商業'", true)]
#[case("口径 = 100", true)]
#[case("口径 = 100.0", true)]
#[case("口径 = '100'", true)]
#[case("100 = 口径", true)]
#[case("50 < 口径", true)]
#[case("口径 >= 100.5", false)]
#[case("深さ > 1", true)]
#[case("深さ <= 1.5", true)]
#[case("深さ < 1.5", false)]
#[case("深さ = 1.5e0", true)]
#[case("数値文字 = 250", true)]
#[case("数値文字 > 99", true)]
#[case("数値文字 = '250'", true)]
#[case("公開 = TRUE", true)]
#[case("公開 = 'true'", true)]
#[case("公開 = 1", true)]
#[case("公開 <> FALSE", true)]
#[case("\"name with spaces\" = 'It''s'", true)]
#[case("CASEI(\"name with spaces\") = CASEI('IT''S')", true)]
#[case("TRUE", true)]
#[case("FALSE", false)]
fn comparisons(#[case] filter: &str, #[case] expected: bool) {
    assert_eq!(matches(filter, &sample()), expected, "{filter}");
}

#[test]
fn integers_compare_exactly_beyond_float_precision() {
    let big = feature(
        point!(x: 0.0, y: 0.0).into(),
        &[("口径", Value::Int(i64::MAX))],
    );
    assert!(matches("口径 = 9223372036854775807", &big));
    assert!(!matches("口径 = 9223372036854775806", &big));
    assert!(matches("口径 > 9223372036854775806", &big));
}

#[rstest]
#[case(text("abc"), "数値文字 = 1", false)]
#[case(text("abc"), "数値文字 <> 1", true)]
#[case(text("abc"), "数値文字 < 1", false)]
#[case(text(" 12 "), "数値文字 = 12", true)]
#[case(text("1e2"), "数値文字 = 100", true)]
#[case(text("NaN"), "数値文字 = 1", false)]
#[case(text("true"), "数値文字 = TRUE", true)]
#[case(text("0"), "数値文字 = FALSE", true)]
#[case(text("maybe"), "数値文字 = TRUE", false)]
#[case(text("maybe"), "数値文字 <> TRUE", true)]
fn text_columns_compare_by_what_the_literal_is(
    #[case] value: Value,
    #[case] filter: &str,
    #[case] expected: bool,
) {
    let f = feature(point!(x: 0.0, y: 0.0).into(), &[("数値文字", value)]);
    assert_eq!(matches(filter, &f), expected, "{filter}");
}

#[rstest]
#[case(Value::Int(1), true)]
#[case(Value::Int(0), false)]
#[case(text("TRUE"), true)]
#[case(text("false"), false)]
#[case(Value::Bool(true), true)]
fn booleans_stored_loosely_still_compare(#[case] stored: Value, #[case] expected: bool) {
    let f = feature(point!(x: 0.0, y: 0.0).into(), &[("公開", stored)]);
    assert_eq!(matches("公開 = TRUE", &f), expected);
}

/// 備考 is NULL in the sample: comparisons with it are unknown, and unknown never admits.
#[rstest]
#[case("備考 = 'x'", false)]
#[case("備考 <> 'x'", false)]
#[case("NOT (備考 = 'x')", false)]
#[case("NOT NOT (備考 = 'x')", false)]
#[case("NOT (備考 <> 'x')", false)]
#[case("備考 LIKE '%'", false)]
#[case("備考 NOT LIKE '%'", false)]
#[case("備考 IN ('a', 'b')", false)]
#[case("備考 NOT IN ('a', 'b')", false)]
#[case("備考 BETWEEN 'a' AND 'z'", false)]
#[case("備考 NOT BETWEEN 'a' AND 'z'", false)]
#[case("備考 IS NULL", true)]
#[case("備考 IS NOT NULL", false)]
#[case("NOT (備考 IS NULL)", false)]
#[case("備考 = 'x' OR 口径 = 100", true)]
#[case("備考 = 'x' OR 口径 = 1", false)]
#[case("備考 = 'x' AND 口径 = 1", false)]
#[case("NOT (備考 = 'x' AND 口径 = 1)", true)]
#[case("NOT (備考 = 'x' AND 口径 = 100)", false)]
#[case("NOT (備考 = 'x' OR 口径 = 100)", false)]
#[case("NOT (備考 = 'x' OR 口径 = 1)", false)]
fn null_properties_follow_three_valued_logic(#[case] filter: &str, #[case] expected: bool) {
    assert_eq!(matches(filter, &sample()), expected, "{filter}");
}

#[rstest]
#[case("用途地域名 LIKE '商業%'", true)]
#[case("用途地域名 LIKE '%地域'", true)]
#[case("用途地域名 LIKE '商_地域'", true)]
#[case("用途地域名 LIKE '商業'", false)]
#[case("用途地域名 NOT LIKE '%住居%'", true)]
#[case("CASEI(\"name with spaces\") LIKE 'it''%'", true)]
#[case("\"name with spaces\" LIKE 'it''%'", false)]
#[case("認定年月日 LIKE '2019-%'", true)]
#[case("用途地域名 IN ('商業地域', '近隣商業地域')", true)]
#[case("用途地域名 NOT IN ('商業地域', '近隣商業地域')", false)]
#[case("口径 IN (75, 100.0, '150')", true)]
#[case("口径 NOT IN (75, 150)", true)]
#[case("口径 BETWEEN 100 AND 200", true)]
#[case("口径 BETWEEN 101 AND 200", false)]
#[case("口径 NOT BETWEEN 101 AND 200", true)]
#[case("深さ BETWEEN 1.5 AND 1.5", true)]
#[case("用途地域名 BETWEEN '商' AND '商業地域'", true)]
#[case("認定年月日 = DATE('2019-04-01')", true)]
#[case("認定年月日 >= DATE('2020-01-01')", false)]
#[case("認定年月日 BETWEEN DATE('2019-01-01') AND DATE('2019-12-31')", true)]
#[case("認定年月日 < TIMESTAMP('2019-04-01T09:00:00Z')", true)]
#[case("調査履歴 IS NOT NULL", true)]
fn predicates(#[case] filter: &str, #[case] expected: bool) {
    assert_eq!(matches(filter, &sample()), expected, "{filter}");
}

#[rstest]
#[case("Café", "ACCENTI(x) = 'cafe'", false)]
#[case("Café", "CASEI(ACCENTI(x)) = 'cafe'", true)]
#[case("CAFÉ", "ACCENTI(CASEI(x)) LIKE 'caf_'", true)]
#[case("Kashima", "CASEI(x) IN ('KASHIMA', 'saga')", true)]
#[case("ｋａｓｈｉｍａ", "CASEI(x) = 'ＫＡＳＨＩＭＡ'", true)]
#[case("がっこう", "ACCENTI(x) = 'かっこう'", false)]
#[case("b", "CASEI(x) > 'A'", true)]
fn case_and_accent_folding(#[case] value: &str, #[case] filter: &str, #[case] expected: bool) {
    let f = feature(
        point!(x: 0.0, y: 0.0).into(),
        &[("用途地域名", text(value))],
    );
    let filter = filter.replace('x', "用途地域名");
    assert_eq!(matches(&filter, &f), expected, "{filter}");
}

#[test]
fn row_filters_of_several_audiences_are_ored() {
    let schema = super::schema();
    let exprs = vec![
        Expr::parse("公開 = FALSE").unwrap(),
        Expr::parse("口径 >= 100").unwrap(),
    ];
    let filter = Expr::Or(exprs).bind(&schema).unwrap();
    assert!(filter.matches(&sample()));
    assert!(!Expr::Or(vec![]).bind(&schema).unwrap().matches(&sample()));
}

#[test]
fn nothing_and_everything() {
    assert!(!Filter::nothing().matches(&sample()));
    assert!(Filter::everything().matches(&sample()));
    assert_eq!(Filter::everything().envelope(), None);
}

#[test]
fn filters_can_be_shared_between_threads() {
    fn shareable<T: Clone + std::fmt::Debug + Send + Sync + 'static>() {}
    shareable::<Filter>();
    shareable::<Expr>();
    let filter = bind("口径 = 100 AND S_INTERSECTS(geometry, BBOX(130, 33, 131, 34))");
    let features: Vec<Feature> = (0..4).map(|_| sample()).collect();
    std::thread::scope(|s| {
        for f in &features {
            let filter = &filter;
            s.spawn(move || assert!(filter.matches(f)));
        }
    });
}
