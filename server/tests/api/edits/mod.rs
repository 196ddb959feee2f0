//! Single-feature edits (OGC API – Features Part 4) on the sample record layers: each verb,
//! `If-Match`, every role, bad input (each a 4xx, nothing changed), history, and the edit
//! appearing in tiles, search and exports. `crash` drives the real binary with `kill -9`.

mod areas;
pub mod crash;
mod fuzz;
mod photos;
mod roles;
mod verbs;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value as Json, json};

use crate::helpers::{ORIGIN, TestApp, TestResponse};

/// A leak record at 祐徳稲荷神社 (inside the city).
pub fn leak() -> Json {
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [130.108_483, 33.074_408] },
        "properties": { "漏水有無": "有", "漏水量の目安": "滴下", "管路番号": "W00001", "備考": "テスト記録" }
    })
}

/// Sends a request with a session cookie (or none), a body and headers.
pub async fn send(
    app: &TestApp,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&Json>,
) -> TestResponse {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost:8080")
        .header("origin", ORIGIN);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = match body {
        Some(b) => {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                req = req.header("content-type", "application/geo+json");
            }
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    app.send(req.body(body).unwrap()).await
}

/// The sample application with a signed-in user per role name; returns the cookies.
pub async fn app_with(users: &[(&str, &[&str], bool)]) -> (TestApp, Vec<String>) {
    let app = TestApp::sample();
    let mut cookies = Vec::new();
    for (name, roles, staff) in users {
        app.add_user(name, roles, *staff);
        cookies.push(app.login(name, crate::helpers::PASSWORD).await);
    }
    (app, cookies)
}

/// `POST` a feature; returns the response.
pub async fn create(app: &TestApp, cookie: &str, layer: &str, f: &Json) -> TestResponse {
    let uri = format!("/ogc/collections/{layer}/items");
    send(app, "POST", &uri, Some(cookie), &[], Some(f)).await
}

/// Waits (up to 10 s) until `check` holds, polling every 20 ms; returns how long it took.
pub async fn eventually<F, Fut>(mut check: F) -> std::time::Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let t = std::time::Instant::now();
    while t.elapsed() < std::time::Duration::from_secs(10) {
        if check().await {
            return t.elapsed();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the condition never held");
}

/// The z/x/y tile holding a lon/lat.
pub fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n) as u32;
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    (x, y)
}

/// How many features of `layer` the caller's item search matches.
pub async fn count(app: &TestApp, cookie: &str, layer: &str) -> u64 {
    let res = app
        .get_as(cookie, &format!("/ogc/collections/{layer}/items?limit=1"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["numberMatched"].as_u64().unwrap()
}
