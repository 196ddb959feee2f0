//! The viewer: static files from `config.web_dir`, public map at `/`, staff view at `/staff`.
//!
//! When the viewer has not been built, `/` answers a small page that links the APIs, so a
//! fresh server is never a blank 404.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::App;

const PLACEHOLDER: &str = include_str!("placeholder.html");

pub fn routes(app: &App) -> Router<Arc<App>> {
    let dir = &app.config.web_dir;
    let index = dir.join("index.html");
    if !index.is_file() {
        return Router::new()
            .route("/", get(placeholder))
            .route("/staff", get(placeholder));
    }
    let staff = dir.join("staff.html");
    let staff_file = if staff.is_file() {
        staff
    } else {
        index.clone()
    };
    let assets = ServeDir::new(dir.join("assets")).append_index_html_on_directories(false);
    Router::new()
        .route_service("/", ServeFile::new(&index))
        .route_service("/staff", ServeFile::new(staff_file))
        .nest_service("/assets", assets)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ))
}

/// The text of the placeholder page's `<style>` block (the security policy allows it by
/// its hash).
pub fn placeholder_style() -> &'static str {
    PLACEHOLDER
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map_or("", |(style, _)| style)
}

async fn placeholder() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Html(PLACEHOLDER)).into_response()
}
