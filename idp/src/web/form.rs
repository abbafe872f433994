//! Form bodies parsed by serde, with a translated 400 page (never axum's English text) when the
//! body is not a form, is not UTF-8 or does not fit the fields; `CheckedForm`, the same after
//! the CSRF check every state-changing form needs; and single query parameters.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{PageError, csrf};
use crate::state::AppState;

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
        parse(&form_body(request, state).await?).map(Form)
    }
}

/// A form posted from one of our own pages: its `csrf` field matches the browser's cookie and
/// the browser did not mark the request cross-site (`csrf::check`, ASVS 3.5). Every
/// state-changing form takes this instead of `Form`: a forged or stale form gets the translated
/// "page expired" error and the handler never runs. `T` need not declare the `csrf` field.
#[derive(Debug)]
pub struct CheckedForm<T>(pub T);

/// The one field `CheckedForm` reads before the form's own.
#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CheckedForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(request.headers());
        let headers = request.headers().clone();
        let body = form_body(request, app).await?;
        let CsrfField { csrf: token } = parse(&body)?;
        csrf::check(app, &jar, &headers, token.as_deref())?;
        parse(&body).map(CheckedForm)
    }
}

/// The body of an `application/x-www-form-urlencoded` request, within the body limit.
async fn form_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, PageError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(PageError::BadRequest("error-bad-form"));
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|_| PageError::TooLarge)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, PageError> {
    serde_urlencoded::from_bytes(body).map_err(|_| PageError::BadRequest("error-bad-form"))
}

/// Any body parses or is refused (never a panic), and what a browser encodes parses back.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
    struct Login {
        csrf: Option<String>,
        username: String,
        password: String,
    }

    proptest! {
        #[test]
        fn any_body_parses_or_is_a_bad_form(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            match parse::<Login>(&body) {
                Ok(_) | Err(PageError::BadRequest("error-bad-form")) => {}
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn an_encoded_form_parses_back(
            csrf in proptest::option::of("\\PC{0,40}"),
            username in "\\PC{0,60}",
            password in "\\PC{0,200}",
        ) {
            let sent = Login { csrf, username, password };
            let body = serde_urlencoded::to_string(&sent).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got: Login = parse(body.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(got, sent);
        }
    }
}
