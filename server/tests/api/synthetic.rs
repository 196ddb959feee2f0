//! A small synthetic Kashima for the spatial, search and export tests: shelters (with a row
//! policy and a hidden attribute), zoning squares, roads, a random point layer without any
//! policy (for brute-force checks) and a layer only the `suido` role may see.

use geo::{Geometry, LineString, Point, Polygon};
use kashimap::model::{Feature, Field, FieldType, Value};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::helpers::{LayerSpec, TestApp};

/// 祐徳稲荷神社参集殿, a designated emergency evacuation site.
pub const SHRINE: (f64, f64) = (130.108_483, 33.074_408);

pub const SHELTERS_TOML: &str = r#"
id = "shelters"
title = { ja = "避難所", en = "Evacuation shelters" }
department = "総務課"
source = "data/shelters.fgb"
geometry = "Point"
attribution = "テスト用"
searchable = ["名称", "住所", "備考"]
label = "名称"
[access]
view = "public"
[access.attributes]
public = ["名称", "住所", "洪水", "土砂災害", "高潮", "地震", "津波"]
staff = "*"
[access.rows]
public = "公開 = true"
"#;

const ZONING_TOML: &str = r#"
id = "zoning"
title = { ja = "用途地域", en = "Zoning" }
department = "都市計画課"
source = "data/zoning.fgb"
geometry = "Polygon"
attribution = "テスト用"
label = "用途地域"
[access]
view = "public"
"#;

const ROADS_TOML: &str = r#"
id = "roads"
title = { ja = "道路台帳", en = "Road ledger" }
department = "建設課"
source = "data/roads.fgb"
geometry = "LineString"
attribution = "テスト用"
near_m = 15.0
searchable = ["路線名"]
label = "路線名"
[access]
view = "public"
"#;

const POINTS_TOML: &str = r#"
id = "points"
title = { ja = "点", en = "Points" }
department = "test"
source = "data/points.fgb"
geometry = "Point"
attribution = "テスト用"
[access]
view = "public"
"#;

const SECRET_TOML: &str = r#"
id = "secret"
title = { ja = "管路", en = "Pipes" }
department = "水道課"
source = "data/secret.fgb"
geometry = "Point"
attribution = "テスト用"
searchable = ["名称"]
[access]
view = ["suido"]
"#;

fn s(v: &str) -> Value {
    Value::String(v.into())
}

pub fn shelter_fields() -> Vec<Field> {
    let mut f = vec![
        Field::new("名称", FieldType::String),
        Field::new("住所", FieldType::String),
    ];
    for h in ["洪水", "土砂災害", "高潮", "地震", "津波", "公開"] {
        f.push(Field::new(h, FieldType::Bool));
    }
    f.push(Field::new("備考", FieldType::String));
    f
}

/// A shelter: name, address, hazards (洪水, 土砂災害, 高潮, 地震, 津波), public, note.
pub fn shelter(id: u64, at: (f64, f64), name: &str, hazards: [bool; 5], public: bool) -> Feature {
    let mut props = vec![s(name), s(&format!("佐賀県鹿島市古枝{id}番地"))];
    props.extend(hazards.iter().map(|&h| Value::Bool(h)));
    props.push(Value::Bool(public));
    props.push(s(if public { "" } else { "秘密メモ" }));
    Feature::new(id, Geometry::Point(Point::new(at.0, at.1)), props.into())
}

/// The shelters: the shrine itself, 古枝小学校, a hidden one 5 m from the shrine, and 40
/// seeded random ones across the town.
pub fn shelters() -> Vec<Feature> {
    let mut out = vec![
        shelter(
            1,
            SHRINE,
            "祐徳稲荷神社参集殿",
            [true, true, true, false, false],
            true,
        ),
        shelter(2, (130.109_994, 33.082_618), "古枝小学校", [true; 5], true),
        shelter(
            3,
            (SHRINE.0 + 0.000_05, SHRINE.1),
            "非公開の避難所",
            [true; 5],
            false,
        ),
    ];
    let mut rng = StdRng::seed_from_u64(3);
    for id in 4..=43 {
        let at = (
            130.05 + rng.random::<f64>() * 0.1,
            33.03 + rng.random::<f64>() * 0.1,
        );
        let hazards = [0; 5].map(|_| rng.random_bool(0.5));
        out.push(shelter(id, at, &format!("避難所{id}号"), hazards, true));
    }
    out.extend(search_shelters());
    out
}

