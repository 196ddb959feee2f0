//! OGC API – Features Part 4 (Create, Replace, Update, Delete) and a feature's history.
//!
//! Who may: the layer must be visible to the caller (else the same 404 as a missing
//! layer) and the caller in one of its `[access] edit` roles (else 403). `PUT`, `PATCH` and
//! `DELETE` need `If-Match` with the feature's ETag (428 without; 412 with the current
//! version when it is stale). Answers are never stored by any cache.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::docs;
use super::respond::{self, GEOJSON};
use crate::access::{AuditFilter, AuditKind, LayerView, Principal};
use crate::app::App;
use crate::edit::{self, EditError, Saved};
use crate::http::extract::{BaseUrl, Params, Path};
use crate::http::{ApiError, blocking};

/// The largest feature document an edit takes.
const MAX_FEATURE_BYTES: usize = 1 << 20;
/// The most history rows looked at for one feature's layer.
const HISTORY_ROWS: usize = 10_000;

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::NotFound => ApiError::not_found("no such feature"),
            EditError::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "you may not edit this layer",
            )
            .ja("このレイヤーを編集する権限がありません"),
            EditError::Refused(r) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_feature",
                r.message,
            )
            .ja(r.message_ja)
            .detail(json!({ "field": r.field })),
            EditError::PreconditionRequired => ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "send If-Match with the ETag of the feature you read",
            )
            .ja("読み込んだ地物の ETag を If-Match で送ってください"),
            EditError::Stale { etag, .. } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "stale",
                "the feature changed since you read it (or If-Match names another feature); see `current`",
            )
            .ja("読み込んだ後に地物が変更されました（または If-Match が別の地物のものです）。current を確認してください")
            .detail(json!({ "etag": etag })),
            EditError::ReadOnly => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "read_only",
                "this server does not take edits",
            )
            .ja("このサーバーでは編集できません"),
            other => ApiError::internal(other),
        }
    }
}

/// The caller's view of an editable layer, with the 404/403 of the rules above. A layer
/// nobody may edit takes no edit methods at all: 405, as its OpenAPI operations say.
pub(super) fn editable(app: &App, who: &Principal, layer: &str) -> Result<LayerView, ApiError> {
    let view = crate::http::layer_view(app, who, layer)?;
    if !view.layer.def.is_editable() {
        Err(ApiError::method_not_allowed_but("GET, HEAD"))
    } else if edit::may_edit(who, &view.layer.def) {
        Ok(view)
    } else {
        Err(EditError::Forbidden.into())
    }
}

/// The body as JSON, when its media type is one of `media`.
fn json_body(headers: &HeaderMap, body: &Bytes, media: &[&str]) -> Result<Json, ApiError> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map_or("", str::trim);
    if !media.iter().any(|m| m.eq_ignore_ascii_case(given)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the body as {}", media.join(" or ")),
        )
        .ja(format!("本文は {} で送ってください", media.join(" か ")))
        .detail(json!({ "content_type": given })));
    }
    if body.len() > MAX_FEATURE_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a feature may be at most {MAX_FEATURE_BYTES} bytes"),
        )
        .ja(format!("地物は {MAX_FEATURE_BYTES} バイトまでです")));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}"))
            .ja("本文が JSON として読めません")
            .detail(json!({ "line": e.line(), "column": e.column() }))
    })
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn feature_id(fid: &str) -> Result<u64, ApiError> {
    fid.parse()
        .map_err(|_| ApiError::not_found("no such feature"))
}

