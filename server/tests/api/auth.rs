//! Sign-in, sessions, tokens, lockout and CSRF.

use axum::body::Body;
use axum::http::Request;
use rstest::rstest;
use serde_json::json;

use crate::access_fixture::{access_app, login, visible};
use crate::helpers::{ORIGIN, PASSWORD};

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie_and_me_reports_the_user() {
    let app = access_app();
    let res = app.login_response("suido", PASSWORD).await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["user"], "suido");
    assert_eq!(body["roles"], json!(["suido"]));
    assert_eq!(body["department"], "テスト課");
    assert_eq!(body["staff"], true);
    let set = res.header("set-cookie").unwrap();
    for part in [
        "kashimap_session=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=43200",
    ] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "not configured for TLS: {set}");
    let cookie = login(&app, "suido").await;
    let me = app.get_as(&cookie, "/auth/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.header("cache-control"), Some("no-store"));
    assert_eq!(me.json()["user"], "suido");
    assert_eq!(
        visible(&app, &cookie, "pipes").await.unwrap(),
        ["管種", "口径", "深さ", "内部メモ"]
    );
}

#[tokio::test]
async fn contractors_sign_in_but_are_not_staff() {
    let app = access_app();
    let cookie = login(&app, "contractor").await;
    let me = app.get_as(&cookie, "/auth/me").await.json();
    assert_eq!(me["staff"], false);
    assert_eq!(
        visible(&app, &cookie, "pipes").await.unwrap(),
        ["管種", "口径"]
    );
    assert!(visible(&app, &cookie, "survey").await.is_none());
}

#[tokio::test]
async fn me_is_a_401_json_when_anonymous() {
    let app = access_app();
    let res = app.get("/auth/me").await;
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["error"], "unauthenticated");
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_401() {
    let app = access_app();
    let wrong = app.login_response("suido", "not the password").await;
    let unknown = app.login_response("nobody", "not the password").await;
    let disabled = {
        app.app.access.set_disabled("staff", true).unwrap();
        app.login_response("staff", PASSWORD).await
    };
    for res in [&wrong, &unknown, &disabled] {
        assert_eq!(res.status, 401);
        assert!(res.header("set-cookie").is_none());
    }
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body, disabled.body);
}

#[tokio::test]
async fn logout_ends_the_session_and_clears_the_cookie() {
    let app = access_app();
    let cookie = login(&app, "suido").await;
    let res = app
        .post_json_as(Some(&cookie), "/auth/logout", &json!({}))
        .await;
    assert_eq!(res.status, 204);
    assert!(res.header("set-cookie").unwrap().contains("Max-Age=0"));
    let after = app.get_as(&cookie, "/auth/me").await;
    assert_eq!(after.status, 401, "a logged-out cookie is anonymous");
    assert!(after.header("set-cookie").unwrap().contains("Max-Age=0"));
}

#[rstest]
#[case::one_character_changed(true)]
#[case::random_session_id(false)]
#[tokio::test]
async fn tampered_cookies_are_anonymous_and_cleared(#[case] flip: bool) {
    let app = access_app();
    let cookie = login(&app, "suido").await;
    let forged = if flip {
        let mut c = cookie.clone().into_bytes();
        let last = c.len() - 1;
        c[last] = if c[last] == b'0' { b'1' } else { b'0' };
        String::from_utf8(c).unwrap()
    } else {
        format!("kashimap_session={}", "ab".repeat(32))
    };
    let res = app.get_as(&forged, "/auth/me").await;
    assert_eq!(res.status, 401);
    assert!(res.header("set-cookie").unwrap().contains("Max-Age=0"));
    // The genuine session still works.
    assert_eq!(app.get_as(&cookie, "/auth/me").await.status, 200);
}

#[rstest]
#[case("kashimap_session=../../etc/passwd")]
#[case("kashimap_session=")]
#[case("kashimap_session=' OR 1=1 --")]
#[tokio::test]
async fn malformed_cookies_are_anonymous(#[case] cookie: &str) {
    let app = access_app();
    assert_eq!(app.get_as(cookie, "/auth/me").await.status, 401);
    assert_eq!(app.get_as(cookie, "/healthz").await.status, 200);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = access_app();
    let cookie = login(&app, "suido").await;
    app.app.access.clock.advance(29 * 60);
    assert_eq!(app.get_as(&cookie, "/auth/me").await.status, 200);
    app.app.access.clock.advance(31 * 60);
    assert_eq!(app.get_as(&cookie, "/auth/me").await.status, 401);
}

