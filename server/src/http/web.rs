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
    // A public replica has no staff page.
    let staff_page = app.replica.is_none();
    if !index.is_file() {
        let router = Router::new().route("/", get(placeholder));
        return if staff_page {
            router.route("/staff", get(placeholder))
        } else {
            router
        };
    }
    let staff = dir.join("staff.html");
    let staff_file = if staff.is_file() {
        staff
    } else {
        index.clone()
    };
    let assets = ServeDir::new(dir.join("assets")).append_index_html_on_directories(false);
    let router = Router::new().route_service("/", ServeFile::new(&index));
    let router = if staff_page {
        router.route_service("/staff", ServeFile::new(staff_file))
    } else {
        router
    };
    router
        .nest_service("/assets", assets)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ))
}

async fn placeholder() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Html(PLACEHOLDER)).into_response()
}
