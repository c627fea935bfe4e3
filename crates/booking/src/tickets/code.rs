//! A ticket's code: what its QR code carries, verifiable offline with the platform's public key.
//!
//! `TK1.<payload>.<signature>`, both parts base64url without padding. The payload is the JSON
//! `{"t": ticketId, "e": eventId, "s": seatNumber}`; the signature is Ed25519 over the payload's
//! bytes (as decoded). A scanner that has the public key (`GET /api/tickets/public-key`) checks a
//! code without the network; whether the ticket was used or revoked is the server's to say.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

const PREFIX: &str = "TK1";

/// What a code says about its ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "t")]
    pub ticket_id: String,
    #[serde(rename = "e")]
    pub event_id: String,
    #[serde(rename = "s")]
    pub seat_number: String,
}

/// The platform's ticket signing key.
pub struct TicketSigner {
    key: SigningKey,
}

impl TicketSigner {
    /// From the 32-byte secret seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        TicketSigner { key: SigningKey::from_bytes(&seed) }
    }

    /// A new random seed.
    pub fn new_seed() -> [u8; 32] {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        seed
    }

    /// The public key, base64 (standard alphabet), as `GET /api/tickets/public-key` gives it.
    pub fn public_key(&self) -> String {
        STANDARD.encode(self.key.verifying_key().to_bytes())
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize");
        let sig = self.key.sign(&payload);
        format!("{PREFIX}.{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// The claims of a code this key signed; `None` for anything forged, altered or malformed.
    pub fn verify(&self, code: &str) -> Option<Claims> {
        verify_with(&self.key.verifying_key(), code)
    }
}

/// Check a code against a public key (what an offline scanner does).
pub fn verify_with(key: &VerifyingKey, code: &str) -> Option<Claims> {
    let mut parts = code.trim().split('.');
    let (prefix, payload, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if prefix != PREFIX || parts.next().is_some() {
        return None;
    }
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let sig: [u8; 64] = URL_SAFE_NO_PAD.decode(sig).ok()?.try_into().ok()?;
    key.verify(&payload, &Signature::from_bytes(&sig)).ok()?;
    serde_json::from_slice(&payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims { ticket_id: "b1-t1".into(), event_id: "e1".into(), seat_number: "A-1".into() }
    }

    #[test]
    fn a_signed_code_verifies_and_says_what_was_signed() {
        let s = TicketSigner::from_seed([7; 32]);
        let code = s.sign(&claims());
        assert_eq!(s.verify(&code), Some(claims()));
        let key = VerifyingKey::from_bytes(&STANDARD.decode(s.public_key()).unwrap().try_into().unwrap()).unwrap();
        assert_eq!(verify_with(&key, &code), Some(claims()), "offline, with the published key");
    }

    #[test]
    fn forged_altered_or_malformed_codes_are_refused() {
        let s = TicketSigner::from_seed([7; 32]);
        let other = TicketSigner::from_seed([8; 32]);
        let code = s.sign(&claims());
        assert_eq!(s.verify(&other.sign(&claims())), None, "another key");
        let mut altered = claims();
        altered.seat_number = "A-2".into();
        let parts: Vec<&str> = code.split('.').collect();
        let forged = format!("TK1.{}.{}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&altered).unwrap()), parts[2]);
        assert_eq!(s.verify(&forged), None, "payload changed, signature kept");
        for bad in ["", "TK1", "TK1..", "TK2.a.b", &format!("{code}.x"), "not a code at all"] {
            assert_eq!(s.verify(bad), None, "{bad:?}");
        }
    }
}
