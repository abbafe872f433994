//! Request parameters and the validated authorization request.
//!
//! RFC 6749 §3.1: parameters sent without a value are treated as omitted, and a parameter
//! must not appear more than once. Every value is bounded so hostile input costs nothing.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::pkce;
use crate::domain::Scope;
use crate::store::clients::Client;

/// Longest single parameter value accepted (a JWT `id_token_hint` is the longest we take).
pub const MAX_PARAM_LEN: usize = 4096;

/// Request parameters, each present at most once.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

/// Why parameters were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// A parameter appeared twice.
    #[error("parameter `{0}` appears more than once")]
    Repeated(String),
    /// A value is longer than `MAX_PARAM_LEN` or holds control characters.
    #[error("parameter `{0}` is malformed or too long")]
    Malformed(String),
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes (a query string or a body).
    pub fn parse(raw: &[u8]) -> Result<Self, ParamsError> {
        let mut map = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(raw) {
            if value.is_empty() {
                continue;
            }
            // `form_urlencoded` replaces invalid UTF-8 with U+FFFD; a value must come back
            // exactly (RFC 6749 §4.1.2 `state`), so such input is refused, not altered.
            let altered = key.contains('\u{FFFD}') || value.contains('\u{FFFD}');
            if altered
                || key.len() > 64
                || value.len() > MAX_PARAM_LEN
                || value.chars().any(char::is_control)
            {
                return Err(ParamsError::Malformed(truncate(&key)));
            }
            if map
                .insert(key.clone().into_owned(), value.into_owned())
                .is_some()
            {
                return Err(ParamsError::Repeated(truncate(&key)));
            }
        }
        Ok(Self(map))
    }

    /// The parameters re-encoded as a query string (ASCII only, safe in a `Location`).
    pub fn to_query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.0.iter())
            .finish()
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

fn truncate(key: &str) -> String {
    key.chars().take(64).collect()
}

/// `response_mode` (OAuth 2.0 Multiple Response Types; Form Post Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// Parameters in the redirect's query.
    Query,
    /// An auto-submitted HTML form.
    FormPost,
}

/// A request that passed every check and may be answered (now or after login/consent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Exactly one of the client's registered redirect URIs.
    pub redirect_uri: String,
    /// Requested scope, within the client's allowed scopes.
    pub scope: String,
    /// Echoed back.
    pub state: Option<String>,
    /// Put in the id_token.
    pub nonce: Option<String>,
    /// Encoded PKCE challenge.
    pub pkce: String,
    /// How to answer.
    pub response_mode: ResponseMode,
    /// `prompt=none`.
    pub prompt_none: bool,
    /// `prompt=login`, or `max_age=0` (OIDC Core §3.1.2.1: the same thing).
    pub prompt_login: bool,
    /// `prompt=consent`.
    pub prompt_consent: bool,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// Prefills the username.
    pub login_hint: Option<String>,
    /// Preferred languages.
    pub ui_locales: Option<String>,
}

/// A request refused after its redirect URI was found registered: the error goes back there
/// (RFC 6749 §4.1.2.1). Errors before that point are pages, never redirects.
#[derive(Debug)]
pub struct Refused {
    /// Where.
    pub redirect_uri: String,
    /// How.
    pub response_mode: ResponseMode,
    /// Echoed.
    pub state: Option<String>,
    /// RFC 6749 error code.
    pub error: &'static str,
    /// Human-readable description.
    pub description: String,
}

/// Checks that the redirect URI is registered for the client: a simple string comparison
/// (RFC 9700 §4.1.3), no normalisation of case, slash, query or port.
pub fn registered_redirect(
    client: &Client,
    redirect_uri: Option<&str>,
) -> Result<String, &'static str> {
    let uri = redirect_uri.ok_or("error-redirect-uri-missing")?;
    if client
        .redirect_uris
        .iter()
        .any(|registered| registered == uri)
    {
        Ok(uri.to_owned())
    } else {
        Err("error-redirect-uri-unregistered")
    }
}

