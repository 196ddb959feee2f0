//! Spatial predicates and the envelope hint for R-tree queries.

use geo::{Geometry, line_string, point};
use rstest::rstest;

use super::{bind, feature, matches, parcel, sample};

/// The sample is a point at (130.0989, 33.1036); the parcel spans 130.095–130.105,
/// 33.095–33.105.
#[rstest]
#[case(
    "S_INTERSECTS(geometry, BBOX(130.09, 33.10, 130.10, 33.11))",
    true,
    true
)]
#[case("S_INTERSECTS(BBOX(130.09, 33.10, 130.10, 33.11), geom)", true, true)]
#[case("S_INTERSECTS(shape, BBOX(130.2, 33.2, 130.3, 33.3))", false, false)]
#[case("S_INTERSECTS(geometry, POINT(130.0989 33.1036))", true, true)]
#[case("S_INTERSECTS(geometry, POINT(130.1 33.1))", false, true)]
#[case(
    "S_INTERSECTS(geometry, LINESTRING(130.0 33.1, 130.2 33.1))",
    false,
    true
)]
#[case(
    "S_INTERSECTS(geometry, POLYGON((130.09 33.10, 130.10 33.10, 130.10 33.11, 130.09 33.11)))",
    true,
    true
)]
#[case(
    "S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), \
     ((130.09 33.10, 130.10 33.10, 130.10 33.11, 130.09 33.10))))",
    true,
    true
)]
#[case("S_DISJOINT(geometry, BBOX(130.2, 33.2, 130.3, 33.3))", true, true)]
#[case("S_WITHIN(geometry, BBOX(130.0, 33.0, 130.2, 33.2))", true, true)]
#[case("S_WITHIN(geometry, BBOX(130.0, 33.0, 130.1, 33.2))", true, false)]
#[case("S_CONTAINS(BBOX(130.0, 33.0, 130.2, 33.2), geometry)", true, true)]
#[case("S_CONTAINS(geometry, POINT(130.1 33.1))", false, true)]
#[case(
    "S_CONTAINS(geometry, BBOX(130.099, 33.099, 130.101, 33.101))",
    false,
    true
)]
#[case("S_WITHIN(POINT(130.1 33.1), geometry)", false, true)]
fn spatial_predicates(#[case] filter: &str, #[case] point: bool, #[case] parcel_: bool) {
    assert_eq!(matches(filter, &sample()), point, "point: {filter}");
    assert_eq!(matches(filter, &parcel()), parcel_, "parcel: {filter}");
}

#[test]
fn spatial_and_attribute_predicates_combine() {
    let filter = "用途地域名 LIKE '%住居%' AND S_INTERSECTS(geometry, POINT(130.1 33.1))";
    assert!(matches(filter, &parcel()));
    assert!(!matches(filter, &sample()));
}

#[test]
fn lines_crossing_a_box_intersect_it() {
    let road: Geometry<f64> = line_string![(x: 130.0, y: 33.0), (x: 130.2, y: 33.2)].into();
    let f = feature(road, &[]);
    assert!(matches(
        "S_INTERSECTS(geometry, BBOX(130.09, 33.09, 130.11, 33.11))",
        &f
    ));
    assert!(!matches(
        "S_INTERSECTS(geometry, BBOX(130.0, 33.1, 130.05, 33.2))",
        &f
    ));
    let origin = feature(point!(x: 0.0, y: 0.0).into(), &[]);
    assert!(!matches(
        "S_INTERSECTS(geometry, BBOX(130, 33, 131, 34))",
        &origin
    ));
}

#[rstest]
#[case("S_INTERSECTS(geometry, BBOX(130, 33, 131, 34))", Some([130.0, 33.0, 131.0, 34.0]))]
#[case("S_INTERSECTS(geometry, POINT(130.1 33.2))", Some([130.1, 33.2, 130.1, 33.2]))]
#[case(
    "S_INTERSECTS(geometry, LINESTRING(130.2 33.1, 130.1 33.3))",
    Some([130.1, 33.1, 130.2, 33.3])
)]
#[case("口径 = 1 AND S_WITHIN(geom, BBOX(130, 33, 131, 34))", Some([130.0, 33.0, 131.0, 34.0]))]
#[case("S_CONTAINS(geom, BBOX(130, 33, 131, 34)) AND 口径 = 1", Some([130.0, 33.0, 131.0, 34.0]))]
#[case(
    "S_INTERSECTS(g, BBOX(130, 33, 131, 34)) AND S_INTERSECTS(g, BBOX(130.5, 32, 132, 33.5))",
    Some([130.5, 33.0, 131.0, 33.5])
)]
#[case(
    "S_INTERSECTS(g, BBOX(130, 33, 131, 34)) OR S_INTERSECTS(g, BBOX(135, 35, 136, 36))",
    Some([130.0, 33.0, 136.0, 36.0])
)]
#[case(
    "(S_INTERSECTS(g, BBOX(130, 33, 131, 34)) OR S_INTERSECTS(g, BBOX(135, 35, 136, 36))) \
     AND 口径 = 1",
    Some([130.0, 33.0, 136.0, 36.0])
)]
#[case("S_INTERSECTS(g, BBOX(130, 33, 131, 34)) OR 口径 = 1", None)]
#[case("NOT S_INTERSECTS(g, BBOX(130, 33, 131, 34))", None)]
#[case("S_DISJOINT(g, BBOX(130, 33, 131, 34))", None)]
#[case("口径 = 1", None)]
fn envelope_bounds_every_matching_feature(
    #[case] filter: &str,
    #[case] expected: Option<[f64; 4]>,
) {
    assert_eq!(bind(filter).envelope(), expected, "{filter}");
}
