//! The JSON documents of the OGC API: landing page, conformance, collections, queryables
//! and feature collections. Each is built from a [`LayerView`], never from a raw layer.

use std::fmt::Write as _;

use serde_json::{Value as Json, json};

use super::params::CRS84;
use super::respond::{GEOJSON, JSON, OPENAPI, SCHEMA};
use crate::access::LayerView;
use crate::catalog::{Geometries, GeometryKind};
use crate::http::extract::Params;
use crate::model::FieldType;
use crate::query::geojson;
use crate::query::items::{ItemsPage, ItemsQuery};

/// The conformance classes implemented (OGC API – Features Parts 1, 3 and 4, CQL2).
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    // Part 4 (draft): POST, PUT, PATCH (JSON merge patch) and DELETE with optimistic locking
    // (ETag / If-Match), on the collections that name edit roles.
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
];

fn link(href: String, rel: &str, media: &str, title: &str) -> Json {
    json!({ "href": Json::String(href), "rel": rel, "type": media, "title": title })
}

pub fn landing(base: &str) -> Json {
    let ogc = format!("{base}/ogc");
    json!({
        "title": "かしまっぷ Kashimap — 鹿島市 OGC API – Features",
        "description": "Map layers of Kashima City (Saga): 避難所, 用途地域, 道路台帳, 埋蔵文化財包蔵地 and more, as GeoJSON with CQL2 filtering.",
        "links": [
            link(ogc.clone(), "self", JSON, "This document"),
            link(format!("{ogc}/api"), "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(format!("{ogc}/api?f=html"), "service-doc", "text/html", "The API documentation"),
            link(format!("{ogc}/conformance"), "conformance", JSON, "Conformance classes implemented"),
            link(format!("{ogc}/collections"), "data", JSON, "The collections"),
        ],
    })
}

pub fn conformance() -> Json {
    json!({ "conformsTo": CONFORMANCE })
}

pub fn collections(base: &str, views: &[LayerView]) -> Json {
    json!({
        "links": [link(format!("{base}/ogc/collections"), "self", JSON, "The collections")],
        "collections": views.iter().map(|v| collection(base, v)).collect::<Vec<_>>(),
    })
}

/// One collection: titles, extent, CRS and links to its items, queryables and tiles.
pub fn collection(base: &str, view: &LayerView) -> Json {
    let def = &view.layer.def;
    let id = &def.id;
    let url = format!("{base}/ogc/collections/{id}");
    let mut description = def
        .description
        .as_ref()
        .map_or_else(|| def.title.en.clone(), |d| format!("{} / {}", d.ja, d.en));
    if def.sample {
        description
            .push_str(" (sample data generated for testing, not official data / 見本データ)");
    }
    let mut doc = json!({
        "id": id,
        "title": def.title.ja,
        "description": description,
        "titles": { "ja": def.title.ja, "en": def.title.en },
        "attribution": def.attribution,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": [
            link(url.clone(), "self", JSON, "This collection"),
            link(format!("{url}/items"), "items", GEOJSON, "Features (GeoJSON)"),
            link(format!("{url}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA, "Queryables"),
            link(format!("{url}/queryables"), "queryables", SCHEMA, "Queryables"),
            link(format!("{base}/tiles/{id}.json"), "tiles", JSON, "Vector tiles (TileJSON)"),
        ],
    });
    if let Some(b) = view.layer.bbox {
        doc["extent"] = json!({ "spatial": {
            "bbox": [[b.min().x, b.min().y, b.max().x, b.max().y]],
            "crs": CRS84,
        }});
    }
    doc
}

/// The queryables as JSON Schema: the geometry and the attributes the view shows, with each
/// attribute's English title and unit (`x-ogc-unit`, as in OGC API – Features Part 5), and the
/// label attribute (`x-kashimap-label`) when the view shows it.
pub fn queryables(base: &str, view: &LayerView) -> Json {
    let def = &view.layer.def;
    let mut props = serde_json::Map::new();
    props.insert("geometry".into(), geometry_schema(def.geometry));
    for (_, field) in view.fields() {
        let mut s = json!({ "type": field.ty.json_schema_type() });
        if field.ty == FieldType::Date {
            s["format"] = "date".into();
        }
        if let Some(f) = def.fields.get(&field.name) {
            s["title"] = f.en.clone().into();
            if let Some(unit) = &f.unit {
                s["x-ogc-unit"] = unit.clone().into();
            }
        }
        props.insert(field.name.clone(), s);
    }
    let mut doc = json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{base}/ogc/collections/{}/queryables", def.id),
        "type": "object",
        "title": def.title.ja,
        "properties": props,
        "additionalProperties": false,
    });
    // The viewer names a feature by its label attribute; named only when the view shows it,
    // so a hidden attribute's name never appears.
    if let Some(label) = def.label.as_ref().filter(|l| props_has(&doc, l)) {
        doc["x-kashimap-label"] = label.clone().into();
    }
    doc
}

