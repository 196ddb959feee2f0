//! Administrators' routes: staff accounts (`/api/admin/users…`), print records
//! (`POST /api/prints`, any signed-in user) and the usage summary (`GET /api/admin/usage`).
//! Every change is audited by `access`; these handlers only extract, call and respond.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::unauthenticated;
use super::extract::{Json, Params, Path};
use super::{ApiError, blocking};
use crate::access::{
    AccessError, AccountChange, AuditEvent, AuditKind, NewUser, Principal, User, decide,
    parse_expiry,
};
use crate::app::App;
use crate::time::rfc3339;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/admin/users", get(list).post(create))
        .route("/api/admin/users/{name}", patch(change))
        .route("/api/admin/users/{name}/password", post(reset_password))
        .route("/api/prints", post(print))
        .route("/api/admin/usage", get(usage))
}

/// The caller's name when they are an administrator.
pub(super) fn admin_name(p: &Principal) -> Result<String, ApiError> {
    if p.is_anonymous() {
        Err(unauthenticated())
    } else if p.is_admin() {
        Ok(p.user.clone().unwrap_or_default())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this page is for administrators",
        )
        .ja("この画面は管理者のみ使えます"))
    }
}

fn user_json(u: &User, now: i64) -> Value {
    json!({
        "name": u.name,
        "department": u.department,
        "staff": u.staff,
        "roles": u.roles,
        "disabled": u.disabled,
        "active": u.active(now),
        "expires": u.expires_at.map(rfc3339),
        "created": rfc3339(u.created_at),
    })
}

