//! Web approval (決裁): requests, decisions, grants taking effect at once and expiring.

use rstest::rstest;
use serde_json::{Value, json};

use crate::access_fixture::{access_app, login, visible};
use crate::helpers::{TestApp, TestResponse};

async fn ask(app: &TestApp, cookie: &str, body: Value) -> TestResponse {
    app.post_json_as(Some(cookie), "/api/access-requests", &body)
        .await
}

async fn ask_depth(app: &TestApp, cookie: &str, days: u32) -> i64 {
    let body = json!({ "layer": "pipes", "attributes": ["深さ"], "reason": "布設替え工事の設計", "days": days });
    let res = ask(app, cookie, body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["status"], "pending");
    res.json()["id"].as_i64().unwrap()
}

async fn decide(app: &TestApp, cookie: &str, id: i64, action: &str, comment: &str) -> TestResponse {
    let uri = format!("/api/access-requests/{id}/{action}");
    app.post_json_as(Some(cookie), &uri, &json!({ "comment": comment }))
        .await
}

#[tokio::test]
async fn an_approved_grant_shows_the_attribute_at_once_and_expires_by_itself() {
    let app = access_app();
    let contractor = login(&app, "contractor").await;
    assert_eq!(
        visible(&app, &contractor, "pipes").await.unwrap(),
        ["管種", "口径"]
    );
    let id = ask_depth(&app, &contractor, 3).await;
    let lead = login(&app, "lead").await;
    let res = decide(&app, &lead, id, "approve", "承認します").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "approved");
    assert_eq!(res.json()["decided_by"], "lead");
    // The same session sees the depth on its very next request.
    assert_eq!(
        visible(&app, &contractor, "pipes").await.unwrap(),
        ["管種", "口径", "深さ"]
    );
    let me = app.get_as(&contractor, "/auth/me").await.json();
    assert_eq!(me["grants"][0]["layer"], "pipes");
    assert_eq!(me["grants"][0]["attributes"], json!(["深さ"]));
    // Four days later the grant has ended by itself.
    app.app.access.clock.advance(4 * 86_400);
    let again = login(&app, "contractor").await;
    assert_eq!(
        visible(&app, &again, "pipes").await.unwrap(),
        ["管種", "口径"]
    );
    let mine = app.get_as(&again, "/api/access-requests").await.json();
    assert_eq!(mine["requests"][0]["status"], "approved");
    assert!(mine["requests"][0]["grant_expires_at"].is_string());
}

