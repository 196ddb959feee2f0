//! The OpenAPI 3.0 document of the OGC API, generated per caller from the views they may
//! see: a hidden collection appears nowhere in it.
//!
//! Every collection gets its own paths, listing its visible attributes as `attr=value`
//! parameters. GDAL reads those paths: a parameter named like a field marks the field as
//! queryable, and `filter-lang` offering `cql-text` turns on its CQL filter translation.

use serde_json::{Map, Value as Json, json};

use super::params::{CRS84, DEFAULT_LIMIT, MAX_LIMIT};
use super::respond::{GEOJSON, JSON, SCHEMA};
use crate::access::LayerView;

pub fn document(base: &str, views: &[LayerView]) -> Json {
    let mut paths = Map::new();
    paths.insert("/".into(), op("getLandingPage", "Landing page", JSON, &[]));
    paths.insert(
        "/conformance".into(),
        op(
            "getConformance",
            "Conformance classes implemented",
            JSON,
            &[],
        ),
    );
    paths.insert(
        "/api".into(),
        op("getApi", "This API definition", JSON, &[]),
    );
    paths.insert(
        "/collections".into(),
        op("getCollections", "The collections you may see", JSON, &[]),
    );
    for v in views {
        collection_paths(&mut paths, v);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "かしまっぷ Kashimap — OGC API – Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Layers of Kashima City (Saga) as GeoJSON. Filtering with CQL2-text (OGC API – Features Part 3).",
            "license": { "name": "See each collection's attribution" },
        },
        "servers": [{ "url": format!("{base}/ogc") }],
        "paths": paths,
        "components": components(),
    })
}

fn collection_paths(paths: &mut Map<String, Json>, view: &LayerView) {
    let id = view.layer.id();
    let title = &view.layer.def.title.ja;
    let url = format!("/collections/{id}");
    paths.insert(
        url.clone(),
        op(
            &format!("describe_{id}"),
            &format!("The collection {title} ({id})"),
            JSON,
            &[],
        ),
    );
    paths.insert(
        format!("{url}/queryables"),
        op(
            &format!("queryables_{id}"),
            &format!("Queryables of {title}"),
            SCHEMA,
            &[],
        ),
    );
    let mut params: Vec<Json> = [
        "bbox",
        "bbox-crs",
        "limit",
        "offset",
        "properties",
        "sortby",
        "filter",
        "filter-lang",
        "filter-crs",
        "f",
    ]
    .iter()
    .map(|p| json!({ "$ref": format!("#/components/parameters/{p}") }))
    .collect();
    params.extend(view.fields().map(|(_, f)| {
        json!({
            "name": f.name,
            "in": "query",
            "required": false,
            "description": format!("Only features whose `{}` equals this value", f.name),
            "schema": { "type": f.ty.json_schema_type() },
            "style": "form",
            "explode": false,
        })
    }));
    paths.insert(
        format!("{url}/items"),
        op(
            &format!("items_{id}"),
            &format!("Features of {title}"),
            GEOJSON,
            &params,
        ),
    );
    let fid = vec![json!({ "$ref": "#/components/parameters/featureId" })];
    paths.insert(
        format!("{url}/items/{{featureId}}"),
        op(
            &format!("item_{id}"),
            &format!("One feature of {title}"),
            GEOJSON,
            &fid,
        ),
    );
}

/// A GET operation answering `media`, with the shared error responses.
fn op(id: &str, summary: &str, media: &str, parameters: &[Json]) -> Json {
    let schema = if media == GEOJSON {
        json!({ "$ref": "#/components/schemas/geojson" })
    } else {
        json!({ "type": "object" })
    };
    json!({ "get": {
        "operationId": id,
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": { "description": summary, "content": { media: { "schema": schema } } },
            "400": { "$ref": "#/components/responses/error" },
            "404": { "$ref": "#/components/responses/error" },
        },
    }})
}

fn query_param(name: &str, description: &str, schema: &Json) -> Json {
    json!({
        "name": name,
        "in": "query",
        "required": false,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": false,
    })
}

fn components() -> Json {
    let crs = json!({ "type": "string", "enum": [CRS84], "default": CRS84 });
    json!({
        "parameters": {
            "bbox": query_param("bbox", "minLon,minLat,maxLon,maxLat (CRS84): features whose geometry intersects the box",
                &json!({ "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } })),
            "bbox-crs": query_param("bbox-crs", "CRS of bbox; only CRS84", &crs),
            "limit": query_param("limit", "Page size",
                &json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT })),
            "offset": query_param("offset", "Features to skip (paging; follow the `next` link)",
                &json!({ "type": "integer", "minimum": 0, "default": 0 })),
            "properties": query_param("properties", "Comma-separated attributes to return",
                &json!({ "type": "array", "items": { "type": "string" } })),
            "sortby": query_param("sortby", "Comma-separated attributes, each optionally prefixed + or -",
                &json!({ "type": "array", "items": { "type": "string" } })),
            "filter": query_param("filter", "A CQL2-text filter, e.g. 名称 LIKE '%小学校%'",
                &json!({ "type": "string" })),
            "filter-lang": query_param("filter-lang", "The filter language: cql2-text (cql-text is an older name for it)",
                &json!({ "type": "string", "enum": ["cql2-text", "cql-text"], "default": "cql2-text" })),
            "filter-crs": query_param("filter-crs", "CRS of geometries in the filter; only CRS84", &crs),
            "f": query_param("f", "Output format; only json",
                &json!({ "type": "string", "enum": ["json"] })),
            "featureId": {
                "name": "featureId", "in": "path", "required": true,
                "description": "The feature id", "schema": { "type": "integer", "minimum": 0 },
            },
        },
        "schemas": {
            "geojson": {
                "type": "object",
                "required": ["type"],
                "properties": { "type": { "type": "string", "enum": ["Feature", "FeatureCollection"] } },
            },
            "error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": { "type": "string" },
                    "message": { "type": "string" },
                    "message_ja": { "type": "string" },
                    "details": { "type": "array", "items": { "type": "object" } },
                },
            },
        },
        "responses": {
            "error": {
                "description": "A client error, with what was wrong and where",
                "content": { JSON: { "schema": { "$ref": "#/components/schemas/error" } } },
            },
        },
    })
}
