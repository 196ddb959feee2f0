//! The one error type of the HTTP edge.
//!
//! 4xx: `{ "error": code, "message": ..., "message_ja": ..., "details": [...] }`, telling the
//! client what was wrong and where. 5xx: a generic body; the cause is logged in full.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub message_ja: Option<String>,
    pub details: Vec<serde_json::Value>,
    /// The `Allow` header of a 405 the router did not make itself.
    pub allow: Option<&'static str>,
    /// `Retry-After` seconds (a 503 that should clear by itself).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            message_ja: None,
            details: Vec::new(),
            allow: None,
            retry_after: None,
        }
    }

    /// 400 with a code such as `invalid_parameter`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A bad query parameter: names the parameter and the value, and says why in English
    /// (`why`) and in Japanese (`why_ja`).
    pub fn parameter(
        name: &str,
        value: &str,
        why: impl std::fmt::Display,
        why_ja: impl std::fmt::Display,
    ) -> Self {
        Self::bad_request("invalid_parameter", format!("parameter `{name}`: {why}"))
            .ja(format!("パラメータ `{name}` が不正です: {why_ja}"))
            .detail(json!({ "parameter": name, "value": truncate(value, 200) }))
    }

    /// 405 for a method the resource does not take (axum adds the `Allow` header).
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this resource does not take that method; see the Allow header",
        )
        .ja("このリソースはそのメソッドに対応していません（Allow ヘッダーを参照）")
    }

    /// The same 404 for "does not exist" and "you may not see it": access is never
    /// confirmed by a different error.
    /// 405 for a method the resource does not take, naming the ones it does.
    pub fn method_not_allowed_but(allow: &'static str) -> Self {
        let mut e = Self::method_not_allowed();
        e.allow = Some(allow);
        e
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what).ja("見つかりません")
    }

    /// A 500: the client gets a generic message; the cause is logged here.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal server error; the cause has been logged",
        )
        .ja("サーバー内部でエラーが発生しました")
    }

    /// A 503 for a layer store that cannot be reached or is failing now (an unreachable or
    /// slow bucket): the client may try again; the cause is logged here.
    pub fn store_unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "layer store unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the layer store cannot be reached just now; nothing was changed, try again in a moment",
        )
        .ja("レイヤーの保存先に接続できません。変更はされていません。しばらくしてからやり直してください")
    }

    pub fn ja(mut self, message: impl Into<String>) -> Self {
        self.message_ja = Some(message.into());
        self
    }

    pub fn detail(mut self, d: serde_json::Value) -> Self {
        self.details.push(d);
        self
    }
}

/// An identity-database failure: 503 `database_unavailable` while the database cannot be
/// reached (the client may retry; nothing was changed), else a 500.
impl From<crate::access::AccessError> for ApiError {
    fn from(e: crate::access::AccessError) -> Self {
        if !e.is_unavailable() {
            return Self::internal(e);
        }
        tracing::warn!(error = %e, "identity database unavailable");
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database of accounts and the audit log is unavailable; public maps still work, try again in a moment",
        )
        .ja("利用者・監査ログのデータベースに接続できません。公開地図は利用できます。しばらくしてからやり直してください");
        err.retry_after = Some(5);
        err
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The Japanese message of an error that was given none: a plain statement of its status.
fn generic_ja(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "ログインが必要です",
        403 => "権限がありません",
        404 => "見つかりません",
        405 => "このメソッドには対応していません",
        409 => "他の操作と競合しました",
        413 => "リクエストが大きすぎます",
        414 => "URL が長すぎます",
        415 => "この形式のデータには対応していません",
        422 => "内容を処理できません",
        429 => "リクエストが多すぎます。しばらく待ってからやり直してください",
        400..=499 => "リクエストが不正です",
        _ => "サーバー内部でエラーが発生しました",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ja = self
            .message_ja
            .unwrap_or_else(|| generic_ja(self.status).to_owned());
        let mut body = json!({ "error": self.code, "message": self.message, "message_ja": ja });
        if !self.details.is_empty() {
            body["details"] = self.details.into();
        }
        let mut res = (self.status, Json(body)).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(allow) = self.allow {
            res.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        res
    }
}

/// For work that cannot fail (see `blocking`).
impl From<std::convert::Infallible> for ApiError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::bad_request("invalid_path", r.body_text()).ja("URL のパスが不正です")
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        Self::new(r.status(), "invalid_json", r.body_text()).ja("リクエスト本文の JSON が不正です")
    }
}

impl From<crate::cql2::Cql2Error> for ApiError {
    fn from(e: crate::cql2::Cql2Error) -> Self {
        Self::bad_request("invalid_filter", format!("filter: {e}"))
            .ja(format!(
                "filter を解釈できません（{}文字目）。構文と属性名を確認してください",
                e.position
            ))
            .detail(json!({ "parameter": "filter", "position": e.position }))
    }
}

/// Item-query errors name the parameter; a hidden attribute reads like a missing one.
impl From<crate::query::items::QueryError> for ApiError {
    fn from(e: crate::query::items::QueryError) -> Self {
        use crate::query::items::{Expected, QueryError};
        match e {
            QueryError::Filter(e) => e.into(),
            QueryError::UnknownProperty { parameter, name } => ApiError::parameter(
                parameter,
                &name,
                format!("unknown property `{name}`"),
                format!("属性 `{name}` はありません"),
            ),
            QueryError::UnknownParameter { name } => ApiError::parameter(
                &name,
                "",
                "unknown parameter: not an items parameter nor a queryable of this collection",
                "items のパラメータでも、このコレクションの属性でもありません",
            ),
            QueryError::BadValue {
                name,
                value,
                expected,
            } => {
                let ja = match expected {
                    Expected::Number => "数値で指定してください",
                    Expected::Bool => "true か false で指定してください",
                };
                ApiError::parameter(&name, &value, format!("must be {expected}"), ja)
            }
        }
    }
}
