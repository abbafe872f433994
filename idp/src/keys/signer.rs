//! [`SigningKey`]: one decrypted private key, its public JWK and its parsed verification key.

use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::{PrivateSigningKey, SigningError};
use serde::Serialize;
use zeroize::Zeroizing;

use super::keypair::KeyPair;
use super::{KeyError, SigningAlg, jws};

/// Random bytes in a kid (16 bytes = 128 bits, 22 base64url characters).
const KID_BYTES: usize = 16;

/// One private signing key, decrypted in memory.
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    pair: KeyPair,
    jwk: CoreJsonWebKey,
    verifier: ParsedPublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private part.
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// A new random kid (RFC 7517 §4.5 leaves its form to us).
fn new_kid() -> Result<String, KeyError> {
    let mut bytes = [0u8; KID_BYTES];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| KeyError::Other("no randomness".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl SigningKey {
    fn from_pair(kid: String, alg: SigningAlg, pair: KeyPair) -> Result<Self, KeyError> {
        let jwk = pair.public_jwk(&kid, alg)?;
        let verifier = pair.verifier()?;
        Ok(SigningKey {
            kid,
            alg,
            pair,
            jwk,
            verifier,
        })
    }

    /// A fresh key with a new kid, and its private part as PKCS#8 (to be sealed).
    pub(super) fn generate(alg: SigningAlg) -> Result<(Self, Zeroizing<Vec<u8>>), KeyError> {
        let pair = KeyPair::generate(alg)?;
        let pkcs8 = pair.to_pkcs8()?;
        Ok((Self::from_pair(new_kid()?, alg, pair)?, pkcs8))
    }

    /// Rebuilds a stored key from its unsealed PKCS#8 document.
    pub(super) fn from_pkcs8(kid: &str, alg: SigningAlg, der: &[u8]) -> Result<Self, KeyError> {
        let pair = KeyPair::from_pkcs8(alg, der).map_err(|e| KeyError::Corrupt {
            kid: kid.to_owned(),
            reason: e.to_string(),
        })?;
        Self::from_pair(kid.to_owned(), alg, pair)
    }

    /// Key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Algorithm.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The algorithm as `openidconnect` names it, for `CoreIdToken::new(…, &*key, key.jws_alg(), …)`.
    pub fn jws_alg(&self) -> CoreJwsSigningAlgorithm {
        self.alg.jws_alg()
    }

    /// The public JWK as published in the JWKS (kty, use, kid, alg and public members only).
    pub fn jwk(&self) -> &CoreJsonWebKey {
        &self.jwk
    }

    /// Signs `claims` as a compact JWS with header `{alg, kid, typ}`.
    pub fn sign_jwt<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, KeyError> {
        jws::sign(self, typ, claims)
    }

    /// Raw signature over a JWS signing input.
    pub(super) fn sign_bytes(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.pair.sign(msg)
    }

    /// Checks a signature made by this key's private part.
    pub(super) fn verify_bytes(&self, msg: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        self.verifier
            .verify_sig(msg, signature)
            .map_err(|_| KeyError::InvalidToken)
    }
}

impl PrivateSigningKey for SigningKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(
        &self,
        signature_alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SigningError> {
        // A key signs with its own algorithm only (RFC 7517 §4.4; RFC 8725 §3.1).
        if *signature_alg != self.jws_alg() {
            let name = serde_json::to_value(signature_alg)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("{signature_alg:?}"));
            return Err(SigningError::UnsupportedAlg(name));
        }
        self.sign_bytes(message)
            .map_err(|e| SigningError::Other(e.to_string()))
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        self.jwk.clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use openidconnect::{JsonWebKey, JsonWebKeyAlgorithm};

    use super::*;

    #[test]
    fn jwk_for_each_alg_is_public_and_labelled() {
        for (alg, kty, crv) in [
            (SigningAlg::Rs256, "RSA", None),
            (SigningAlg::Es256, "EC", Some("P-256")),
            (SigningAlg::EdDsa, "OKP", Some("Ed25519")),
        ] {
            let (key, _) = SigningKey::generate(alg).unwrap();
            let jwk = serde_json::to_value(key.jwk()).unwrap();
            assert_eq!(jwk["kty"], kty, "{alg}");
            assert_eq!(jwk["kid"], key.kid(), "{alg}");
            assert_eq!(jwk["alg"], alg.as_str(), "{alg}");
            assert_eq!(jwk["use"], "sig", "{alg}");
            assert_eq!(jwk.get("crv").and_then(|c| c.as_str()), crv, "{alg}");
            // RFC 7517 §9.2, RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2: no private member.
            for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
                assert!(jwk.get(private).is_none(), "{alg} has {private}");
            }
            assert_eq!(key.kid().len(), 22);
            assert!(matches!(
                key.jwk().signing_alg(),
                JsonWebKeyAlgorithm::Algorithm(a) if *a == key.jws_alg()
            ));
        }
        let (ec, _) = SigningKey::generate(SigningAlg::Es256).unwrap();
        let jwk = serde_json::to_value(ec.jwk()).unwrap();
        for coord in ["x", "y"] {
            let bytes = URL_SAFE_NO_PAD
                .decode(jwk[coord].as_str().unwrap())
                .unwrap();
            assert_eq!(bytes.len(), 32);
        }
    }

    #[test]
    fn pkcs8_round_trip_keeps_the_key() {
        for alg in SigningAlg::ALL {
            let (key, der) = SigningKey::generate(alg).unwrap();
            let back = SigningKey::from_pkcs8(key.kid(), alg, &der).unwrap();
            assert_eq!(back.jwk(), key.jwk());
            let sig = back.sign_bytes(b"msg").unwrap();
            key.verify_bytes(b"msg", &sig).unwrap();
            assert!(SigningKey::from_pkcs8(key.kid(), alg, &der[1..]).is_err());
        }
    }

    #[test]
    fn private_signing_key_refuses_other_algs_and_openidconnect_verifies() {
        for alg in SigningAlg::ALL {
            let (key, _) = SigningKey::generate(alg).unwrap();
            for other in [
                CoreJwsSigningAlgorithm::None,
                CoreJwsSigningAlgorithm::HmacSha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::EdDsa,
            ] {
                if other != key.jws_alg() {
                    assert!(matches!(
                        PrivateSigningKey::sign(&key, &other, b"m"),
                        Err(SigningError::UnsupportedAlg(_))
                    ));
                }
            }
            let sig = PrivateSigningKey::sign(&key, &key.jws_alg(), b"m").unwrap();
            // The published JWK verifies through openidconnect's own code, as an RP would.
            key.as_verification_key()
                .verify_signature(&key.jws_alg(), b"m", &sig)
                .unwrap();
        }
    }

    #[test]
    fn core_id_token_signs_with_at_hash() {
        use openidconnect::core::{CoreIdToken, CoreIdTokenClaims};
        use openidconnect::{
            AccessToken, Audience, EmptyAdditionalClaims, IssuerUrl, StandardClaims,
            SubjectIdentifier,
        };
        for alg in SigningAlg::ALL {
            let (key, _) = SigningKey::generate(alg).unwrap();
            let now = chrono::Utc::now();
            let claims = CoreIdTokenClaims::new(
                IssuerUrl::new("https://idp.example".into()).unwrap(),
                vec![Audience::new("rp".into())],
                now + chrono::TimeDelta::minutes(5),
                now,
                StandardClaims::new(SubjectIdentifier::new("alice".into())),
                EmptyAdditionalClaims {},
            );
            let at = AccessToken::new("access".into());
            let token = CoreIdToken::new(claims, &key, key.jws_alg(), Some(&at), None).unwrap();
            let compact = token.to_string();
            let parsed = jws::parse(&compact).unwrap();
            assert_eq!(parsed.kid, key.kid());
            let payload: serde_json::Value =
                serde_json::from_slice(&jws::verify(&parsed, &key).unwrap()).unwrap();
            assert_eq!(payload["sub"], "alice");
            assert!(payload["at_hash"].is_string(), "{alg}");
        }
    }
}
