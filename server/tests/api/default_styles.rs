//! A layer the style files do not draw (a department's new layer) appears in the styles with
//! its definition's default style; the public style never gets a staff-only layer.

use crate::helpers::{LayerSpec, TestApp};
use geo::polygon;
use kashimap::model::{Feature, Field, FieldType, Value};

const FARMLAND: &str = r#"
id = "nouchi"
title = { ja = "農地", en = "Farmland" }
department = "農業委員会"
source = "data/nouchi.fgb"
geometry = "Polygon"
attribution = "鹿島市 農業委員会"
[fields."状況"]
en = "State"
choices = ["耕作中", "遊休農地"]
[access]
view = "staff"
"#;

#[tokio::test]
async fn a_new_layer_gets_a_default_style_with_one_colour_per_choice() {
    let square = geo::Geometry::Polygon(
        polygon![(x: 130.1, y: 33.1), (x: 130.11, y: 33.1), (x: 130.11, y: 33.11), (x: 130.1, y: 33.11)],
    );
    let t = TestApp::with_layers(&[LayerSpec {
        toml: FARMLAND,
        id: "nouchi",
        fields: vec![Field::new("状況", FieldType::String)],
        features: vec![Feature::new(
            1,
            square,
            vec![Value::String("耕作中".into())].into(),
        )],
    }]);
    t.add_user("nogyo", &["nogyo"], true);
    let cookie = t.login("nogyo", crate::helpers::PASSWORD).await;
    let staff = t.get_as(&cookie, "/styles/staff.json").await.json();
    let layers = staff["layers"].as_array().unwrap();
    let fill = layers
        .iter()
        .find(|l| l["id"] == "nouchi-fill")
        .expect("the new layer is drawn");
    assert_eq!(fill["paint"]["fill-color"][0], "match");
    assert_eq!(fill["paint"]["fill-color"][2], "耕作中");
    assert!(
        staff["sources"]["nouchi"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/tiles/nouchi.json")
    );
    let public = t.get("/styles/public.json").await.json();
    assert!(
        public["sources"].get("nouchi").is_none(),
        "a staff layer stays out of the public style"
    );
    let anonymous = t.get("/styles/staff.json").await.json();
    assert!(
        anonymous["sources"].get("nouchi").is_none(),
        "and out of what anonymous callers get"
    );
}
