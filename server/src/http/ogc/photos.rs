//! Photos of records: `POST /ogc/collections/{layer}/photos` (the raw JPEG or PNG as the
//! body, for those who may edit the layer) and `GET …/photos/{id}` (`?size=thumb` for the
//! thumbnail, for those who see the layer). Never cached outside the caller's browser.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::edit::editable;
use crate::access::Principal;
use crate::app::App;
use crate::edit::photo::{MAX_BYTES, PhotoRefusal};
use crate::http::extract::{BaseUrl, Params, Path};
use crate::http::{ApiError, blocking};

fn refusal(r: PhotoRefusal) -> ApiError {
    let (en, ja) = r.messages();
    let (status, code) = match r {
        PhotoRefusal::NotAnImage => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        PhotoRefusal::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        PhotoRefusal::Unreadable => (StatusCode::UNPROCESSABLE_ENTITY, "unreadable_photo"),
    };
    ApiError::new(status, code, en).ja(ja)
}

pub async fn upload(
    State(app): State<Arc<App>>,
    who: Principal,
    BaseUrl(base): BaseUrl,
    Path(layer): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let view = editable(&app, &who, &layer)?;
    // A body over the limit is cut off by the body limit: the same clear 413.
    let bytes = body.map_err(|_| refusal(PhotoRefusal::TooLarge))?;
    let v = view.clone();
    let a = Arc::clone(&app);
    let info = blocking(move || a.editor().add_photo(&who, &v, &bytes))
        .await?
        .map_err(refusal)?;
    let href = format!("{base}/ogc/collections/{layer}/photos/{}", info.id);
    let doc = json!({
        "id": info.id,
        "href": href,
        "thumbnail": format!("{href}?size=thumb"),
        "width": info.width,
        "height": info.height,
        "taken": info.taken,
        "position": info.position,
    });
    let mut res = (StatusCode::CREATED, axum::Json(doc)).into_response();
    private(&mut res);
    Ok(res)
}

pub async fn get(
    State(app): State<Arc<App>>,
    who: Principal,
    Path((layer, id)): Path<(String, String)>,
    p: Params,
) -> Result<Response, ApiError> {
    let view = crate::http::layer_view(&app, &who, &layer)?;
    super::params::only(&p, &["size"])?;
    let thumb = match p.get("size") {
        None | Some("full") => false,
        Some("thumb") => true,
        Some(other) => {
            return Err(ApiError::parameter(
                "size",
                other,
                "use full or thumb",
                "full か thumb を指定してください",
            ));
        }
    };
    let a = Arc::clone(&app);
    let bytes = blocking(move || Ok::<_, ApiError>(a.editor().photo(&who, &view, &id, thumb)))
        .await?
        .ok_or_else(|| ApiError::not_found("no such photo"))?;
    let mut res = ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response();
    private(&mut res);
    Ok(res)
}

fn private(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Authorization"),
    );
}

/// The body limit of the upload route: one photo and a little.
pub const BODY_LIMIT: usize = MAX_BYTES + 1024;
