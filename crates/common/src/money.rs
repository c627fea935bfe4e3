//! Money as integer cents. On the wire it is a JSON number with at most two decimals; it is written
//! and read as decimal text (serde_json's `RawValue`), so no amount ever passes through `f64`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

/// The largest amount we accept: 10 million in any currency unit.
pub const MAX_CENTS: i64 = 1_000_000_000;

impl Money {
    pub fn cents(self) -> i64 {
        self.0
    }
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
    /// Parse decimal text such as `75`, `75.5`, `75.00`. More than two decimals, exponents, signs
    /// other than a leading minus, or amounts beyond [`MAX_CENTS`] are refused.
    pub fn parse(text: &str) -> Result<Money, String> {
        let t = text.trim();
        let (neg, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("'{t}' is not a decimal amount"));
        }
        if digits.contains('.') && frac.is_empty() {
            return Err(format!("'{t}' is not a decimal amount"));
        }
        if frac.len() > 2 {
            return Err("at most two decimals".into());
        }
        if int.len() > 10 {
            return Err("amount too large".into());
        }
        let whole: i64 = int.parse().map_err(|_| "amount too large".to_string())?;
        let mut cents_part: i64 = if frac.is_empty() { 0 } else { frac.parse().unwrap_or(0) };
        if frac.len() == 1 {
            cents_part *= 10;
        }
        let cents = whole.checked_mul(100).and_then(|w| w.checked_add(cents_part)).ok_or("amount too large")?;
        if cents > MAX_CENTS {
            return Err("amount too large".into());
        }
        Ok(Money(if neg { -cents } else { cents }))
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Exact decimal text; `RawValue` makes serde_json write it as a number.
        let raw = RawValue::from_string(self.to_decimal_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(d)?;
        let text = raw.get();
        if text.starts_with('"') {
            return Err(D::Error::custom("expected a number, found a string"));
        }
        Money::parse(text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(Money::parse("75").unwrap(), Money(7500));
        assert_eq!(Money::parse("75.5").unwrap(), Money(7550));
        assert_eq!(Money::parse("0.29").unwrap(), Money(29));
        assert!(Money::parse("1.234").is_err());
        assert!(Money::parse("1e3").is_err());
        assert!(Money::parse("").is_err());
        assert!(Money::parse("1.").is_err());
        assert_eq!(Money(7550).to_decimal_string(), "75.50");
        assert_eq!(serde_json::to_string(&Money(29)).unwrap(), "0.29");
    }

    #[test]
    fn deserializes_inside_a_struct() {
        #[derive(serde::Deserialize)]
        struct P {
            price: Money,
        }
        let p: P = serde_json::from_str(r#"{"price": 12.30}"#).unwrap();
        assert_eq!(p.price, Money(1230));
        assert!(serde_json::from_str::<P>(r#"{"price": "12.30"}"#).is_err());
        assert!(serde_json::from_str::<P>(r#"{"price": 12.345}"#).is_err());
    }
}
