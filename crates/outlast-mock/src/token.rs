//! Signed access tokens: `v1.<base64url(claims)>.<base64url(HMAC-SHA256)>`. Any listener holding
//! the key verifies them locally, so gateways and the API keep serving signed-in users while the
//! auth service is down, as the protocol requires.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use outlast_protocol::{AccessToken, ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user.
    sub: String,
    /// Expiry, ms since the Unix epoch.
    exp: u64,
}

#[derive(Clone)]
pub(crate) struct TokenKey {
    key: Vec<u8>,
}

impl TokenKey {
    pub fn new(key: &[u8]) -> Self {
        TokenKey { key: key.to_vec() }
    }

    pub fn issue(&self, user_id: &str, expires_at_ms: u64) -> AccessToken {
        let claims = serde_json::to_vec(&Claims {
            sub: user_id.to_owned(),
            exp: expires_at_ms,
        })
        .expect("claims serialise");
        let payload = URL_SAFE_NO_PAD.encode(claims);
        let signature = URL_SAFE_NO_PAD.encode(self.sign(payload.as_bytes()));
        AccessToken::new(format!("v1.{payload}.{signature}"))
    }

    /// The user the token was issued to, if the signature is ours and it has not expired (by
    /// the clock, or because every token expiring by `revoked_until_exp` was expired early).
    pub fn verify(
        &self,
        token: &str,
        now_ms: u64,
        revoked_until_exp: u64,
    ) -> Result<String, ApiError> {
        let invalid = || ApiError::new(ErrorCode::Unauthorized, "invalid access token");
        let mut parts = token.splitn(3, '.');
        let (Some("v1"), Some(payload), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature).map_err(|_| invalid())?;
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(invalid)?;
        if claims.exp <= now_ms || claims.exp <= revoked_until_exp {
            return Err(ApiError::new(
                ErrorCode::TokenExpired,
                "the access token has expired; refresh it",
            ));
        }
        Ok(claims.sub)
    }

    fn sign(&self, payload: &[u8]) -> Vec<u8> {
        let mut mac = self.mac();
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let key = TokenKey::new(b"k");
        let token = key.issue("u-demo", 1_000);
        assert_eq!(key.verify(token.expose(), 999, 0).unwrap(), "u-demo");
        assert_eq!(
            key.verify(token.expose(), 1_000, 0).unwrap_err().code,
            ErrorCode::TokenExpired
        );
    }

    #[test]
    fn forged_or_mangled_tokens_are_refused() {
        let key = TokenKey::new(b"k");
        let other = TokenKey::new(b"other");
        let token = other.issue("u-demo", u64::MAX);
        assert_eq!(
            key.verify(token.expose(), 0, 0).unwrap_err().code,
            ErrorCode::Unauthorized
        );
        for bad in ["", "v1", "v1..", "v2.a.b", "v1.!!!.###", "mock-123"] {
            assert_eq!(
                key.verify(bad, 0, 0).unwrap_err().code,
                ErrorCode::Unauthorized,
                "{bad}"
            );
        }
        // Changing the claims breaks the signature.
        let good = key.issue("u-demo", u64::MAX);
        let (_, rest) = good.expose().split_at(3);
        let signature = rest.rsplit('.').next().unwrap();
        let forged_claims =
            URL_SAFE_NO_PAD.encode(br#"{"sub":"u-jun","exp":18446744073709551615}"#);
        let forged = format!("v1.{forged_claims}.{signature}");
        assert!(key.verify(&forged, 0, 0).is_err());
    }
}