#[tokio::test]
async fn an_active_session_still_ends_after_twelve_hours() {
    let app = access_app();
    let cookie = login(&app, "suido").await;
    for _ in 0..35 {
        app.app.access.clock.advance(20 * 60);
        assert_eq!(app.get_as(&cookie, "/auth/me").await.status, 200);
    }
    app.app.access.clock.advance(20 * 60);
    assert_eq!(app.get_as(&cookie, "/auth/me").await.status, 401);
}

#[tokio::test]
async fn disabling_a_user_ends_their_session() {
    let app = access_app();
    let cookie = login(&app, "suido").await;
    app.app.access.set_disabled("suido", true).unwrap();
    assert_eq!(app.get_as(&cookie, "/auth/me").await.status, 401);
}

#[tokio::test]
async fn bearer_tokens_work_until_revoked() {
    let app = access_app();
    let (token, info) = app.app.access.create_token("suido", "qgis", None).unwrap();
    let me = app.get_bearer(&token, "/auth/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["credential"], format!("token:{}", info.id));
    app.app.access.revoke_token(info.id).unwrap();
    let res = app.get_bearer(&token, "/healthz").await;
    assert_eq!(res.status, 401, "a bad token is refused on every route");
    assert_eq!(res.json()["error"], "invalid_token");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = access_app();
    let (token, _) = app.app.access.create_token("suido", "", Some(1)).unwrap();
    assert_eq!(app.get_bearer(&token, "/auth/me").await.status, 200);
    app.app.access.clock.advance(86_400);
    assert_eq!(app.get_bearer(&token, "/auth/me").await.status, 401);
}

#[rstest]
#[case("kmap_0000000000000000000000000000000000000000000000000000000000000000")]
#[case("not-a-token")]
#[tokio::test]
async fn unknown_tokens_are_refused(#[case] token: &str) {
    let app = access_app();
    let res = app.get_bearer(token, "/auth/me").await;
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["error"], "invalid_token");
}

#[tokio::test]
async fn five_failures_lock_the_account_with_429_and_retry_after() {
    let app = access_app();
    for _ in 0..5 {
        assert_eq!(
            app.login_response("suido", "wrong password").await.status,
            401
        );
    }
    let locked = app.login_response("suido", PASSWORD).await;
    assert_eq!(locked.status, 429, "locked even with the right password");
    // 15 minutes from the last failure; a slow machine may have crossed a second boundary.
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((895..=900).contains(&retry), "retry-after {retry}");
    assert_eq!(locked.json()["error"], "locked_out");
    // Other users are not affected.
    assert_eq!(app.login_response("bunka", PASSWORD).await.status, 200);
    app.app.access.clock.advance(15 * 60);
    assert_eq!(app.login_response("suido", PASSWORD).await.status, 200);
}

async fn post_logout(app: &crate::helpers::TestApp, headers: &[(&str, &str)]) -> u16 {
    let mut req = Request::post("/auth/logout").header("host", "localhost:8080");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.send(req.body(Body::empty()).unwrap())
        .await
        .status
        .as_u16()
}

#[tokio::test]
async fn cookie_requests_that_change_state_need_a_same_site_origin() {
    let app = access_app();
    let cookie = login(&app, "suido").await;
    let c = cookie.as_str();
    assert_eq!(post_logout(&app, &[("cookie", c)]).await, 403, "no Origin");
    let evil = [("cookie", c), ("origin", "http://evil.example")];
    assert_eq!(post_logout(&app, &evil).await, 403);
    let null = [("cookie", c), ("origin", "null")];
    assert_eq!(post_logout(&app, &null).await, 403);
    let bad_referer = [("cookie", c), ("referer", "http://evil.example/x")];
    assert_eq!(post_logout(&app, &bad_referer).await, 403);
    assert_eq!(
        app.get_as(c, "/auth/me").await.status,
        200,
        "still signed in"
    );
    let referer = [("cookie", c), ("referer", "http://localhost:8080/staff")];
    assert_eq!(post_logout(&app, &referer).await, 204);
}

#[tokio::test]
async fn bearer_requests_are_exempt_from_the_origin_check() {
    let app = access_app();
    let (token, _) = app.app.access.create_token("suido", "", None).unwrap();
    let auth = format!("Bearer {token}");
    assert_eq!(post_logout(&app, &[("authorization", &auth)]).await, 204);
}

#[tokio::test]
async fn login_from_another_site_is_refused() {
    let app = access_app();
    let body = json!({ "username": "suido", "password": PASSWORD }).to_string();
    let req = |origin: &str| {
        Request::post("/auth/login")
            .header("host", "localhost:8080")
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap()
    };
    assert_eq!(app.send(req("http://evil.example")).await.status, 403);
    assert_eq!(app.send(req(ORIGIN)).await.status, 200);
}
