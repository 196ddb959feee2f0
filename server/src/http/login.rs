//! `POST /auth/login`, `POST /auth/logout`, `GET /auth/me` (with what staff may request
//! and upload).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::auth::{ClientIp, SESSION_COOKIE, cookie, session_cookie, unauthenticated};
use super::extract::Json;
use crate::access::{Identity, LoginOutcome, Principal, decide, decide_all};
use crate::app::App;
use crate::catalog::{AttributeRule, Audience};
use crate::publish::{self, UploadAccess};
use crate::time::rfc3339;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
}

#[derive(Debug, Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn login(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    Json(c): Json<Credentials>,
) -> Result<Response, ApiError> {
    let outcome = app
        .access
        .login(&c.username, &c.password, &ip)
        .await
        .map_err(ApiError::from)?;
    match outcome {
        LoginOutcome::SignedIn {
            secret,
            identity,
            max_age_secs,
        } => {
            let cookie = session_cookie(&app, &secret, max_age_secs);
            let body = user_json(&identity);
            Ok(no_store(
                ([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response(),
            ))
        }
        LoginOutcome::Locked { retry_after_secs } => Ok(locked(retry_after_secs)),
        LoginOutcome::Busy { retry_after_secs } => Ok(retry_after(
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "busy",
                "too many sign-ins at once; try again in a moment",
            )
            .ja("ログインが混み合っています。しばらくしてから再度お試しください"),
            retry_after_secs,
        )),
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong user name or password",
        )
        .ja("ユーザー名またはパスワードが違います")),
    }
}

fn locked(retry_after_secs: i64) -> Response {
    let (n, en, ja) = if retry_after_secs < 60 {
        (retry_after_secs, "seconds", "秒")
    } else {
        ((retry_after_secs + 59) / 60, "minutes", "分")
    };
    let e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "locked_out",
        format!("too many failed sign-ins; try again in {n} {en}"),
    )
    .ja(format!(
        "ログインの失敗が続いたため、{n}{ja}間ロックされています"
    ));
    retry_after(e, retry_after_secs)
}

/// The error as a response with `Retry-After`.
fn retry_after(e: ApiError, retry_after_secs: i64) -> Response {
    let mut res = e.into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

async fn logout(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        app.access
            .logout(secret, &ip)
            .await
            .map_err(ApiError::from)?;
    }
    let clear = session_cookie(&app, "", 0);
    Ok(no_store(
        (StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response(),
    ))
}

/// Who the caller is, their grants, and what they may see of each loaded layer.
async fn me(
    State(app): State<Arc<App>>,
    principal: Principal,
    identity: Option<Extension<Identity>>,
) -> Result<Response, ApiError> {
    let Some(Extension(identity)) = identity else {
        return Err(unauthenticated());
    };
    let mut body = user_json(&identity);
    body["admin"] = principal.is_admin().into();
    body["credential"] = principal.credential.map(|c| c.to_string()).into();
    body["expires_at"] = identity.expires_at.map(rfc3339).into();
    body["grants"] = identity
        .grants
        .iter()
        .map(grant_json)
        .collect::<Vec<_>>()
        .into();
    body["layers"] = visible_layers(&app, &principal);
    body["requestable"] = requestable_layers(&app, &principal);
    body["uploadable"] = uploadable_layers(&app, &principal);
    Ok(no_store(axum::Json(body).into_response()))
}

fn user_json(identity: &Identity) -> Value {
    let u = &identity.user;
    json!({
        "user": u.name,
        "roles": u.roles,
        "department": u.department,
        "staff": u.staff,
    })
}

fn grant_json(g: &crate::access::Grant) -> Value {
    let attributes = match &g.attributes {
        AttributeRule::All => json!("*"),
        AttributeRule::Only(names) if names.is_empty() => Value::Null,
        AttributeRule::Only(names) => json!(names),
    };
    json!({ "layer": g.layer, "attributes": attributes, "expires_at": rfc3339(g.expires_at) })
}

/// `{layer id: {"attributes": [visible names], "public": bool}}`, straight from the policy.
fn visible_layers(app: &App, principal: &Principal) -> Value {
    let views = decide_all(principal, &app.layers.current_all());
    let map: serde_json::Map<String, Value> = views
        .iter()
        .map(|v| {
            let names: Vec<&str> = v.fields().map(|(_, f)| f.name.as_str()).collect();
            (
                v.layer.id().to_owned(),
                json!({ "attributes": names, "public": v.public }),
            )
        })
        .collect();
    Value::Object(map)
}

/// What the policy hides from the caller, so the staff view can offer 「閲覧申請」:
/// `[{layer, title, hidden_attributes}]`, where `hidden_attributes` is `null` for a layer
/// they cannot see at all, else the names the layer file mentions that they do not see.
/// This follows what `POST /api/access-requests` accepts: only staff may ask for a layer
/// they cannot see, so only staff learn those ids and titles; a contractor is offered only
/// the hidden attributes of layers it already sees, and the anonymous nothing.
fn requestable_layers(app: &App, principal: &Principal) -> Value {
    if principal.is_anonymous() || principal.is_admin() {
        return json!([]);
    }
    let staff = principal.has(&Audience::Staff);
    let mut out = Vec::new();
    for version in app.layers.current_all() {
        let def = &version.def;
        let title = json!({ "ja": def.title.ja, "en": def.title.en });
        let Some(view) = decide(principal, &version) else {
            if staff {
                out.push(json!({ "layer": def.id, "title": title, "hidden_attributes": null }));
            }
            continue;
        };
        let seen: BTreeSet<&str> = view.fields().map(|(_, f)| f.name.as_str()).collect();
        let hidden: BTreeSet<String> = def
            .referenced_attributes()
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| !seen.contains(name.as_str()))
            .collect();
        if !hidden.is_empty() {
            out.push(json!({ "layer": def.id, "title": title, "hidden_attributes": hidden }));
        }
    }
    Value::Array(out)
}

/// The ids of the layers the caller may upload new versions of (its `upload` roles, or admin).
fn uploadable_layers(app: &App, principal: &Principal) -> Value {
    let catalog = app.catalog();
    let ids: Vec<&str> = catalog
        .layers()
        .iter()
        .filter(|d| {
            matches!(
                publish::upload_access(&app.publisher, principal, &d.id),
                UploadAccess::Allowed
            )
        })
        .map(|d| d.id.as_str())
        .collect();
    json!(ids)
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
