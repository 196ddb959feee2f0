//! The OpenAPI 3.0 document of the OGC API, generated per caller from the views they may
//! see: a hidden collection appears nowhere in it.
//!
//! Every collection gets its own paths, listing its visible attributes as `attr=value`
//! parameters. GDAL reads those paths: a parameter named like a field marks the field as
//! queryable, and `filter-lang` offering `cql-text` turns on its CQL filter translation.
//!
//! The document states what the server accepts and answers as closely as OpenAPI 3.0 can:
//! every response has a schema the real answer validates against, and parameter schemas
//! admit the values the server takes (an outside fuzzer, schemathesis, checks both ways).

use serde_json::{Map, Value as Json, json};

use super::params::{CRS84, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET};
use super::respond::{GEOJSON, JSON, OPENAPI, SCHEMA};
use crate::access::LayerView;
use crate::model::FieldType;

/// The parameters every `items` operation takes, before its own `properties`, `sortby` and
/// attributes.
const ITEMS_SHARED: &[&str] = &[
    "bbox",
    "bbox-crs",
    "datetime",
    "limit",
    "offset",
    "filter",
    "filter-lang",
    "filter-crs",
    "f",
];

pub fn document(base: &str, views: &[LayerView]) -> Json {
    let mut paths = Map::new();
    let f = [param_ref("f")];
    paths.insert(
        "/".into(),
        op(
            "getLandingPage",
            "Landing page",
            &[(JSON, schema_ref("landingPage"))],
            &f,
            &[],
        ),
    );
    paths.insert(
        "/conformance".into(),
        op(
            "getConformance",
            "Conformance classes implemented",
            &[(JSON, schema_ref("confClasses"))],
            &f,
            &[],
        ),
    );
    paths.insert(
        "/api".into(),
        op(
            "getApi",
            "This API definition (with f=html, a readable list of its operations)",
            &[
                (
                    OPENAPI,
                    json!({ "type": "object", "required": ["openapi", "info", "paths"] }),
                ),
                ("text/html", json!({ "type": "string" })),
            ],
            &[optional(query_param(
                "f",
                "Output format: json (the OpenAPI document) or html",
                &json!({ "type": "string", "enum": ["json", "geojson", "html"] }),
            ))],
            &[],
        ),
    );
    paths.insert(
        "/collections".into(),
        op(
            "getCollections",
            "The collections you may see",
            &[(JSON, schema_ref("collections"))],
            &f,
            &[],
        ),
    );
    for v in views {
        collection_paths(&mut paths, v);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "かしまっぷ Kashimap — OGC API – Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Layers of Kashima City (Saga) as GeoJSON. Filtering with CQL2-text (OGC API – Features Part 3). Errors are JSON: {error, message, message_ja, details}.",
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
    let f = [param_ref("f")];
    paths.insert(
        url.clone(),
        op(
            &format!("describe_{id}"),
            &format!("The collection {title} ({id})"),
            &[(JSON, schema_ref("collectionInfo"))],
            &f,
            &["404"],
        ),
    );
    let queryables = schema_ref("queryables");
    paths.insert(
        format!("{url}/queryables"),
        op(
            &format!("queryables_{id}"),
            &format!("Queryables of {title}"),
            &[(SCHEMA, queryables.clone()), (JSON, queryables)],
            &f,
            &["404"],
        ),
    );
    let names: Vec<&str> = view.fields().map(|(_, f)| f.name.as_str()).collect();
    let mut params: Vec<Json> = ITEMS_SHARED.iter().map(|p| param_ref(p)).collect();
    // Not `optional`: an empty `properties=` is allowed too, but asks for no properties.
    let mut properties = query_param(
        "properties",
        "Comma-separated attributes to return; empty for none",
        &json!({ "type": "array", "items": { "type": "string", "enum": names } }),
    );
    properties["allowEmptyValue"] = true.into();
    params.push(properties);
    let keys: Vec<String> = names
        .iter()
        .flat_map(|n| [(*n).to_owned(), format!("+{n}"), format!("-{n}")])
        .collect();
    params.push(optional(query_param(
        "sortby",
        "Comma-separated attributes, each optionally prefixed + (ascending) or - (descending)",
        &json!({ "type": "array", "items": { "type": "string", "enum": keys } }),
    )));
    params.extend(view.fields().map(|(_, f)| {
        json!({
            "name": f.name,
            "in": "query",
            "required": false,
            "description": format!("Only features whose `{}` equals this value", f.name),
            "schema": { "type": equality_type(f.ty) },
            "style": "form",
            "explode": false,
        })
    }));
    paths.insert(
        format!("{url}/items"),
        op(
            &format!("items_{id}"),
            &format!("Features of {title}"),
            &[(GEOJSON, feature_collection_schema(view))],
            &params,
            &["304", "404"],
        ),
    );
    let fid = vec![param_ref("featureId"), param_ref("f")];
    paths.insert(
        format!("{url}/items/{{featureId}}"),
        op(
            &format!("item_{id}"),
            &format!("One feature of {title}"),
            &[(GEOJSON, feature_schema(view, true))],
            &fid,
            &["304", "404"],
        ),
    );
    if view.layer.def.is_editable() {
        super::openapi_edit::add(paths, view, &feature_schema(view, false));
    }
}

/// The JSON Schema type of an `attr=value` parameter: the value is compared by the
/// attribute's type (any number with a numeric attribute, an integer one included: `1.5`
/// simply matches nothing there), and JSON attributes by their text.
fn equality_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Json => "string",
        FieldType::Int => "number",
        other => other.json_schema_type(),
    }
}

