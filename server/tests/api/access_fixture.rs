//! A synthetic application for access tests: a restricted `pipes` layer (suido sees all,
//! contractors see no depth), a `survey` layer only `bunka` sees, and a public `shelters`.
//! Users: suido, contractor (not staff), lead (approver for pipes), bunka, staff, admin.

use geo::{Geometry, LineString, Point};
use kashimap::model::{Feature, Field, FieldType, Value};

use crate::helpers::{LayerSpec, PASSWORD, TestApp};

const PIPES: &str = r#"
id = "pipes"
title = { ja = "管路", en = "Water pipes" }
department = "水道課"
source = "data/pipes.fgb"
geometry = "LineString"
attribution = "test data"
sample = true
[fields."深さ"]
en = "Depth"
unit = "m"
[access]
view = ["suido", "contractor"]
approve = ["suido-lead"]
[access.attributes]
suido = "*"
contractor = ["管種", "口径"]
"#;

const SURVEY: &str = r#"
id = "survey"
title = { ja = "調査履歴", en = "Survey history" }
department = "生涯学習課"
source = "data/survey.fgb"
geometry = "Point"
attribution = "test data"
sample = true
[access]
view = ["bunka"]
approve = ["bunka"]
"#;

const SHELTERS: &str = r#"
id = "shelters"
title = { ja = "避難所", en = "Shelters" }
department = "総務課"
source = "data/shelters.fgb"
geometry = "Point"
attribution = "test data"
sample = true
[access]
view = "public"
"#;

fn text(s: &str) -> Value {
    Value::String(s.into())
}

fn pipe() -> Feature {
    let line = LineString::from(vec![(130.09, 33.10), (130.10, 33.11)]);
    let props = vec![
        text("DIP"),
        Value::Int(150),
        Value::Float(1.2),
        text("memo"),
    ];
    Feature::new(1, Geometry::LineString(line), props.into_boxed_slice())
}

fn point(name: &str) -> Feature {
    let p = Geometry::Point(Point::new(130.1, 33.1));
    Feature::new(1, p, vec![text(name)].into_boxed_slice())
}

/// The access test application with its users.
pub fn access_app() -> TestApp {
    let app = TestApp::with_layers(&[
        LayerSpec {
            toml: PIPES,
            id: "pipes",
            fields: vec![
                Field::new("管種", FieldType::String),
                Field::new("口径", FieldType::Int),
                Field::new("深さ", FieldType::Float),
                Field::new("内部メモ", FieldType::String),
            ],
            features: vec![pipe()],
        },
        LayerSpec {
            toml: SURVEY,
            id: "survey",
            fields: vec![Field::new("結果", FieldType::String)],
            features: vec![point("試掘")],
        },
        LayerSpec {
            toml: SHELTERS,
            id: "shelters",
            fields: vec![Field::new("名称", FieldType::String)],
            features: vec![point("鹿島市民会館")],
        },
    ]);
    app.add_user("suido", &["suido"], true);
    app.add_user("contractor", &["contractor"], false);
    app.add_user("lead", &["suido-lead"], true);
    app.add_user("bunka", &["bunka"], true);
    app.add_user("staff", &[], true);
    app.add_user("admin", &["admin"], true);
    app
}

/// Signs in as one of [`access_app`]'s users.
pub async fn login(app: &TestApp, user: &str) -> String {
    app.login(user, PASSWORD).await
}

/// The attribute names `/auth/me` says the caller sees of a layer; `None` if not visible.
pub async fn visible(app: &TestApp, cookie: &str, layer: &str) -> Option<Vec<String>> {
    let me = app.get_as(cookie, "/auth/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    let attrs = me.json()["layers"][layer]["attributes"].as_array()?.clone();
    Some(
        attrs
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
    )
}
