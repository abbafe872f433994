//! Compact JWS (RFC 7515 §7.1): `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`.
//!
//! Signing and verification share this file so a test of one exercises the other's code path.
//! It is the one place a JOSE header is read: the features ask [`Parsed::typ_is`] rather than
//! decoding the header again.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::{KeyError, SigningAlg, SigningKey};

/// Longest token `parse` looks at; ours are a few KiB.
const MAX_JWS_LEN: usize = 32 * 1024;

#[derive(Serialize)]
struct OutHeader<'a> {
    alg: &'a str,
    kid: &'a str,
    typ: &'a str,
}

/// The header members verification reads; others are ignored (RFC 7515 §4).
#[derive(Deserialize)]
struct InHeader {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    crit: Option<serde_json::Value>,
}

/// Signs `claims` under `key` (RFC 7515 §5.1).
pub(super) fn sign<T: Serialize>(
    key: &SigningKey,
    typ: &str,
    claims: &T,
) -> Result<String, KeyError> {
    let header = OutHeader {
        alg: key.alg().as_str(),
        kid: key.kid(),
        typ,
    };
    let header = serde_json::to_vec(&header).map_err(|e| KeyError::Other(e.to_string()))?;
    let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Other(e.to_string()))?;
    let mut out = URL_SAFE_NO_PAD.encode(header);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    let signature = key.sign_bytes(out.as_bytes())?;
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut out);
    Ok(out)
}

/// A compact JWS split and its header read, signature not yet checked
/// ([`super::KeyRing::verify_parsed`] checks it).
#[derive(Debug)]
pub struct Parsed<'a> {
    /// The header `alg`, already known to be on the allowlist.
    pub(super) alg: SigningAlg,
    /// The header `kid`.
    pub(super) kid: String,
    typ: Option<String>,
    signing_input: &'a str,
    payload: &'a str,
    signature: Vec<u8>,
}

impl Parsed<'_> {
    /// Whether the header `typ` is `expected`, compared without regard to case as RFC 7515
    /// §4.1.9 advises (RFC 8725 §3.11: explicit typing keeps one kind of JWT from being
    /// accepted as another). A header without `typ` matches nothing.
    pub fn typ_is(&self, expected: &str) -> bool {
        self.typ
            .as_deref()
            .is_some_and(|typ| typ.eq_ignore_ascii_case(expected))
    }
}

/// Splits and decodes a compact JWS; refuses any `alg` off the allowlist, `none` included.
pub fn parse(jws: &str) -> Result<Parsed<'_>, KeyError> {
    if jws.len() > MAX_JWS_LEN {
        return Err(KeyError::InvalidToken);
    }
    // RFC 7515 §7.1: exactly three parts (five would be JWE, RFC 7516 §7.1).
    let mut parts = jws.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(KeyError::InvalidToken);
    };
    let signing_input = &jws[..header.len() + 1 + payload.len()];
    // RFC 7515 §2: base64url without padding; the engine refuses padding and non-canonical tails.
    let header = decode(header)?;
    // Duplicate member names are refused by the derived deserializer (RFC 7515 §4).
    let header: InHeader = serde_json::from_slice(&header).map_err(|_| KeyError::InvalidToken)?;
    // RFC 7515 §4.1.11: we understand no extension, so any `crit` means reject.
    if header.crit.is_some() {
        return Err(KeyError::InvalidToken);
    }
    // RFC 7518 §3.6 / RFC 8725 §3.1: `none` and anything else off the allowlist is refused.
    let alg = SigningAlg::parse(&header.alg).ok_or(KeyError::InvalidToken)?;
    // RFC 7515 §4.1.4: optional in general, but every key we publish has one and we sign with it.
    let kid = header.kid.ok_or(KeyError::InvalidToken)?;
    Ok(Parsed {
        alg,
        kid,
        typ: header.typ,
        signing_input,
        payload,
        signature: decode(signature)?,
    })
}

/// Checks the signature with `key` and returns the decoded payload.
pub(super) fn verify(parsed: &Parsed<'_>, key: &SigningKey) -> Result<Vec<u8>, KeyError> {
    // RFC 8725 §3.1 / RFC 7517 §4.4: the header alg must be the one the key is for.
    if parsed.alg != key.alg() || parsed.kid != key.kid() {
        return Err(KeyError::InvalidToken);
    }
    // RFC 7515 §5.2 step 8: validate over ASCII(header . payload).
    key.verify_bytes(parsed.signing_input.as_bytes(), &parsed.signature)?;
    decode(parsed.payload)
}