/// Shelters (ids 44..=48) written the ways names and addresses vary, south-east of town,
/// away from the points the spatial tests ask about.
fn search_shelters() -> Vec<Feature> {
    let named = |id: u64, name: &str, address: &str| {
        let mut f = shelter(
            id,
            (130.16 + id as f64 * 1e-4, 33.02),
            name,
            [false; 5],
            true,
        );
        f.properties[1] = s(address);
        f
    };
    vec![
        named(44, "霞ヶ関公民館", "佐賀県鹿島市納富分一丁目1248ー2"),
        named(45, "一之瀬集会所", "佐賀県鹿島市大字高津原二十三番地"),
        named(46, "ＫＡＳＨＩＭＡセンター", "佐賀県鹿島市 乙 1855"),
        named(47, "鹿島", "佐賀県鹿島市"),
        named(48, "鹿島市民会館", "佐賀県鹿島市"),
    ]
}

/// 0.01° squares over 130.05..130.15 × 33.03..33.13, non-overlapping.
fn zoning() -> Vec<Feature> {
    let names = [
        "第一種住居地域",
        "商業地域",
        "準工業地域",
        "第一種低層住居専用地域",
    ];
    let mut out = Vec::new();
    for i in 0..10 {
        for j in 0..10 {
            let (x, y) = (130.05 + f64::from(i) * 0.01, 33.03 + f64::from(j) * 0.01);
            let ring = LineString::from(vec![
                (x, y),
                (x + 0.01, y),
                (x + 0.01, y + 0.01),
                (x, y + 0.01),
                (x, y),
            ]);
            let id = out.len() as u64 + 1;
            let name = names[(i + j) as usize % names.len()];
            let props = vec![s(name), Value::Int(200)].into();
            out.push(Feature::new(
                id,
                Geometry::Polygon(Polygon::new(ring, vec![])),
                props,
            ));
        }
    }
    out
}

/// Two east-west roads: one 10 m north of the shrine, one 30 m south of it.
fn roads() -> Vec<Feature> {
    let lat_per_m = 1.0 / 110_900.0;
    let road = |id: u64, dy_m: f64, name: &str| {
        let y = SHRINE.1 + dy_m * lat_per_m;
        let line = LineString::from(vec![(SHRINE.0 - 0.01, y), (SHRINE.0 + 0.01, y)]);
        Feature::new(id, Geometry::LineString(line), vec![s(name)].into())
    };
    vec![
        road(1, 10.0, "市道古枝１号線"),
        road(2, -30.0, "県道鹿島嬉野線"),
    ]
}

/// 2,000 seeded random points, some of them duplicates (ties).
pub fn points() -> Vec<Feature> {
    let mut rng = StdRng::seed_from_u64(11);
    let mut coords: Vec<(f64, f64)> = (0..1_950)
        .map(|_| {
            (
                130.0 + rng.random::<f64>() * 0.2,
                33.0 + rng.random::<f64>() * 0.15,
            )
        })
        .collect();
    coords.extend(coords[..50].to_vec());
    coords
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            let id = i as u64 + 1;
            Feature::new(
                id,
                Geometry::Point(Point::new(x, y)),
                vec![Value::Int(i as i64)].into(),
            )
        })
        .collect()
}

/// The synthetic application.
pub fn app() -> TestApp {
    let secret = vec![Feature::new(
        1,
        Geometry::Point(Point::new(SHRINE.0, SHRINE.1)),
        vec![s("配水管")].into(),
    )];
    TestApp::with_layers(&[
        LayerSpec {
            toml: SHELTERS_TOML,
            id: "shelters",
            fields: shelter_fields(),
            features: shelters(),
        },
        LayerSpec {
            toml: ZONING_TOML,
            id: "zoning",
            fields: vec![
                Field::new("用途地域", FieldType::String),
                Field::new("容積率", FieldType::Int),
            ],
            features: zoning(),
        },
        LayerSpec {
            toml: ROADS_TOML,
            id: "roads",
            fields: vec![Field::new("路線名", FieldType::String)],
            features: roads(),
        },
        LayerSpec {
            toml: POINTS_TOML,
            id: "points",
            fields: vec![Field::new("n", FieldType::Int)],
            features: points(),
        },
        LayerSpec {
            toml: SECRET_TOML,
            id: "secret",
            fields: vec![Field::new("名称", FieldType::String)],
            features: secret,
        },
    ])
}
