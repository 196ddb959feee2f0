//! The audit log: what is recorded, and who may read it.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use kashimap::access::{AuditEvent, AuditKind, Principal};
use serde_json::{Value, json};

use crate::access_fixture::{access_app, login};
use crate::helpers::{ORIGIN, PASSWORD, TestApp};

async fn audit(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let res = app.get_as(admin, &format!("/api/audit?{query}")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["entries"].as_array().unwrap().clone()
}

async fn login_from(app: &TestApp, ip: &str, user: &str, password: &str) -> u16 {
    let body = json!({ "username": user, "password": password }).to_string();
    let mut req = Request::post("/auth/login")
        .header("host", "localhost:8080")
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let addr: SocketAddr = format!("{ip}:50000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    app.send(req).await.status.as_u16()
}

#[tokio::test]
async fn the_audit_api_is_for_admins_only() {
    let app = access_app();
    assert_eq!(app.get("/api/audit").await.status, 401);
    assert_eq!(app.get("/api/audit.csv").await.status, 401);
    let suido = login(&app, "suido").await;
    assert_eq!(app.get_as(&suido, "/api/audit").await.status, 403);
    assert_eq!(app.get_as(&suido, "/api/audit.csv").await.status, 403);
    let admin = login(&app, "admin").await;
    assert_eq!(app.get_as(&admin, "/api/audit").await.status, 200);
}

#[tokio::test]
async fn sign_ins_and_failures_are_recorded_with_the_client_address() {
    let app = access_app();
    assert_eq!(
        login_from(&app, "192.0.2.7", "suido", "wrong password").await,
        401
    );
    assert_eq!(login_from(&app, "192.0.2.8", "suido", PASSWORD).await, 200);
    let admin = login(&app, "admin").await;
    let failures = audit(&app, &admin, "kind=login_failure&user=suido").await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["client_ip"], "192.0.2.7");
    assert_eq!(failures[0]["detail"]["reason"], "credentials");
    let logins = audit(&app, &admin, "kind=login&user=suido").await;
    assert_eq!(logins[0]["client_ip"], "192.0.2.8");
    assert!(
        logins[0]["credential"]
            .as_str()
            .unwrap()
            .starts_with("session:")
    );
}

#[tokio::test]
async fn views_are_aggregated_not_one_row_per_tile() {
    let app = access_app();
    let audit_log = &app.app.access.audit;
    let suido = Principal::user("suido", true, &["suido".into()], vec![]);
    for _ in 0..500 {
        audit_log.record_view(&suido, "pipes");
    }
    audit_log.record_view(&Principal::anonymous(), "pipes");
    assert_eq!(audit_log.flush_views().unwrap(), 1);
    assert_eq!(
        audit_log.flush_views().unwrap(),
        0,
        "flushed counts are forgotten"
    );
    let admin = login(&app, "admin").await;
    let views = audit(&app, &admin, "kind=view&layer=pipes").await;
    assert_eq!(views.len(), 1);
    assert_eq!(views[0]["user"], "suido");
    assert_eq!(views[0]["detail"]["requests"], 500);
}

#[tokio::test]
async fn decisions_requests_and_tokens_are_recorded() {
    let app = access_app();
    let contractor = login(&app, "contractor").await;
    let body = json!({ "layer": "pipes", "attributes": "*", "reason": "工事", "days": 1 });
    let id = app
        .post_json_as(Some(&contractor), "/api/access-requests", &body)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let suido = login(&app, "suido").await;
    let uri = format!("/api/access-requests/{id}/approve");
    app.post_json_as(Some(&suido), &uri, &json!({})).await;
    let lead = login(&app, "lead").await;
    app.post_json_as(Some(&lead), &uri, &json!({ "comment": "ok" }))
        .await;
    let (_, token) = app.app.access.create_token("suido", "gdal", None).unwrap();
    app.app.access.revoke_token(token.id).unwrap();
    let admin = login(&app, "admin").await;
    let all = audit(&app, &admin, "limit=100").await;
    let kinds: Vec<&str> = all.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for kind in [
        "access_request",
        "forbidden",
        "grant",
        "token_create",
        "token_revoke",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let grant = audit(&app, &admin, "kind=grant").await;
    assert_eq!(grant[0]["user"], "lead");
    assert_eq!(grant[0]["layer"], "pipes");
    assert_eq!(grant[0]["detail"]["requester"], "contractor");
}

#[tokio::test]
async fn generic_events_can_be_filtered_by_user_layer_and_time() {
    let app = access_app();
    let audit_log = &app.app.access.audit;
    let suido = Principal::user("suido", true, &["suido".into()], vec![]);
    let upload = AuditEvent::new(AuditKind::Upload)
        .by(&suido)
        .layer("pipes")
        .detail(json!({ "file": "pipes.gpkg" }));
    audit_log.record(upload).await.unwrap();
    let admin = login(&app, "admin").await;
    let found = audit(
        &app,
        &admin,
        "user=suido&layer=pipes&kind=upload&from=2000-01-01",
    )
    .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["detail"]["file"], "pipes.gpkg");
    assert!(
        audit(&app, &admin, "kind=upload&to=2000-01-01")
            .await
            .is_empty()
    );
    let bad = app.get_as(&admin, "/api/audit?kind=nope").await;
    assert_eq!(bad.status, 400);
    let bad = app.get_as(&admin, "/api/audit?from=yesterday").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn the_csv_export_has_a_bom_and_defuses_formulas() {
    let app = access_app();
    app.login_response("=cmd|' /C calc'!A0", "whatever password")
        .await;
    let admin = login(&app, "admin").await;
    let res = app.get_as(&admin, "/api/audit.csv").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(res.body.starts_with("\u{feff}id,at,kind,user".as_bytes()));
    let text = res.text();
    assert!(text.contains("'=cmd"), "{text}");
    assert!(!text.contains(",=cmd"), "{text}");
    // The export itself is recorded.
    let exports = audit(&app, &admin, "kind=export").await;
    assert_eq!(exports[0]["detail"]["what"], "audit log");
}

#[tokio::test]
async fn old_rows_are_pruned_by_retention_and_recent_ones_kept() {
    let app = access_app();
    let db = &app.app.access.db;
    let now = kashimap::time::unix_now();
    let old = AuditEvent::new(AuditKind::Export).user("old");
    let recent = AuditEvent::new(AuditKind::Export).user("recent");
    db.append_audit(&[(now - 2000 * 86_400, old), (now - 86_400, recent)])
        .unwrap();
    assert_eq!(app.app.access.audit.prune(1825).unwrap(), 1);
    let admin = login(&app, "admin").await;
    assert!(audit(&app, &admin, "user=old").await.is_empty());
    assert_eq!(audit(&app, &admin, "user=recent").await.len(), 1);
}
