//! Who is asking. Resolves the request's session cookie or bearer token to a [`Principal`].

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::ApiError;
use crate::access::Principal;
use crate::app::App;

impl FromRequestParts<Arc<App>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _app: &Arc<App>) -> Result<Self, ApiError> {
        // Sessions and API tokens arrive with the access issue; until then every caller is
        // anonymous, so only public data can leave.
        Ok(Principal::anonymous())
    }
}