async fn list(State(app): State<Arc<App>>, who: Principal) -> Result<Response, ApiError> {
    admin_name(&who)?;
    let access = Arc::clone(&app.access);
    let (users, now) = blocking(move || {
        let users = access.list_users().map_err(account_error)?;
        Ok::<_, ApiError>((users, access.now()))
    })
    .await?;
    let rows: Vec<Value> = users.iter().map(|u| user_json(u, now)).collect();
    Ok(axum::Json(json!({ "users": rows })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    roles: Vec<String>,
    /// False for a contractor.
    #[serde(default = "yes")]
    staff: bool,
    /// `YYYY-MM-DD` (the last day), RFC 3339, or absent.
    #[serde(default)]
    expires: Option<String>,
}

fn yes() -> bool {
    true
}

/// Creates an account with a random first password, shown once in the answer.
async fn create(
    State(app): State<Arc<App>>,
    who: Principal,
    Json(body): Json<CreateBody>,
) -> Result<Response, ApiError> {
    let by = admin_name(&who)?;
    let access = Arc::clone(&app.access);
    let (user, password, now) = blocking(move || {
        (|| {
            let expires = body
                .expires
                .as_deref()
                .map(parse_expiry)
                .transpose()?
                .flatten();
            let password = crate::access::secret::random_hex()?[..20].to_owned();
            let new = NewUser {
                name: body.name,
                roles: body.roles,
                department: body.department,
                staff: body.staff,
            };
            let user = access.create_user(&by, &new, &password, expires)?;
            Ok::<_, AccessError>((user, password, access.now()))
        })()
        .map_err(account_error)
    })
    .await?;
    let body = json!({ "user": user_json(&user, now), "password": password });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    roles: Option<Vec<String>>,
    department: Option<String>,
    disabled: Option<bool>,
    /// `YYYY-MM-DD`, RFC 3339, or `never` to clear.
    expires: Option<String>,
}

/// Applies the changes in the body, each checked before any is written.
async fn change(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    who: Principal,
    Json(body): Json<ChangeBody>,
) -> Result<Response, ApiError> {
    let by = admin_name(&who)?;
    let access = Arc::clone(&app.access);
    let (user, now) = blocking(move || {
        (|| {
            let mut changes = Vec::new();
            if let Some(r) = body.roles {
                r.iter().try_for_each(|r| crate::access::check_role(r))?;
                changes.push(AccountChange::Roles(r));
            }
            if let Some(d) = body.department {
                changes.push(AccountChange::Department(d));
            }
            if let Some(e) = body.expires {
                let at = parse_expiry(&e)?;
                if at.is_some_and(|t| t <= access.now()) {
                    return Err(AccessError::Invalid {
                        what: "expiry",
                        value: e,
                        why: "is not in the future; give a later date (or never)".into(),
                    });
                }
                changes.push(AccountChange::Expiry(at));
            }
            if let Some(d) = body.disabled {
                changes.push(AccountChange::Disabled(d));
            }
            if access.db.user(&name)?.is_none() {
                return Err(AccessError::NoSuchUser(name));
            }
            let mut user = None;
            for c in &changes {
                user = Some(access.change_user(&by, &name, c)?);
            }
            let user = match user {
                Some(u) => u,
                None => access
                    .db
                    .user(&name)?
                    .ok_or(AccessError::NoSuchUser(name))?,
            };
            Ok((user, access.now()))
        })()
        .map_err(account_error)
    })
    .await?;
    Ok(axum::Json(json!({ "user": user_json(&user, now) })).into_response())
}

async fn reset_password(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    who: Principal,
) -> Result<Response, ApiError> {
    let by = admin_name(&who)?;
    let access = Arc::clone(&app.access);
    let password =
        blocking(move || access.reset_password(&by, &name).map_err(account_error)).await?;
    Ok(axum::Json(json!({ "password": password })).into_response())
}

/// 4xx for what the administrator can fix, naming it; 500 for the rest.
fn account_error(e: AccessError) -> ApiError {
    match e {
        AccessError::NoSuchUser(name) => ApiError::not_found(format!("no user `{name}`"))
            .ja(format!("利用者「{name}」はいません")),
        AccessError::UserExists(name) => ApiError::new(
            StatusCode::CONFLICT,
            "user_exists",
            format!("user `{name}` already exists"),
        )
        .ja(format!("利用者「{name}」はすでにいます")),
        AccessError::Invalid { what, value, why } => ApiError::parameter(
            what,
            &value,
            &why,
            format!("「{value}」は使えません ({why})"),
        ),
        AccessError::WeakPassword(why) => {
            ApiError::bad_request("weak_password", format!("password: {why}"))
                .ja("パスワードが条件を満たしていません")
        }
        other => ApiError::from(other),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrintBody {
    /// The layers on the printed map.
    layers: Vec<String>,
    /// `[min_lon, min_lat, max_lon, max_lat]` of the printed extent.
    bbox: [f64; 4],
    /// Paper and orientation, e.g. `A4 横`.
    #[serde(default)]
    paper: String,
    #[serde(default)]
    scale: Option<f64>,
}

/// Records a print: one audit row per restricted layer on it (who, when, every layer,
/// the extent). A print of public layers only is not recorded.
async fn print(
    State(app): State<Arc<App>>,
    who: Principal,
    Json(body): Json<PrintBody>,
) -> Result<Response, ApiError> {
    if who.is_anonymous() {
        return Err(unauthenticated());
    }
    let [w, s, e, n] = body.bbox;
    let valid = body.bbox.iter().all(|v| v.is_finite())
        && (-180.0..=180.0).contains(&w)
        && (-180.0..=180.0).contains(&e)
        && (-90.0..=90.0).contains(&s)
        && (-90.0..=90.0).contains(&n)
        && w <= e
        && s <= n;
    if !valid {
        return Err(ApiError::parameter(
            "bbox",
            &format!("{:?}", body.bbox),
            "must be [min_lon, min_lat, max_lon, max_lat] in degrees",
            "[最小経度, 最小緯度, 最大経度, 最大緯度] の度で指定してください",
        ));
    }
    if body.layers.is_empty() || body.layers.len() > 64 {
        return Err(ApiError::parameter(
            "layers",
            "",
            "list 1 to 64 layers",
            "1〜64 個のレイヤーを指定してください",
        ));
    }
    let mut restricted = Vec::new();
    for id in &body.layers {
        let view = app.layers.get(id).and_then(|v| decide(&who, &v));
        let Some(view) = view else {
            return Err(ApiError::not_found(format!("no such layer `{id}`"))
                .ja(format!("レイヤー「{id}」はありません")));
        };
        if !view.public {
            restricted.push(id.clone());
        }
    }
    let detail = json!({
        "layers": body.layers,
        "bbox": body.bbox,
        "paper": body.paper,
        "scale": body.scale,
    });
    for layer in &restricted {
        let event = AuditEvent::new(AuditKind::Print)
            .by(&who)
            .layer(layer)
            .detail(detail.clone());
        app.access
            .audit
            .record(event)
            .await
            .map_err(account_error)?;
    }
    let body = json!({ "recorded": restricted.len(), "layers": restricted });
    Ok(axum::Json(body).into_response())
}

/// Prints, restricted-view requests and exports per day and layer (`from`, `to` as
/// `YYYY-MM-DD`, default the last 30 days), for administrators.
async fn usage(
    State(app): State<Arc<App>>,
    who: Principal,
    params: Params,
) -> Result<Response, ApiError> {
    admin_name(&who)?;
    let day = |name: &str| -> Result<Option<i64>, ApiError> {
        params
            .get(name)
            .map(|v| {
                crate::time::parse_rfc3339(v.trim()).ok_or_else(|| {
                    ApiError::parameter(name, v, "use YYYY-MM-DD", "YYYY-MM-DD で指定してください")
                })
            })
            .transpose()
    };
    let access = Arc::clone(&app.access);
    let now = access.now();
    let to = day("to")?.map_or(now + 1, |t| t + 86_400);
    let from = day("from")?.unwrap_or(to - 30 * 86_400);
    // Views are counted in memory and written every few minutes: write them first.
    let rows = blocking(move || {
        let _ = access.audit.flush_views();
        access.db.usage(from, to).map_err(account_error)
    })
    .await?;
    let titles: serde_json::Map<String, Value> = app
        .catalog()
        .layers()
        .iter()
        .map(|d| (d.id.clone(), json!(d.title)))
        .collect();
    let body = json!({ "from": rfc3339(from), "to": rfc3339(to), "days": rows, "titles": titles });
    Ok(axum::Json(body).into_response())
}
