//! The three key types, with aws-lc-rs only (never the `rsa` crate: RUSTSEC-2023-0071).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{self, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
    RsaPublicKeyComponents, UnparsedPublicKey,
};
use openidconnect::JsonWebKeyId;
use openidconnect::core::{CoreJsonCurveType, CoreJsonWebKey};
use zeroize::Zeroizing;

use super::{KeyError, SigningAlg};

/// Length of one P-256 coordinate (RFC 7518 §6.2.1.2: `x`/`y` are full-length octets).
const P256_COORD_LEN: usize = 32;

/// A private key of one of the allowlisted algorithms.
pub(super) enum KeyPair {
    /// RSA 2048, signs RS256 (RFC 7518 §3.3).
    Rsa(rsa::KeyPair),
    /// P-256, signs ES256 with the fixed-width `R || S` signature (RFC 7518 §3.4).
    Ec(EcdsaKeyPair),
    /// Ed25519, signs EdDSA (RFC 8037 §3.1).
    Ed(Ed25519KeyPair),
}

fn crypto(what: &str) -> KeyError {
    KeyError::Other(format!("{what} failed"))
}

impl KeyPair {
    /// A fresh key for `alg`.
    pub(super) fn generate(alg: SigningAlg) -> Result<Self, KeyError> {
        Ok(match alg {
            SigningAlg::Rs256 => Self::Rsa(
                rsa::KeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| crypto("RSA key generation"))?,
            ),
            SigningAlg::Es256 => Self::Ec(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| crypto("P-256 key generation"))?,
            ),
            SigningAlg::EdDsa => {
                Self::Ed(Ed25519KeyPair::generate().map_err(|_| crypto("Ed25519 key generation"))?)
            }
        })
    }

    /// Parses the PKCS#8 document [`Self::to_pkcs8`] produced.
    pub(super) fn from_pkcs8(alg: SigningAlg, der: &[u8]) -> Result<Self, KeyError> {
        let rejected =
            |e: aws_lc_rs::error::KeyRejected| KeyError::Other(format!("{alg} key: {e}"));
        Ok(match alg {
            SigningAlg::Rs256 => Self::Rsa(rsa::KeyPair::from_pkcs8(der).map_err(rejected)?),
            SigningAlg::Es256 => Self::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(rejected)?,
            ),
            SigningAlg::EdDsa => Self::Ed(Ed25519KeyPair::from_pkcs8(der).map_err(rejected)?),
        })
    }

    /// The private key as PKCS#8 DER (v1 for RSA and P-256, v2 for Ed25519), zeroized on drop.
    pub(super) fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let der = match self {
            Self::Rsa(k) => AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(k)
                .map(|d| Zeroizing::new(d.as_ref().to_vec())),
            Self::Ec(k) => k.to_pkcs8v1().map(|d| Zeroizing::new(d.as_ref().to_vec())),
            Self::Ed(k) => k.to_pkcs8().map(|d| Zeroizing::new(d.as_ref().to_vec())),
        };
        der.map_err(|_| crypto("PKCS#8 encoding"))
    }

    /// The public JWK (RFC 7517 §4) with `kid`, `use: sig` and `alg` (§4.4); no private member.
    pub(super) fn public_jwk(
        &self,
        kid: &str,
        alg: SigningAlg,
    ) -> Result<CoreJsonWebKey, KeyError> {
        let kid = Some(JsonWebKeyId::new(kid.to_owned()));
        let jwk = match self {
            // RFC 7518 §6.3.1: n and e as unsigned big-endian integers without leading zeros.
            Self::Rsa(k) => {
                let parts = RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
                CoreJsonWebKey::new_rsa(parts.n, parts.e, kid)
            }
            // RFC 7518 §6.2.1: the uncompressed point is 0x04 || x || y.
            Self::Ec(k) => {
                let point = k.public_key().as_ref();
                if point.len() != 1 + 2 * P256_COORD_LEN || point[0] != 0x04 {
                    return Err(crypto("P-256 public point encoding"));
                }
                let (x, y) = point[1..].split_at(P256_COORD_LEN);
                CoreJsonWebKey::new_ec(x.to_vec(), y.to_vec(), CoreJsonCurveType::P256, kid)
            }
            // RFC 8037 §2: kty OKP, crv Ed25519, x = the 32-byte public key.
            Self::Ed(k) => CoreJsonWebKey::new_okp(
                k.public_key().as_ref().to_vec(),
                CoreJsonCurveType::Ed25519,
                kid,
            ),
        };
        with_alg(jwk, alg)
    }

    /// The public key, parsed once for verification (RFC 7518 §3.3, §3.4; RFC 8037 §3.1).
    pub(super) fn verifier(&self) -> Result<ParsedPublicKey, KeyError> {
        let parsed = match self {
            Self::Rsa(k) => {
                UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, k.public_key().as_ref()).parse()
            }
            Self::Ec(k) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, k.public_key().as_ref()).parse()
            }
            Self::Ed(k) => UnparsedPublicKey::new(&ED25519, k.public_key().as_ref()).parse(),
        };
        parsed.map_err(|e| KeyError::Other(format!("public key: {e}")))
    }

    /// The JWS signature over `msg` (RFC 7515 §5.1 step 5).
    pub(super) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            Self::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig)
                    .map_err(|_| crypto("RS256 signing"))?;
                Ok(sig)
            }
            Self::Ec(k) => k
                .sign(&SystemRandom::new(), msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| crypto("ES256 signing")),
            Self::Ed(k) => Ok(k.sign(msg).as_ref().to_vec()),
        }
    }
}

/// Adds the `alg` member; the `CoreJsonWebKey` constructors leave it out and have no setter,
/// so it goes through the key's own (de)serialisation.
fn with_alg(jwk: CoreJsonWebKey, alg: SigningAlg) -> Result<CoreJsonWebKey, KeyError> {
    let mut value = serde_json::to_value(&jwk).map_err(|e| KeyError::Other(e.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.insert("alg".into(), alg.as_str().into());
    }
    serde_json::from_value(value).map_err(|e| KeyError::Other(e.to_string()))
}
