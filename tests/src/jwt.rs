//! Compact JWS read and altered without verification: what a test needs to look inside a token
//! or to forge one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::b64url;

/// The decoded JSON of one part (0 header, 1 payload) of a compact JWS.
pub fn part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a compact JWS");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// The JOSE header of a compact JWS.
pub fn header(token: &str) -> Value {
    part(token, 0)
}

/// The claims (payload) of a compact JWS.
pub fn claims(token: &str) -> Value {
    part(token, 1)
}

/// The `kid` in a compact JWS's header.
pub fn kid(token: &str) -> String {
    header(token)["kid"].as_str().expect("a kid").to_owned()
}

/// The same token with other claims: the original header and signature, which no longer match.
pub fn with_claims(token: &str, claims: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64url(serde_json::to_vec(claims).unwrap());
    parts.join(".")
}
