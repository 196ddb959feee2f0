//! The viewer: static files from `config.web_dir`. The public map at `/` (its 防災モード
//! `/?mode=bousai` is a page of its own, `bousai.html`, small enough for a congested phone
//! network), the staff view at `/staff`, マイ・タイムライン at `/timeline`, the 使い方 page
//! at `/help`, the service worker at `/sw.js` and a few fixed files under `/static`.
//!
//! The build (`web/scripts/compress.mjs`) leaves a Brotli (`.br`) and a gzip (`.gz`) copy
//! beside each text file; the one the request's `Accept-Encoding` prefers is sent. The
//! content-hashed files under `/assets` never change, so they are cached for a year
//! (`immutable`); pages and the service worker are `no-cache` (revalidated on every visit,
//! so a new build reaches people at once).
//!
//! When the viewer has not been built, `/` answers a small page that links the APIs, so a
//! fresh server is never a blank 404.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tower::{Layer, ServiceExt};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::App;

const PLACEHOLDER: &str = include_str!("placeholder.html");

/// Content-hashed build output: a new build writes new names.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Pages and the service worker: always asked again (a 304 when unchanged).
const NO_CACHE: &str = "no-cache";
/// Fixed files with stable names (the link-preview image).
const STATIC: &str = "public, max-age=86400";

pub fn routes(app: &App) -> Router<Arc<App>> {
    viewer(&app.config.web_dir, app.config.public_url.as_deref())
}

/// The viewer's routes for a built `dir` (`web/dist`), or the placeholder page. With a
/// `public_url`, the link-preview image paths of `/` and `/?mode=bousai` become absolute URLs
/// (LINE and other crawlers want `og:image` absolute).
fn viewer<S: Clone + Send + Sync + 'static>(dir: &Path, public_url: Option<&str>) -> Router<S> {
    let index = dir.join("index.html");
    if !index.is_file() {
        return Router::new()
            .route("/", get(placeholder))
            .route("/staff", get(placeholder));
    }
    // A page missing from an older build falls back to the map.
    let page = |name: &str| {
        let p = dir.join(name);
        if p.is_file() { p } else { index.clone() }
    };
    let pages = Arc::new(Pages {
        index: index.clone(),
        bousai: page("bousai.html"),
        public_url: public_url.map(str::to_owned),
    });
    let html = |path: PathBuf| cache(NO_CACHE).layer(file(path));
    let assets = cache(IMMUTABLE).layer(files(&dir.join("assets")));
    let statics = cache(STATIC).layer(files(&dir.join("static")));
    Router::new()
        .route(
            "/",
            get(move |q: Query<RootQuery>, req: Request| root(Arc::clone(&pages), q, req)),
        )
        .route_service("/staff", html(page("staff.html")))
        .route_service("/timeline", html(page("timeline.html")))
        .route_service("/help", html(page("help.html")))
        .route_service("/sw.js", html(dir.join("sw.js")))
        .nest_service("/assets", assets)
        .nest_service("/static", statics)
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("Accept-Encoding"),
        ))
}

/// The two pages `/` may answer.
struct Pages {
    index: PathBuf,
    bousai: PathBuf,
    public_url: Option<String>,
}

#[derive(Deserialize)]
struct RootQuery {
    mode: Option<String>,
}

/// `/` is the map; `/?mode=bousai` the 防災モード page (its own small bundle, no map library).
async fn root(pages: Arc<Pages>, Query(q): Query<RootQuery>, req: Request) -> Response {
    let path = if q.mode.as_deref() == Some("bousai") {
        &pages.bousai
    } else {
        &pages.index
    };
    if let Some(url) = &pages.public_url
        && let Ok(html) = tokio::fs::read_to_string(path).await
    {
        let html = html.replace("content=\"/static/", &format!("content=\"{url}/static/"));
        return ([(header::CACHE_CONTROL, NO_CACHE)], Html(html)).into_response();
    }
    let res = file(path.clone()).oneshot(req).await;
    let mut res = match res {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    res
}

/// One file, with its `.br`/`.gz` copies when the request accepts them.
fn file(path: PathBuf) -> ServeFile {
    ServeFile::new(path).precompressed_br().precompressed_gzip()
}

/// The files of a directory, with their `.br`/`.gz` copies; no directory listings.
fn files(dir: &Path) -> ServeDir {
    ServeDir::new(dir)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip()
}

/// `Cache-Control: value` on a file that was found; an error (404) is never cached.
fn cache<B>(
    value: &'static str,
) -> SetResponseHeaderLayer<impl FnMut(&axum::http::Response<B>) -> Option<HeaderValue> + Clone> {
    SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        move |res: &axum::http::Response<B>| {
            let found = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
            Some(HeaderValue::from_static(if found {
                value
            } else {
                NO_CACHE
            }))
        },
    )
}

