//! The JWS algorithms the idp signs with (RFC 7518 §3.1, RFC 8037 §3.1).

use openidconnect::core::CoreJwsSigningAlgorithm;
use serde::{Deserialize, Serialize};

/// A signing algorithm on the allowlist; `none` is not one and never will be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys: the OIDC default (Core §15.1).
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA P-256 with SHA-256.
    #[serde(rename = "ES256")]
    Es256,
    /// Ed25519.
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl SigningAlg {
    /// All algorithms, in the order discovery lists them.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    /// The algorithm as `openidconnect` names it (discovery, `CoreIdToken::new`, verifiers):
    /// the one mapping from ours to theirs.
    pub fn jws_alg(self) -> CoreJwsSigningAlgorithm {
        match self {
            SigningAlg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            SigningAlg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            SigningAlg::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
        }
    }

    /// Parses a JWS `alg` name from the allowlist.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == name)
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_names_are_openidconnects_names() {
        for alg in SigningAlg::ALL {
            assert_eq!(
                serde_json::to_value(alg.jws_alg()).ok(),
                Some(serde_json::Value::from(alg.as_str())),
                "{alg}"
            );
            assert_eq!(SigningAlg::parse(alg.as_str()), Some(alg));
        }
    }
}
