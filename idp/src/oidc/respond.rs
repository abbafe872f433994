//! The authorization response (RFC 6749 §4.1.2), with `iss` (RFC 9207), by redirect or by
//! auto-submitted form (Form Post Response Mode). Only validated redirect URIs reach here.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::request::{AuthorizationRequest, ResponseMode};
use crate::state::AppState;
use crate::web::{PageError, page};

/// Success: the code.
pub fn code(
    app: &AppState,
    request: &AuthorizationRequest,
    code: &str,
) -> Result<Response, PageError> {
    let mut params = vec![("code", code.to_owned())];
    if let Some(state) = &request.state {
        params.push(("state", state.clone()));
    }
    deliver(app, &request.redirect_uri, request.response_mode, params)
}

/// An error for a validated request.
pub fn request_error(
    app: &AppState,
    request: &AuthorizationRequest,
    error: &str,
    description: &str,
) -> Result<Response, PageError> {
    self::error(
        app,
        &request.redirect_uri,
        request.response_mode,
        request.state.as_deref(),
        error,
        description,
    )
}

/// An error sent to a validated redirect URI.
pub fn error(
    app: &AppState,
    redirect_uri: &str,
    mode: ResponseMode,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Result<Response, PageError> {
    let mut params = vec![
        ("error", error.to_owned()),
        ("error_description", description.to_owned()),
    ];
    if let Some(state) = state {
        params.push(("state", state.to_owned()));
    }
    deliver(app, redirect_uri, mode, params)
}

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPost {
    action: String,
    fields: Vec<(&'static str, String)>,
}

fn deliver(
    app: &AppState,
    redirect_uri: &str,
    mode: ResponseMode,
    mut params: Vec<(&'static str, String)>,
) -> Result<Response, PageError> {
    params.push(("iss", app.issuer.clone()));
    match mode {
        ResponseMode::Query => {
            let mut url = url::Url::parse(redirect_uri)
                .map_err(|_| PageError::BadRequest("error-redirect-uri-unregistered"))?;
            url.query_pairs_mut()
                .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
            Ok(Redirect::to(url.as_str()).into_response())
        }
        ResponseMode::FormPost => {
            let page = FormPost {
                action: redirect_uri.to_owned(),
                fields: params,
            };
            Ok(page::html(StatusCode::OK, &page))
        }
    }
}
