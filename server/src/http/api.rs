//! `/api/nearest`, `/api/at`, `/api/search` and the open-data exports: extract, call the
//! `query` service, respond.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::extract::Params;
use super::ogc::respond::{self, Caching};
use super::{ApiError, blocking};
use crate::access::{LayerView, Principal, decide_all};
use crate::app::App;
use crate::query::search::{self, SearchError};
use crate::query::spatial::{self, FilterSpec, Origin, SpatialError};

/// The most results `/api/nearest` returns.
pub const MAX_K: usize = 100;

/// The most results `/api/search` returns.
pub const MAX_SEARCH: usize = 100;

/// Parameters `/api/nearest` reads itself; any other parameter is an `attr=value` filter.
const NEAREST_PARAMS: &[&str] = &[
    "layer",
    "lon",
    "lat",
    "k",
    "filter",
    "filter-lang",
    "hazard",
];

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/nearest", get(nearest))
        .route("/api/at", get(at))
        .route("/api/search", get(search))
}

async fn nearest(
    State(app): State<Arc<App>>,
    principal: Principal,
    params: Params,
) -> Result<Response, ApiError> {
    let origin = origin(&params)?;
    let k = params.usize_in("k", 5, 1, MAX_K)?;
    let view = super::layer_view(&app, &principal, params.required("layer")?)?;
    let spec = FilterSpec {
        cql2: params.get("filter").map(str::to_owned),
        filter_lang: params.get("filter-lang").map(str::to_owned),
        equals: params
            .0
            .iter()
            .filter(|(name, _)| !NEAREST_PARAMS.contains(&name.as_str()))
            .cloned()
            .collect(),
        hazard: params.get("hazard").map(str::to_owned),
    };
    let caching = Caching::of(view.public, app.config.public_max_age);
    let body = spatial::nearest_json(&view, &origin, k, &spec)?;
    Ok(respond::json(&body, respond::GEOJSON, caching))
}

async fn at(
    State(app): State<Arc<App>>,
    principal: Principal,
    params: Params,
) -> Result<Response, ApiError> {
    let origin = origin(&params)?;
    let views = decide_all(&principal, &app.layers.current_all());
    let caching = all_public(&app, &views);
    let body = spatial::at_json(&views, &origin, params.get("hazard"))?;
    Ok(respond::json(&body, respond::JSON, caching))
}

async fn search(
    State(app): State<Arc<App>>,
    principal: Principal,
    params: Params,
) -> Result<Response, ApiError> {
    let q = params.required("q")?.to_owned();
    let page = search::Page {
        limit: params.usize_in("limit", 20, 1, MAX_SEARCH)?,
        offset: params.usize_in("offset", 0, 0, search::MAX_OFFSET)?,
    };
    let views = decide_all(&principal, &app.layers.current_all());
    let caching = all_public(&app, &views);
    // Matching many substrings of a large layer is CPU work: keep it off the runtime.
    let body = blocking(move || search::search_json(&views, &q, page)).await?;
    Ok(respond::json(&body, respond::GEOJSON, caching))
}

/// Public caching only when every view the answer was built from is public.
fn all_public(app: &App, views: &[LayerView]) -> Caching {
    Caching::of(views.iter().all(|v| v.public), app.config.public_max_age)
}

/// `lon` (−180..180) and `lat` (−90..90): required, finite.
fn origin(params: &Params) -> Result<Origin, ApiError> {
    let lon = params.f64_in("lon", -180.0, 180.0)?;
    let lat = params.f64_in("lat", -90.0, 90.0)?;
    Ok(Origin::new(lon, lat))
}

impl From<SpatialError> for ApiError {
    fn from(e: SpatialError) -> Self {
        match e {
            SpatialError::Parameter {
                name,
                value,
                reason,
                reason_ja,
            } => ApiError::parameter(&name, &value, reason, reason_ja),
            SpatialError::Filter(e) => e.into(),
        }
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        let (value, ja) = match &e {
            SearchError::TooLong { chars } => (
                format!("({chars} characters)"),
                format!(
                    "{chars} 文字あります。{} 文字以内で入力してください",
                    search::MAX_QUERY_CHARS
                ),
            ),
            SearchError::Empty => (
                String::new(),
                "名称・住所・地番のいずれかを入力してください".to_owned(),
            ),
        };
        ApiError::parameter("q", &value, e.to_string(), ja)
    }
}