async fn placeholder() -> Response {
    ([(header::CACHE_CONTROL, NO_CACHE)], Html(PLACEHOLDER)).into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::Request;

    use super::*;

    /// A built viewer: two pages and one asset with its compressed copies (whose bytes are
    /// marked, so the test sees which file was sent).
    fn built() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("assets")).unwrap();
        std::fs::create_dir_all(p.join("static")).unwrap();
        std::fs::write(p.join("index.html"), "map page").unwrap();
        std::fs::write(p.join("bousai.html"), "bousai page").unwrap();
        std::fs::write(p.join("bousai.html.br"), "bousai page br").unwrap();
        std::fs::write(p.join("sw.js"), "worker").unwrap();
        std::fs::write(p.join("assets/app-0a1b.js"), "plain").unwrap();
        std::fs::write(p.join("assets/app-0a1b.js.br"), "brotli").unwrap();
        std::fs::write(p.join("assets/app-0a1b.js.gz"), "gzip").unwrap();
        std::fs::write(p.join("static/og.png"), "png").unwrap();
        dir
    }

    async fn get(
        dir: &Path,
        uri: &str,
        accept: Option<&str>,
    ) -> (StatusCode, HeaderMapText, String) {
        get_with(dir, uri, accept, None).await
    }

    async fn get_with(
        dir: &Path,
        uri: &str,
        accept: Option<&str>,
        public_url: Option<&str>,
    ) -> (StatusCode, HeaderMapText, String) {
        let mut req = Request::builder().uri(uri);
        if let Some(a) = accept {
            req = req.header(header::ACCEPT_ENCODING, a);
        }
        let res = viewer::<()>(dir, public_url)
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let h = |name: header::HeaderName| {
            res.headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let headers = HeaderMapText {
            encoding: h(header::CONTENT_ENCODING),
            cache: h(header::CACHE_CONTROL),
            vary: h(header::VARY),
        };
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    struct HeaderMapText {
        encoding: String,
        cache: String,
        vary: String,
    }

    #[tokio::test]
    async fn assets_are_sent_precompressed_by_accept_encoding_and_cached_for_a_year() {
        let dir = built();
        let cases = [
            (Some("gzip, deflate, br, zstd"), "br", "brotli"),
            (Some("gzip"), "gzip", "gzip"),
            (Some("br;q=0, gzip"), "gzip", "gzip"),
            (None, "", "plain"),
            (Some("identity"), "", "plain"),
        ];
        for (accept, encoding, body) in cases {
            let (status, h, got) = get(dir.path(), "/assets/app-0a1b.js", accept).await;
            assert_eq!(status, StatusCode::OK, "{accept:?}");
            assert_eq!(h.encoding, encoding, "{accept:?}");
            assert_eq!(got, body, "{accept:?}");
            assert_eq!(h.cache, IMMUTABLE);
            assert!(h.vary.contains("Accept-Encoding"), "{accept:?}: {}", h.vary);
        }
    }

    #[tokio::test]
    async fn pages_are_no_cache_and_mode_bousai_is_its_own_page() {
        let dir = built();
        let (status, h, body) = get(dir.path(), "/", Some("br")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "map page"));
        assert_eq!(h.cache, NO_CACHE);
        let (_, h, body) = get(dir.path(), "/?mode=bousai&hazard=flood", Some("br")).await;
        assert_eq!(
            (body.as_str(), h.encoding.as_str()),
            ("bousai page br", "br")
        );
        assert_eq!(h.cache, NO_CACHE);
        let (_, _, body) = get(dir.path(), "/?mode=other", None).await;
        assert_eq!(body, "map page");
        // pages an older build lacks fall back to the map
        let (status, _, body) = get(dir.path(), "/timeline", None).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "map page"));
        let (_, h, body) = get(dir.path(), "/sw.js", None).await;
        assert_eq!((body.as_str(), h.cache.as_str()), ("worker", NO_CACHE));
        let (_, h, body) = get(dir.path(), "/static/og.png", None).await;
        assert_eq!((body.as_str(), h.cache.as_str()), ("png", STATIC));
        let (status, _, _) = get(dir.path(), "/assets/missing.js", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, h, _) = get(dir.path(), "/assets/missing.js", None).await;
        assert_eq!(h.cache, NO_CACHE);
    }

    #[tokio::test]
    async fn with_a_public_url_the_preview_image_is_absolute() {
        let dir = built();
        let page = r#"<meta property="og:image" content="/static/og-bousai.png" />"#;
        std::fs::write(dir.path().join("bousai.html"), page).unwrap();
        let (status, h, body) = get_with(
            dir.path(),
            "/?mode=bousai",
            Some("br"),
            Some("https://map.example.jp"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h.cache, NO_CACHE);
        assert_eq!(
            body,
            r#"<meta property="og:image" content="https://map.example.jp/static/og-bousai.png" />"#
        );
        let (_, _, body) = get(dir.path(), "/?mode=bousai", None).await;
        assert_eq!(body, page);
    }

    #[tokio::test]
    async fn an_unbuilt_viewer_answers_the_placeholder() {
        let dir = tempfile::tempdir().unwrap();
        let (status, h, body) = get(dir.path(), "/", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h.cache, NO_CACHE);
        assert!(body.contains("<html"));
    }
}
