//! The LINE official account's 防災 answer: `POST /integrations/line/webhook` (the HTTP edge
//! is `http::line`; this module knows no HTTP server).
//!
//! 1. [`verify`]: `X-Line-Signature` must be base64(HMAC-SHA256(channel secret, raw body)),
//!    compared in constant time; anything else is refused before the body is read as JSON.
//! 2. [`replies`]: for each event with a reply token, what to answer. A location message gets
//!    the three nearest shelters designated for the current hazard (the configured one, else
//!    the hazard at that place: flood area, then landslide zone), with distance, minutes on
//!    foot and a link to the 防災モード page; a text message gets how to send a location.
//!    Other events get no reply. Shelters and hazards are read through the public views only.
//! 3. [`send`]: `POST {api_base}/v2/bot/message/reply` with the channel access token.

use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value as Json, json};
use sha2::Sha256;

use crate::access::LayerView;
use crate::config::LineConfig;
use crate::query::spatial::hazards::{self, DOSHA_LAYER, FLOOD_LAYER};
use crate::query::spatial::{
    FeatureFilter, FilterSpec, Origin, SHELTER_LAYER, hazard_attributes, label, nearest_hits,
};

/// The signature header LINE sends (lower case, as HTTP/2 and axum give it).
pub const SIGNATURE_HEADER: &str = "x-line-signature";

/// How many shelters a location reply lists.
pub const REPLY_SHELTERS: usize = 3;

/// Walking speed for "minutes on foot": 80 m a minute, the Japanese real-estate convention.
const WALK_M_PER_MIN: f64 = 80.0;

/// The 防災モード's hazard keys, the shelter attribute each means, and its name.
pub const HAZARD_KEYS: &[(&str, &str)] = &[
    ("flood", "洪水"),
    ("dosha", "土砂災害"),
    ("jishin", "地震"),
    ("tsunami", "津波"),
    ("takashio", "高潮"),
];

/// A webhook call that cannot be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    #[error("the X-Line-Signature header is missing")]
    MissingSignature,
    #[error("the X-Line-Signature does not match the body")]
    BadSignature,
    #[error("the body is not a LINE webhook: {0}")]
    BadBody(String),
    #[error("the reply to LINE failed: {0}")]
    Reply(String),
}

/// Checks `signature` (the header's value) against the raw `body`, in constant time.
pub fn verify(secret: &str, body: &[u8], signature: Option<&str>) -> Result<(), LineError> {
    let signature = signature.ok_or(LineError::MissingSignature)?;
    let expected = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| LineError::BadSignature)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| LineError::BadSignature)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| LineError::BadSignature)
}

/// The signature LINE would send for `body` (for tests and for checking a setup by hand).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// One reply: the event's reply token and the messages (LINE message objects).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub token: String,
    pub messages: Vec<Json>,
}

impl Reply {
    /// The body of `POST /v2/bot/message/reply`.
    pub fn body(&self) -> Json {
        json!({ "replyToken": self.token, "messages": self.messages })
    }
}

/// What a reply needs besides the event: where links point and which hazard is current.
#[derive(Debug, Clone)]
pub struct Context {
    /// The map's public base URL, without a trailing `/`.
    pub base_url: String,
    /// The configured hazard (an English key or a Japanese name), if any.
    pub hazard: Option<String>,
}

/// The replies to a verified webhook body, in event order.
pub fn replies(body: &[u8], views: &[LayerView], ctx: &Context) -> Result<Vec<Reply>, LineError> {
    let json: Json = serde_json::from_slice(body).map_err(|e| LineError::BadBody(e.to_string()))?;
    let events = json
        .get("events")
        .and_then(Json::as_array)
        .ok_or_else(|| LineError::BadBody("no `events` array".to_owned()))?;
    Ok(events
        .iter()
        .filter_map(|e| {
            let token = e.get("replyToken")?.as_str()?.to_owned();
            if e.get("type")?.as_str()? != "message" {
                return None;
            }
            let message = e.get("message")?;
            let text = match message.get("type")?.as_str()? {
                "location" => {
                    let lat = message.get("latitude")?.as_f64()?;
                    let lon = message.get("longitude")?.as_f64()?;
                    let valid = lat.is_finite()
                        && lon.is_finite()
                        && (-90.0..=90.0).contains(&lat)
                        && (-180.0..=180.0).contains(&lon);
                    if valid {
                        location_text(views, lon, lat, ctx)
                    } else {
                        how_to_text(ctx)
                    }
                }
                _ => how_to_text(ctx),
            };
            Some(Reply {
                token,
                messages: vec![json!({ "type": "text", "text": text })],
            })
        })
        .collect())
}

/// The hazard for a location: the configured one, else flood where the point floods, else
/// landslide where it is in a zone, else none. As (key, shelter attribute).
fn current_hazard(
    views: &[LayerView],
    origin: &Origin,
    ctx: &Context,
) -> Option<(&'static str, &'static str)> {
    if let Some(h) = &ctx.hazard {
        let attribute = hazard_attributes(h).ok()?.into_iter().next()?;
        return HAZARD_KEYS.iter().find(|(_, a)| *a == attribute).copied();
    }
    let here = hazards::hazards_json(views, origin);
    [FLOOD_LAYER, DOSHA_LAYER]
        .into_iter()
        .find(|layer| here[*layer]["in_area"] == true)
        .and_then(|layer| HAZARD_KEYS.iter().find(|(k, _)| *k == layer).copied())
}