#[tokio::test]
async fn staff_may_ask_for_a_hidden_layer_and_see_it_once_approved() {
    let app = access_app();
    let staff = login(&app, "staff").await;
    assert!(visible(&app, &staff, "survey").await.is_none());
    let body = json!({ "layer": "survey", "attributes": null, "reason": "開発相談", "days": 1 });
    let res = ask(&app, &staff, body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let bunka = login(&app, "bunka").await;
    let id = res.json()["id"].as_i64().unwrap();
    assert_eq!(decide(&app, &bunka, id, "approve", "").await.status, 200);
    assert_eq!(visible(&app, &staff, "survey").await.unwrap(), ["結果"]);
}

#[tokio::test]
async fn no_one_approves_their_own_request() {
    let app = access_app();
    // `lead` approves pipes requests, and as staff may ask for the layer it cannot see.
    let lead = login(&app, "lead").await;
    let body = json!({ "layer": "pipes", "attributes": "*", "reason": "確認", "days": 1 });
    let res = ask(&app, &lead, body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_i64().unwrap();
    let own = decide(&app, &lead, id, "approve", "").await;
    assert_eq!(own.status, 403);
    assert_eq!(own.json()["error"], "forbidden");
    // Not even an admin approves their own.
    let admin = login(&app, "admin").await;
    let body = json!({ "layer": "pipes", "attributes": "*", "reason": "確認", "days": 1 });
    let mine = ask(&app, &admin, body).await.json()["id"].as_i64().unwrap();
    assert_eq!(decide(&app, &admin, mine, "approve", "").await.status, 403);
    // The admin may approve lead's.
    assert_eq!(decide(&app, &admin, id, "approve", "").await.status, 200);
}

#[tokio::test]
async fn only_the_layers_approvers_or_an_admin_decide() {
    let app = access_app();
    let contractor = login(&app, "contractor").await;
    let id = ask_depth(&app, &contractor, 1).await;
    for user in ["suido", "bunka", "staff"] {
        let cookie = login(&app, user).await;
        assert_eq!(
            decide(&app, &cookie, id, "approve", "").await.status,
            403,
            "{user}"
        );
    }
    let anonymous = app
        .post_json_as(
            None,
            &format!("/api/access-requests/{id}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        visible(&app, &contractor, "pipes").await.unwrap(),
        ["管種", "口径"]
    );
}

#[tokio::test]
async fn a_rejection_needs_a_comment_and_grants_nothing() {
    let app = access_app();
    let contractor = login(&app, "contractor").await;
    let id = ask_depth(&app, &contractor, 1).await;
    let lead = login(&app, "lead").await;
    assert_eq!(decide(&app, &lead, id, "reject", " ").await.status, 400);
    let res = decide(&app, &lead, id, "reject", "工事範囲外のため").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["status"], "rejected");
    assert_eq!(res.json()["comment"], "工事範囲外のため");
    assert_eq!(decide(&app, &lead, id, "approve", "").await.status, 409);
    assert_eq!(
        visible(&app, &contractor, "pipes").await.unwrap(),
        ["管種", "口径"]
    );
}

#[tokio::test]
async fn approvers_list_what_is_pending_for_them() {
    let app = access_app();
    let contractor = login(&app, "contractor").await;
    let id = ask_depth(&app, &contractor, 1).await;
    let pending = |cookie: String| {
        let app = &app;
        async move {
            let res = app.get_as(&cookie, "/api/access-requests?pending=1").await;
            assert_eq!(res.status, 200);
            res.json()["requests"].as_array().unwrap().len()
        }
    };
    assert_eq!(pending(login(&app, "lead").await).await, 1);
    assert_eq!(pending(login(&app, "admin").await).await, 1);
    assert_eq!(pending(login(&app, "bunka").await).await, 0);
    assert_eq!(pending(contractor.clone()).await, 0, "not one's own");
    let mine = app.get_as(&contractor, "/api/access-requests").await.json();
    assert_eq!(mine["requests"][0]["id"], id);
    assert_eq!(mine["requests"][0]["reason"], "布設替え工事の設計");
    assert_eq!(app.get("/api/access-requests").await.status, 401);
}

#[rstest]
#[case::zero_days(json!({"layer": "pipes", "attributes": "*", "reason": "x", "days": 0}), "invalid_days")]
#[case::too_many_days(json!({"layer": "pipes", "attributes": "*", "reason": "x", "days": 91}), "invalid_days")]
#[case::no_reason(json!({"layer": "pipes", "attributes": "*", "reason": "  ", "days": 1}), "invalid_reason")]
#[case::empty_list(json!({"layer": "pipes", "attributes": [], "reason": "x", "days": 1}), "invalid_attributes")]
#[case::bad_shape(json!({"layer": "pipes", "attributes": 3, "reason": "x", "days": 1}), "invalid_attributes")]
#[case::hidden_layer(json!({"layer": "survey", "attributes": null, "reason": "x", "days": 1}), "not_found")]
#[case::missing_layer(json!({"layer": "nope", "attributes": null, "reason": "x", "days": 1}), "not_found")]
#[case::traversal(json!({"layer": "../pipes", "attributes": null, "reason": "x", "days": 1}), "not_found")]
#[tokio::test]
async fn bad_requests_are_refused(#[case] body: Value, #[case] code: &str) {
    let app = access_app();
    let contractor = login(&app, "contractor").await;
    let res = ask(&app, &contractor, body).await;
    assert_eq!(res.json()["error"], code, "{}", res.text());
}

#[tokio::test]
async fn a_hidden_layer_and_a_missing_one_answer_alike() {
    let app = access_app();
    let contractor = login(&app, "contractor").await;
    let hidden = json!({"layer": "survey", "attributes": null, "reason": "x", "days": 1});
    let missing = json!({"layer": "surveyx", "attributes": null, "reason": "x", "days": 1});
    let (a, b) = (
        ask(&app, &contractor, hidden).await,
        ask(&app, &contractor, missing).await,
    );
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["error"], b.json()["error"]);
    assert_eq!(a.json()["message_ja"], b.json()["message_ja"]);
}

#[tokio::test]
async fn unnamed_attributes_answer_like_missing_ones() {
    let app = access_app();
    let contractor = login(&app, "contractor").await;
    // 内部メモ exists but no policy names it; それ does not exist at all.
    let ask_for =
        |name: &str| json!({"layer": "pipes", "attributes": [name], "reason": "x", "days": 1});
    let existing = ask(&app, &contractor, ask_for("内部メモ")).await;
    let missing = ask(&app, &contractor, ask_for("それ")).await;
    assert_eq!(existing.status, 400);
    assert_eq!(missing.status, 400);
    assert_eq!(
        existing.text().replace("内部メモ", "?"),
        missing.text().replace("それ", "?")
    );
}

#[tokio::test]
async fn anonymous_callers_cannot_ask() {
    let app = access_app();
    let body = json!({"layer": "shelters", "attributes": "*", "reason": "x", "days": 1});
    let res = app.post_json_as(None, "/api/access-requests", &body).await;
    assert_eq!(res.status, 401);
}

/// `requestable[].layer` (with `hidden_attributes` when the layer itself is visible) and
/// `uploadable` from `/auth/me`, as sorted `layer` or `layer:attr,attr` strings.
async fn me_offers(app: &TestApp, user: &str) -> (Vec<String>, Vec<String>) {
    let cookie = login(app, user).await;
    let me = app.get_as(&cookie, "/auth/me").await.json();
    let mut asks: Vec<String> = me["requestable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r["hidden_attributes"].as_array() {
            None => r["layer"].as_str().unwrap().to_owned(),
            Some(a) => {
                let names: Vec<&str> = a.iter().map(|v| v.as_str().unwrap()).collect();
                format!("{}:{}", r["layer"].as_str().unwrap(), names.join(","))
            }
        })
        .collect();
    asks.sort();
    let mut ups: Vec<String> = me["uploadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    ups.sort();
    (asks, ups)
}

#[rstest]
#[case::staff_may_ask_for_every_hidden_layer("staff", &["pipes", "survey"], &[])]
#[case::a_role_sees_its_own_layer_whole("suido", &["survey"], &[])]
#[case::contractors_learn_only_what_hides_in_layers_they_see("contractor", &["pipes:深さ"], &[])]
#[case::admin_sees_everything_and_uploads_anywhere("admin", &[], &["pipes", "shelters", "survey"])]
#[tokio::test]
async fn me_lists_what_staff_may_request_and_upload(
    #[case] user: &str,
    #[case] asks: &[&str],
    #[case] uploads: &[&str],
) {
    let app = access_app();
    let (got_asks, got_uploads) = me_offers(&app, user).await;
    assert_eq!(got_asks, asks, "{user} requestable");
    assert_eq!(got_uploads, uploads, "{user} uploadable");
}

#[tokio::test]
async fn me_stops_offering_a_layer_once_it_is_granted() {
    let app = access_app();
    let suido = login(&app, "suido").await;
    let body = json!({ "layer": "survey", "attributes": null, "reason": "工事前確認", "days": 2 });
    let id = ask(&app, &suido, body).await.json()["id"].as_i64().unwrap();
    let bunka = login(&app, "bunka").await;
    assert_eq!(decide(&app, &bunka, id, "approve", "可").await.status, 200);
    let (asks, _) = me_offers(&app, "suido").await;
    assert!(
        asks.is_empty(),
        "granted layers are no longer offered: {asks:?}"
    );
}
