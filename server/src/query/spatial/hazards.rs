//! The hazards of `/api/at`: the flood depth class and the landslide zones at a point, in
//! plain words, with the nearest shelters designated for that hazard.
//!
//! A hazard is answered only from a layer the caller may see (its [`LayerView`]): a hidden
//! or missing layer leaves the hazard out of the answer, exactly as `/api/at` leaves such a
//! layer out of `layers`. Attribute values are read only when the view shows them.

use serde_json::{Value as Json, json};

use super::geodesy::Origin;
use super::{SHELTER_LAYER, covering, nearest_shelters};
use crate::access::LayerView;
use crate::model::{Feature, Value};

/// The layer of 洪水浸水想定区域 and its attributes.
pub const FLOOD_LAYER: &str = "flood";
pub const FLOOD_DEPTH: &str = "浸水深";
pub const FLOOD_RANK: &str = "浸水深ランク";
pub const FLOOD_RIVER: &str = "河川名";

/// The layer of 土砂災害警戒区域 and its attributes.
pub const DOSHA_LAYER: &str = "dosha";
pub const DOSHA_CLASS: &str = "区域区分";
pub const DOSHA_KIND: &str = "現象の種類";
pub const DOSHA_SPECIAL: &str = "土砂災害特別警戒区域";

/// The national depth classes, shallowest first (rank = position + 1), with English.
pub const DEPTH_CLASSES: &[(&str, &str)] = &[
    ("0.5m未満", "less than 0.5 m"),
    ("0.5〜3m", "0.5–3 m"),
    ("3〜5m", "3–5 m"),
    ("5〜10m", "5–10 m"),
    ("10〜20m", "10–20 m"),
    ("20m以上", "20 m or more"),
];

/// The phenomena of the landslide zones, with English.
pub const PHENOMENA: &[(&str, &str)] = &[
    ("急傾斜地の崩壊", "steep slope failure"),
    ("土石流", "debris flow"),
    ("地すべり", "landslide"),
];

/// `hazards` of `/api/at`: one entry per hazard layer the caller may see.
pub fn hazards_json(views: &[LayerView], origin: &Origin) -> Json {
    let shelters = views.iter().find(|v| v.layer.id() == SHELTER_LAYER);
    let designated = |hazard: &str| -> Vec<Json> {
        shelters
            .and_then(|v| nearest_shelters(v, origin, Some(hazard)).ok())
            .unwrap_or_default()
    };
    let mut out = serde_json::Map::new();
    if let Some(view) = views.iter().find(|v| v.layer.id() == FLOOD_LAYER) {
        let mut flood = flood(view, origin);
        flood["shelters"] = designated("洪水").into();
        out.insert(FLOOD_LAYER.into(), flood);
    }
    if let Some(view) = views.iter().find(|v| v.layer.id() == DOSHA_LAYER) {
        let mut dosha = dosha(view, origin);
        dosha["shelters"] = designated("土砂災害").into();
        out.insert(DOSHA_LAYER.into(), dosha);
    }
    Json::Object(out)
}

/// A visible attribute of `f`, if set.
fn visible<'f>(view: &LayerView, f: &'f Feature, name: &str) -> Option<&'f Value> {
    let i = view.layer.schema.index_of(name)?;
    let v = f.property(i);
    (view.shows(name) && !v.is_null()).then_some(v)
}

fn visible_text(view: &LayerView, f: &Feature, name: &str) -> Option<String> {
    visible(view, f, name).map(ToString::to_string)
}

/// The depth rank (1–6) of a flood feature: its `浸水深ランク`, else its class's position.
fn depth_rank(view: &LayerView, f: &Feature) -> Option<usize> {
    let from_rank = visible(view, f, FLOOD_RANK)
        .and_then(Value::as_f64)
        .map(|r| r as usize)
        .filter(|r| (1..=DEPTH_CLASSES.len()).contains(r));
    from_rank.or_else(|| {
        let class = visible_text(view, f, FLOOD_DEPTH)?;
        DEPTH_CLASSES
            .iter()
            .position(|(ja, _)| *ja == class.trim())
            .map(|p| p + 1)
    })
}