fn location_text(views: &[LayerView], lon: f64, lat: f64, ctx: &Context) -> String {
    let origin = Origin::new(lon, lat);
    let hazard = current_hazard(views, &origin, ctx);
    let mut lines = vec![match hazard {
        Some((_, name)) => format!("近くの避難所（{name}）"),
        None => "近くの避難所".to_owned(),
    }];
    let shelters = views
        .iter()
        .find(|v| v.layer.id() == SHELTER_LAYER)
        .and_then(|view| {
            let spec = FilterSpec {
                hazard: hazard.map(|(_, attribute)| attribute.to_owned()),
                ..FilterSpec::default()
            };
            let filter = FeatureFilter::bind(view, &spec).ok()?;
            Some(
                nearest_hits(view, &origin, REPLY_SHELTERS, &filter)
                    .iter()
                    .map(|h| {
                        let name = label(view, h.feature).unwrap_or_else(|| "避難所".to_owned());
                        (name, h.reach.distance_m)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap_or_default();
    if shelters.is_empty() {
        lines.push("見つかりませんでした。地図でお探しください。".to_owned());
    }
    for (i, (name, metres)) in shelters.iter().enumerate() {
        lines.push(format!(
            "{}. {name}　{}・徒歩{}分",
            i + 1,
            distance_text(*metres),
            walk_minutes(*metres)
        ));
    }
    let here = hazards::hazards_json(views, &origin);
    if let Some((key, _)) = hazard
        && let Some(message) = here[key]["message"]["ja"].as_str()
    {
        lines.push(format!("{message}。"));
    }
    lines.push(format!(
        "地図と道順: {}",
        bousai_link(ctx, hazard, Some((lon, lat)))
    ));
    lines.push(String::new());
    lines.push(
        "Nearest shelters for your location: open the link for the map and routes.".to_owned(),
    );
    lines.join("\n")
}

fn how_to_text(ctx: &Context) -> String {
    [
        "位置情報を送ると、近くの避難所をお知らせします。".to_owned(),
        "トーク画面の「＋」から「位置情報」を選んで送信してください。".to_owned(),
        format!("地図で探す: {}", bousai_link(ctx, None, None)),
        String::new(),
        "Send your location (＋ → Location) to get the nearest shelters.".to_owned(),
    ]
    .join("\n")
}

/// `{base}/?mode=bousai[&hazard=…][&lon=…&lat=…]`.
pub fn bousai_link(ctx: &Context, hazard: Option<(&str, &str)>, at: Option<(f64, f64)>) -> String {
    let mut link = format!("{}/?mode=bousai", ctx.base_url);
    if let Some((key, _)) = hazard {
        link.push_str("&hazard=");
        link.push_str(key);
    }
    if let Some((lon, lat)) = at {
        let _ = write!(link, "&lon={lon:.6}&lat={lat:.6}");
    }
    link
}

/// `約350m` (to 10 m) below a kilometre, `約1.2km` above.
fn distance_text(metres: f64) -> String {
    if metres < 995.0 {
        format!("約{}m", ((metres / 10.0).round() * 10.0) as u64)
    } else {
        format!("約{:.1}km", metres / 1000.0)
    }
}

fn walk_minutes(metres: f64) -> u64 {
    (metres / WALK_M_PER_MIN).ceil().max(1.0) as u64
}

/// Sends one reply to LINE (blocking: call it off the async workers).
pub fn send(config: &LineConfig, token: &str, reply: &Reply) -> Result<(), LineError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(config.reply_timeout_secs.get())))
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/v2/bot/message/reply", config.api_base);
    let res = agent
        .post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(reply.body().to_string())
        .map_err(|e| LineError::Reply(format!("{url}: {e}")))?;
    let status = res.status().as_u16();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(LineError::Reply(format!("{url}: HTTP {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// The example of LINE's documentation is not reproduced; these are computed with the
    /// HMAC-SHA256 test vector of RFC 4231 (case 2: key "Jefe").
    #[test]
    fn signatures_are_rfc_4231_hmac_sha256_in_base64() {
        let body = b"what do ya want for nothing?";
        let hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let expected = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert_eq!(sign("Jefe", body), expected);
        assert!(verify("Jefe", body, Some(&expected)).is_ok());
    }

    #[rstest]
    #[case(None)]
    #[case(Some(""))]
    #[case(Some("not base64!"))]
    #[case(Some("AAAA"))]
    fn anything_but_the_right_signature_is_refused(#[case] signature: Option<&str>) {
        assert!(verify("secret", b"{}", signature).is_err());
    }

    #[test]
    fn one_changed_byte_is_refused() {
        let body = br#"{"events":[]}"#.to_vec();
        let good = sign("secret", &body);
        let mut changed = body.clone();
        changed[2] ^= 1;
        assert!(verify("secret", &changed, Some(&good)).is_err());
        assert!(verify("other", &body, Some(&good)).is_err());
    }

    #[rstest]
    #[case(0.0, "約0m", 1)]
    #[case(347.0, "約350m", 5)]
    #[case(994.0, "約990m", 13)]
    #[case(1234.0, "約1.2km", 16)]
    fn distances_and_minutes_read_naturally(
        #[case] metres: f64,
        #[case] text: &str,
        #[case] minutes: u64,
    ) {
        assert_eq!(distance_text(metres), text);
        assert_eq!(walk_minutes(metres), minutes);
    }

    #[test]
    fn links_open_the_bousai_mode_at_the_place() {
        let ctx = Context {
            base_url: "https://map.example.jp".to_owned(),
            hazard: None,
        };
        assert_eq!(
            bousai_link(&ctx, Some(("flood", "洪水")), Some((130.095, 33.1015))),
            "https://map.example.jp/?mode=bousai&hazard=flood&lon=130.095000&lat=33.101500"
        );
        assert_eq!(
            bousai_link(&ctx, None, None),
            "https://map.example.jp/?mode=bousai"
        );
    }
}
