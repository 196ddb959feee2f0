//! Uploads, publishing and versions:
//! `POST /api/layers/{layer}/uploads` (multipart: `file`, optional `encoding`, `srs`,
//! `source_layer`, `repair`, `x_column`, `y_column`, `mapping`), `GET …/uploads/{id}`,
//! `POST …/uploads/{id}/publish` (`?confirm_drop=true` for a drop over the layer's limit),
//! `DELETE …/uploads/{id}`, `GET …/uploads/{id}/preview` (GeoJSON of the staged version),
//! `GET /api/layers/{layer}/versions` and
//! `POST …/versions/{v}/activate`.
//!
//! The file is streamed to disk and hashed as it arrives; conversion, and every other step
//! that touches the staging directory, the store or the audit log, runs on a blocking
//! thread. Only the layer's `upload` roles (and admins) may call these; others get the same
//! 404 as for a missing layer when they cannot see the layer, else 403.
//!
//! Handlers are generic over the identity extractor so tests can supply a principal while
//! sign-in is built; the server uses [`Principal`]'s own extractor.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tower_http::timeout::TimeoutLayer;

use super::extract::{Params, Path};
use super::{ApiError, blocking};
use crate::access::Principal;
use crate::app::App;
use crate::ingest::report::{FileInfo, Severity};
use crate::ingest::{IngestError, Options, Report};
use crate::layer::LoadError;
use crate::publish::{self, PublishError, Upload, UploadAccess};

/// The upload routes, with their own time limit (`ingest.upload_timeout_secs`), identified
/// by `P` (the server passes [`Principal`]).
pub fn routes<P>(app: &App) -> Router<Arc<App>>
where
    P: FromRequestParts<Arc<App>> + Into<Principal> + Send + 'static,
    P::Rejection: IntoResponse,
{
    let limit = Duration::from_secs(app.config.ingest.upload_timeout_secs.get());
    Router::new()
        .route("/api/layers/{layer}/uploads", post(upload::<P>))
        .route(
            "/api/layers/{layer}/uploads/{id}",
            get(show::<P>).delete(discard::<P>),
        )
        .route(
            "/api/layers/{layer}/uploads/{id}/publish",
            post(publish::<P>),
        )
        .route(
            "/api/layers/{layer}/uploads/{id}/preview",
            get(preview::<P>),
        )
        .route("/api/layers/{layer}/versions", get(versions::<P>))
        .route(
            "/api/layers/{layer}/versions/{version}/activate",
            post(activate::<P>),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limit,
        ))
}

/// Checks the caller may upload to the layer; returns their name for the audit log.
fn allowed(app: &App, principal: &Principal, layer: &str) -> Result<String, ApiError> {
    match publish::upload_access(&app.publisher, principal, layer) {
        UploadAccess::Allowed => Ok(principal.user.clone().unwrap_or_default()),
        UploadAccess::Forbidden => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "you may not upload to layer `{layer}`: it takes uploads from its upload roles only"
            ),
        )
        .ja(format!(
            "レイヤー「{layer}」へのアップロード権限がありません"
        ))),
        UploadAccess::NotFound => Err(ApiError::not_found("no such layer")),
    }
}

async fn upload<P: Into<Principal>>(
    State(app): State<Arc<App>>,
    Path(layer): Path<String>,
    who: P,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let user = allowed(&app, &who.into(), &layer)?;
    let mut multipart = multipart.map_err(|r| {
        ApiError::bad_request("invalid_multipart", r.body_text())
            .ja("アップロードの形式が正しくありません (multipart/form-data)")
    })?;
    let a = Arc::clone(&app);
    let up = blocking(move || Upload::create(&a.publisher).map_err(PublishError::from)).await?;
    // Dropped with this handler, also when the client goes away mid-conversion: the
    // conversion then stops and its staging folder is removed.
    let _stop = StopOnDrop(Arc::clone(&up.stop));
    let received = receive(&app, &mut multipart, &up).await;
    let (file, opts) = match received {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&up.dir).await;
            return Err(e);
        }
    };
    // A refusal is answered with its whole report, so the result is matched here.
    let staged = blocking(move || {
        let path = up.file_path();
        let staged = publish::stage(&app.publisher, &up, &path, &file, &user, &layer, &opts);
        Ok::<_, Infallible>(staged.map(|s| (s, layer)))
    })
    .await?;
    match staged {
        Ok((s, layer)) => {
            let body = json!({
                "id": s.id,
                "layer": layer,
                "version": s.version,
                "expires": s.expires,
                "publish": format!("/api/layers/{layer}/uploads/{}/publish", s.id),
                "report": s.report,
            });
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        Err(PublishError::Refused(report)) => Ok(refused(&report)),
        Err(e) => Err(e.into()),
    }
}

