//! A payment card as a buyer sends it. The number and cvv exist only in memory for the length of a
//! charge: they are never stored, and [`Card`]'s `Debug` shows only the last four digits, so a
//! `{:?}` in a log line cannot leak them.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};

/// `paymentMethod` of a booking request (shared/API.md §6).
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    /// `CREDIT_CARD`.
    #[serde(rename = "type", default = "credit_card")]
    #[schema(example = "CREDIT_CARD")]
    pub kind: String,
    /// Test cards: 4242424242424242 succeeds, 4000000000000002 is declined.
    #[schema(example = "4242424242424242")]
    pub card_number: String,
    pub expiry_month: u32,
    pub expiry_year: u32,
    pub cvv: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardholder_name: Option<String>,
}

fn credit_card() -> String {
    "CREDIT_CARD".into()
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card")
            .field("kind", &self.kind)
            .field("card_number", &format_args!("****{}", self.last4()))
            .field("expiry", &format_args!("{:02}/{}", self.expiry_month, self.expiry_year))
            .field("cvv", &"***")
            .finish()
    }
}

/// The Luhn checksum (ISO/IEC 7812).
pub fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = (b - b'0') as u32;
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

impl Card {
    /// The number without spaces or dashes.
    pub fn digits(&self) -> String {
        self.card_number.chars().filter(|c| !matches!(c, ' ' | '-')).collect()
    }

    pub fn last4(&self) -> String {
        let d = self.digits();
        let n = d.chars().count();
        d.chars().skip(n.saturating_sub(4)).collect()
    }

    /// Check the card as a gateway would before charging: type, Luhn, a future expiry, a 3-digit cvv.
    /// `now_ms` is the current time. Errors name the field.
    pub fn validate(&self, now_ms: i64) -> Result<(), ApiError> {
        if self.kind != "CREDIT_CARD" {
            return Err(ApiError::validation("paymentMethod.type", "must be CREDIT_CARD"));
        }
        let d = self.digits();
        if !(12..=19).contains(&d.len()) || !d.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::validation("paymentMethod.cardNumber", "must be 12 to 19 digits"));
        }
        if !luhn_ok(&d) {
            return Err(ApiError::validation("paymentMethod.cardNumber", "is not a valid card number (Luhn check failed)"));
        }
        if !(1..=12).contains(&self.expiry_month) {
            return Err(ApiError::validation("paymentMethod.expiryMonth", "must be 1 to 12"));
        }
        let year = if self.expiry_year < 100 { 2000 + self.expiry_year } else { self.expiry_year };
        if !(2000..=2200).contains(&year) {
            return Err(ApiError::validation("paymentMethod.expiryYear", "is not a year"));
        }
        use chrono::Datelike;
        let today = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(now_ms).unwrap_or_default();
        let (y, m) = (today.year() as u32, today.month());
        // A card is valid through the last day of its expiry month.
        if year < y || (year == y && self.expiry_month < m) {
            return Err(ApiError::validation("paymentMethod.expiryYear", "the card has expired"));
        }
        if self.cvv.len() != 3 || !self.cvv.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::validation("paymentMethod.cvv", "must be 3 digits"));
        }
        if let Some(n) = &self.cardholder_name {
            if n.chars().count() > 200 {
                return Err(ApiError::validation("paymentMethod.cardholderName", "must be at most 200 characters"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(n: &str) -> Card {
        Card {
            kind: "CREDIT_CARD".into(),
            card_number: n.into(),
            expiry_month: 12,
            expiry_year: 2099,
            cvv: "123".into(),
            cardholder_name: None,
        }
    }

    #[test]
    fn luhn_and_debug() {
        assert!(luhn_ok("4242424242424242"));
        assert!(luhn_ok("4000000000000002"));
        assert!(luhn_ok("4000000000009995"));
        assert!(!luhn_ok("4242424242424241"));
        let c = card("4242 4242 4242 4242");
        assert!(c.validate(crate::time::now_ms()).is_ok());
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("42424242") && !dbg.contains("123"), "{dbg}");
        assert!(dbg.contains("4242"));
        assert_eq!(card("4242424242424241").validate(0).unwrap_err().details["field"], "paymentMethod.cardNumber");
        let mut old = card("4242424242424242");
        old.expiry_year = 2020;
        assert!(old.validate(crate::time::now_ms()).is_err());
        let mut cvv = card("4242424242424242");
        cvv.cvv = "12a".into();
        assert!(cvv.validate(0).is_err());
    }
}
