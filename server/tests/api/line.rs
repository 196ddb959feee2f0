//! `POST /integrations/line/webhook` against a loopback stub of LINE's reply endpoint that
//! records what it receives: real HMAC signatures, the exact JSON of each reply, and no reply
//! at all for a missing, wrong or replayed-and-altered signature.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc::{Receiver, channel};

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value as Json, json};

use crate::hazards::LOT_1248_2;
use crate::helpers::{TestApp, TestResponse, enc};

const SECRET: &str = "line-channel-secret-for-tests";
const TOKEN: &str = "line-channel-access-token-for-tests";
const BASE: &str = "https://map.example.jp";

/// One request the stub received.
#[derive(Debug)]
struct Recorded {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Json,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP server that records each request and answers `200 {}`.
fn stub() -> (String, Receiver<Recorded>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let (method, path) = (
                parts.next().unwrap_or_default().to_owned(),
                parts.next().unwrap_or_default().to_owned(),
            );
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (n, v) = h.split_once(':').unwrap();
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
            let length: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let body = serde_json::from_slice(&body).unwrap_or(Json::Null);
            tx.send(Recorded {
                method,
                path,
                headers,
                body,
            })
            .unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .unwrap();
        }
    });
    (base, rx)
}

fn app_with(api_base: &str, secret: Option<&str>) -> TestApp {
    let (api_base, secret) = (api_base.to_owned(), secret.map(str::to_owned));
    TestApp::sample_with(move |c| {
        c.public_url = Some(BASE.to_owned());
        c.line.channel_secret = secret;
        c.line.channel_token = Some(TOKEN.to_owned());
        c.line.api_base = api_base;
    })
}

async fn post(app: &TestApp, body: &[u8], signature: Option<&str>) -> TestResponse {
    let mut req = Request::post("/integrations/line/webhook")
        .header("host", "localhost:8080")
        .header("content-type", "application/json");
    if let Some(s) = signature {
        req = req.header("x-line-signature", s);
    }
    app.send(req.body(Body::from(body.to_vec())).unwrap()).await
}

fn location_event(token: &str, (lon, lat): (f64, f64)) -> Json {
    json!({
        "type": "message",
        "mode": "active",
        "timestamp": 1_700_000_000_000_u64,
        "replyToken": token,
        "source": { "type": "user", "userId": "U0123456789abcdef0123456789abcdef" },
        "webhookEventId": "01HXYZ",
        "deliveryContext": { "isRedelivery": false },
        "message": { "id": "1", "type": "location", "title": "位置情報",
                     "address": "佐賀県鹿島市", "latitude": lat, "longitude": lon }
    })
}

fn webhook(events: &[Json]) -> Vec<u8> {
    serde_json::to_vec(
        &json!({ "destination": "U00000000000000000000000000000000", "events": events }),
    )
    .unwrap()
}

/// The expected reply text, built from `/api/nearest` and `/api/at` (not from the
/// webhook's own code).
async fn expected_location_text(app: &TestApp, (lon, lat): (f64, f64)) -> String {
    let near = app
        .get(&format!(
            "/api/nearest?layer=shelters&lon={lon}&lat={lat}&k=3&hazard={}",
            enc("洪水")
        ))
        .await
        .json();
    let at = app
        .get(&format!("/api/at?lon={lon}&lat={lat}"))
        .await
        .json();
    let mut lines = vec!["近くの避難所（洪水）".to_owned()];
    for (i, f) in near["features"].as_array().unwrap().iter().enumerate() {
        let d = f["distance_m"].as_f64().unwrap();
        let distance = if d < 995.0 {
            format!("約{}m", ((d / 10.0).round() * 10.0) as u64)
        } else {
            format!("約{:.1}km", d / 1000.0)
        };
        let minutes = (d / 80.0).ceil().max(1.0) as u64;
        lines.push(format!(
            "{}. {}　{distance}・徒歩{minutes}分",
            i + 1,
            f["label"].as_str().unwrap()
        ));
    }
    lines.push(format!(
        "{}。",
        at["hazards"]["flood"]["message"]["ja"].as_str().unwrap()
    ));
    lines.push(format!(
        "地図と道順: {BASE}/?mode=bousai&hazard=flood&lon={lon:.6}&lat={lat:.6}"
    ));
    lines.push(String::new());
    lines.push(
        "Nearest shelters for your location: open the link for the map and routes.".to_owned(),
    );
    lines.join("\n")
}

