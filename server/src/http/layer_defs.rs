//! Administrators' routes for the set of layers: `GET/POST /api/admin/layers` (list, create)
//! and `DELETE /api/admin/layers/{id}` (stop serving a created layer, keeping its versions,
//! its edits folded into the last one first).
//! Validation, storage and the swap are `publish::create_layer` / `remove_layer`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use super::admin::admin_name;
use super::extract::{Json, Path};
use super::{ApiError, blocking};
use crate::access::Principal;
use crate::app::App;
use crate::catalog::LayerDef;
use crate::publish;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/admin/layers", get(list).post(create))
        .route("/api/admin/layers/{layer}", delete(remove))
}

fn layer_json(app: &App, def: &LayerDef) -> Value {
    let current = app.layers.get(&def.id);
    json!({
        "id": def.id,
        "title": def.title,
        "department": def.department,
        "geometry": def.geometry,
        "fields": def.fields.len(),
        "public": def.is_public(),
        "created": publish::is_created(&app.publisher, def),
        "version": current.as_ref().map(|v| v.version()),
        "features": current.as_ref().map(|v| v.features.len()),
    })
}

/// Every served layer (whether it was created at run time, and so may be removed) and the
/// definitions of removed ones.
async fn list(State(app): State<Arc<App>>, who: Principal) -> Result<Response, ApiError> {
    admin_name(&who)?;
    let catalog = app.catalog();
    let layers: Vec<Value> = catalog
        .layers()
        .iter()
        .map(|d| layer_json(&app, d))
        .collect();
    let a = Arc::clone(&app);
    let removed =
        blocking(move || Ok::<_, ApiError>(publish::removed_layers(&a.publisher))).await?;
    Ok(axum::Json(json!({ "layers": layers, "removed": removed })).into_response())
}

/// Creates a layer from a definition of a layer file's shape (JSON) and serves it at once.
async fn create(
    State(app): State<Arc<App>>,
    who: Principal,
    Json(definition): Json<Value>,
) -> Result<Response, ApiError> {
    let by = admin_name(&who)?;
    let a = Arc::clone(&app);
    let (def, version) =
        blocking(move || publish::create_layer(&a.publisher, &by, &definition)).await?;
    app.tiles.clear();
    let body = json!({ "layer": layer_json(&app, &def), "version": version });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn remove(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(layer): Path<String>,
) -> Result<Response, ApiError> {
    let by = admin_name(&who)?;
    let a = Arc::clone(&app);
    let id = layer.clone();
    blocking(move || {
        // Edits not yet folded go into the version the store keeps for the removed layer.
        a.editor().fold(&id)?;
        publish::remove_layer(&a.publisher, &by, &id).map_err(ApiError::from)
    })
    .await?;
    app.tiles.clear();
    Ok(axum::Json(json!({ "removed": layer })).into_response())
}
