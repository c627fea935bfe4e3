//! Signed webhooks (payment -> booking): HMAC-SHA256 over `"{timestamp}.{raw body}"` with a secret
//! both services share, hex encoded in `X-Webhook-Signature: sha256=<hex>`, the Unix timestamp (s)
//! in `X-Webhook-Timestamp`. Signing the timestamp with the body lets the receiver refuse a replay of
//! an old message ([`MAX_AGE_SECS`]); the comparison is constant-time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const PATH: &str = "/api/bookings/webhooks/payment";
pub const TIMESTAMP_HEADER: &str = "x-webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "x-webhook-signature";
/// A webhook older (or further in the future) than this is refused.
pub const MAX_AGE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// `sha256=<hex>` for this timestamp and body.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    Malformed,
    Stale,
    BadSignature,
}

/// Check a received webhook; `now_secs` is the receiver's clock.
pub fn verify(secret: &[u8], timestamp: &str, signature: &str, body: &[u8], now_secs: i64) -> Result<(), Rejected> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| Rejected::Malformed)?;
    if (now_secs - ts).abs() > MAX_AGE_SECS {
        return Err(Rejected::Stale);
    }
    let hex_sig = signature.trim().strip_prefix("sha256=").ok_or(Rejected::Malformed)?;
    let raw = hex::decode(hex_sig).map_err(|_| Rejected::Malformed)?;
    mac(secret, ts, body).verify_slice(&raw).map_err(|_| Rejected::BadSignature)
}

/// A secret derived from another one for a different purpose (the webhook secret from the JWT
/// secret when none is configured), so the two never coincide.
pub fn derive_secret(master: &[u8], purpose: &str) -> String {
    let mut m = HmacSha256::new_from_slice(master).expect("HMAC takes a key of any length");
    m.update(purpose.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let s = b"secret";
        let sig = sign(s, 1000, b"{}");
        assert_eq!(verify(s, "1000", &sig, b"{}", 1010), Ok(()));
        assert_eq!(verify(s, "1000", &sig, b"{ }", 1010), Err(Rejected::BadSignature));
        assert_eq!(verify(b"other", "1000", &sig, b"{}", 1010), Err(Rejected::BadSignature));
        assert_eq!(verify(s, "1000", &sig, b"{}", 1000 + MAX_AGE_SECS + 1), Err(Rejected::Stale));
        assert_eq!(verify(s, "x", &sig, b"{}", 1000), Err(Rejected::Malformed));
        assert_eq!(verify(s, "1000", "sha256=zz", b"{}", 1000), Err(Rejected::Malformed));
    }
}
