//! `GET /api/audit` (JSON) and `GET /api/audit.csv` (for the 情報公開 and security
//! officer): the audit log, admin only.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::ApiError;
use super::auth::{ClientIp, unauthenticated};
use super::extract::Params;
use crate::access::{AuditEntry, AuditEvent, AuditFilter, AuditKind, Principal};
use crate::app::App;
use crate::time::{parse_rfc3339, rfc3339};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/audit", get(audit_json))
        .route("/api/audit.csv", get(audit_csv))
}

fn admin_only(principal: &Principal) -> Result<(), ApiError> {
    if principal.is_anonymous() {
        Err(unauthenticated())
    } else if principal.is_admin() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the audit log is for admins",
        )
        .ja("監査ログは管理者のみ閲覧できます"))
    }
}

/// `user`, `layer`, `kind`, `from`, `to` (RFC 3339 or `YYYY-MM-DD`), `before` (an id, for
/// paging back), `limit`.
fn filter(
    params: &Params,
    default_limit: usize,
    max_limit: usize,
) -> Result<AuditFilter, ApiError> {
    let time = |name: &str| -> Result<Option<i64>, ApiError> {
        params
            .get(name)
            .map(|v| {
                parse_rfc3339(v.trim()).ok_or_else(|| {
                    ApiError::parameter(
                        name,
                        v,
                        "use RFC 3339 (2025-04-01T09:00:00+09:00) or YYYY-MM-DD",
                        "RFC 3339（2025-04-01T09:00:00+09:00）か YYYY-MM-DD で指定してください",
                    )
                })
            })
            .transpose()
    };
    let kind = params.get("kind").map(|k| {
        AuditKind::parse(k)
            .map(|k| k.as_str().to_owned())
            .ok_or_else(|| {
                let known: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
                let known = known.join(", ");
                ApiError::parameter(
                    "kind",
                    k,
                    format!("use one of {known}"),
                    format!("次のいずれかで指定してください: {known}"),
                )
            })
    });
    let before = params.usize_in("before", 0, 0, usize::MAX)?;
    Ok(AuditFilter {
        user: params.get("user").map(str::to_owned),
        layer: params.get("layer").map(str::to_owned),
        kind: kind.transpose()?,
        from: time("from")?,
        to: time("to")?,
        before: (before > 0).then_some(before as i64),
        limit: params.usize_in("limit", default_limit, 1, max_limit)?,
    })
}

async fn audit_json(
    State(app): State<Arc<App>>,
    principal: Principal,
    params: Params,
) -> Result<Response, ApiError> {
    admin_only(&principal)?;
    let f = filter(&params, 100, 10_000)?;
    let limit = f.limit;
    let entries = app.access.audit.query(f).await.map_err(ApiError::from)?;
    let next_before = (entries.len() == limit).then(|| entries.last().map(|e| e.id));
    let body = json!({
        "entries": entries.iter().map(AuditEntry::to_json).collect::<Vec<_>>(),
        "returned": entries.len(),
        "next_before": next_before.flatten(),
    });
    let mut res = axum::Json(body).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

async fn audit_csv(
    State(app): State<Arc<App>>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    params: Params,
) -> Result<Response, ApiError> {
    admin_only(&principal)?;
    let f = filter(&params, 100_000, 1_000_000)?;
    let entries = app.access.audit.query(f).await.map_err(ApiError::from)?;
    let event = AuditEvent::new(AuditKind::Export)
        .by(&principal)
        .ip(Some(&ip))
        .detail(json!({ "what": "audit log", "rows": entries.len(), "query": params.0 }));
    app.access
        .audit
        .record(event)
        .await
        .map_err(ApiError::from)?;
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"kashimap-audit.csv\"",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, to_csv(&entries)).into_response())
}

/// CSV with a UTF-8 BOM (so Excel reads Japanese correctly) and CRLF line ends.
fn to_csv(entries: &[AuditEntry]) -> String {
    let mut out = String::from("\u{feff}id,at,kind,user,credential,client_ip,layer,detail\r\n");
    for e in entries {
        let fields = [
            e.id.to_string(),
            rfc3339(e.at),
            e.kind.clone(),
            e.user.clone().unwrap_or_default(),
            e.credential.clone().unwrap_or_default(),
            e.client_ip.clone().unwrap_or_default(),
            e.layer.clone().unwrap_or_default(),
            e.detail.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        let _ = write!(out, "{}\r\n", line.join(","));
    }
    out
}

/// Quotes a CSV field when needed, and defuses spreadsheet formulas: user-controlled text
/// (a user name typed at sign-in) must not run as a formula in the officer's Excel.
fn csv_field(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("tanaka", "tanaka")]
    #[case("a,b", "\"a,b\"")]
    #[case("say \"hi\"", "\"say \"\"hi\"\"\"")]
    #[case("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    #[case("-1+2", "'-1+2")]
    fn csv_fields_are_quoted_and_defused(#[case] input: &str, #[case] want: &str) {
        assert_eq!(csv_field(input), want);
    }
}