/// Validates everything after the redirect URI (OIDC Core §3.1.2.2).
pub fn validate(
    client: &Client,
    params: &Params,
    redirect_uri: String,
) -> Result<AuthorizationRequest, Refused> {
    let state = params.get("state").map(str::to_owned);
    let mode = match params.get("response_mode") {
        None | Some("query") => Some(ResponseMode::Query),
        Some("form_post") => Some(ResponseMode::FormPost),
        Some(_) => None,
    };
    let fail = |error: &'static str, description: &str| Refused {
        redirect_uri: redirect_uri.clone(),
        response_mode: mode.unwrap_or(ResponseMode::Query),
        state: state.clone(),
        error,
        description: description.to_owned(),
    };
    let Some(response_mode) = mode else {
        return Err(fail("invalid_request", "unsupported response_mode"));
    };
    if params.get("request").is_some() {
        return Err(fail(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(fail(
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    // RFC 9700 §2.1.2: code flow only; implicit and hybrid are refused.
    match params.get("response_type") {
        Some("code") => {}
        None => return Err(fail("invalid_request", "response_type is required")),
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(fail(
            "unauthorized_client",
            "the client may not use the authorization code grant",
        ));
    }
    let scope = Scope::parse(params.get("scope").unwrap_or_default())
        .map_err(|_| fail("invalid_scope", "scope is malformed"))?;
    if scope.is_empty() {
        return Err(fail("invalid_scope", "scope is required"));
    }
    if !scope.is_subset(&Scope::from_tokens(client.scopes.iter().cloned())) {
        return Err(fail(
            "invalid_scope",
            "a requested scope is not allowed for this client",
        ));
    }
    let pkce = pkce::challenge(
        params.get("code_challenge_method"),
        params.get("code_challenge"),
    )
    .map_err(|why| fail("invalid_request", why))?;
    let prompts: Vec<&str> = params
        .get("prompt")
        .unwrap_or_default()
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect();
    if prompts
        .iter()
        .any(|p| !matches!(*p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(fail("invalid_request", "unsupported prompt value"));
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(fail("invalid_request", "prompt=none cannot be combined"));
    }
    let max_age = match params.get("max_age") {
        None => None,
        Some(raw) => Some(
            raw.parse::<u64>()
                .map_err(|_| fail("invalid_request", "max_age must be a non-negative integer"))?,
        ),
    };
    // Bounds on what is parked in Redis for every anonymous request.
    if state.as_ref().is_some_and(|s| s.len() > 1024) {
        return Err(fail(
            "invalid_request",
            "state is too long (1024 bytes at most)",
        ));
    }
    if params.get("ui_locales").is_some_and(|l| l.len() > 64) {
        return Err(fail("invalid_request", "ui_locales is too long"));
    }
    let nonce = params.get("nonce").map(str::to_owned);
    if nonce.as_ref().is_some_and(|n| n.len() > 512) {
        return Err(fail("invalid_request", "nonce is too long"));
    }
    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.clone(),
        scope: scope.to_string(),
        state: state.clone(),
        nonce,
        pkce,
        response_mode,
        prompt_none,
        // OIDC Core §3.1.2.1: `max_age=0` is equivalent to `prompt=login`, whatever the clock
        // says about the last login (within the same second as it, too).
        prompt_login: prompts.contains(&"login") || max_age == Some(0),
        prompt_consent: prompts.contains(&"consent"),
        max_age,
        login_hint: params
            .get("login_hint")
            .map(|h| h.chars().take(254).collect()),
        ui_locales: params.get("ui_locales").map(str::to_owned),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_ignored() {
        assert_eq!(
            Params::parse(b"a=1&a=2").unwrap_err(),
            ParamsError::Repeated("a".into())
        );
        let p = Params::parse(b"a=&b=2").unwrap();
        assert_eq!((p.get("a"), p.get("b")), (None, Some("2")));
    }

    #[test]
    fn oversized_and_control_values_are_refused() {
        let long = format!("state={}", "x".repeat(MAX_PARAM_LEN + 1));
        assert!(Params::parse(long.as_bytes()).is_err());
        assert!(Params::parse(b"state=a%00b").is_err());
        assert!(
            Params::parse(b"state=%FF%FE").is_err(),
            "invalid UTF-8 is refused, never replaced"
        );
        assert!(
            Params::parse(b"state=%FF%FE").is_err(),
            "invalid UTF-8 is refused, never replaced"
        );
    }

    fn client() -> Client {
        Client {
            id: "rp".into(),
            name: "RP".into(),
            secret_hash: None,
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            grant_types: vec!["authorization_code".into()],
            scopes: vec!["openid".into(), "profile".into()],
            id_token_alg: "RS256".into(),
            first_party: true,
            backchannel_logout_uri: None,
            home_uri: None,
        }
    }

    #[test]
    fn only_the_exact_registered_redirect_uri_is_trusted() {
        let c = client();
        assert!(registered_redirect(&c, Some("https://rp.example/cb")).is_ok());
        for variant in [
            "https://rp.example/cb/",
            "https://RP.example/cb",
            "https://rp.example/cb?x=1",
            "https://rp.example/cb/evil",
            "https://rp.example/cb#f",
            "http://rp.example/cb",
            "https://user@rp.example/cb",
            "https://rp.example:443/cb",
        ] {
            assert!(
                registered_redirect(&c, Some(variant)).is_err(),
                "{variant} must not match"
            );
        }
    }
}

/// Any bytes are parsed or refused, never a panic; distinct parameters come back exactly as
/// encoded (RFC 6749 §4.1.2: `state` is returned unchanged). U+FFFD is left out: the parser
/// refuses it, as it is what invalid UTF-8 decodes to.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_are_parsed_or_refused(raw in prop::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Params::parse(&raw);
        }

        #[test]
        fn encoded_parameters_come_back_exactly(
            params in prop::collection::btree_map("[a-z_]{1,20}", "[^\\p{Cc}\u{FFFD}]{1,200}", 0..12),
        ) {
            let mut encoder = url::form_urlencoded::Serializer::new(String::new());
            for (key, value) in &params {
                encoder.append_pair(key, value);
            }
            let parsed = Params::parse(encoder.finish().as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (key, value) in &params {
                prop_assert_eq!(parsed.get(key), Some(value.as_str()));
            }
            let again = Params::parse(parsed.to_query().as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (key, value) in &params {
                prop_assert_eq!(again.get(key), Some(value.as_str()));
            }
        }
    }
}
