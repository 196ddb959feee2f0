//! Random JSON against the edit endpoints (proptest-style, seeded): every answer is a
//! well-formed 2xx or 4xx, never a panic or a 500.

use serde_json::{Value as Json, json};

use super::{app_with, send};

/// A tiny seeded generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn scalar(r: &mut Rng) -> Json {
    match r.below(9) {
        0 => Json::Null,
        1 => json!(r.below(2) == 0),
        2 => json!(r.next() as i64),
        3 => json!((r.next() as f64) / 1e15 - 9000.0),
        4 => json!("有"),
        5 => json!("2026-04-01"),
        6 => json!("x".repeat(r.below(12_000) as usize)),
        7 => json!(130.0 + r.below(1000) as f64 / 10_000.0),
        _ => json!(33.0 + r.below(1000) as f64 / 10_000.0),
    }
}

fn value(r: &mut Rng, depth: u32) -> Json {
    if depth > 3 || r.below(3) == 0 {
        return scalar(r);
    }
    if r.below(2) == 0 {
        Json::Array((0..r.below(4)).map(|_| value(r, depth + 1)).collect())
    } else {
        let keys = [
            "type",
            "geometry",
            "properties",
            "coordinates",
            "id",
            "漏水有無",
            "修繕日",
            "写真",
            "Feature",
            "Point",
            "Polygon",
        ];
        let mut m = serde_json::Map::new();
        for _ in 0..r.below(5) {
            m.insert(
                keys[r.below(keys.len() as u64) as usize].to_owned(),
                value(r, depth + 1),
            );
        }
        Json::Object(m)
    }
}

/// A feature-like document with random parts swapped in.
fn feature(r: &mut Rng) -> Json {
    let mut f = super::leak();
    match r.below(5) {
        0 => f["geometry"] = value(r, 1),
        1 => f["properties"] = value(r, 1),
        2 => f["geometry"]["coordinates"] = value(r, 2),
        3 => f["properties"]["漏水有無"] = scalar(r),
        _ => f = value(r, 0),
    }
    f
}

#[tokio::test]
async fn random_feature_json_never_panics_or_fails_the_server() {
    let (app, c) = app_with(&[("tanaka", &["suido"], true)]).await;
    let c = &c[0];
    let made = super::create(&app, c, "leaks", &super::leak()).await;
    let item = format!("/ogc/collections/leaks/items/{}", made.json()["id"]);
    let cases: u64 = std::env::var("KASHIMAP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut r = Rng(0x5EED_1234_ABCD_0001);
    for i in 0..cases {
        let body = feature(&mut r);
        let res = match i % 3 {
            0 => super::create(&app, c, "leaks", &body).await,
            1 => {
                let tag = app
                    .get_as(c, &item)
                    .await
                    .header("etag")
                    .unwrap()
                    .to_owned();
                let h = [
                    ("if-match", tag.as_str()),
                    ("content-type", "application/merge-patch+json"),
                ];
                send(&app, "PATCH", &item, Some(c), &h, Some(&body)).await
            }
            _ => {
                let tag = app
                    .get_as(c, &item)
                    .await
                    .header("etag")
                    .unwrap()
                    .to_owned();
                send(
                    &app,
                    "PUT",
                    &item,
                    Some(c),
                    &[("if-match", tag.as_str())],
                    Some(&body),
                )
                .await
            }
        };
        assert!(
            matches!(res.status.as_u16(), 200 | 201 | 400 | 413 | 422),
            "case {i}: {body} → {} {}",
            res.status,
            res.text()
        );
        if res.status.is_client_error() {
            let e = res.json();
            assert!(
                e["message"].is_string() && e["message_ja"].is_string(),
                "{e}"
            );
        }
    }
}
