//! OGC API – Features (Part 1 Core, GeoJSON, OpenAPI 3.0; Part 3 filtering) under `/ogc`.
//!
//! Every handler resolves the caller's [`LayerView`]s through the policy first. A
//! collection the caller may not see answers exactly like one that does not exist.

mod docs;
mod edit;
mod openapi;
mod openapi_edit;
mod params;
mod photos;
pub(super) mod respond;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use self::respond::{Caching, GEOJSON, HTML, JSON, OPENAPI};
use super::ApiError;
use super::extract::{BaseUrl, Params, Path};
use crate::access::{LayerView, Principal, decide_all};
use crate::app::App;
use crate::query::items;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/ogc", get(landing))
        // The OpenAPI document's server is `…/ogc` with the path `/`; OWSLib asks for it.
        .route("/ogc/", get(landing))
        .route("/ogc/conformance", get(conformance))
        .route("/ogc/api", get(api))
        .route("/ogc/collections", get(collections))
        .route("/ogc/collections/{layer}", get(collection))
        .route("/ogc/collections/{layer}/queryables", get(queryables))
        .route(
            "/ogc/collections/{layer}/items",
            get(items).post(edit::create).options(
                |app: State<Arc<App>>, who: Principal, Path(layer): Path<String>| async move {
                    allowed(&app, &who, &layer, "GET,HEAD,POST")
                },
            ),
        )
        .route(
            "/ogc/collections/{layer}/items/{fid}",
            get(item)
                .put(edit::replace)
                .patch(edit::update)
                .delete(edit::remove)
                .options(
                    |app: State<Arc<App>>,
                     who: Principal,
                     Path((layer, _)): Path<(String, String)>| async move {
                        allowed(&app, &who, &layer, "GET,HEAD,PUT,PATCH,DELETE")
                    },
                ),
        )
        .route(
            "/ogc/collections/{layer}/items/{fid}/history",
            get(edit::history),
        )
        .route(
            "/ogc/collections/{layer}/photos",
            axum::routing::post(photos::upload)
                .layer(axum::extract::DefaultBodyLimit::max(photos::BODY_LIMIT)),
        )
        .route("/ogc/collections/{layer}/photos/{id}", get(photos::get))
        .route("/ogc/collections/{layer}/schema", get(edit::schema))
}

/// `OPTIONS` on items: 405 naming exactly the methods the layer takes (a layer nobody may
/// edit takes only `GET` and `HEAD`, as its OpenAPI operations say).
/// A layer the caller may not see is the same 404 as a missing one.
fn allowed(app: &App, who: &Principal, layer: &str, editable: &'static str) -> ApiError {
    match view(app, who, layer) {
        Ok(v) if v.layer.def.is_editable() => ApiError::method_not_allowed_but(editable),
        Ok(_) => ApiError::method_not_allowed_but("GET,HEAD"),
        Err(e) => e,
    }
}

/// The caller's view of a layer, or the one 404 used for "missing" and "hidden" alike.
fn view(app: &App, who: &Principal, id: &str) -> Result<LayerView, ApiError> {
    super::layer_view(app, who, id)
}

/// Every view the caller may see, and whether all of them are public.
fn views(app: &App, who: &Principal) -> (Vec<LayerView>, Caching) {
    let views = decide_all(who, &app.layers.current_all());
    let public = views.iter().all(|v| v.public);
    (views, Caching::of(public, app.config.public_max_age))
}

fn caching(app: &App, view: &LayerView) -> Caching {
    Caching::of(view.public, app.config.public_max_age)
}

async fn landing(
    State(app): State<Arc<App>>,
    BaseUrl(base): BaseUrl,
    p: Params,
) -> Result<Response, ApiError> {
    params::only(&p, &[])?;
    let public = Caching::Public(app.config.public_max_age);
    Ok(respond::json(&docs::landing(&base), JSON, public))
}

async fn conformance(State(app): State<Arc<App>>, p: Params) -> Result<Response, ApiError> {
    params::only(&p, &[])?;
    let public = Caching::Public(app.config.public_max_age);
    Ok(respond::json(&docs::conformance(), JSON, public))
}

