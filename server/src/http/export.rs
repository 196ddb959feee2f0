//! `GET /api/layers/{layer}/export.{geojson,csv,fgb}`: open-data downloads of what the caller
//! may see, streamed where the format allows.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::routing::get;

use super::extract::Path;
use super::ogc::respond::{self, Caching};
use super::{ApiError, blocking};
use crate::access::{AuditEvent, AuditKind, Principal};
use crate::app::App;
use crate::query::export::{self, Format, TextExport};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/layers/{layer}/export.geojson", get(geojson))
        .route("/api/layers/{layer}/export.csv", get(csv))
        .route("/api/layers/{layer}/export.fgb", get(fgb))
}

async fn geojson(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(layer): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    export(&app, &who, &layer, Format::GeoJson, &headers).await
}

async fn csv(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(layer): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    export(&app, &who, &layer, Format::Csv, &headers).await
}

async fn fgb(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(layer): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    export(&app, &who, &layer, Format::FlatGeobuf, &headers).await
}

async fn export(
    app: &App,
    who: &Principal,
    layer: &str,
    format: Format,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let view = super::layer_view(app, who, layer)?;
    if !who.is_anonymous() {
        let event = AuditEvent::new(AuditKind::Export)
            .by(who)
            .layer(layer)
            .detail(serde_json::json!({ "format": format.extension(), "public": view.public }));
        if let Err(e) = app.access.audit.record(event).await {
            tracing::warn!(error = %e, "export not audited");
        }
    }
    let caching = Caching::of(view.public, app.config.public_max_age);
    // The policy class names the layer version and exactly what the view shows.
    let etag = respond::etag(&[view.class.as_str(), format.extension()]);
    if respond::not_modified(headers, &etag) {
        return Ok(respond::unchanged(&etag, caching));
    }
    let disposition = export::content_disposition(&view, format);
    tracing::info!(layer, format = format.extension(), user = ?who.user, "export");
    let body = match format {
        Format::FlatGeobuf => {
            let bytes =
                blocking(move || export::flatgeobuf(&view).map_err(ApiError::internal)).await?;
            Body::from(bytes)
        }
        Format::GeoJson | Format::Csv => {
            let chunks = TextExport::new(view, format).map(Ok::<_, Infallible>);
            Body::from_stream(futures_util::stream::iter(chunks))
        }
    };
    let mut res = respond::body(body, format.media_type(), caching);
    respond::with_etag(&mut res, &etag);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