/// Sets an upload's stop flag when dropped.
struct StopOnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Streams the multipart body: the file to disk (hashed on the way), options as text.
async fn receive(
    app: &App,
    mp: &mut Multipart,
    up: &Upload,
) -> Result<(FileInfo, Options), ApiError> {
    let mut opts = Options::default();
    let mut file: Option<FileInfo> = None;
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|e| multipart_error(app, &e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_owned();
            file = Some(save(&mut field, &up.file_path(), file_name, app).await?);
            continue;
        }
        let text = small_text(&mut field, &name, app).await?;
        set_option(&mut opts, &name, text.trim())?;
    }
    let file = file.ok_or_else(|| {
        ApiError::bad_request("missing_file", "the multipart form needs a `file` field")
            .ja("ファイル (file) がありません")
    })?;
    Ok((file, opts))
}

/// An option field, read chunk by chunk and refused beyond 1 KiB (16 KiB for `mapping`, a
/// JSON object of many names; it is never a file).
async fn small_text(
    field: &mut axum::extract::multipart::Field<'_>,
    name: &str,
    app: &App,
) -> Result<String, ApiError> {
    let kib = if name == "mapping" { 16 } else { 1 };
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(app, &e))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > kib * 1024 {
            return Err(ApiError::parameter(
                name,
                "",
                format!("is longer than {kib} KiB"),
                format!("{kib} KiB 以内で指定してください"),
            ));
        }
    }
    String::from_utf8(bytes).map_err(|_| {
        ApiError::parameter(
            name,
            "",
            "is not UTF-8 text",
            "UTF-8 のテキストで指定してください",
        )
    })
}

fn set_option(opts: &mut Options, name: &str, text: &str) -> Result<(), ApiError> {
    let value = Some(text.to_owned()).filter(|t| !t.is_empty());
    match name {
        "encoding" => opts.encoding = value,
        "srs" => opts.srs = value,
        "source_layer" => opts.source_layer = value,
        "x_column" => opts.x_column = value,
        "y_column" => opts.y_column = value,
        "repair" => opts.repair = flag(Some(text), "repair")?,
        "mapping" => {
            opts.mapping = crate::ingest::parse_mapping(text).map_err(|e| {
                let m = e.message();
                ApiError::parameter("mapping", text, &m.en, &m.ja)
            })?;
        }
        other => {
            return Err(ApiError::parameter(
                other,
                text,
                "is not a field of this form (file, encoding, srs, source_layer, repair, x_column, y_column, mapping)",
                "このフォームにない項目です（file, encoding, srs, source_layer, repair, x_column, y_column, mapping）",
            ));
        }
    }
    Ok(())
}

async fn save(
    field: &mut axum::extract::multipart::Field<'_>,
    path: &std::path::Path,
    name: String,
    app: &App,
) -> Result<FileInfo, ApiError> {
    let io = |e: std::io::Error| ApiError::from(PublishError::from(IngestError::io(path, e)));
    let mut out = tokio::fs::File::create(path).await.map_err(io)?;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(app, &e))? {
        hash.update(&chunk);
        size += chunk.len() as u64;
        out.write_all(&chunk).await.map_err(io)?;
    }
    out.flush().await.map_err(io)?;
    Ok(FileInfo {
        name,
        size,
        sha256: hex::encode(hash.finalize()),
    })
}

fn multipart_error(app: &App, e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return super::too_large(app.config.limits.max_body_mb.get());
    }
    // The body stopped: the client went away, or sent too slowly. That is the client's
    // doing, never a server error (and the answer is only logged: no one reads it).
    if e.status().is_server_error() {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "incomplete_upload",
            format!("the upload stopped before its end: {}", e.body_text()),
        )
        .ja("アップロードが途中で止まりました（接続が切れたか、送信が遅すぎます）");
    }
    ApiError::new(e.status(), "invalid_multipart", e.body_text())
        .ja("アップロードの形式が正しくありません (multipart/form-data)")
}