/// The OpenAPI document (JSON), or with `f=html` a readable list of its operations.
async fn api(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    p: Params,
) -> Result<Response, ApiError> {
    let html = p.get("f") == Some("html");
    if !html {
        params::only(&p, &[])?;
    }
    let (views, caching) = views(&app, &who);
    let doc = openapi::document(&base, &views);
    Ok(if html {
        respond::body(docs::api_html(&doc), HTML, caching)
    } else {
        respond::json(&doc, OPENAPI, caching)
    })
}

async fn collections(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    p: Params,
) -> Result<Response, ApiError> {
    params::only(&p, &[])?;
    let (views, caching) = views(&app, &who);
    Ok(respond::json(
        &docs::collections(&base, &views),
        JSON,
        caching,
    ))
}

async fn collection(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path(layer): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let view = view(&app, &who, &layer)?;
    params::only(&p, &[])?;
    let doc = docs::collection(&base, &view);
    Ok(respond::json(&doc, JSON, caching(&app, &view)))
}

/// Queryables as JSON Schema, `application/schema+json` (OGC API – Features Part 3), or
/// `application/json` for a client that accepts only that (GDAL up to 3.6).
async fn queryables(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path(layer): Path<String>,
    headers: HeaderMap,
    p: Params,
) -> Result<Response, ApiError> {
    let view = view(&app, &who, &layer)?;
    params::only(&p, &[])?;
    let media = respond::schema_media_type(&headers);
    let doc = docs::queryables(&base, &view);
    Ok(respond::json(&doc, media, caching(&app, &view)))
}

async fn items(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path(layer): Path<String>,
    headers: HeaderMap,
    p: Params,
) -> Result<Response, ApiError> {
    let view = view(&app, &who, &layer)?;
    let q = params::items_query(&p)?;
    let caching = caching(&app, &view);
    let etag = respond::etag(&[view.class.as_str(), &base, &serialize(&p)]);
    if respond::not_modified(&headers, &etag) {
        return Ok(respond::unchanged(&etag, caching));
    }
    let page = items::run(&view, &q)?;
    let doc = docs::items(&base, &view, &page, &q, &p);
    let mut res = respond::json(&doc, GEOJSON, caching);
    respond::with_etag(&mut res, &etag);
    Ok(res)
}

/// One feature. A missing id, a non-numeric one and a row the view does not admit all
/// give the same 404.
async fn item(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path((layer, fid)): Path<(String, String)>,
    headers: HeaderMap,
    p: Params,
) -> Result<Response, ApiError> {
    let view = view(&app, &who, &layer)?;
    params::only(&p, &[])?;
    if view.layer.def.is_editable() {
        return editable_item(&app, &base, &view, &fid, &headers);
    }
    let feature = fid
        .parse::<u64>()
        .ok()
        .and_then(|id| items::item(&view, id))
        .ok_or_else(|| ApiError::not_found("no such feature"))?;
    let caching = caching(&app, &view);
    let etag = respond::etag(&[view.class.as_str(), &base, &fid]);
    if respond::not_modified(&headers, &etag) {
        return Ok(respond::unchanged(&etag, caching));
    }
    let mut res = respond::json(&docs::item(&base, &view, feature), GEOJSON, caching);
    respond::with_etag(&mut res, &etag);
    Ok(res)
}

/// One feature of an editable layer: its newest state (edits not yet applied included),
/// with the ETag that `If-Match` is compared with.
fn editable_item(
    app: &App,
    base: &str,
    view: &LayerView,
    fid: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let (feature, etag) = fid
        .parse::<u64>()
        .ok()
        .and_then(|id| app.editor().current(view, id))
        .ok_or_else(|| ApiError::not_found("no such feature"))?;
    let caching = caching(app, view);
    if respond::not_modified(headers, &etag) {
        return Ok(respond::unchanged(&etag, caching));
    }
    let mut res = respond::json(&docs::item(base, view, &feature), GEOJSON, caching);
    respond::with_etag(&mut res, &etag);
    Ok(res)
}

fn serialize(p: &Params) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.extend_pairs(p.0.iter());
    s.finish()
}
