//! Rendering server-side pages (askama templates in `idp/templates/`).

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::i18n::Lang;

/// The status of a form page shown again: 400 when something typed was refused, else 200.
pub fn form_status(refused: bool) -> StatusCode {
    if refused {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// Renders a template as an HTML page that no cache keeps (pages carry CSRF tokens).
pub fn html<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response()
        }
    }
}

/// The messages of a form shown again, by field id: what the error summary lists
/// (`form_errors.html`) and what each field shows beside it (`problems.get("field")`).
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// The messages of `problems` — (field id, message key) — in `lang`.
    pub fn of(lang: Lang, problems: Vec<(&'static str, &'static str)>) -> Self {
        Self(problems.into_iter().map(|(f, k)| (f, lang.t(k))).collect())
    }

    /// Messages already in words.
    pub fn worded(problems: Vec<(&'static str, String)>) -> Self {
        Self(problems)
    }

    /// The message at `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each (field, message), in order.
    pub fn iter(&self) -> std::slice::Iter<'_, (&'static str, String)> {
        self.0.iter()
    }
}

/// The link that shows the same page in the other language.
pub fn switch_href(path_and_query: &str, lang: Lang) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k != "lang" && k != "ui_locales")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.push(("lang".into(), lang.other().tag().into()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: Lang,
    title: String,
    message: String,
    switch_href: String,
}

/// A translated error page for `status`, showing the message `key`.
pub fn error_page(lang: Lang, status: StatusCode, key: &str) -> Response {
    let page = ErrorPage {
        lang,
        title: lang.t("error-title"),
        message: lang.t(key),
        switch_href: format!("?lang={}", lang.other().tag()),
    };
    html(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_link_keeps_the_flow_and_swaps_the_language() {
        let href = switch_href("/login?req=abc&lang=fr-CA", Lang::Fr);
        assert_eq!(href, "/login?req=abc&lang=en");
    }
}
