//! Subject identity: a lead's stream id is a keyed hash of the person's normalised profile URL
//! (or email), so discovering the same person again lands on the same stream, and an opted-out
//! or erased person can never be re-added under a new id.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Not a URL, or not http(s), or no host.
    #[error("not a valid profile URL: {0}")]
    InvalidUrl(String),
    /// Not an email address.
    #[error("not a valid email address")]
    InvalidEmail,
}

/// A profile URL in canonical form: `https`, lower-case host without `www.`, no query,
/// fragment or trailing slash; LinkedIn paths lower-cased (they are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProfileUrl(String);

impl ProfileUrl {
    /// Parses and normalises.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let trimmed = raw.trim();
        let with_scheme = if trimmed.contains("://") { trimmed.to_owned() } else { format!("https://{trimmed}") };
        let url = url::Url::parse(&with_scheme).map_err(|_| IdentityError::InvalidUrl(trimmed.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(IdentityError::InvalidUrl(trimmed.to_owned()));
        }
        let host = url
            .host_str()
            .filter(|h| h.contains('.'))
            .ok_or_else(|| IdentityError::InvalidUrl(trimmed.to_owned()))?
            .to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
        let mut path = url.path().trim_end_matches('/').to_owned();
        if host.ends_with("linkedin.com") {
            path = path.to_lowercase();
        }
        Ok(Self(format!("https://{host}{path}")))
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses: one `@`, a non-empty local part, a domain with a dot, no spaces.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let email = raw.trim().to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(IdentityError::InvalidEmail)?;
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !email.chars().any(char::is_whitespace);
        if valid {
            Ok(Self(email))
        } else {
            Err(IdentityError::InvalidEmail)
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The stable key a subject is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectKey {
    /// By profile URL (preferred).
    Profile(ProfileUrl),
    /// By email, when there is no profile URL.
    Email(Email),
}

impl SubjectKey {
    /// The lead stream id: HMAC-SHA256 under `secret` of the canonical key, as a UUID
    /// (version 8 layout). Without the secret, the id reveals nothing about the person.
    pub fn lead_id(&self, secret: &[u8]) -> Uuid {
        let (tag, value) = match self {
            Self::Profile(url) => ("profile:", url.as_str()),
            Self::Email(email) => ("email:", email.as_str()),
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(tag.as_bytes());
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"test secret";

    fn id(raw: &str) -> Uuid {
        SubjectKey::Profile(ProfileUrl::parse(raw).unwrap()).lead_id(SECRET)
    }

    #[test]
    fn spellings_of_one_profile_share_one_id() {
        let canonical = id("https://www.linkedin.com/in/ada-lovelace");
        for spelling in [
            "http://linkedin.com/in/ada-lovelace/",
            "HTTPS://WWW.LINKEDIN.COM/in/Ada-Lovelace",
            "linkedin.com/in/ada-lovelace?utm_source=x#top",
            "  https://www.linkedin.com/in/ada-lovelace//  ",
        ] {
            assert_eq!(id(spelling), canonical, "{spelling}");
        }
        assert_ne!(id("https://linkedin.com/in/grace-hopper"), canonical);
    }

    #[test]
    fn the_id_depends_on_the_secret() {
        let key = SubjectKey::Email(Email::parse("Ada@Example.com").unwrap());
        assert_ne!(key.lead_id(b"one"), key.lead_id(b"two"));
        assert_eq!(key.lead_id(b"one"), SubjectKey::Email(Email::parse(" ada@example.com").unwrap()).lead_id(b"one"));
    }

    #[test]
    fn rejects_what_is_not_an_identifier() {
        assert!(ProfileUrl::parse("ftp://example.com/x").is_err());
        assert!(ProfileUrl::parse("not a url").is_err());
        assert!(Email::parse("no-at-sign").is_err());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse("a b@c.com").is_err());
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(slug in "[a-zA-Z0-9-]{1,30}", www in any::<bool>(), slash in any::<bool>()) {
            let raw = format!("http://{}linkedin.com/in/{slug}{}", if www { "www." } else { "" }, if slash { "/" } else { "" });
            let once = ProfileUrl::parse(&raw).unwrap();
            let twice = ProfileUrl::parse(once.as_str()).unwrap();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn email_parse_never_panics(raw in ".{0,40}") {
            let _ = Email::parse(&raw);
        }
    }
}