/// A Feature of this view: its visible attributes only, each of its type or null.
fn feature_schema(view: &LayerView, with_links: bool) -> Json {
    let props: Map<String, Json> = view
        .fields()
        .map(|(_, f)| {
            let schema = match f.ty {
                FieldType::Json => json!({ "nullable": true }),
                ty => json!({ "type": ty.json_schema_type(), "nullable": true }),
            };
            (f.name.clone(), schema)
        })
        .collect();
    let mut schema = json!({
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": { "type": "string", "enum": ["Feature"] },
            "id": { "type": "integer", "minimum": 0 },
            "geometry": schema_ref("geometryGeoJSON"),
            "properties": {
                "type": "object",
                "properties": props,
                "additionalProperties": false,
            },
        },
        "additionalProperties": false,
    });
    if with_links {
        schema["required"] = json!(["type", "id", "geometry", "properties", "links"]);
        schema["properties"]["links"] = links_schema();
    }
    schema
}

fn feature_collection_schema(view: &LayerView) -> Json {
    json!({
        "type": "object",
        "required": ["type", "features", "links", "timeStamp", "numberMatched", "numberReturned"],
        "properties": {
            "type": { "type": "string", "enum": ["FeatureCollection"] },
            "features": { "type": "array", "items": feature_schema(view, false) },
            "links": links_schema(),
            "timeStamp": { "type": "string", "format": "date-time" },
            "numberMatched": { "type": "integer", "minimum": 0 },
            "numberReturned": { "type": "integer", "minimum": 0, "maximum": MAX_LIMIT },
        },
        "additionalProperties": false,
    })
}

/// A GET operation answering `content` (media type, schema), with the error responses
/// every operation may give (400, 414) and those listed in `extra`.
fn op(
    id: &str,
    summary: &str,
    content: &[(&str, Json)],
    parameters: &[Json],
    extra: &[&str],
) -> Json {
    let content: Map<String, Json> = content
        .iter()
        .map(|(media, schema)| ((*media).to_owned(), json!({ "schema": schema })))
        .collect();
    let mut responses = json!({
        "200": { "description": summary, "content": content },
        "400": { "$ref": "#/components/responses/error" },
        "414": { "$ref": "#/components/responses/tooLong" },
    });
    for status in extra {
        responses[*status] = match *status {
            "304" => json!({ "description": "Not modified: If-None-Match named the current ETag" }),
            _ => json!({ "$ref": "#/components/responses/notFound" }),
        };
    }
    json!({ "get": {
        "operationId": id,
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    }})
}