#[tokio::test]
async fn a_signed_location_gets_the_nearest_flood_shelters_in_the_exact_reply() {
    let (api, received) = stub();
    let app = app_with(&api, Some(SECRET));
    let body = webhook(&[location_event("reply-token-1", LOT_1248_2)]);
    let signature = kashimap::line::sign(SECRET, &body);
    let res = post(&app, &body, Some(&signature)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let got = received.try_recv().expect("a reply was sent");
    assert!(received.try_recv().is_err(), "exactly one reply");
    assert_eq!(got.method, "POST");
    assert_eq!(got.path, "/v2/bot/message/reply");
    assert_eq!(
        got.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(got.header("content-type"), Some("application/json"));
    let text = expected_location_text(&app, LOT_1248_2).await;
    assert!(text.contains("市民体育館"), "{text}");
    assert_eq!(
        got.body,
        json!({
            "replyToken": "reply-token-1",
            "messages": [ { "type": "text", "text": text } ]
        })
    );
}

#[tokio::test]
async fn a_text_message_is_told_how_to_send_a_location_and_other_events_get_nothing() {
    let (api, received) = stub();
    let app = app_with(&api, Some(SECRET));
    let text_event = json!({
        "type": "message", "replyToken": "reply-token-2",
        "source": { "type": "user", "userId": "U1" },
        "message": { "id": "2", "type": "text", "text": "避難所どこ？" }
    });
    let follow = json!({ "type": "follow", "replyToken": "reply-token-3", "source": { "type": "user", "userId": "U1" } });
    let body = webhook(&[follow, text_event]);
    let res = post(&app, &body, Some(&kashimap::line::sign(SECRET, &body))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let got = received.try_recv().expect("a reply was sent");
    assert!(received.try_recv().is_err(), "no reply to the follow event");
    let text = format!(
        "位置情報を送ると、近くの避難所をお知らせします。\nトーク画面の「＋」から「位置情報」を選んで送信してください。\n地図で探す: {BASE}/?mode=bousai\n\nSend your location (＋ → Location) to get the nearest shelters."
    );
    assert_eq!(
        got.body,
        json!({ "replyToken": "reply-token-2", "messages": [ { "type": "text", "text": text } ] })
    );
}

#[tokio::test]
async fn the_console_verification_call_gets_200_and_no_reply() {
    let (api, received) = stub();
    let app = app_with(&api, Some(SECRET));
    let body = webhook(&[]);
    let res = post(&app, &body, Some(&kashimap::line::sign(SECRET, &body))).await;
    assert_eq!(res.status, 200);
    assert!(received.try_recv().is_err());
}

#[tokio::test]
async fn a_wrong_missing_or_replayed_and_altered_signature_is_401_with_no_reply() {
    let (api, received) = stub();
    let app = app_with(&api, Some(SECRET));
    let body = webhook(&[location_event("reply-token-4", LOT_1248_2)]);
    let good = kashimap::line::sign(SECRET, &body);
    // The same body, replayed with one byte changed (the latitude's last digit).
    let mut altered = body.clone();
    let at = altered.iter().rposition(u8::is_ascii_digit).unwrap();
    altered[at] = if altered[at] == b'9' {
        b'8'
    } else {
        altered[at] + 1
    };
    let cases: Vec<(&[u8], Option<String>)> = vec![
        (&body, None),
        (&body, Some(String::new())),
        (&body, Some(kashimap::line::sign("another-secret", &body))),
        (&body, Some("not base64 at all".to_owned())),
        (&altered, Some(good.clone())),
    ];
    for (b, signature) in cases {
        let res = post(&app, b, signature.as_deref()).await;
        assert_eq!(res.status, 401, "{signature:?}: {}", res.text());
        let json = res.json();
        assert_eq!(json["error"], "invalid_signature");
        assert!(json["message_ja"].as_str().is_some());
    }
    assert!(received.try_recv().is_err(), "no reply for any of them");
    // The untouched original still works.
    assert_eq!(post(&app, &body, Some(&good)).await.status, 200);
    assert!(received.try_recv().is_ok());
}

#[tokio::test]
async fn without_a_channel_secret_the_route_does_not_exist() {
    let (api, received) = stub();
    let app = app_with(&api, None);
    let body = webhook(&[location_event("reply-token-5", LOT_1248_2)]);
    let res = post(&app, &body, Some(&kashimap::line::sign(SECRET, &body))).await;
    assert_eq!(res.status, 404);
    assert!(received.try_recv().is_err());
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_webhook_is_400() {
    let (api, received) = stub();
    let app = app_with(&api, Some(SECRET));
    let body = b"{\"hello\": 1}";
    let res = post(&app, body, Some(&kashimap::line::sign(SECRET, body))).await;
    assert_eq!(res.status, 400, "{}", res.text());
    assert!(received.try_recv().is_err());
}
