//! The HTTP API (axum). Handlers are thin: extract, call the service, respond.

mod access_requests;
mod audit;
pub mod auth;
mod error;
pub mod extract;
mod login;
mod ops;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

use crate::app::App;

/// The whole router, with middleware. Tests drive it in-process with `oneshot`.
pub fn app(state: Arc<App>) -> Router {
    let timeout = Duration::from_secs(state.config.limits.request_timeout_secs.get());
    Router::new()
        .merge(ops::routes())
        .merge(login::routes())
        .merge(access_requests::routes())
        .merge(audit::routes())
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), record))
        .layer(TraceLayer::new_for_http().on_response(
            |res: &Response, latency: Duration, _span: &tracing::Span| {
                tracing::info!(
                    status = res.status().as_u16(),
                    latency_ms = latency.as_secs_f64() * 1e3,
                    "response"
                );
            },
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .with_state(state)
}

async fn fallback() -> ApiError {
    ApiError::not_found("no such resource")
}

/// Counts the request and its latency under its route template.
async fn record(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let t = Instant::now();
    let res = next.run(req).await;
    app.metrics
        .record(&route, res.status().as_u16(), t.elapsed());
    res.into_response()
}