fn decode(part: &str) -> Result<Vec<u8>, KeyError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| KeyError::InvalidToken)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn key(alg: SigningAlg) -> SigningKey {
        SigningKey::generate(alg).unwrap().0
    }

    fn verify_str(jws: &str, key: &SigningKey) -> Result<Vec<u8>, KeyError> {
        verify(&parse(jws)?, key)
    }

    /// A token with `header` (as JSON) over `payload`, signed by `key` regardless of the header.
    fn forge(header: &serde_json::Value, payload: &str, key: &SigningKey) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let sig = key.sign_bytes(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    #[test]
    fn sign_then_verify_each_alg() {
        let claims = serde_json::json!({"sub": "alice", "n": 1});
        for alg in SigningAlg::ALL {
            let key = key(alg);
            let jws = key.sign_jwt("JWT", &claims).unwrap();
            let header: serde_json::Value =
                serde_json::from_slice(&decode(jws.split('.').next().unwrap()).unwrap()).unwrap();
            assert_eq!(
                header,
                serde_json::json!({"alg": alg.as_str(), "kid": key.kid(), "typ": "JWT"})
            );
            let payload = verify_str(&jws, &key).unwrap();
            assert_eq!(
                serde_json::from_slice::<serde_json::Value>(&payload).unwrap(),
                claims
            );
        }
    }

    #[test]
    fn signature_from_another_key_or_changed_payload_refused() {
        let a = key(SigningAlg::Es256);
        let b = key(SigningAlg::Es256);
        let jws = a.sign_jwt("JWT", &serde_json::json!({"sub": "a"})).unwrap();
        // Same kid claimed, other key: the kid check and the signature both refuse.
        assert!(verify_str(&jws, &b).is_err());
        let mut parts: Vec<&str> = jws.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(r#"{"sub":"b"}"#);
        parts[1] = &other;
        assert!(matches!(
            verify_str(&parts.join("."), &a),
            Err(KeyError::InvalidToken)
        ));
    }

    #[test]
    fn none_and_mismatched_alg_refused() {
        let rsa = key(SigningAlg::Rs256);
        let header = serde_json::json!({"alg": "none", "kid": rsa.kid()});
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode("{}")
        );
        assert!(matches!(parse(&unsigned), Err(KeyError::InvalidToken)));
        for alg in ["None", "NONE", "HS256", "RS512", "PS256", ""] {
            let token = forge(
                &serde_json::json!({"alg": alg, "kid": rsa.kid()}),
                "{}",
                &rsa,
            );
            assert!(
                matches!(parse(&token), Err(KeyError::InvalidToken)),
                "{alg}"
            );
        }
        // Header names an allowlisted alg other than the key's.
        for alg in ["ES256", "EdDSA"] {
            let token = forge(
                &serde_json::json!({"alg": alg, "kid": rsa.kid()}),
                "{}",
                &rsa,
            );
            assert!(
                matches!(verify_str(&token, &rsa), Err(KeyError::InvalidToken)),
                "{alg}"
            );
        }
        let ok = forge(
            &serde_json::json!({"alg": "RS256", "kid": rsa.kid()}),
            "{}",
            &rsa,
        );
        assert!(verify_str(&ok, &rsa).is_ok());
    }

    #[test]
    fn typ_is_read_from_the_one_header_decoder() {
        let es = key(SigningAlg::Es256);
        let at = es.sign_jwt("at+jwt", &serde_json::json!({})).unwrap();
        let parsed = parse(&at).unwrap();
        assert!(parsed.typ_is("at+jwt"));
        assert!(parsed.typ_is("AT+JWT"), "compared without regard to case");
        assert!(!parsed.typ_is("logout+jwt"));
        let untyped = forge(
            &serde_json::json!({"alg": "ES256", "kid": es.kid()}),
            "{}",
            &es,
        );
        assert!(
            !parse(&untyped).unwrap().typ_is("JWT"),
            "no typ matches nothing"
        );
    }

    #[test]
    fn malformed_tokens_refused() {
        let ed = key(SigningAlg::EdDsa);
        let good = ed.sign_jwt("JWT", &serde_json::json!({})).unwrap();
        let no_kid = forge(&serde_json::json!({"alg": "EdDSA"}), "{}", &ed);
        let crit = forge(
            &serde_json::json!({"alg": "EdDSA", "kid": ed.kid(), "crit": ["b64"], "b64": false}),
            "{}",
            &ed,
        );
        let padded = format!("{good}=");
        let too_many = format!("{good}.x");
        let dup = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(format!(
                r#"{{"alg":"EdDSA","alg":"none","kid":"{}"}}"#,
                ed.kid()
            )),
            "e30.AAAA"
        );
        for bad in [
            "",
            "a.b",
            too_many.as_str(),
            padded.as_str(),
            no_kid.as_str(),
            crit.as_str(),
            dup.as_str(),
            "!!.e30.AAAA",
        ] {
            assert!(verify_str(bad, &ed).is_err(), "{bad}");
        }
        assert!(verify_str(&good, &ed).is_ok());
    }
}

/// Any text is parsed or refused, never a panic, and whatever passes has three parts.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_is_parsed_or_refused(jws in "\\PC{0,600}") {
            let _ = parse(&jws);
        }

        #[test]
        fn any_three_base64url_parts_are_parsed_or_refused(
            header in "[A-Za-z0-9_-]{0,200}",
            payload in "[A-Za-z0-9_-]{0,300}",
            signature in "[A-Za-z0-9_-]{0,100}",
            extra in prop::option::of("[A-Za-z0-9_.-]{0,20}"),
        ) {
            let jws = match extra {
                Some(extra) => format!("{header}.{payload}.{signature}.{extra}"),
                None => format!("{header}.{payload}.{signature}"),
            };
            if parse(&jws).is_ok() {
                prop_assert_eq!(jws.split('.').count(), 3);
            }
        }
    }
}
