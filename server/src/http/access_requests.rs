//! Web approval (決裁): `POST /api/access-requests`, `GET /api/access-requests`,
//! `POST /api/access-requests/{id}/approve` and `/reject`.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::auth::{ClientIp, unauthenticated};
use super::extract::{Json, Params, Path};
use crate::access::{
    AccessError, AccessRequest, AuditEvent, AuditKind, NewRequest, Pending, Principal, Requested,
    decide,
};
use crate::app::App;
use crate::catalog::{Audience, LayerDef};

const MAX_TEXT_CHARS: usize = 2000;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/access-requests", get(list).post(create))
        .route("/api/access-requests/{id}/approve", post(approve))
        .route("/api/access-requests/{id}/reject", post(reject))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    layer: String,
    /// `null` (the layer itself), `"*"` or a list of attribute names.
    #[serde(default)]
    attributes: Value,
    reason: String,
    days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    #[serde(default)]
    comment: Option<String>,
}

/// True when `principal` may approve requests for `def`: an admin, or a holder of one of
/// the layer's `approve` audiences (never `public`).
pub fn can_approve(principal: &Principal, def: Option<&LayerDef>) -> bool {
    principal.is_admin()
        || def.is_some_and(|d| {
            d.access
                .approve
                .iter()
                .any(|a| *a != Audience::Public && principal.has(a))
        })
}

fn forbidden(message: &str, ja: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).ja(ja)
}

fn internal(e: AccessError) -> ApiError {
    ApiError::from(e)
}

async fn create(
    State(app): State<Arc<App>>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    Json(body): Json<CreateBody>,
) -> Result<Response, ApiError> {
    let Some(user) = principal.user.clone() else {
        return Err(unauthenticated());
    };
    let attributes = requested_attributes(&app, &principal, &body)?;
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::bad_request(
            "invalid_reason",
            format!("`reason` is required and at most {MAX_TEXT_CHARS} characters"),
        )
        .ja("申請理由を入力してください"));
    }
    let max = i64::from(app.config.auth.max_grant_days.get());
    if !(1..=max).contains(&body.days) {
        return Err(ApiError::bad_request(
            "invalid_days",
            format!("`days` must be between 1 and {max}"),
        )
        .ja(format!("期間は1～{max}日で指定してください")));
    }
    let new = NewRequest {
        user,
        layer: body.layer.clone(),
        attributes,
        reason,
        days: body.days as u32,
    };
    let now = app.access.clock.now();
    let created = app
        .access
        .db
        .run(move |db| db.create_request(&new, now))
        .await
        .map_err(internal)?;
    let event = AuditEvent::new(AuditKind::AccessRequest)
        .by(&principal)
        .ip(Some(&ip))
        .layer(&created.layer)
        .detail(json!({ "request": created.id, "attributes": created.attributes.to_json(), "days": created.days }));
    app.access.audit.record(event).await.map_err(internal)?;
    Ok((StatusCode::CREATED, axum::Json(created.to_json())).into_response())
}

/// Checks the layer and attributes of a new request. A layer the caller cannot see at all
/// may be asked for only by staff; otherwise it is the same 404 as a missing layer. Only
/// attribute names the layer file itself names (policy, `searchable`, `label`, `[fields]`)
/// or the caller already sees may be asked for, and a refused name gets the same answer
/// whether or not it exists: the answer reveals nothing the layer file does not.
fn requested_attributes(
    app: &App,
    principal: &Principal,
    body: &CreateBody,
) -> Result<Requested, ApiError> {
    let not_found = || ApiError::not_found(format!("no layer `{}`", body.layer));
    let version = app.layers.get(&body.layer).ok_or_else(not_found)?;
    let view = decide(principal, &version);
    if view.is_none() && !principal.has(&Audience::Staff) {
        return Err(not_found());
    }
    let names = match &body.attributes {
        Value::Null => return Ok(Requested::Layer),
        Value::String(s) if s == "*" => return Ok(Requested::All),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<String>>>(),
        _ => None,
    };
    let names = names.filter(|n| !n.is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_attributes",
            "`attributes` must be null (the layer), \"*\" or a non-empty list of names",
        )
        .ja("attributes は null（レイヤー全体）、\"*\"、または属性名の一覧で指定してください")
    })?;
    let named = version.def.referenced_attributes();
    let mut requestable: BTreeSet<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
    if let Some(v) = &view {
        requestable.extend(v.fields().map(|(_, f)| f.name.as_str()));
    }
    if let Some(bad) = names.iter().find(|n| !requestable.contains(n.as_str())) {
        return Err(ApiError::bad_request(
            "invalid_attributes",
            format!("attribute `{bad}` cannot be requested for this layer; ask for \"*\" instead"),
        )
        .ja(format!("属性 `{bad}` は申請できません")));
    }
    let unique: BTreeSet<String> = names.into_iter().collect();
    Ok(Requested::Only(unique.into_iter().collect()))
}

