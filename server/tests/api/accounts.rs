//! Staff accounts that follow people (roles changed at a 異動, contractor accounts that end
//! by themselves, every change audited) and counted prints with a usage summary.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::helpers::{ORIGIN, PASSWORD, TestApp, TestResponse};

async fn patch(t: &TestApp, cookie: &str, uri: &str, body: &Value) -> TestResponse {
    let req = Request::patch(uri)
        .header("host", "localhost:8080")
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .body(Body::from(body.to_string()))
        .unwrap();
    t.send(req).await
}

fn app() -> (TestApp, ()) {
    let t = TestApp::sample();
    t.add_user("kanri", &["admin"], true);
    t.add_user("yamada", &["suido"], true);
    (t, ())
}

async fn audit_of(t: &TestApp, user: &str) -> Vec<kashimap::access::AuditEntry> {
    t.app
        .access
        .audit
        .query(kashimap::access::AuditFilter {
            user: Some(user.into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_administrator_changes_roles_and_the_change_applies_and_is_audited() {
    let (t, ()) = app();
    let admin = t.login("kanri", PASSWORD).await;
    let yamada = t.login("yamada", PASSWORD).await;
    assert_eq!(
        t.get_as(&yamada, "/api/layers/pipes/export.geojson")
            .await
            .status,
        200
    );
    let res = patch(
        &t,
        &admin,
        "/api/admin/users/yamada",
        &json!({ "roles": ["toshi"], "department": "都市計画課" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["user"]["roles"], json!(["toshi"]));
    assert_eq!(
        t.get_as(&yamada, "/api/layers/pipes/export.geojson")
            .await
            .status,
        404,
        "the old session (and its 水道 role) ended: the caller is anonymous again"
    );
    let again = t.login("yamada", PASSWORD).await;
    assert_eq!(
        t.get_as(&again, "/api/layers/pipes/export.geojson")
            .await
            .status,
        404
    );
    let changes: Vec<Value> = audit_of(&t, "yamada")
        .await
        .into_iter()
        .filter(|e| e.kind == "user_change")
        .map(|e| e.detail)
        .collect();
    assert!(
        changes
            .iter()
            .any(|d| d["change"] == "roles" && d["by"] == "kanri"),
        "{changes:?}"
    );
    let list = t.get_as(&admin, "/api/admin/users").await;
    assert_eq!(list.status, 200);
    let users = list.json()["users"].as_array().unwrap().clone();
    assert!(
        users
            .iter()
            .any(|u| u["name"] == "yamada" && u["department"] == "都市計画課")
    );
    // Others may not.
    let res = patch(
        &t,
        &again,
        "/api/admin/users/yamada",
        &json!({ "roles": ["admin"] }),
    )
    .await;
    assert_eq!(res.status, 403);
}

#[tokio::test]
async fn bad_account_changes_are_refused_and_change_nothing() {
    let (t, ()) = app();
    let admin = t.login("kanri", PASSWORD).await;
    let cases = [
        (
            "/api/admin/users/nobody",
            json!({ "roles": ["toshi"] }),
            404,
            "nobody",
        ),
        (
            "/api/admin/users/yamada",
            json!({ "expires": "2001-01-01" }),
            400,
            "expiry",
        ),
        (
            "/api/admin/users/yamada",
            json!({ "roles": ["Bad Role"] }),
            400,
            "role",
        ),
        (
            "/api/admin/users/yamada",
            json!({ "colour": "red" }),
            422,
            "colour",
        ),
        (
            "/api/admin/users/yamada",
            json!({ "roles": ["toshi"], "expires": "yesterday" }),
            400,
            "expiry",
        ),
    ];
    for (uri, body, status, named) in cases {
        let res = patch(&t, &admin, uri, &body).await;
        assert_eq!(res.status, status, "{body}: {}", res.text());
        let b = res.json();
        assert!(
            b["message"].as_str().unwrap().contains(named),
            "{body}: {b}"
        );
        assert!(b["message_ja"].is_string());
    }
    let u = t.app.access.db.user("yamada").unwrap().unwrap();
    assert_eq!(u.roles, ["suido"], "nothing changed");
    assert_eq!(u.expires_at, None);
}

#[tokio::test]
async fn a_contractor_account_ends_by_itself() {
    let (t, ()) = app();
    let admin = t.login("kanri", PASSWORD).await;
    let res = t
        .post_json_as(
            Some(&admin),
            "/api/admin/users",
            &json!({ "name": "gyosha1", "roles": ["contractor"], "staff": false, "expires": "2099-03-31" }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    assert_eq!(body["user"]["expires"], "2099-03-31T15:00:00Z");
    let password = body["password"].as_str().unwrap().to_owned();
    let session = t.login("gyosha1", &password).await;
    let (token, _) = t.app.access.create_token("gyosha1", "cad", None).unwrap();
    assert_eq!(
        t.get_as(&session, "/api/layers/pipes/export.geojson")
            .await
            .status,
        200
    );
    // The contract ends (set directly: the API refuses a date in the past).
    t.app.access.db.set_expiry("gyosha1", Some(1)).unwrap();
    assert_eq!(
        t.get_as(&session, "/api/layers/pipes/export.geojson")
            .await
            .status,
        404,
        "the session is refused: anonymous callers do not see pipes"
    );
    assert_eq!(
        t.get_bearer(&token, "/api/layers/pipes/export.geojson")
            .await
            .status,
        401
    );
    assert_eq!(t.login_response("gyosha1", &password).await.status, 401);
    let list = t.get_as(&admin, "/api/admin/users").await.json();
    let row = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "gyosha1")
        .unwrap()
        .clone();
    assert_eq!(row["active"], false);
    // A reset password works again once the expiry is lifted.
    let res = patch(
        &t,
        &admin,
        "/api/admin/users/gyosha1",
        &json!({ "expires": "never" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let reset = t
        .post_json_as(
            Some(&admin),
            "/api/admin/users/gyosha1/password",
            &json!({}),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text());
    let new = reset.json()["password"].as_str().unwrap().to_owned();
    assert_eq!(t.login_response("gyosha1", &new).await.status, 200);
    let kinds: Vec<String> = audit_of(&t, "gyosha1")
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"user_add".to_owned()) && kinds.contains(&"user_change".to_owned()));
}

#[tokio::test]
async fn prints_of_restricted_layers_are_recorded_and_counted() {
    let (t, ()) = app();
    let yamada = t.login("yamada", PASSWORD).await;
    let body = json!({
        "layers": ["pipes", "zoning"],
        "bbox": [130.08, 33.09, 130.12, 33.12],
        "paper": "A4 横",
        "scale": 2500.0,
    });
    for _ in 0..3 {
        let res = t.post_json_as(Some(&yamada), "/api/prints", &body).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            res.json()["layers"],
            json!(["pipes"]),
            "only the restricted layer counts"
        );
    }
    let public = json!({ "layers": ["zoning"], "bbox": [130.0, 33.0, 130.1, 33.1] });
    assert_eq!(
        t.post_json_as(Some(&yamada), "/api/prints", &public)
            .await
            .json()["recorded"],
        0
    );
    let bad = json!({ "layers": ["pipes"], "bbox": [200.0, 33.0, 130.1, 33.1] });
    assert_eq!(
        t.post_json_as(Some(&yamada), "/api/prints", &bad)
            .await
            .status,
        400
    );
    let hidden = json!({ "layers": ["nosuch"], "bbox": [130.0, 33.0, 130.1, 33.1] });
    assert_eq!(
        t.post_json_as(Some(&yamada), "/api/prints", &hidden)
            .await
            .status,
        404
    );
    assert_eq!(t.post_json_as(None, "/api/prints", &body).await.status, 401);
    let prints: Vec<_> = audit_of(&t, "yamada")
        .await
        .into_iter()
        .filter(|e| e.kind == "print")
        .collect();
    assert_eq!(prints.len(), 3);
    assert_eq!(prints[0].layer.as_deref(), Some("pipes"));
    assert_eq!(
        prints[0].detail["bbox"],
        json!([130.08, 33.09, 130.12, 33.12])
    );
    assert_eq!(prints[0].detail["layers"], json!(["pipes", "zoning"]));

    let admin = t.login("kanri", PASSWORD).await;
    let usage = t.get_as(&admin, "/api/admin/usage").await;
    assert_eq!(usage.status, 200, "{}", usage.text());
    let days = usage.json()["days"].as_array().unwrap().clone();
    let pipes = days
        .iter()
        .find(|d| d["layer"] == "pipes")
        .expect("pipes are counted");
    assert_eq!(pipes["prints"], 3);
    assert!(pipes["requests"].as_i64().unwrap() >= 0);
    assert_eq!(usage.json()["titles"]["pipes"]["ja"], "水道管路");
    assert_eq!(t.get_as(&yamada, "/api/admin/usage").await.status, 403);
}