fn props_has(doc: &Json, name: &str) -> bool {
    doc["properties"].get(name).is_some()
}

/// The geometry's JSON Schema with its OGC API – Features Part 5 format: `geometry-point-or-
/// multipoint` and the like for one kind, `geometry-any` for a layer of several.
fn geometry_schema(kinds: Geometries) -> Json {
    let format = match kinds.single() {
        Some(GeometryKind::Point) => "geometry-point-or-multipoint",
        Some(GeometryKind::LineString) => "geometry-linestring-or-multilinestring",
        Some(GeometryKind::Polygon) => "geometry-polygon-or-multipolygon",
        None => "geometry-any",
    };
    let refs: Vec<Json> = kinds
        .iter()
        .flat_map(|k| {
            let name = k.name();
            [
                json!({ "$ref": format!("https://geojson.org/schema/{name}.json") }),
                json!({ "$ref": format!("https://geojson.org/schema/Multi{name}.json") }),
            ]
        })
        .collect();
    json!({ "x-ogc-role": "primary-geometry", "format": format, "oneOf": refs })
}

/// A page of items as a GeoJSON FeatureCollection with paging links.
pub fn items(
    base: &str,
    view: &LayerView,
    page: &ItemsPage<'_>,
    q: &ItemsQuery,
    params: &Params,
) -> Json {
    let only = page.properties.as_deref();
    let features: Vec<Json> = page
        .features
        .iter()
        .map(|f| geojson::feature(view, f, only))
        .collect();
    json!({
        "type": "FeatureCollection",
        "timeStamp": crate::time::now_rfc3339(),
        "numberMatched": page.matched,
        "numberReturned": features.len(),
        "links": page_links(base, view, page, q, params),
        "features": features,
    })
}

/// `self`, `collection`, and `next`/`prev` when there is a page that way. The links repeat
/// the request's parameters, so a client following `next` keeps its filter and bbox.
fn page_links(
    base: &str,
    view: &LayerView,
    page: &ItemsPage<'_>,
    q: &ItemsQuery,
    params: &Params,
) -> Vec<Json> {
    let collection = format!("{base}/ogc/collections/{}", view.layer.id());
    let items = format!("{collection}/items");
    let (offset, limit) = (q.offset, q.limit);
    let mut links = vec![
        link(
            with_offset(&items, params, None),
            "self",
            GEOJSON,
            "This page",
        ),
        link(collection, "collection", JSON, "The collection"),
    ];
    if offset.saturating_add(page.features.len()) < page.matched && !page.features.is_empty() {
        let next = offset.saturating_add(limit);
        links.push(link(
            with_offset(&items, params, Some(next)),
            "next",
            GEOJSON,
            "Next page",
        ));
    }
    if offset > 0 {
        let prev = offset.saturating_sub(limit);
        links.push(link(
            with_offset(&items, params, Some(prev)),
            "prev",
            GEOJSON,
            "Previous page",
        ));
    }
    links
}

/// The request's own query with `offset` replaced (kept as is with `None`).
fn with_offset(url: &str, params: &Params, offset: Option<usize>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params.0 {
        if k != "offset" || offset.is_none() {
            q.append_pair(k, v);
        }
    }
    if let Some(o) = offset.filter(|&o| o > 0) {
        q.append_pair("offset", &o.to_string());
    }
    let q = q.finish();
    if q.is_empty() {
        url.to_owned()
    } else {
        format!("{url}?{q}")
    }
}

/// One feature with links to itself and its collection.
pub fn item(base: &str, view: &LayerView, f: &crate::model::Feature) -> Json {
    let collection = format!("{base}/ogc/collections/{}", view.layer.id());
    let mut doc = geojson::feature(view, f, None);
    doc["links"] = json!([
        link(
            format!("{collection}/items/{}", f.id),
            "self",
            GEOJSON,
            "This feature"
        ),
        link(collection, "collection", JSON, "The collection"),
    ]);
    doc
}

/// A plain HTML page listing the operations of the OpenAPI document (the `service-doc`).
pub fn api_html(openapi: &Json) -> String {
    let mut rows = String::new();
    if let Some(paths) = openapi["paths"].as_object() {
        for (path, ops) in paths {
            let summary = ops["get"]["summary"].as_str().unwrap_or("");
            let _ = writeln!(
                rows,
                "<tr><td><code>GET {}</code></td><td>{}</td></tr>",
                escape(path),
                escape(summary)
            );
        }
    }
    let server = openapi["servers"][0]["url"].as_str().unwrap_or("");
    format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>Kashimap OGC API</title></head>\n<body><h1>かしまっぷ OGC API – Features</h1>\n<p>Server: <code>{}</code>. Machine-readable definition: <a href=\"api\">OpenAPI 3.0 (JSON)</a>.</p>\n<table>\n{rows}</table></body></html>\n",
        escape(server)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