fn param_ref(name: &str) -> Json {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn schema_ref(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn links_schema() -> Json {
    json!({ "type": "array", "items": schema_ref("link") })
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

/// A parameter whose empty value (`name=`) the server takes as absent.
fn optional(mut param: Json) -> Json {
    param["allowEmptyValue"] = true.into();
    param
}

/// The `datetime` grammar (OGC API – Features Part 1, 7.15.4) as a regular expression: an
/// RFC 3339 date-time or date, or an interval of two, either end open (`..` or empty) but
/// not both. Days are checked against their month, leap years included, as the server does.
fn datetime_pattern() -> String {
    let leap = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[048]|[2468][048]|[13579][26])00)-02-29";
    let long = "(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])";
    let short = "(0[469]|11)-(0[1-9]|[12][0-9]|30)";
    let february = "02-(0[1-9]|1[0-9]|2[0-8])";
    let date = format!("([0-9]{{4}}-({long}|{short}|{february})|{leap})");
    let zone = "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";
    let time = format!("([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?{zone}");
    let i = format!("({date}([Tt ]{time})?)");
    format!("^({i}|{i}/({i}|\\.\\.)?|(\\.\\.)?/{i})$")
}

fn parameters() -> Json {
    let crs = json!({ "type": "string", "enum": [CRS84, "[OGC:CRS84]"], "default": CRS84 });
    json!({
        "bbox": optional(query_param(
            "bbox",
            "west,south,east,north in lon/lat (CRS84): features whose geometry intersects the box. A west edge greater than the east edge is a box across the antimeridian; a south edge greater than the north edge is an empty box (nothing matches); latitudes beyond ±90 reach past the pole",
            &json!({
                "type": "array",
                "minItems": 4,
                "maxItems": 4,
                "items": { "type": "number", "minimum": -180, "maximum": 180 },
            }),
        )),
        "bbox-crs": optional(query_param("bbox-crs", "CRS of bbox; only CRS84", &crs)),
        "datetime": optional(query_param(
            "datetime",
            "An RFC 3339 date-time or date, or an interval start/end with `..` (or nothing) for an open end, not both. The collections have no temporal property: every feature matches a valid value (only its syntax is checked)",
            &json!({ "type": "string", "pattern": datetime_pattern() }),
        )),
        "limit": optional(query_param(
            "limit",
            &format!("Page size; a value over {MAX_LIMIT} is lowered to {MAX_LIMIT}"),
            &json!({ "type": "integer", "minimum": 1, "default": DEFAULT_LIMIT }),
        )),
        "offset": optional(query_param(
            "offset",
            "Features to skip (paging; follow the `next` link)",
            &json!({ "type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0 }),
        )),
        "filter": optional(query_param(
            "filter",
            "A CQL2-text filter over the queryables, e.g. 名称 LIKE '%小学校%'",
            &json!({ "type": "string", "format": "cql2-text" }),
        )),
        "filter-lang": optional(query_param(
            "filter-lang",
            "The filter language: cql2-text (cql-text is an older name for it)",
            &json!({ "type": "string", "enum": ["cql2-text", "cql-text"], "default": "cql2-text" }),
        )),
        "filter-crs": optional(query_param("filter-crs", "CRS of geometries in the filter; only CRS84", &crs)),
        "f": optional(query_param(
            "f",
            "Output format; only JSON",
            &json!({ "type": "string", "enum": ["json", "geojson"] }),
        )),
        "featureId": {
            "name": "featureId", "in": "path", "required": true,
            "description": "The feature id", "schema": { "type": "integer", "minimum": 0 },
        },
    })
}

fn geometry_schemas(schemas: &mut Map<String, Json>) {
    let position =
        json!({ "type": "array", "minItems": 2, "maxItems": 3, "items": { "type": "number" } });
    let line = json!({ "type": "array", "minItems": 2, "items": position });
    let ring = json!({ "type": "array", "minItems": 4, "items": position });
    let polygon = json!({ "type": "array", "items": ring });
    let kinds = [
        ("Point", position.clone()),
        ("MultiPoint", json!({ "type": "array", "items": position })),
        ("LineString", line.clone()),
        ("MultiLineString", json!({ "type": "array", "items": line })),
        ("Polygon", polygon.clone()),
        ("MultiPolygon", json!({ "type": "array", "items": polygon })),
    ];
    let mut one_of: Vec<Json> = kinds
        .into_iter()
        .map(|(kind, coordinates)| {
            json!({
                "type": "object",
                "required": ["type", "coordinates"],
                "properties": {
                    "type": { "type": "string", "enum": [kind] },
                    "coordinates": coordinates,
                },
            })
        })
        .collect();
    one_of.push(json!({
        "type": "object",
        "required": ["type", "geometries"],
        "properties": {
            "type": { "type": "string", "enum": ["GeometryCollection"] },
            "geometries": { "type": "array", "items": schema_ref("geometryGeoJSON") },
        },
    }));
    schemas.insert("geometryGeoJSON".into(), json!({ "oneOf": one_of }));
}

fn schemas() -> Json {
    let text = json!({ "type": "string" });
    let links = links_schema();
    let mut schemas = Map::new();
    geometry_schemas(&mut schemas);
    let more = json!({
        "link": {
            "type": "object",
            "required": ["href", "rel"],
            "properties": {
                "href": text, "rel": text, "type": text, "title": text, "hreflang": text,
            },
        },
        "landingPage": {
            "type": "object",
            "required": ["links"],
            "properties": { "title": text, "description": text, "links": links },
        },
        "confClasses": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": { "conformsTo": { "type": "array", "items": text } },
        },
        "collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {
                "links": links,
                "collections": { "type": "array", "items": schema_ref("collectionInfo") },
            },
        },
        "collectionInfo": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": text,
                "title": text,
                "description": text,
                "titles": {
                    "type": "object",
                    "required": ["ja", "en"],
                    "properties": { "ja": text, "en": text },
                },
                "attribution": text,
                "itemType": { "type": "string", "enum": ["feature"] },
                "crs": { "type": "array", "items": text },
                "storageCrs": text,
                "extent": {
                    "type": "object",
                    "properties": {
                        "spatial": {
                            "type": "object",
                            "required": ["bbox"],
                            "properties": {
                                "bbox": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "array",
                                        "minItems": 4,
                                        "maxItems": 4,
                                        "items": { "type": "number" },
                                    },
                                },
                                "crs": text,
                            },
                        },
                    },
                },
                "links": links,
            },
        },
        "queryables": {
            "type": "object",
            "required": ["type", "properties"],
            "properties": {
                "$schema": text,
                "$id": text,
                "type": { "type": "string", "enum": ["object"] },
                "title": text,
                "properties": {
                    "type": "object",
                    "additionalProperties": { "type": "object" },
                },
                "additionalProperties": { "type": "boolean" },
                "x-kashimap-label": text,
            },
        },
        "error": {
            "type": "object",
            "required": ["error", "message", "message_ja"],
            "properties": {
                "error": { "type": "string", "description": "A stable code, e.g. invalid_parameter" },
                "message": { "type": "string", "description": "What was wrong, in English" },
                "message_ja": { "type": "string", "description": "The same in Japanese" },
                "details": {
                    "type": "array",
                    "description": "Where: the parameter and value, or the position in a filter",
                    "items": { "type": "object" },
                },
            },
            "additionalProperties": false,
        },
    });
    if let Json::Object(more) = more {
        schemas.extend(more);
    }
    Json::Object(schemas)
}

