//! Which key verifies tokens: an HS256 shared secret or an RS256 public key, never both.

use std::fmt;
use std::path::PathBuf;

use jsonwebtoken::{Algorithm, DecodingKey};
use secrecy::{ExposeSecret, SecretString};

/// The environment variable holding the HS256 shared secret.
pub const SECRET_ENV: &str = "REACHSPARK_JWT_SECRET";
/// The environment variable holding the RS256 public key: a PEM, or the path of a PEM file.
pub const PUBLIC_KEY_ENV: &str = "REACHSPARK_JWT_PUBLIC_KEY_PEM";
/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits); a
/// shorter one can be brute-forced offline from any single token.
pub const MIN_SECRET_BYTES: usize = 32;

/// Why the verification key could not be set up. Raised at startup or when minting a token.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither key is configured.
    #[error(
        "no token key configured: set {SECRET_ENV} (HS256, at least {MIN_SECRET_BYTES} bytes, \
         e.g. `export {SECRET_ENV}=$(openssl rand -base64 48)`) or {PUBLIC_KEY_ENV} (RS256)"
    )]
    NoKey,
    /// Both keys are configured; which one wins would be a guess.
    #[error("both {SECRET_ENV} and {PUBLIC_KEY_ENV} are set; set exactly one")]
    BothKeys,
    /// The shared secret is too short.
    #[error(
        "{SECRET_ENV} is {len} bytes; it must be at least {MIN_SECRET_BYTES} \
         (e.g. `openssl rand -base64 48`)"
    )]
    SecretTooShort {
        /// The length that was given.
        len: usize,
    },
    /// The public key file could not be read.
    #[error("cannot read the {PUBLIC_KEY_ENV} file {path}")]
    PublicKeyFile {
        /// The configured path.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The PEM is a private key: the server only ever needs the public half.
    #[error("{PUBLIC_KEY_ENV} holds a private key; configure the public key only")]
    PrivateKeyGiven,
    /// The PEM does not hold an RSA public key.
    #[error("{PUBLIC_KEY_ENV} is not an RSA public key in PEM form")]
    PublicKeyInvalid(#[source] jsonwebtoken::errors::Error),
}

/// A validated verification key. Build it with [`AuthConfig::from_sources`],
/// [`AuthConfig::hs256`] or [`AuthConfig::rs256_pem`]; hand it to [`super::Authenticator::new`].
#[derive(Clone)]
pub struct AuthConfig {
    pub(crate) algorithm: Algorithm,
    pub(crate) key: DecodingKey,
}

impl fmt::Debug for AuthConfig {
    // The key stays out of Debug: configs end up in startup logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig").field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

impl AuthConfig {
    /// From the two configuration values (`REACHSPARK_JWT_SECRET`,
    /// `REACHSPARK_JWT_PUBLIC_KEY_PEM`): exactly one must be set. `public_key` is a PEM when
    /// it starts with `-----BEGIN`, otherwise the path of a PEM file.
    pub fn from_sources(secret: Option<SecretString>, public_key: Option<&str>) -> Result<Self, ConfigError> {
        match (secret, public_key) {
            (Some(_), Some(_)) => Err(ConfigError::BothKeys),
            (None, None) => Err(ConfigError::NoKey),
            (Some(secret), None) => Self::hs256(&secret),
            (None, Some(value)) if value.trim_start().starts_with("-----BEGIN") => Self::rs256_pem(value),
            (None, Some(path)) => {
                let path = PathBuf::from(path);
                let pem = std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::PublicKeyFile { path: path.clone(), source })?;
                Self::rs256_pem(&pem)
            }
        }
    }

    /// HS256 with a shared secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn hs256(secret: &SecretString) -> Result<Self, ConfigError> {
        let bytes = checked_secret(secret)?;
        Ok(Self { algorithm: Algorithm::HS256, key: DecodingKey::from_secret(bytes) })
    }

    /// RS256 with an RSA public key in PEM form (`PUBLIC KEY` or `RSA PUBLIC KEY`).
    pub fn rs256_pem(pem: &str) -> Result<Self, ConfigError> {
        // jsonwebtoken would accept a private key here too; refuse it, so the signing key is
        // never copied onto API servers by mistake.
        if pem.contains("PRIVATE KEY-----") {
            return Err(ConfigError::PrivateKeyGiven);
        }
        let key = DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(ConfigError::PublicKeyInvalid)?;
        Ok(Self { algorithm: Algorithm::RS256, key })
    }

    /// The one algorithm tokens must be signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// The secret's bytes, when it is long enough to be used.
pub(crate) fn checked_secret(secret: &SecretString) -> Result<&[u8], ConfigError> {
    let bytes = secret.expose_secret().as_bytes();
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::SecretTooShort { len: bytes.len() });
    }
    Ok(bytes)
}
