//! Client authentication at the token, introspection and revocation endpoints
//! (RFC 6749 §2.3): `client_secret_basic`, `client_secret_post`, or none for public clients.
//! How secrets are kept is the store's (`store::clients`).

use axum::http::HeaderMap;
use axum_extra::headers::HeaderMapExt as _;
use axum_extra::headers::authorization::{Authorization, Basic};

use super::error::OAuthError;
use super::request::Params;
use crate::state::AppState;
use crate::store::clients::{Client, verify_secret};

/// How a client proved itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// HTTP Basic.
    Basic,
    /// `client_secret` in the body.
    Post,
    /// Public client: `client_id` only.
    None,
}

/// Authenticates the client of a request.
pub async fn authenticate(
    app: &AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<(std::sync::Arc<Client>, Method), OAuthError> {
    let basic = basic_credentials(headers)?;
    let (client_id, secret, method) = match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method",
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id does not match the credentials",
                ));
            }
            (id, Some(secret), Method::Basic)
        }
        (None, Some(secret)) => {
            let id = params
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client(false))?;
            (id.to_owned(), Some(secret.to_owned()), Method::Post)
        }
        (None, None) => {
            let id = params
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client(false))?;
            (id.to_owned(), None, Method::None)
        }
    };
    let client = app
        .clients
        .get(&client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client(method == Method::Basic))?;
    let ok = match (&client.secret_hash, secret) {
        (Some(stored), Some(presented)) => {
            verify_secret(&app.client_secret_key, &presented, stored)
        }
        (None, None) => true,
        _ => false,
    };
    if !ok {
        return Err(OAuthError::invalid_client(method == Method::Basic));
    }
    Ok((client, method))
}

/// `Authorization: Basic` credentials (RFC 7617, through the `headers` crate that axum-extra's
/// `TypedHeader` uses), each half form-urlencoded inside (RFC 6749 §2.3.1). A header that is
/// not Basic, not base64, not UTF-8 or without a colon is `invalid_client` with a challenge.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(Authorization(basic)) = headers
        .typed_try_get::<Authorization<Basic>>()
        .map_err(|_| OAuthError::invalid_client(true))?
    else {
        return Ok(None);
    };
    let (Some(id), Some(secret)) = (
        form_decoded(basic.username()),
        form_decoded(basic.password()),
    ) else {
        return Err(OAuthError::invalid_client(true));
    };
    Ok(Some((id, secret)))
}

/// One value decoded as `application/x-www-form-urlencoded` (RFC 6749 §2.3.1, Appendix B):
/// `+` is a space and `%XX` a byte, and nothing else is special — a raw `&` or `=` stays in the
/// value (a client that did not encode its secret keeps all of it). Invalid UTF-8 is `None`.
fn form_decoded(value: &str) -> Option<String> {
    let spaced = value.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Secret32;
    use crate::store::clients::hash_secret;
    use axum::http::header;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use secrecy::SecretBox;

    #[test]
    fn a_secret_verifies_against_its_hash_only() {
        let key: Secret32 = SecretBox::new(Box::new([1u8; 32]));
        let stored = hash_secret(&key, "s3cret");
        assert!(verify_secret(&key, "s3cret", &stored));
        assert!(!verify_secret(&key, "s3cret ", &stored));
        let other: Secret32 = SecretBox::new(Box::new([2u8; 32]));
        assert!(
            !verify_secret(&other, "s3cret", &stored),
            "the hash is keyed"
        );
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let raw = STANDARD.encode("my%20client:p%40ss");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {raw}").parse().unwrap(),
        );
        let (id, secret) = basic_credentials(&headers).unwrap().unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("my client", "p@ss"));
        // (id:secret as sent, decoded, why)
        let cases = [
            (
                "portal:a&b=c",
                ("portal", "a&b=c"),
                "a raw & or = stays in the secret",
            ),
            (
                "portal:a+b%2Bc",
                ("portal", "a b+c"),
                "+ is a space, %2B a plus",
            ),
            (
                "my+client:x%3Ay",
                ("my client", "x:y"),
                "an encoded colon in the secret",
            ),
            ("portal:a%26b", ("portal", "a&b"), "an encoded & is an &"),
            (
                "portal:a:b",
                ("portal", "a:b"),
                "the id ends at the first colon; a raw colon stays in the secret",
            ),
            (
                "portal:",
                ("portal", ""),
                "an empty secret is a secret that will not verify, not a malformed header",
            ),
            (
                "portal:%C3%A9t%C3%A9",
                ("portal", "été"),
                "UTF-8, percent-encoded",
            ),
        ];
        for (sent, (want_id, want_secret), why) in cases {
            let raw = STANDARD.encode(sent);
            headers.insert(
                header::AUTHORIZATION,
                format!("Basic {raw}").parse().unwrap(),
            );
            let (id, secret) = basic_credentials(&headers).unwrap().unwrap();
            assert_eq!(
                (id.as_str(), secret.as_str()),
                (want_id, want_secret),
                "{why}"
            );
        }
        let raw = STANDARD.encode("portal:%FF");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {raw}").parse().unwrap(),
        );
        assert!(
            basic_credentials(&headers).is_err(),
            "a secret that decodes to invalid UTF-8 is refused"
        );
        let no_colon = format!("Basic {}", STANDARD.encode("portal"));
        let lower = format!("basic {}", STANDARD.encode("portal:pw"));
        // (header, accepted?, why)
        let cases = [
            ("Basic !!!", false, "not base64"),
            (no_colon.as_str(), false, "no colon between id and secret"),
            ("Bearer abc.def.ghi", false, "another scheme"),
            ("Basic", false, "no credentials"),
            (
                lower.as_str(),
                true,
                "the scheme is case-insensitive (RFC 7235 §2.1)",
            ),
        ];
        for (value, accepted, why) in cases {
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(basic_credentials(&headers).is_ok(), accepted, "{why}");
        }
        headers.remove(header::AUTHORIZATION);
        assert!(
            basic_credentials(&headers).unwrap().is_none(),
            "no header: not Basic"
        );
    }
}

/// Any `Authorization` header is read or refused, never a panic; an id and secret encoded as
/// RFC 6749 §2.3.1 says come back exactly.
#[cfg(test)]
mod properties {
    use super::*;
    use axum::http::HeaderValue;
    use axum::http::header::AUTHORIZATION;
    use base64::Engine as _;
    use proptest::prelude::*;

    fn headers(value: &[u8]) -> Option<HeaderMap> {
        let value = HeaderValue::from_bytes(value).ok()?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value);
        Some(headers)
    }

    proptest! {
        #[test]
        fn any_header_is_read_or_refused(value in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Some(headers) = headers(&value) {
                let _ = basic_credentials(&headers);
            }
        }

        #[test]
        fn any_basic_payload_is_read_or_refused(payload in prop::collection::vec(any::<u8>(), 0..256)) {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&payload);
            if let Some(headers) = headers(format!("Basic {b64}").as_bytes()) {
                let _ = basic_credentials(&headers);
            }
        }

        #[test]
        fn encoded_credentials_come_back_exactly(id in "\\PC{1,64}", secret in "\\PC{1,128}") {
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", encode(&id), encode(&secret));
            let b64 = base64::engine::general_purpose::STANDARD.encode(pair);
            let headers = headers(format!("Basic {b64}").as_bytes()).ok_or_else(|| TestCaseError::fail("header"))?;
            let read = basic_credentials(&headers).map_err(|_| TestCaseError::fail("refused"))?;
            prop_assert_eq!(read, Some((id, secret)));
        }
    }
}
