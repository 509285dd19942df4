//! Personal data inside event payloads.
//!
//! A [`Pii`] value serialises as `{"$pii": value}`. The event store finds every such object,
//! encrypts it with the subject's key before it is written, and decrypts it on the way out.
//! Once the subject's key is destroyed (erasure), it comes back as `{"$pii": null}`, which
//! deserialises as [`Pii::Erased`]. The domain never sees ciphertext.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The JSON key that marks personal data inside a payload.
pub const PII_MARKER: &str = "$pii";

/// A piece of personal data, or the hole it left after erasure.
#[derive(Clone, PartialEq, Eq)]
pub enum Pii<T> {
    /// The value, readable.
    Known(T),
    /// The subject's key was destroyed; the value can never be read again.
    Erased,
}

impl<T> Pii<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self::Known(value)
    }

    /// The value, unless erased.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Erased => None,
        }
    }

    /// Whether the value was erased.
    pub fn is_erased(&self) -> bool {
        matches!(self, Self::Erased)
    }
}

/// Never prints the value: personal data must not reach logs through `{:?}`.
impl<T> std::fmt::Debug for Pii<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Known(_) => f.write_str("Pii(<redacted>)"),
            Self::Erased => f.write_str("Pii(<erased>)"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Wire<T> {
    #[serde(rename = "$pii")]
    value: Option<T>,
}

impl<T: Serialize> Serialize for Pii<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire { value: self.known() }.serialize(serializer)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Pii<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::<T>::deserialize(deserializer)?;
        Ok(wire.value.map_or(Self::Erased, Self::Known))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_marks_personal_data() {
        let name = Pii::new("Ada Lovelace".to_owned());
        let json = serde_json::to_value(&name).unwrap();
        assert_eq!(json, serde_json::json!({"$pii": "Ada Lovelace"}));
        assert_eq!(serde_json::from_value::<Pii<String>>(json).unwrap(), name);
    }

    #[test]
    fn null_reads_as_erased_and_debug_never_shows_the_value() {
        let erased: Pii<String> = serde_json::from_value(serde_json::json!({"$pii": null})).unwrap();
        assert!(erased.is_erased());
        assert_eq!(format!("{:?}", Pii::new("secret")), "Pii(<redacted>)");
    }
}
