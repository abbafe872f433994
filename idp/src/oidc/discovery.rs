//! OpenID Provider metadata (Discovery 1.0 §3) on openidconnect's types, derived from the
//! configuration on each request (relying parties cache it: `max-age=300`), and the JWKS
//! served from the key ring's cache.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, AuthenticationContextClass, EndSessionUrl, IssuerUrl,
    JsonWebKeySetUrl, LanguageTag, LogoutProviderMetadata, ProviderMetadata, ResponseTypes, Scope,
    TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use super::issue::supported_algs;
use crate::config::Config;
use crate::domain::authentication;
use crate::state::AppState;

/// Metadata beyond Discovery 1.0: introspection, revocation, PKCE, RFC 9207, back-channel logout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgencyMetadata {
    introspection_endpoint: String,
    revocation_endpoint: String,
    code_challenge_methods_supported: Vec<String>,
    authorization_response_iss_parameter_supported: bool,
    backchannel_logout_supported: bool,
    backchannel_logout_session_supported: bool,
    introspection_endpoint_auth_methods_supported: Vec<String>,
    revocation_endpoint_auth_methods_supported: Vec<String>,
}

impl AdditionalProviderMetadata for AgencyMetadata {}

type Metadata = ProviderMetadata<
    LogoutProviderMetadata<AgencyMetadata>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The serialized discovery document.
pub fn document(issuer: &str, config: &Config) -> anyhow::Result<String> {
    let at = |path: &str| format!("{issuer}{path}");
    let auth_methods = vec![
        "client_secret_basic".to_owned(),
        "client_secret_post".to_owned(),
    ];
    let additional = LogoutProviderMetadata {
        end_session_endpoint: Some(EndSessionUrl::new(at("/logout"))?),
        additional_metadata: AgencyMetadata {
            introspection_endpoint: at("/introspect"),
            revocation_endpoint: at("/revoke"),
            code_challenge_methods_supported: vec!["S256".into()],
            authorization_response_iss_parameter_supported: true,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            introspection_endpoint_auth_methods_supported: auth_methods.clone(),
            revocation_endpoint_auth_methods_supported: auth_methods,
        },
    };
    let metadata = Metadata::new(
        IssuerUrl::new(issuer.to_owned())?,
        AuthUrl::new(at("/authorize"))?,
        JsonWebKeySetUrl::new(at("/jwks.json"))?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        supported_algs(&config.keys.algorithms),
        additional,
    )
    .set_token_endpoint(Some(TokenUrl::new(at("/token"))?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(at("/userinfo"))?))
    .set_scopes_supported(Some(
        ["openid", "profile", "email"]
            .map(|s| Scope::new(s.into()))
            .to_vec(),
    ))
    .set_response_modes_supported(Some(vec![
        CoreResponseMode::Query,
        CoreResponseMode::FormPost,
    ]))
    .set_grant_types_supported(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
        CoreGrantType::ClientCredentials,
    ]))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::None,
    ]))
    .set_ui_locales_supported(Some(vec![
        LanguageTag::new("fr-CA".into()),
        LanguageTag::new("en".into()),
    ]))
    .set_claims_supported(Some(
        [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "amr",
            "acr",
            "nonce",
            "at_hash",
            "sid",
            "name",
            "given_name",
            "family_name",
            "locale",
            "email",
            "email_verified",
            "username",
            "account_type",
            "profession",
        ]
        .map(|c| CoreClaimName::new(c.into()))
        .to_vec(),
    ))
    .set_acr_values_supported(Some(
        [
            authentication::ACR_PASSWORD,
            authentication::ACR_MULTI_FACTOR,
        ]
        .map(|v| AuthenticationContextClass::new(v.into()))
        .to_vec(),
    ))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false));
    Ok(serde_json::to_string(&metadata)?)
}

/// `GET /.well-known/openid-configuration`.
pub async fn handle(State(app): State<AppState>) -> Result<Response, OAuthError> {
    let document = match app.discovery.get() {
        Some(built) => built.clone(),
        None => document(&app.issuer, &app.config).map_err(OAuthError::server)?,
    };
    Ok(json_cached(document))
}

/// `GET /jwks.json`.
pub async fn jwks(State(app): State<AppState>) -> Result<Response, OAuthError> {
    let jwks = app.keys.jwks().await?;
    Ok(json_cached(jwks.to_string()))
}

fn json_cached(body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
