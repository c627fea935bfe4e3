//! State enums stored as text.
//!
//! Every status column of the platform holds one of a few upper-case words (`PENDING`,
//! `CONFIRMED`...). In Rust they are enums, so a typo is a compile error instead of a runtime bug;
//! in the database and on the wire they stay the words the contract names. [`text_enum!`] declares
//! such an enum once: serde (as the word), `as_str` (to bind it in SQL), `TryFrom<String>` (to read
//! it back with `#[sqlx(try_from = "String")]`), `Display` and an OpenAPI schema.

/// `text_enum! { /// doc  pub enum Name { /// doc  Variant = "WORD", ... } }`
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The stored and wire text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        // By hand: utoipa's derive does not see the `serde(rename)` of a macro's literal and would
        // describe the variants' Rust names, not the words on the wire.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("{other:?} is not a {}", stringify!($name))),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }
    };
}

text_enum! {
    /// Where a payment stands (shared/API.md §7). A charge is recorded `PENDING` before the gateway
    /// is asked, so a crash mid-charge leaves a record that can be settled.
    pub enum PaymentStatus {
        Pending = "PENDING",
        Success = "SUCCESS",
        Failed = "FAILED",
        Refunded = "REFUNDED",
    }
}

impl PaymentStatus {
    /// Decided: the money moved or it never will.
    pub fn is_decided(self) -> bool {
        self != PaymentStatus::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus;

    #[test]
    fn the_text_is_the_stored_and_wire_form() {
        for s in [PaymentStatus::Pending, PaymentStatus::Success, PaymentStatus::Failed, PaymentStatus::Refunded] {
            assert_eq!(s.as_str().parse::<PaymentStatus>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert!(PaymentStatus::try_from("pending".to_string()).is_err());
    }
}
