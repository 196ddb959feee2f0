//! `POST /integrations/line/webhook`: the HTTP edge of [`crate::line`]. Reads the raw body,
//! has its signature checked, answers 401 on a bad one (and sends nothing), and sends the
//! replies before answering 200. Without a channel secret configured the route is a 404.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::extract::BaseUrl;
use super::{ApiError, blocking};
use crate::access::{Principal, decide_all};
use crate::app::App;
use crate::line::{self, Context, LineError};

/// The path LINE's console is given as the webhook URL.
pub const WEBHOOK_PATH: &str = "/integrations/line/webhook";

/// LINE's webhook bodies are small; anything larger is not LINE.
const MAX_BODY: usize = 1 << 20;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route(WEBHOOK_PATH, post(webhook))
}

async fn webhook(
    State(app): State<Arc<App>>,
    BaseUrl(base_url): BaseUrl,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Some(secret) = app.config.line.channel_secret.clone() else {
        return Err(ApiError::not_found("no such resource"));
    };
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("a LINE webhook body is at most {MAX_BODY} bytes"),
        )
        .ja("LINE の Webhook として大きすぎます")
    })?;
    let signature = headers
        .get(line::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    line::verify(&secret, &bytes, signature)?;
    let views = decide_all(&Principal::anonymous(), &app.layers.current_all());
    let ctx = Context {
        base_url,
        hazard: app.config.line.hazard.clone(),
    };
    let replies = line::replies(&bytes, &views, &ctx)?;
    if replies.is_empty() {
        return Ok(StatusCode::OK.into_response());
    }
    let Some(token) = app.config.line.channel_token.clone() else {
        tracing::warn!(
            "LINE webhook: no channel access token set, {} replies not sent",
            replies.len()
        );
        return Ok(StatusCode::OK.into_response());
    };
    let config = app.config.line.clone();
    // The reply is a blocking HTTPS call: off the async workers. A failed reply is logged,
    // and LINE still gets its 200 (it does not resend, and the reply token is single-use).
    blocking(move || {
        for reply in &replies {
            if let Err(e) = line::send(&config, &token, reply) {
                tracing::warn!("LINE webhook: {e}");
            }
        }
        Ok::<(), LineError>(())
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

impl From<LineError> for ApiError {
    fn from(e: LineError) -> Self {
        match e {
            LineError::MissingSignature | LineError::BadSignature => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", e.to_string())
                    .ja("X-Line-Signature が本文と一致しません")
            }
            LineError::BadBody(_) => ApiError::bad_request("invalid_body", e.to_string())
                .ja("LINE の Webhook の形式ではありません"),
            LineError::Reply(_) => ApiError::internal(e),
        }
    }
}