/// The caller's own requests, or with `?pending=1` those waiting for the caller's decision.
async fn list(
    State(app): State<Arc<App>>,
    principal: Principal,
    params: Params,
) -> Result<Response, ApiError> {
    let Some(user) = principal.user.clone() else {
        return Err(unauthenticated());
    };
    let pending = matches!(params.get("pending"), Some("1" | "true"));
    let requests: Vec<AccessRequest> = if pending {
        let layers: Vec<String> = app
            .catalog()
            .layers()
            .iter()
            .filter(|d| can_approve(&principal, Some(d)))
            .map(|d| d.id.clone())
            .collect();
        let admin = principal.is_admin();
        app.access
            .db
            .run(move |db| {
                let which = if admin {
                    Pending::All
                } else {
                    Pending::Layers(&layers)
                };
                db.pending_requests(&which, &user)
            })
            .await
    } else {
        app.access.db.run(move |db| db.requests_of(&user)).await
    }
    .map_err(internal)?;
    let items: Vec<Value> = requests.iter().map(AccessRequest::to_json).collect();
    Ok(axum::Json(json!({ "requests": items })).into_response())
}

async fn approve(
    State(app): State<Arc<App>>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    Json(body): Json<DecisionBody>,
) -> Result<Response, ApiError> {
    decide_request(&app, &principal, &ip, id, true, body.comment).await
}

async fn reject(
    State(app): State<Arc<App>>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    Json(body): Json<DecisionBody>,
) -> Result<Response, ApiError> {
    decide_request(&app, &principal, &ip, id, false, body.comment).await
}

async fn decide_request(
    app: &App,
    principal: &Principal,
    ip: &str,
    id: i64,
    approve: bool,
    comment: Option<String>,
) -> Result<Response, ApiError> {
    let Some(decider) = principal.user.clone() else {
        return Err(unauthenticated());
    };
    let comment = check_comment(comment, approve)?;
    let request = app
        .access
        .db
        .run(move |db| db.request(id))
        .await
        .map_err(internal)?;
    let request = request.ok_or_else(|| ApiError::not_found(format!("no access request {id}")))?;
    if let Err(e) = may_decide(app, principal, &request) {
        let action = if approve { "approve" } else { "reject" };
        let event = AuditEvent::new(AuditKind::Forbidden)
            .by(principal)
            .ip(Some(ip))
            .layer(&request.layer)
            .detail(json!({ "request": id, "action": action }));
        app.access.audit.record(event).await.map_err(internal)?;
        return Err(e);
    }
    let now = app.access.clock.now();
    let note = comment.clone();
    let decided = app
        .access
        .db
        .run(move |db| db.decide_request(id, &decider, approve, note.as_deref(), now))
        .await
        .map_err(|e| match e {
            AccessError::AlreadyDecided { .. } => {
                ApiError::new(StatusCode::CONFLICT, "already_decided", e.to_string())
                    .ja("この申請は既に決裁済みです")
            }
            other => internal(other),
        })?;
    let event = decision_event(&decided, approve, comment.as_deref())
        .by(principal)
        .ip(Some(ip));
    app.access.audit.record(event).await.map_err(internal)?;
    Ok(axum::Json(decided.to_json()).into_response())
}

/// The audit record of a decision: a grant or a refusal, naming the requester.
fn decision_event(decided: &AccessRequest, approve: bool, comment: Option<&str>) -> AuditEvent {
    let kind = if approve {
        AuditKind::Grant
    } else {
        AuditKind::Refusal
    };
    AuditEvent::new(kind).layer(&decided.layer).detail(json!({
        "request": decided.id,
        "requester": decided.user,
        "attributes": decided.attributes.to_json(),
        "days": decided.days,
        "grant_expires_at": decided.grant_expires_at.map(crate::time::rfc3339),
        "comment": comment,
    }))
}

/// Only the layer's approvers (or an admin) decide, and never on their own request.
fn may_decide(app: &App, principal: &Principal, request: &AccessRequest) -> Result<(), ApiError> {
    let def = app.layers.def(&request.layer);
    if !can_approve(principal, def.as_deref()) {
        return Err(forbidden(
            "only the layer's approvers or an admin may decide this request",
            "この申請を決裁する権限がありません",
        ));
    }
    let own = principal
        .user
        .as_deref()
        .is_some_and(|u| u.eq_ignore_ascii_case(&request.user));
    if own {
        return Err(forbidden(
            "no one may decide their own request",
            "自分の申請は決裁できません",
        ));
    }
    Ok(())
}

fn check_comment(comment: Option<String>, approve: bool) -> Result<Option<String>, ApiError> {
    let comment = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_TEXT_CHARS)
    {
        return Err(ApiError::bad_request(
            "invalid_comment",
            format!("`comment` is at most {MAX_TEXT_CHARS} characters"),
        )
        .ja(format!(
            "コメントは {MAX_TEXT_CHARS} 文字以内で入力してください"
        )));
    }
    if !approve && comment.is_none() {
        return Err(ApiError::bad_request(
            "invalid_comment",
            "a rejection needs a `comment` saying why",
        )
        .ja("却下の理由を入力してください"));
    }
    Ok(comment)
}
