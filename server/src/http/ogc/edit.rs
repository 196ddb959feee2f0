//! OGC API – Features Part 4 (Create, Replace, Update, Delete) and a feature's history.
//!
//! Who may: the layer must be visible to the caller (else the same 404 as a missing
//! layer) and the caller in one of its `[access] edit` roles (else 403). `PUT`, `PATCH` and
//! `DELETE` need `If-Match` with the feature's ETag (428 without; 412 with the current
//! version when it is stale). Answers are never stored by any cache.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
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
            EditError::Ids(e) => e.into(),
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

/// The media types a whole feature may come as.
const FEATURE: &[&str] = &["application/geo+json", "application/json"];
/// The media types a merge patch may come as.
const PATCH: &[&str] = &[
    "application/merge-patch+json",
    "application/json",
    "application/geo+json",
];

/// Who sends an edit and how: the application, the caller, the base URL of links and the
/// request's headers, extracted the same way for every verb.
pub struct Caller {
    app: Arc<App>,
    who: Principal,
    base: String,
    headers: HeaderMap,
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let who = Principal::from_request_parts(parts, app).await?;
        let BaseUrl(base) = BaseUrl::from_request_parts(parts, app).await?;
        Ok(Self {
            app: Arc::clone(app),
            who,
            base,
            headers: parts.headers.clone(),
        })
    }
}

/// One edit request as every verb reads it, in the same order (so the same error wins):
/// the caller's editable view, the feature id the path names, the body as JSON when the
/// verb takes one (`Json::Null` otherwise) and `If-Match`.
struct Request {
    view: LayerView,
    /// The caller's views of the layers `fill = "link"` fields read.
    links: Vec<edit::Link>,
    id: u64,
    input: Json,
    tag: Option<String>,
}

impl Caller {
    fn read(
        &self,
        layer: &str,
        fid: Option<&str>,
        body: Option<(&Bytes, &[&str])>,
    ) -> Result<Request, ApiError> {
        let view = editable(&self.app, &self.who, layer)?;
        let id = fid.map(feature_id).transpose()?.unwrap_or_default();
        let input = match body {
            Some((bytes, media)) => json_body(&self.headers, bytes, media)?,
            None => Json::Null,
        };
        let links = view
            .layer
            .def
            .fields
            .iter()
            .filter(|(_, f)| f.fill.as_deref() == Some("link"))
            .filter_map(|(name, f)| {
                let linked = crate::http::layer_view(&self.app, &self.who, f.link.as_deref()?);
                Some(edit::Link {
                    field: name.clone(),
                    view: linked.ok()?,
                })
            })
            .collect();
        Ok(Request {
            view,
            links,
            id,
            input,
            tag: if_match(&self.headers),
        })
    }

    /// Runs an edit on the blocking pool (it waits for the log's fsync) and answers it: the
    /// saved feature with `status`, or a 412 with the current version.
    async fn run(
        self,
        req: Request,
        status: StatusCode,
        work: impl FnOnce(&edit::Editor, &Principal, &Request) -> Result<Saved, EditError>
        + Send
        + 'static,
    ) -> Response {
        let Self { app, who, base, .. } = self;
        let view = req.view.clone();
        let result = blocking(move || -> Result<Result<Saved, EditError>, ApiError> {
            Ok(work(app.editor(), &who, &req))
        })
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
}

pub async fn create(
    c: Caller,
    Path(layer): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = c.read(&layer, None, Some((&body, FEATURE)))?;
    Ok(c.run(req, StatusCode::CREATED, |ed, who, r| {
        ed.create(who, &r.view, &r.links, &r.input)
    })
    .await)
}

pub async fn replace(
    c: Caller,
    Path((layer, fid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = c.read(&layer, Some(&fid), Some((&body, FEATURE)))?;
    Ok(c.run(req, StatusCode::OK, |ed, who, r| {
        ed.replace(who, &r.view, &r.links, r.id, r.tag.as_deref(), &r.input)
    })
    .await)
}

pub async fn update(
    c: Caller,
    Path((layer, fid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = c.read(&layer, Some(&fid), Some((&body, PATCH)))?;
    Ok(c.run(req, StatusCode::OK, |ed, who, r| {
        ed.update(who, &r.view, &r.links, r.id, r.tag.as_deref(), &r.input)
    })
    .await)
}

pub async fn remove(
    c: Caller,
    Path((layer, fid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let req = c.read(&layer, Some(&fid), None)?;
    Ok(c.run(req, StatusCode::NO_CONTENT, |ed, who, r| {
        ed.delete(who, &r.view, r.id, r.tag.as_deref())
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
        // Always a list, so a form need not tell one kind from several.
        "geometries": def.geometry.iter().collect::<Vec<_>>(),
        "editable": def.is_editable() && edit::may_edit(&who, def),
        "label": def.label,
        "fields": fields,
    });
    let mut res = respond::json(&doc, respond::JSON, respond::Caching::Private);
    no_store(&mut res);
    Ok(res)
}