fn components() -> Json {
    let error = |description: &str| {
        json!({
            "description": description,
            "content": { JSON: { "schema": schema_ref("error") } },
        })
    };
    json!({
        "parameters": parameters(),
        "schemas": schemas(),
        "responses": {
            "error": error("A client error, with what was wrong and where"),
            "notFound": error("No such collection or feature (or one you may not see)"),
            "tooLong": error("The query string is longer than the server's limit"),
        },
    })
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::http::ogc::params;

    fn matches(text: &str) -> bool {
        regex::Regex::new(&datetime_pattern())
            .unwrap()
            .is_match(text)
    }

    /// The pattern and the parser agree, both ways.
    #[rstest]
    #[case("2024-04-01T09:00:00+09:00")]
    #[case("2024-04-01")]
    #[case("2024-02-29T00:00:00Z")]
    #[case("2000-02-29")]
    #[case("2023-02-29")]
    #[case("1900-02-29")]
    #[case("2024-04-31")]
    #[case("2024-04-01t09:00:00.123z")]
    #[case("2024-04-01 09:00:60Z")]
    #[case("2024-04-01T24:00:00Z")]
    #[case("2024-04-01T09:00:00")]
    #[case("2024-04-01/2024-05-01")]
    #[case("../2024-05-01T00:00:00Z")]
    #[case("/2024-05-01")]
    #[case("2024-04-01/..")]
    #[case("2024-04-01/")]
    #[case("../..")]
    #[case("/")]
    #[case("2024-04-01/2024-05-01/2024-06-01")]
    #[case("yesterday")]
    #[case("2024-4-1")]
    fn the_datetime_pattern_accepts_what_the_server_does(#[case] text: &str) {
        assert_eq!(matches(text), params::datetime(text).is_ok(), "{text}");
    }
}