/// 422 with the whole report: what is wrong, where, in both languages.
fn refused(report: &Report) -> Response {
    let first = report
        .problems
        .iter()
        .find(|p| p.severity == Severity::Error);
    let (ja, en) = first.map_or_else(
        || {
            (
                "アップロードは受け付けられませんでした".to_owned(),
                "the upload was refused".to_owned(),
            )
        },
        |p| (p.message.ja.clone(), p.message.en.clone()),
    );
    let details: Vec<Value> = report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .take(20)
        .map(|p| json!({ "code": p.code, "message": p.message, "where": p.at }))
        .collect();
    let body = json!({
        "error": "upload_refused",
        "message": format!("the upload was refused: {en}"),
        "message_ja": format!("アップロードは受け付けられませんでした: {ja}"),
        "details": details,
        "report": report,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

async fn show<P: Into<Principal>>(
    State(app): State<Arc<App>>,
    Path((layer, id)): Path<(String, String)>,
    who: P,
) -> Result<Response, ApiError> {
    allowed(&app, &who.into(), &layer)?;
    let (record, report) = blocking(move || publish::staged(&app.publisher, &layer, &id)).await?;
    Ok(Json(json!({ "upload": record, "report": report })).into_response())
}

async fn publish<P: Into<Principal>>(
    State(app): State<Arc<App>>,
    Path((layer, id)): Path<(String, String)>,
    params: Params,
    who: P,
) -> Result<Response, ApiError> {
    let user = allowed(&app, &who.into(), &layer)?;
    let confirm = flag(params.get("confirm_drop"), "confirm_drop")?;
    let info = blocking(move || publish::publish_with(&app.publisher, &user, &layer, &id, confirm))
        .await?;
    Ok(Json(json!({ "published": info })).into_response())
}

/// The staged version as GeoJSON, to look at on the map before publishing.
async fn preview<P: Into<Principal>>(
    State(app): State<Arc<App>>,
    Path((layer, id)): Path<(String, String)>,
    who: P,
) -> Result<Response, ApiError> {
    allowed(&app, &who.into(), &layer)?;
    let body = blocking(move || publish::preview(&app.publisher, &layer, &id)).await?;
    Ok(Json(body).into_response())
}

/// Deletes an abandoned staged upload (`DELETE …/uploads/{id}`).
async fn discard<P: Into<Principal>>(
    State(app): State<Arc<App>>,
    Path((layer, id)): Path<(String, String)>,
    who: P,
) -> Result<Response, ApiError> {
    let user = allowed(&app, &who.into(), &layer)?;
    blocking(move || publish::discard(&app.publisher, &user, &layer, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A true/false option (`true`, `1`, `yes`, `on` or empty for true).
fn flag(text: Option<&str>, name: &str) -> Result<bool, ApiError> {
    match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no" | "off") => Ok(false),
        Some("" | "true" | "1" | "yes" | "on") => Ok(true),
        Some(other) => Err(ApiError::parameter(
            name,
            other,
            "must be true or false",
            "true か false で指定してください",
        )),
    }
}

async fn versions<P: Into<Principal>>(
    State(app): State<Arc<App>>,
    Path(layer): Path<String>,
    who: P,
) -> Result<Response, ApiError> {
    allowed(&app, &who.into(), &layer)?;
    let id = layer.clone();
    let rows = blocking(move || publish::versions(&app.publisher, &id)).await?;
    Ok(Json(json!({ "layer": layer, "versions": rows })).into_response())
}

async fn activate<P: Into<Principal>>(
    State(app): State<Arc<App>>,
    Path((layer, version)): Path<(String, u64)>,
    who: P,
) -> Result<Response, ApiError> {
    let user = allowed(&app, &who.into(), &layer)?;
    let info = blocking(move || publish::activate(&app.publisher, &user, &layer, version)).await?;
    Ok(Json(json!({ "current": info })).into_response())
}

impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Ingest(e) => ingest_error(e),
            PublishError::Refused(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "upload_refused", "the upload was refused").ja("アップロードを受け付けられませんでした"),
            PublishError::NoSuchLayer { .. } => ApiError::not_found("no such layer"),
            PublishError::NoSuchUpload { id, .. } => ApiError::not_found(format!("no staged upload `{id}`")).ja("そのアップロードはありません (公開済みか期限切れ)"),
            PublishError::NoSuchVersion { layer, version } => ApiError::not_found(format!("layer `{layer}` has no version {version}")).ja(format!("版 {version} はありません")),
            PublishError::Expired { id } => ApiError::new(StatusCode::GONE, "upload_expired", format!("staged upload `{id}` has expired; upload the file again"))
                .ja("アップロードの有効期限が切れました。もう一度アップロードしてください"),
            PublishError::Busy { layer } => ApiError::new(StatusCode::CONFLICT, "busy", format!("another upload or publish of layer `{layer}` is in progress; try again in a moment"))
                .ja(format!("レイヤー「{layer}」は別の公開作業中です。少し待ってからやり直してください")),
            PublishError::Conflict { layer, .. } => ApiError::new(StatusCode::CONFLICT, "conflict", format!("layer `{layer}` was changed by someone else meanwhile; reload the versions and try again"))
                .ja(format!("レイヤー「{layer}」はその間に別の操作で更新されました。版の一覧を読み直してからやり直してください")),
            PublishError::DiskFull { path } => ingest_error(IngestError::DiskFull { path }),
            PublishError::Store(e) if e.is_unavailable() => ApiError::store_unavailable(e),
            PublishError::Load { ref source, .. } if matches!(**source, LoadError::Store(ref s) if s.is_unavailable()) => ApiError::store_unavailable(e),
            PublishError::NeedsConfirmation { layer, drop } => ApiError::new(StatusCode::CONFLICT, "confirm_drop", format!("publishing would take layer `{layer}` from {} to {} features ({:.0}% fewer, over its limit of {}%); publish again with confirm_drop=true if this is intended", drop.before, drop.after, drop.percent, drop.limit_percent))
                .ja(format!("公開すると {}件 → {}件 になります ({:.0}% 減。このレイヤーの上限は {}% です)。意図したものなら確認の上で公開してください", drop.before, drop.after, drop.percent, drop.limit_percent))
                .detail(json!({ "before": drop.before, "after": drop.after, "percent": drop.percent, "limit_percent": drop.limit_percent })),
            PublishError::Definition(errors) => definition_error(&errors),
            PublishError::LayerExists { layer } => ApiError::new(StatusCode::CONFLICT, "layer_exists", format!("layer `{layer}` already exists; choose another id"))
                .ja(format!("レイヤー ID「{layer}」はすでに使われています。別の ID にしてください"))
                .detail(json!({ "key": "id" })),
            PublishError::NotCreated { layer, .. } => ApiError::new(StatusCode::CONFLICT, "layer_from_file", format!("layer `{layer}` is defined by a layer file of the installation; remove that file and restart to remove it"))
                .ja(format!("レイヤー「{layer}」は設定ファイルで定義されています。画面からは削除できません")),
            PublishError::Audit(e) => ApiError::from(e),
            other => ApiError::internal(other),
        }
    }
}

/// 400 naming each key of the definition at fault.
fn definition_error(errors: &[crate::catalog::CatalogError]) -> ApiError {
    let details: Vec<Value> = errors
        .iter()
        .map(|e| {
            let (key, message) = e.key_and_message();
            json!({ "key": key, "message": message })
        })
        .collect();
    let summary: Vec<String> = errors
        .iter()
        .map(|e| match e.key_and_message() {
            (Some(k), m) => format!("`{k}`: {m}"),
            (None, m) => m,
        })
        .collect();
    let mut e = ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_layer_definition",
        format!("the layer definition is invalid: {}", summary.join("; ")),
    )
    .ja(format!(
        "レイヤー定義に誤りがあります: {}",
        summary.join("; ")
    ));
    e.details = details;
    e
}

fn ingest_error(e: IngestError) -> ApiError {
    let m = e.message();
    let (status, code) = match &e {
        IngestError::Unsupported { .. } => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format")
        }
        IngestError::Malformed { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_file"),
        IngestError::Crs { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_crs"),
        IngestError::Choose { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "choose_source_layer"),
        IngestError::Option { .. } => (StatusCode::BAD_REQUEST, "invalid_parameter"),
        IngestError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        IngestError::Cancelled => (StatusCode::BAD_REQUEST, "cancelled"),
        IngestError::DiskFull { .. } => {
            tracing::error!(error = %e, "disk full during an upload");
            (StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage")
        }
        _ => return ApiError::internal(e),
    };
    let mut err = ApiError::new(status, code, m.en).ja(m.ja);
    match e {
        IngestError::Malformed { at, .. } => err = err.detail(json!({ "where": *at })),
        IngestError::Choose { options, .. } => {
            err = err.detail(json!({ "source_layers": options }));
        }
        IngestError::Option { option, .. } => err = err.detail(json!({ "parameter": option })),
        _ => {}
    }
    err
}
