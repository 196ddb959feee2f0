//! The expected policy, written out by hand from `layers/*.toml` and the issue (never derived
//! by calling `decide`): for each role, which layers it sees and which attributes of each.
//!
//! | role       | shelters | zoning | roads  | heritage | pipes      | chiban, flood, dosha, landmarks |
//! |------------|----------|--------|--------|----------|------------|---------------------------------|
//! | anonymous  | all      | all    | public | public   | —          | all                             |
//! | staff      | all      | all    | public | public   | —          | all                             |
//! | suido      | all      | all    | public | public   | all        | all                             |
//! | kensetsu   | all      | all    | all    | public   | —          | all                             |
//! | bunka      | all      | all    | public | all      | —          | all                             |
//! | contractor | all      | all    | public | public   | no 土被り  | all                             |
//! | admin      | all      | all    | all    | all      | all        | all                             |
//!
//! No starting layer has a row filter, so every role that sees a layer sees all its features.

use std::collections::BTreeSet;

/// Who is asking. `Staff` is a signed-in employee with no department role; `Contractor`
/// signs in but is not staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Anonymous,
    Staff,
    Suido,
    Kensetsu,
    Bunka,
    Contractor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Anonymous,
        Role::Staff,
        Role::Suido,
        Role::Kensetsu,
        Role::Bunka,
        Role::Contractor,
        Role::Admin,
    ];

    /// The user name (and role name) the crawl signs in with; `None` when anonymous.
    pub fn user(self) -> Option<&'static str> {
        match self {
            Role::Anonymous => None,
            Role::Staff => Some("staff"),
            Role::Suido => Some("suido"),
            Role::Kensetsu => Some("kensetsu"),
            Role::Bunka => Some("bunka"),
            Role::Contractor => Some("contractor"),
            Role::Admin => Some("admin"),
        }
    }
}

/// The sample layers, in the order of the table.
pub const LAYERS: [&str; 9] = [
    "shelters",
    "zoning",
    "roads",
    "heritage",
    "pipes",
    "chiban",
    "flood",
    "dosha",
    "landmarks",
];

/// Every attribute of the sample data, per layer.
const SHELTERS: &[&str] = &[
    "名称",
    "住所",
    "種別",
    "共通ID",
    "NO",
    "洪水",
    "土砂災害",
    "高潮",
    "地震",
    "津波",
    "大規模な火事",
    "内水氾濫",
    "火山現象",
    "受入対象者",
    "備考",
    "よみ",
];
const ZONING: &[&str] = &[
    "用途地域コード",
    "用途地域",
    "容積率",
    "建蔽率",
    "高さ制限",
    "告示日",
    "決定者",
];
const ROADS: &[&str] = &[
    "路線番号",
    "路線名",
    "種別",
    "幅員",
    "延長",
    "認定年月日",
    "起点",
    "終点",
    "舗装",
    "管理者",
    "台帳番号",
    "備考",
];
const ROADS_PUBLIC: &[&str] = &["路線番号", "路線名", "種別", "幅員", "延長", "認定年月日"];
const HERITAGE: &[&str] = &[
    "遺跡番号",
    "遺跡名",
    "時代",
    "種別",
    "調査履歴",
    "最終調査日",
];
const HERITAGE_PUBLIC: &[&str] = &["遺跡番号", "遺跡名", "時代", "種別"];
const PIPES: &[&str] = &[
    "管路番号",
    "管種",
    "口径",
    "布設年度",
    "土被り",
    "用途",
    "延長",
];
const PIPES_CONTRACTOR: &[&str] = &["管路番号", "管種", "口径", "布設年度", "用途", "延長"];
const CHIBAN: &[&str] = &["所在", "大字", "地番", "地目", "地積"];
const FLOOD: &[&str] = &["浸水深", "浸水深ランク", "河川名", "想定"];
const LANDMARKS: &[&str] = &["名称", "よみ", "種別"];
const DOSHA: &[&str] = &[
    "区域番号",
    "区域名",
    "現象の種類",
    "区域区分",
    "所在地",
    "公示日",
];

type Row = [Option<&'static [&'static str]>; 9];

