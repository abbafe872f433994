//! The `PageCaller` extractor: a live server-side session (else the sign-in page), as the
//! `threads` feature's [`Caller`], with the session's CSRF token and the page language.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::lang::PageLang;
use crate::i18n::Lang;
use crate::identity::caller::Origin;
use crate::identity::{ActsFor, Caller};
use crate::session::MaybeSession;
use crate::state::AppState;
use crate::store::people::Person;

/// A signed-in person on a page.
#[derive(Debug, Clone)]
pub struct PageCaller {
    /// Who, as the feature sees them.
    pub caller: Caller,
    /// The token their forms carry.
    pub csrf: String,
    /// The page language.
    pub lang: Lang,
}

impl PageCaller {
    /// Whether the submitted token is this session's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            submitted.as_bytes(),
            self.csrf.as_bytes(),
        )
        .is_ok()
    }

    /// Whether the session carries the agent role.
    pub fn agent_role(&self) -> bool {
        self.caller.has_agent_role()
    }
}

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let Ok(PageLang(lang)) = PageLang::from_request_parts(parts, app).await;
        let Ok(MaybeSession(session)) = MaybeSession::from_request_parts(parts, app).await;
        let Some((_, session)) = session else {
            return Err(super::render::sign_in(lang, false).into_response());
        };
        let acts_for: Vec<ActsFor> =
            serde_json::from_value(session.acts_for.clone()).unwrap_or_default();
        let caller = Caller {
            sub: session.sub.clone(),
            person: Person {
                sub: session.sub,
                username: session.username,
                name: session.name,
                email: None,
                locale: lang.tag().to_owned(),
            },
            roles: session.roles,
            acts_for,
            origin: Origin {
                ip: service_kit::client_ip::resolve(
                    &parts.extensions,
                    &parts.headers,
                    &app.config.server.trusted_proxies,
                ),
                user_agent: service_kit::client_ip::user_agent(&parts.headers),
            },
            token_expires: session.expires_at.timestamp(),
        };
        Ok(Self {
            caller,
            csrf: session.csrf,
            lang,
        })
    }
}
