//! The OpenAPI operations of single-feature edits (OGC API – Features Part 4), a feature's
//! history, photos and the form schema, added to an editable collection's paths.

use serde_json::{Map, Value as Json, json};

use super::respond::{GEOJSON, JSON};
use crate::access::LayerView;

fn error(description: &str) -> Json {
    json!({ "description": description, "content": { JSON: { "schema": { "$ref": "#/components/schemas/error" } } } })
}

fn if_match() -> Json {
    json!({
        "name": "If-Match", "in": "header", "required": true,
        "description": "The ETag of the feature as read; without it 428, when stale 412 with the current version",
        "schema": { "type": "string" },
    })
}

fn written(description: &str, feature: &Json, status: &str) -> Json {
    let mut responses = json!({
        "403": error("The layer is visible to you but you may not edit it"),
        "404": error("No such collection or feature, or you may not see it"),
        "413": error("The body is too large"),
        "415": error("The body's media type is not accepted"),
        "422": error("The feature breaks the layer's schema; `details[0].field` names the field"),
    });
    responses[status] = json!({
        "description": description,
        "headers": { "ETag": { "schema": { "type": "string" } } },
        "content": { GEOJSON: { "schema": feature } },
    });
    responses
}

/// Adds the edit operations of an editable collection to `paths`.
pub fn add(paths: &mut Map<String, Json>, view: &LayerView, feature: &Json) {
    let id = view.layer.id();
    let url = format!("/collections/{id}");
    let fid = json!({ "$ref": "#/components/parameters/featureId" });
    let body = |media: &[&str]| {
        let content: Map<String, Json> = media
            .iter()
            .map(|m| ((*m).to_owned(), json!({ "schema": feature })))
            .collect();
        json!({ "required": true, "content": content })
    };
    if let Some(items) = paths.get_mut(&format!("{url}/items")) {
        let mut responses = written("Created; `Location` names the new feature", feature, "201");
        responses["201"]["headers"]["Location"] = json!({ "schema": { "type": "string" } });
        items["post"] = json!({
            "operationId": format!("create_{id}"),
            "summary": "Add a feature (OGC API – Features Part 4)",
            "requestBody": body(&[GEOJSON, JSON]),
            "responses": responses,
        });
    }
    if let Some(item) = paths.get_mut(&format!("{url}/items/{{featureId}}")) {
        let mut stale = written("Replaced", feature, "200");
        stale["412"] = error(
            "If-Match is stale or names another feature; `details` holds the current version",
        );
        stale["428"] = error("If-Match is missing");
        let mut patched = stale.clone();
        patched["200"]["description"] = "Updated".into();
        item["put"] = json!({
            "operationId": format!("replace_{id}"),
            "summary": "Replace a feature",
            "parameters": [fid, if_match()],
            "requestBody": body(&[GEOJSON, JSON]),
            "responses": stale,
        });
        item["patch"] = json!({
            "operationId": format!("update_{id}"),
            "summary": "Update a feature with a JSON merge patch (RFC 7396)",
            "parameters": [fid, if_match()],
            "requestBody": body(&["application/merge-patch+json", JSON]),
            "responses": patched,
        });
        item["delete"] = json!({
            "operationId": format!("delete_{id}"),
            "summary": "Delete a feature",
            "parameters": [fid, if_match()],
            "responses": {
                "204": { "description": "Deleted" },
                "403": error("You may not edit this layer"),
                "404": error("No such feature"),
                "412": error("If-Match is stale"),
                "428": error("If-Match is missing"),
            },
        });
    }
    paths.insert(
        format!("{url}/items/{{featureId}}/history"),
        json!({ "get": {
            "operationId": format!("history_{id}"),
            "summary": "Every edit of a feature, newest first: who, when, before and after",
            "parameters": [fid],
            "responses": {
                "200": { "description": "The history", "content": { JSON: { "schema": { "type": "object", "required": ["id", "versions"] } } } },
                "404": error("No such feature"),
            },
        }}),
    );
    paths.insert(
        format!("{url}/schema"),
        json!({ "get": {
            "operationId": format!("schema_{id}"),
            "summary": "The fields of the collection with their rules (type, required, choices), for forms",
            "responses": { "200": { "description": "The schema", "content": { JSON: { "schema": { "type": "object", "required": ["fields"] } } } } },
        }}),
    );
    paths.insert(
        format!("{url}/photos"),
        json!({ "post": {
            "operationId": format!("photo_{id}"),
            "summary": "Upload a JPEG or PNG photo (at most 10 MB) for a record; stored without metadata",
            "requestBody": { "required": true, "content": {
                "image/jpeg": { "schema": { "type": "string", "format": "binary" } },
                "image/png": { "schema": { "type": "string", "format": "binary" } },
            }},
            "responses": {
                "201": { "description": "Stored", "content": { JSON: { "schema": { "type": "object", "required": ["id", "href"] } } } },
                "413": error("Larger than 10 MB"),
                "415": error("Not a JPEG or PNG by content"),
                "422": error("Cannot be decoded"),
            },
        }}),
    );
    paths.insert(
        format!("{url}/photos/{{photoId}}"),
        json!({ "get": {
            "operationId": format!("get_photo_{id}"),
            "summary": "A photo (size=thumb: its thumbnail) for those who may see its record (before a record takes it: its uploader; once retired: the layer's editors), never cached publicly",
            "parameters": [
                { "name": "photoId", "in": "path", "required": true, "schema": { "type": "string" } },
                { "name": "size", "in": "query", "required": false, "schema": { "type": "string", "enum": ["full", "thumb"] } },
            ],
            "responses": {
                "200": { "description": "The photo", "content": { "image/jpeg": { "schema": { "type": "string", "format": "binary" } } } },
                "404": error("No such photo"),
            },
        }}),
    );
}
