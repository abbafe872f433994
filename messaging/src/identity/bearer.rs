//! Verifying the idp's signed tokens: the JWS checks every token passes ([`verify_jws`]),
//! then those of JWT access tokens (RFC 9068 §4): `typ` `at+jwt`, an algorithm on the
//! allowlist (never `none`, never HMAC: an HS256 token "signed" with the public key is
//! refused before any key is looked at), a `kid` from the idp's key set, the signature, then
//! `iss`, `aud` (our client id), `exp` and `iat`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use openidconnect::JsonWebKey as _;
use openidconnect::core::CoreJwsSigningAlgorithm;
use serde::Deserialize;

use super::idp::{Idp, IdpError};

/// Seconds a token's `iat` may lie ahead of this service's clock (the idp's may run a little
/// fast). Expiry gets no leeway: an access token lives five minutes.
const IAT_LEEWAY_SECS: i64 = 30;

/// One entry of the `acts_for` claim (docs/CLAIMS.md).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct ActsFor {
    /// The professional's `sub`.
    pub sub: String,
    /// Their `IP…` username.
    pub username: String,
    /// Their name.
    pub name: String,
}

/// The claims this service reads.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Subject.
    pub sub: String,
    /// Audience: one or several.
    pub aud: Audience,
    /// Expiry.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Granted scope.
    #[serde(default)]
    pub scope: String,
    /// Agency roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The professionals a staff member acts for here.
    #[serde(default)]
    pub acts_for: Vec<ActsFor>,
    /// SSO session.
    #[serde(default)]
    pub sid: Option<String>,
}

/// `aud`: a string or an array (RFC 7519 §4.1.3).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Audience {
    /// Whether `wanted` is among the audiences.
    pub fn contains(&self, wanted: &str) -> bool {
        match self {
            Audience::One(aud) => aud == wanted,
            Audience::Many(auds) => auds.iter().any(|a| a == wanted),
        }
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    /// Not a token of ours to accept (malformed, wrong type, algorithm, key, signature,
    /// issuer, audience, or expired): 401 `invalid_token`.
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    /// The idp could not be asked for its keys: 503.
    #[error(transparent)]
    Idp(#[from] IdpError),
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

fn allowed_alg(name: &str) -> Option<CoreJwsSigningAlgorithm> {
    match name {
        "RS256" => Some(CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256),
        "ES256" => Some(CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        "EdDSA" => Some(CoreJwsSigningAlgorithm::EdDsa),
        _ => None,
    }
}

/// Checks a compact JWS of the idp: size, an allowed algorithm, a `typ` among `typs`
/// (lower-case), a `kid` of the idp's key set, the signature. Returns the payload's bytes.
pub async fn verify_jws(idp: &Idp, token: &str, typs: &[&str]) -> Result<Vec<u8>, Rejected> {
    if token.len() > 8192 {
        return Err(Rejected::Invalid("too long"));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejected::Invalid("not a compact JWS"));
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| Rejected::Invalid("not base64url"))
    };
    let header: Header =
        serde_json::from_slice(&decode(header_b64)?).map_err(|_| Rejected::Invalid("header"))?;
    let alg = allowed_alg(&header.alg).ok_or(Rejected::Invalid("algorithm not allowed"))?;
    let typ = header
        .typ
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !typs.contains(&typ.as_str()) {
        return Err(Rejected::Invalid("wrong token type (typ)"));
    }
    let kid = header.kid.ok_or(Rejected::Invalid("no kid"))?;
    let key = idp
        .keys
        .key(idp, &kid)
        .await?
        .ok_or(Rejected::Invalid("unknown kid"))?;
    let signature = decode(signature_b64)?;
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    key.verify_signature(&alg, signing_input.as_bytes(), &signature)
        .map_err(|_| Rejected::Invalid("signature"))?;
    decode(payload_b64)
}

/// Verifies an access token; its claims when every check passes. A token that verified is
/// remembered (by its SHA-256, until it expires, at most a minute): a client calling the API
/// with the same token again costs no signature check.
pub async fn verify(idp: &Idp, token: &str) -> Result<AccessClaims, Rejected> {
    let digest: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes())
        .as_ref()
        .try_into()
        .map_err(|_| Rejected::Invalid("digest"))?;
    if let Some(claims) = idp.verified.get(&digest)
        && claims.exp > Utc::now().timestamp()
    {
        return Ok((*claims).clone());
    }
    let claims = verify_uncached(idp, token).await?;
    idp.verified
        .insert(digest, std::sync::Arc::new(claims.clone()));
    Ok(claims)
}

async fn verify_uncached(idp: &Idp, token: &str) -> Result<AccessClaims, Rejected> {
    let payload = verify_jws(idp, token, &["at+jwt", "application/at+jwt"]).await?;
    let claims: AccessClaims =
        serde_json::from_slice(&payload).map_err(|_| Rejected::Invalid("claims"))?;
    if claims.iss.trim_end_matches('/') != idp.issuer {
        return Err(Rejected::Invalid("issuer"));
    }
    if !claims.aud.contains(&idp.audience) {
        return Err(Rejected::Invalid("audience"));
    }
    let now = Utc::now().timestamp();
    if claims.exp <= now {
        return Err(Rejected::Invalid("expired"));
    }
    if claims.iat > now + IAT_LEEWAY_SECS {
        return Err(Rejected::Invalid("issued in the future"));
    }
    if claims.sub.is_empty() {
        return Err(Rejected::Invalid("no subject"));
    }
    Ok(claims)
}
