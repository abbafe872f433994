//! The API's OpenAPI 3.1 description (utoipa, from the handlers' annotations), served at
//! `GET /api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;
use super::{attachments, drafts, events, preferences, threads};

/// The description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Messagerie sécurisée — API",
        description = "Threads between health professionals (and the staff acting for them) and the agency. \
                       Bearer access tokens of the agency's identity provider (RFC 9068). Every error has the \
                       `ErrorBody` shape; anything not the caller's is 404."
    ),
    paths(
        threads::categories,
        events::events,
        preferences::get_preferences,
        preferences::put_preferences,
        threads::list_threads,
        threads::open_thread,
        threads::show_thread,
        threads::post_message,
        threads::take,
        threads::release,
        threads::close,
        threads::assign,
        threads::transfer,
        attachments::upload,
        attachments::download,
        drafts::get_new,
        drafts::put_new,
        drafts::delete_new,
        drafts::get_reply,
        drafts::put_reply,
        drafts::delete_reply,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