/// The answer to a saved edit: the feature with its ETag, never cached.
fn saved(base: &str, view: &LayerView, saved: &Saved, status: StatusCode) -> Response {
    let mut res = match &saved.feature {
        Some(f) => {
            let mut res = respond::json(
                &docs::item(base, view, f),
                GEOJSON,
                respond::Caching::Private,
            );
            *res.status_mut() = status;
            res
        }
        None => StatusCode::NO_CONTENT.into_response(),
    };
    if let Some(etag) = &saved.etag {
        respond::with_etag(&mut res, etag);
    }
    if status == StatusCode::CREATED {
        let location = format!(
            "{base}/ogc/collections/{}/items/{}",
            view.layer.id(),
            saved.id
        );
        if let Ok(v) = HeaderValue::from_str(&location) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    no_store(&mut res);
    res
}

fn no_store(res: &mut Response) {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
}

/// A 412 carries the current version of the feature and its ETag.
fn stale(e: ApiError, current: &Json, etag: &str) -> Response {
    let mut res = e.detail(json!({ "current": current })).into_response();
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// Runs an edit on the blocking pool (it waits for the log's fsync) and answers it.
async fn run(
    app: Arc<App>,
    base: String,
    view: LayerView,
    status: StatusCode,
    work: impl FnOnce(&App, &LayerView) -> Result<Saved, EditError> + Send + 'static,
) -> Response {
    let v = view.clone();
    let result =
        blocking(move || -> Result<Result<Saved, EditError>, ApiError> { Ok(work(&app, &v)) })
            .await;
    match result {
        Ok(Ok(s)) => saved(&base, &view, &s, status),
        Ok(Err(EditError::Stale { feature, etag })) => {
            let current = docs::item(&base, &view, &feature);
            let e = ApiError::from(EditError::Stale {
                feature,
                etag: etag.clone(),
            });
            stale(e, &current, &etag)
        }
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn create(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path(layer): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let view = editable(&app, &who, &layer)?;
    let input = json_body(
        &headers,
        &body,
        &["application/geo+json", "application/json"],
    )?;
    Ok(run(app, base, view, StatusCode::CREATED, move |app, v| {
        app.editor().create(&who, v, &input)
    })
    .await)
}

pub async fn replace(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path((layer, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let view = editable(&app, &who, &layer)?;
    let id = feature_id(&fid)?;
    let input = json_body(
        &headers,
        &body,
        &["application/geo+json", "application/json"],
    )?;
    let tag = if_match(&headers);
    Ok(run(app, base, view, StatusCode::OK, move |app, v| {
        app.editor().replace(&who, v, id, tag.as_deref(), &input)
    })
    .await)
}

pub async fn update(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path((layer, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let view = editable(&app, &who, &layer)?;
    let id = feature_id(&fid)?;
    let patch = json_body(
        &headers,
        &body,
        &[
            "application/merge-patch+json",
            "application/json",
            "application/geo+json",
        ],
    )?;
    let tag = if_match(&headers);
    Ok(run(app, base, view, StatusCode::OK, move |app, v| {
        app.editor().update(&who, v, id, tag.as_deref(), &patch)
    })
    .await)
}

pub async fn remove(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path((layer, fid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = editable(&app, &who, &layer)?;
    let id = feature_id(&fid)?;
    let tag = if_match(&headers);
    Ok(run(app, base, view, StatusCode::NO_CONTENT, move |app, v| {
        app.editor().delete(&who, v, id, tag.as_deref())
    })
    .await)
}

/// `GET …/items/{id}/history`: every edit of the feature, newest first, with the
/// attributes the caller may see. For anyone who sees the layer.
pub async fn history(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path((layer, fid)): Path<(String, String)>,
    p: Params,
) -> Result<Response, ApiError> {
    let view = crate::http::layer_view(&app, &who, &layer)?;
    super::params::only(&p, &[])?;
    let id = feature_id(&fid)?;
    let filter = AuditFilter {
        layer: Some(layer.clone()),
        kind: Some(AuditKind::Edit.as_str().to_owned()),
        limit: HISTORY_ROWS,
        ..AuditFilter::default()
    };
    let rows = app
        .access
        .audit
        .query(filter)
        .await
        .map_err(ApiError::internal)?;
    let versions = edit::history(&view, id, &rows);
    let current = app.editor().current(&view, id);
    if versions.is_empty() && current.is_none() {
        return Err(ApiError::not_found("no such feature"));
    }
    let doc = json!({
        "id": id,
        "layer": layer,
        "current": current.map(|(f, _)| docs::item(&base, &view, &f)),
        "versions": versions,
    });
    let mut res = respond::json(&doc, respond::JSON, respond::Caching::Private);
    no_store(&mut res);
    Ok(res)
}

/// `GET …/schema`: what a form for the layer needs (OGC API – Features Part 5 names this
/// resource): the geometry kind, whether the caller may edit, and each visible field with
/// its type, whether it is required, its choices, what the server fills in, photo lists and
/// links to other layers.
pub async fn schema(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(layer): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let view = crate::http::layer_view(&app, &who, &layer)?;
    super::params::only(&p, &[])?;
    let def = &view.layer.def;
    let fields: Vec<Json> = view
        .fields()
        .map(|(_, f)| {
            let rule = def.fields.get(&f.name).cloned().unwrap_or_default();
            json!({
                "name": f.name,
                "en": rule.en,
                "type": rule.field_type.unwrap_or(f.ty),
                "unit": rule.unit,
                "required": rule.required,
                "choices": rule.choices,
                "fill": rule.fill,
                "photos": rule.photos,
                "link": rule.link,
            })
        })
        .collect();
    let doc = json!({
        "id": layer,
        "title": def.title,
        "geometry": def.geometry,
        "editable": def.is_editable() && edit::may_edit(&who, def),
        "label": def.label,
        "fields": fields,
    });
    let mut res = respond::json(&doc, respond::JSON, respond::Caching::Private);
    no_store(&mut res);
    Ok(res)
}
