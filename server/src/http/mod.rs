//! The HTTP API (axum). Handlers are thin: extract, call the service, respond.

mod access_requests;
mod admin;
mod api;
mod audit;
pub mod auth;
mod blocking;
mod body_rate;
mod encoding;
mod error;
mod export;
pub mod extract;
pub mod headers;
pub mod line;
pub mod listener;
mod login;
mod ogc;
mod ops;
mod request_log;
mod styles;
mod tiles;
pub mod uploads;
mod web;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use tower_http::timeout::TimeoutLayer;

use blocking::blocking;
pub use error::ApiError;

use crate::app::App;

/// The whole server: the public tile lane in front of the router. What `main` serves and
/// what the API tests drive in-process with `oneshot`.
pub fn server(state: Arc<App>) -> Server {
    Server {
        router: app(Arc::clone(&state)),
        app: state,
    }
}

/// See [`server`].
#[derive(Clone)]
pub struct Server {
    app: Arc<App>,
    router: Router,
}

impl tower::Service<Request> for Server {
    type Response = Response;
    type Error = Infallible;
    type Future = ServerFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> ServerFuture {
        let t = Instant::now();
        if let Some(res) = declared_too_large(&self.app, &req) {
            request_log::log(req.method(), req.uri(), res.status(), t.elapsed());
            return ServerFuture::Answered(Some(res));
        }
        if let Some(res) = tiles::public_lane(&self.app, &req) {
            let elapsed = t.elapsed();
            self.app
                .metrics
                .record(tiles::TILE_ROUTE, res.status().as_u16(), elapsed);
            request_log::log(req.method(), req.uri(), res.status(), elapsed);
            return ServerFuture::Answered(Some(res));
        }
        ServerFuture::Routed(tower::Service::call(&mut self.router, req))
    }
}

/// A body whose `Content-Length` is over `limits.max_body_mb` is refused before a byte of
/// it is read.
fn declared_too_large(app: &App, req: &Request) -> Option<Response> {
    let declared: u64 = req
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    let mb = app.config.limits.max_body_mb.get();
    (declared > mb << 20).then(|| {
        let mut res = too_large(mb).into_response();
        // The body is not read: the connection cannot carry another request.
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        res
    })
}

/// 413 for a body over the limit of `mb` MiB.
pub fn too_large(mb: u64) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the upload is larger than the limit of {mb} MiB"),
    )
    .ja(format!("ファイルが大きすぎます (上限 {mb} MB)"))
}

/// The future of [`Server`]: an answer from the tile lane, or the router's.
pub enum ServerFuture {
    Answered(Option<Response>),
    Routed(RouteFuture<Infallible>),
}

impl Future for ServerFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Self::Answered(res) => {
                let mut res = res
                    .take()
                    .unwrap_or_else(|| ApiError::internal("response polled twice").into_response());
                headers::secure(res.headers_mut());
                Poll::Ready(Ok(res))
            }
            Self::Routed(f) => Pin::new(f).poll(cx).map_ok(|mut res| {
                headers::secure(res.headers_mut());
                res
            }),
        }
    }
}

/// The router with its middleware. A public replica gets only what anonymous callers use:
/// everything that needs an account (sign-in, staff page, uploads, access requests, audit,
/// the LINE webhook) is absent, so it answers the same 404 as any unknown path, and every
/// request is anonymous.
fn app(state: Arc<App>) -> Router {
    let replica = state.replica.is_some();
    let timeout = Duration::from_secs(state.config.limits.request_timeout_secs.get());
    let mut timed = Router::new()
        .merge(ops::routes())
        .merge(api::routes())
        .merge(export::routes())
        .merge(ogc::routes())
        .merge(styles::routes())
        .merge(tiles::routes())
        .merge(web::routes(&state));
    if !replica {
        timed = timed
            .merge(login::routes())
            .merge(access_requests::routes())
            .merge(audit::routes())
            .merge(admin::routes())
            .merge(line::routes());
    }
    let timed = timed
        .fallback(fallback)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ));
    let router = if replica {
        Router::new()
            .merge(timed)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(middleware::from_fn(anonymous))
    } else {
        let max_body =
            usize::try_from(state.config.limits.max_body_mb.get() << 20).unwrap_or(usize::MAX);
        // Uploads take longer than other requests: they have their own time limit.
        Router::new()
            .merge(timed)
            .merge(uploads::routes::<crate::access::Principal>(&state))
            .method_not_allowed_fallback(method_not_allowed)
            .layer(axum::extract::DefaultBodyLimit::max(max_body))
            .layer(middleware::from_fn_with_state(
                Arc::clone(&state),
                auth::authenticate,
            ))
    };
    router
        .layer(middleware::from_fn_with_state(Arc::clone(&state), record))
        .layer(middleware::from_fn(request_log::middleware))
        .with_state(state)
}

/// On a replica nobody signs in: cookies and tokens are not looked at.
async fn anonymous(mut req: Request, next: Next) -> Response {
    req.extensions_mut()
        .insert(crate::access::Principal::anonymous());
    next.run(req).await
}

async fn fallback() -> ApiError {
    ApiError::not_found("no such resource")
}

/// A known path asked with a method it does not take: 405, with the `Allow` header axum sets.
async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Counts the request and its latency under its route template.
async fn record(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    // `MatchedPath` is a shared string: cloning it does not allocate.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let t = Instant::now();
    let res = next.run(req).await;
    app.metrics.record(
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        res.status().as_u16(),
        t.elapsed(),
    );
    res.into_response()
}

/// Sets `Cache-Control` (and `Vary`) for a response: `public` when its content is what an
/// anonymous caller gets, otherwise `private` and varying on the credentials.
pub fn cache_headers(headers: &mut HeaderMap, public: bool, app: &App) {
    if public {
        if let Ok(v) = HeaderValue::from_maybe_shared(app.public_cache_control.clone()) {
            headers.insert(header::CACHE_CONTROL, v);
        }
    } else {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    headers.append(
        header::VARY,
        HeaderValue::from_static("Cookie, Authorization"),
    );
}

/// The caller's view of one layer, or the one 404 (byte-identical whatever the id) used for
/// "missing" and "hidden" alike.
///
/// Every handler that serves a single layer's data gets its view here, so restricted views
/// are always counted in the audit log (aggregated per session, layer and hour).
pub fn layer_view(
    app: &App,
    who: &crate::access::Principal,
    id: &str,
) -> Result<crate::access::LayerView, ApiError> {
    let view = app
        .layers
        .get(id)
        .and_then(|layer| app.public_views.decide(who, &layer))
        .ok_or_else(|| ApiError::not_found("no such layer"))?;
    app.access.audit.record_view_of(who, &view);
    Ok(view)
}