fn flood(view: &LayerView, origin: &Origin) -> Json {
    let here = covering(view, origin);
    // The deepest covering polygon; a polygon without a readable depth still puts the point
    // in the area.
    let deepest = here
        .iter()
        .max_by_key(|f| (depth_rank(view, f).unwrap_or(0), std::cmp::Reverse(f.id)))
        .copied();
    let rank = deepest.and_then(|f| depth_rank(view, f)).unwrap_or(0);
    let class = (rank > 0).then(|| DEPTH_CLASSES[rank - 1]);
    let river = deepest.and_then(|f| visible_text(view, f, FLOOD_RIVER));
    let message = match (deepest, class) {
        (Some(_), Some((ja, en))) => json!({
            "ja": format!("この場所は洪水時に {ja} 浸水する想定です"),
            "en": format!("In the largest assumed flood, this place is expected to be under {en} of water"),
        }),
        (Some(_), None) => json!({
            "ja": "この場所は洪水浸水想定区域の中です",
            "en": "This place is in the assumed flood area",
        }),
        (None, _) => json!({
            "ja": "この場所は洪水浸水想定区域（想定最大規模）の外です",
            "en": "This place is outside the assumed flood area (largest assumed rainfall)",
        }),
    };
    json!({
        "layer": FLOOD_LAYER,
        "in_area": deepest.is_some(),
        "depth_class": class.map(|(ja, _)| ja),
        "depth_rank": rank,
        "river": river,
        "message": message,
    })
}

fn dosha(view: &LayerView, origin: &Origin) -> Json {
    let mut zones: Vec<(bool, String, String)> = covering(view, origin)
        .into_iter()
        .map(|f| {
            let class = visible_text(view, f, DOSHA_CLASS).unwrap_or_default();
            let kind = visible_text(view, f, DOSHA_KIND).unwrap_or_default();
            (class == DOSHA_SPECIAL, class, kind)
        })
        .collect();
    // Special zones first, then by phenomenon; each pair once.
    zones.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.2.cmp(&b.2)));
    zones.dedup();
    let message = match zones.first() {
        None => json!({
            "ja": "この場所は土砂災害警戒区域の外です",
            "en": "This place is outside the landslide hazard zones",
        }),
        Some((special, class, _)) => {
            let mut kinds: Vec<&str> = zones.iter().map(|z| z.2.as_str()).collect();
            let mut seen: Vec<&str> = Vec::new();
            kinds.retain(|k| {
                let first = !k.is_empty() && !seen.contains(k);
                seen.push(k);
                first
            });
            let ja_class = if class.is_empty() {
                "土砂災害警戒区域"
            } else {
                class.as_str()
            };
            let en_class = if *special {
                "a landslide special warning zone"
            } else {
                "a landslide warning zone"
            };
            let en_kinds: Vec<&str> = kinds
                .iter()
                .map(|k| {
                    PHENOMENA
                        .iter()
                        .find(|(ja, _)| ja == k)
                        .map_or(*k, |(_, en)| en)
                })
                .collect();
            if kinds.is_empty() {
                json!({
                    "ja": format!("この場所は{ja_class}の中です"),
                    "en": format!("This place is in {en_class}"),
                })
            } else {
                json!({
                    "ja": format!("この場所は{ja_class}（{}）の中です", kinds.join("・")),
                    "en": format!("This place is in {en_class} ({})", en_kinds.join(", ")),
                })
            }
        }
    };
    let zones: Vec<Json> = zones
        .iter()
        .map(|(_, class, kind)| {
            json!({
                "区域区分": (!class.is_empty()).then_some(class),
                "現象の種類": (!kind.is_empty()).then_some(kind),
            })
        })
        .collect();
    json!({
        "layer": DOSHA_LAYER,
        "in_area": !zones.is_empty(),
        "zones": zones,
        "message": message,
    })
}
