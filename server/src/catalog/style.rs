//! A default MapLibre style for a layer, made from its definition: a circle, line or fill by
//! its geometry, in a colour of its own, and one colour per choice when a field lists
//! `choices` (so the legend shows them). A layer without hand-written style layers still
//! appears on the map and in the legend.

use serde_json::{Value, json};

use super::{GeometryKind, LayerDef};

/// Colour-blind-friendly colours (Okabe–Ito, then Tol's muted), for layers and choices.
const PALETTE: &[&str] = &[
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#332288", "#117733",
    "#882255", "#aa4499", "#44aa99", "#999933",
];
/// Values outside the choices (and null) are grey.
const OTHER: &str = "#9e9e9e";

/// The source and style layers that draw `def` with its defaults.
pub fn default_style(def: &LayerDef) -> (Value, Vec<Value>) {
    let source = json!({ "type": "vector", "url": format!("/tiles/{}.json", def.id) });
    let colour = colour(def);
    let id = &def.id;
    let base = |kind: &str, suffix: &str, paint: Value| json!({ "id": format!("{id}-{suffix}"), "type": kind, "source": id, "source-layer": id, "paint": paint });
    let mixed = def.geometry.single().is_none();
    let mut layers = Vec::new();
    for kind in def.geometry.iter() {
        let mut drawn = match kind {
            GeometryKind::Point => vec![base(
                "circle",
                "circle",
                json!({
                    "circle-radius": 6,
                    "circle-color": colour,
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1.5,
                }),
            )],
            GeometryKind::LineString => vec![base(
                "line",
                "line",
                json!({ "line-color": colour, "line-width": 2.5 }),
            )],
            GeometryKind::Polygon => vec![
                base(
                    "fill",
                    "fill",
                    json!({ "fill-color": colour, "fill-opacity": 0.4 }),
                ),
                base(
                    "line",
                    "outline",
                    json!({ "line-color": "#555555", "line-width": 1 }),
                ),
            ],
        };
        if mixed {
            // A circle layer would also ring every corner of an area: each kind draws only
            // its own features (`$type` counts multi-geometries as their kind).
            for layer in &mut drawn {
                layer["filter"] = json!(["==", "$type", kind.name()]);
            }
        }
        layers.extend(drawn);
    }
    (source, layers)
}

/// The layer's colour, or a `match` on its first field with choices (one colour each).
fn colour(def: &LayerDef) -> Value {
    let own = PALETTE[stable_index(&def.id)];
    let Some((name, field)) = def.fields.iter().find(|(_, f)| !f.choices.is_empty()) else {
        return json!(own);
    };
    let mut expr = vec![json!("match"), json!(["get", name])];
    for (i, choice) in field.choices.iter().enumerate() {
        expr.push(match field.field_type {
            Some(crate::model::FieldType::Int) => choice
                .parse::<i64>()
                .map_or_else(|_| json!(choice), |n| json!(n)),
            _ => json!(choice),
        });
        expr.push(json!(PALETTE[i % PALETTE.len()]));
    }
    expr.push(json!(OTHER));
    Value::Array(expr)
}

/// The same palette index for the same id on every start (no `Hash` randomness).
fn stable_index(id: &str) -> usize {
    let sum = id.bytes().fold(0usize, |a, b| {
        a.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    sum % PALETTE.len()
}

/// Adds the default style of every layer in `defs` that `style` does not draw yet (no source
/// for its TileJSON), on top of the style's own layers.
pub fn add_defaults<'a>(style: &mut Value, defs: impl IntoIterator<Item = &'a LayerDef>) {
    for def in defs {
        let url = format!("/tiles/{}.json", def.id);
        let drawn = style["sources"].as_object().is_some_and(|s| {
            s.values()
                .any(|src| src.get("url").and_then(Value::as_str) == Some(url.as_str()))
        });
        if drawn || style["sources"].get(&def.id).is_some() {
            continue;
        }
        let (source, layers) = default_style(def);
        if let Some(sources) = style["sources"].as_object_mut() {
            sources.insert(def.id.clone(), source);
        }
        if let Some(list) = style["layers"].as_array_mut() {
            list.extend(layers);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn def(geometry: &str, fields: &str) -> LayerDef {
        let text = format!(
            r#"
id = "farmland"
title = {{ ja = "農地", en = "Farmland" }}
department = "農業委員会"
source = "Cargo.toml"
geometry = {geometry}
attribution = "鹿島市"
[access]
view = "staff"
{fields}
"#
        );
        LayerDef::from_toml(
            &text,
            Path::new("t.toml"),
            Path::new(env!("CARGO_MANIFEST_DIR")),
        )
        .unwrap()
    }

    #[test]
    fn a_polygon_layer_with_choices_gets_one_colour_per_choice() {
        let d = def(
            "\"Polygon\"",
            "[fields.\"状況\"]\nen = \"State\"\nchoices = [\"耕作中\", \"遊休農地\"]\n",
        );
        let (source, layers) = default_style(&d);
        assert_eq!(source["url"], "/tiles/farmland.json");
        let ids: Vec<&str> = layers.iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["farmland-fill", "farmland-outline"]);
        assert!(
            layers.iter().all(|l| l.get("filter").is_none()),
            "one kind needs no filter"
        );
        let fill = &layers[0]["paint"]["fill-color"];
        assert_eq!(fill[0], "match");
        assert_eq!(fill[1], json!(["get", "状況"]));
        assert_eq!(
            (fill[2].as_str(), fill[4].as_str()),
            (Some("耕作中"), Some("遊休農地"))
        );
        assert_eq!(
            fill.as_array().unwrap().last().unwrap(),
            OTHER,
            "a default for null"
        );
    }

    #[test]
    fn a_point_or_polygon_layer_draws_each_kind_only_on_its_own_features() {
        let d = def("[\"Point\", \"Polygon\"]", "");
        let (_, layers) = default_style(&d);
        let drawn: Vec<(&str, &Value)> = layers
            .iter()
            .map(|l| (l["type"].as_str().unwrap(), &l["filter"]))
            .collect();
        assert_eq!(
            drawn,
            [
                ("circle", &json!(["==", "$type", "Point"])),
                ("fill", &json!(["==", "$type", "Polygon"])),
                ("line", &json!(["==", "$type", "Polygon"])),
            ]
        );
    }

    #[test]
    fn defaults_are_added_only_for_layers_the_style_does_not_draw() {
        let point = def("\"Point\"", "");
        let mut style = json!({
            "sources": { "shelters": { "type": "vector", "url": "/tiles/shelters.json" } },
            "layers": [{ "id": "shelters-circle", "source": "shelters" }],
        });
        add_defaults(&mut style, [&point]);
        assert_eq!(style["layers"].as_array().unwrap().len(), 2);
        assert_eq!(style["layers"][1]["type"], "circle");
        add_defaults(&mut style, [&point]);
        assert_eq!(style["layers"].as_array().unwrap().len(), 2, "added once");
    }
}