/// The table above. `None`: the layer is hidden (the same 404 as a missing one).
#[rustfmt::skip]
const TABLE: [(Role, Row); 7] = [
    //                  shelters        zoning        roads               heritage               pipes                   chiban        flood        dosha        landmarks
    (Role::Anonymous,  [Some(SHELTERS), Some(ZONING), Some(ROADS_PUBLIC), Some(HERITAGE_PUBLIC), None,                   Some(CHIBAN), Some(FLOOD), Some(DOSHA), Some(LANDMARKS)]),
    (Role::Staff,      [Some(SHELTERS), Some(ZONING), Some(ROADS_PUBLIC), Some(HERITAGE_PUBLIC), None,                   Some(CHIBAN), Some(FLOOD), Some(DOSHA), Some(LANDMARKS)]),
    (Role::Suido,      [Some(SHELTERS), Some(ZONING), Some(ROADS_PUBLIC), Some(HERITAGE_PUBLIC), Some(PIPES),            Some(CHIBAN), Some(FLOOD), Some(DOSHA), Some(LANDMARKS)]),
    (Role::Kensetsu,   [Some(SHELTERS), Some(ZONING), Some(ROADS),        Some(HERITAGE_PUBLIC), None,                   Some(CHIBAN), Some(FLOOD), Some(DOSHA), Some(LANDMARKS)]),
    (Role::Bunka,      [Some(SHELTERS), Some(ZONING), Some(ROADS_PUBLIC), Some(HERITAGE),        None,                   Some(CHIBAN), Some(FLOOD), Some(DOSHA), Some(LANDMARKS)]),
    (Role::Contractor, [Some(SHELTERS), Some(ZONING), Some(ROADS_PUBLIC), Some(HERITAGE_PUBLIC), Some(PIPES_CONTRACTOR), Some(CHIBAN), Some(FLOOD), Some(DOSHA), Some(LANDMARKS)]),
    (Role::Admin,      [Some(SHELTERS), Some(ZONING), Some(ROADS),        Some(HERITAGE),        Some(PIPES),            Some(CHIBAN), Some(FLOOD), Some(DOSHA), Some(LANDMARKS)]),
];

fn column(layer: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| *l == layer)
        .unwrap_or_else(|| panic!("not a sample layer: {layer}"))
}

/// Every attribute of a layer (what an admin sees).
pub fn all_attributes(layer: &str) -> &'static [&'static str] {
    attributes(Role::Admin, layer).unwrap()
}

/// The attributes `role` may see of `layer`; `None` when the layer is hidden from it.
pub fn attributes(role: Role, layer: &str) -> Option<&'static [&'static str]> {
    let row = TABLE.iter().find(|(r, _)| *r == role).unwrap().1;
    row[column(layer)]
}

/// The attributes of `layer` hidden from `role` (empty when it sees all or none).
pub fn hidden_attributes(role: Role, layer: &str) -> Vec<&'static str> {
    let shown = attributes(role, layer).unwrap_or(&[]);
    all_attributes(layer)
        .iter()
        .copied()
        .filter(|a| attributes(role, layer).is_some() && !shown.contains(a))
        .collect()
}

/// The layers `role` sees, in table order.
pub fn visible(role: Role) -> Vec<&'static str> {
    LAYERS
        .into_iter()
        .filter(|l| attributes(role, l).is_some())
        .collect()
}

/// The layers hidden from `role`.
pub fn hidden(role: Role) -> Vec<&'static str> {
    LAYERS
        .into_iter()
        .filter(|l| attributes(role, l).is_none())
        .collect()
}

/// True when `role` sees `layer` exactly as the public does, so answers about it may be
/// cached publicly. Anything else is restricted and must be `private`.
pub fn seen_as_public(role: Role, layer: &str) -> bool {
    attributes(role, layer) == attributes(Role::Anonymous, layer)
}

/// Attribute names that appear in no layer `role` sees: they must appear nowhere in what it
/// gets. (`備考` is hidden in roads but public in shelters, so it is not in this set.)
pub fn never_named(role: Role) -> BTreeSet<&'static str> {
    let shown: BTreeSet<&str> = visible(role)
        .iter()
        .flat_map(|l| attributes(role, l).unwrap().iter().copied())
        .collect();
    LAYERS
        .iter()
        .flat_map(|l| all_attributes(l).iter().copied())
        .filter(|a| !shown.contains(a))
        .collect()
}

/// The Japanese titles of the layers, to look for hidden ones in documents.
pub fn title(layer: &str) -> &'static str {
    match layer {
        "shelters" => "避難所",
        "zoning" => "用途地域",
        "roads" => "道路台帳",
        "heritage" => "埋蔵文化財包蔵地",
        "pipes" => "水道管路",
        "chiban" => "字図・地番",
        "flood" => "洪水浸水想定区域（想定最大規模）",
        "dosha" => "土砂災害警戒区域",
        "landmarks" => "主な施設",
        _ => panic!("not a sample layer: {layer}"),
    }
}

#[test]
fn the_table_says_what_the_issue_says() {
    assert_eq!(
        visible(Role::Anonymous),
        [
            "shelters",
            "zoning",
            "roads",
            "heritage",
            "chiban",
            "flood",
            "dosha",
            "landmarks"
        ]
    );
    assert_eq!(hidden(Role::Staff), ["pipes"]);
    assert_eq!(hidden_attributes(Role::Contractor, "pipes"), ["土被り"]);
    assert_eq!(hidden_attributes(Role::Suido, "pipes"), Vec::<&str>::new());
    assert!(never_named(Role::Anonymous).contains("土被り"));
    assert!(!never_named(Role::Anonymous).contains("備考"));
    assert!(never_named(Role::Kensetsu).contains("調査履歴"));
    assert!(never_named(Role::Admin).is_empty());
}
