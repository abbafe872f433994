//! Form bodies parsed by serde, with a translated 400 page (never axum's English text) when the
//! body is not a form, is not UTF-8 or does not fit the fields; and single query parameters.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use super::PageError;

/// The first value of the query parameter `name`, decoded (`?token=…`, `?done=…`), if any.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// An `application/x-www-form-urlencoded` body.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(PageError::BadRequest("error-bad-form"));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| PageError::TooLarge)?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|_| PageError::BadRequest("error-bad-form"))
    }
}
