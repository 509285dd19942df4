//! Verifying tokens into a [`Principal`], and minting HS256 tokens for the CLI.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::SecretString;
use serde::Deserialize;

use super::claims::{AgentName, Claims, Role, SCOPES};
use super::config::{checked_secret, AuthConfig, ConfigError};
use super::Principal;

/// Seconds of clock skew tolerated on `exp` (and `nbf`) between the issuer and this server.
pub const LEEWAY_SECS: u64 = 30;

/// Tokens longer than this are refused before any parsing: real ones are a few hundred bytes,
/// and the cap bounds the work an unauthenticated client can cause.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Why a request is not authenticated. Every variant answers `UNAUTHENTICATED`; the messages
/// are fixed texts, so neither the token nor a claim value ever reaches a client or a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No bearer token was presented.
    #[error("missing bearer token")]
    Missing,
    /// The token is not a JWT (wrong shape, bad base64, bad header).
    #[error("malformed token")]
    Malformed,
    /// The signature does not match the configured key.
    #[error("invalid token signature")]
    BadSignature,
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// The token is signed with another algorithm than the configured one (`none` included).
    #[error("token algorithm not accepted")]
    WrongAlgorithm,
    /// Signed correctly, but the claims break a rule (missing `exp`, unknown role, ...).
    #[error("invalid token claims: {0}")]
    InvalidClaims(String),
}

impl AuthError {
    /// The GraphQL `extensions.code` for every authentication failure.
    pub const CODE: &'static str = "UNAUTHENTICATED";
}

/// Checks bearer tokens against the configured key. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

struct Inner {
    key: DecodingKey,
    validation: Validation,
    algorithm: Algorithm,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator").field("algorithm", &self.inner.algorithm).finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator that accepts only tokens signed with `config`'s key and algorithm.
    pub fn new(config: AuthConfig) -> Self {
        // Pinned to one algorithm: `none`, HS/RS confusion (an HS256 token "signed" with the
        // public key) and every other algorithm fail before the signature is even looked at.
        let mut validation = Validation::new(config.algorithm);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self { inner: Arc::new(Inner { key: config.key, validation, algorithm: config.algorithm }) }
    }

    /// The verified identity behind `token` (the bare token, without `Bearer `).
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        self.verify_claims(token).map(|claims| Principal::from_claims(&claims))
    }

    /// The verified claims behind `token`; [`Self::verify`] is what request handling wants.
    pub fn verify_claims(&self, token: &str) -> Result<Claims, AuthError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed);
        }
        // jsonwebtoken cannot even parse `"alg":"none"` (its enum has no such variant) and would
        // report a JSON error; reading the header first gives that attack its proper name.
        if header_alg(token)? != algorithm_name(self.inner.algorithm) {
            return Err(AuthError::WrongAlgorithm);
        }
        let data =
            jsonwebtoken::decode::<WireClaims>(token, &self.inner.key, &self.inner.validation).map_err(map_error)?;
        data.claims.into_claims()
    }
}

/// The claims as they arrive. Looser than [`Claims`] so that each broken rule gets its own
/// message (a strict struct would turn a missing `exp` or an unknown role into one serde error).
#[derive(Deserialize)]
struct WireClaims {
    sub: String,
    role: String,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    scope: Vec<String>,
    exp: Option<u64>,
    iat: Option<u64>,
}

impl WireClaims {
    fn into_claims(self) -> Result<Claims, AuthError> {
        let invalid = |why: &str| AuthError::InvalidClaims(why.to_owned());
        let role: Role = self.role.parse().map_err(|_| invalid("unknown role"))?;
        let agent = match self.agent {
            Some(name) => Some(name.parse::<AgentName>().map_err(|_| invalid("unknown agent"))?),
            None => None,
        };
        // jsonwebtoken already refused a missing `exp`; checked again so no default ever stands in.
        let exp = self.exp.ok_or_else(|| invalid("missing required claim `exp`"))?;
        let iat = self.iat.ok_or_else(|| invalid("missing required claim `iat`"))?;
        let claims = Claims { sub: self.sub, role, agent, scope: self.scope, exp, iat };
        claims.check().map_err(invalid)?;
        Ok(claims)
    }
}

#[derive(Deserialize)]
struct PeekHeader {
    alg: String,
}

/// The `alg` of a compact JWS, read without trusting anything else in it.
fn header_alg(token: &str) -> Result<String, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(AuthError::Malformed);
    };
    let json = URL_SAFE_NO_PAD.decode(header).map_err(|_| AuthError::Malformed)?;
    let header: PeekHeader = serde_json::from_slice(&json).map_err(|_| AuthError::Malformed)?;
    Ok(header.alg)
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        // AuthConfig only ever builds the two above.
        _ => "unsupported",
    }
}

fn map_error(err: jsonwebtoken::errors::Error) -> AuthError {
    let invalid = |why: &str| AuthError::InvalidClaims(why.to_owned());
    match err.kind() {
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => AuthError::Malformed,
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm | ErrorKind::InvalidAlgorithmName => {
            AuthError::WrongAlgorithm
        }
        ErrorKind::MissingRequiredClaim(claim) => {
            // Only spec claim names come back here, never values.
            AuthError::InvalidClaims(format!("missing required claim `{claim}`"))
        }
        // The header was already read, so a JSON error is about the claims; serde's message
        // would quote them, so it is not passed on.
        ErrorKind::Json(_) => invalid("claims do not have the expected shape"),
        ErrorKind::ImmatureSignature => invalid("token not valid yet"),
        ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience | ErrorKind::InvalidSubject => {
            invalid("issuer, audience or subject not accepted")
        }
        // Key-format and crypto failures: the token could not be verified, whatever the cause.
        _ => AuthError::BadSignature,
    }
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The secret is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The claims would be refused by the server.
    #[error("invalid claims: {0}")]
    InvalidClaims(String),
    /// Signing failed.
    #[error("could not sign the token")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// An HS256 token for `claims`, signed with `secret` (the server's `REACHSPARK_JWT_SECRET`).
/// Refuses what the server would refuse: a short secret, an agent rule broken, an unknown
/// scope, `exp` not after `iat`.
pub fn issue_hs256(claims: &Claims, secret: &SecretString) -> Result<String, IssueError> {
    let bytes = checked_secret(secret)?;
    claims.check().map_err(|why| IssueError::InvalidClaims(why.to_owned()))?;
    if let Some(unknown) = claims.scope.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(IssueError::InvalidClaims(format!("unknown scope `{unknown}`; known: {}", SCOPES.join(", "))));
    }
    if claims.exp <= claims.iat {
        return Err(IssueError::InvalidClaims("`exp` must be after `iat`".to_owned()));
    }
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(bytes))
        .map_err(IssueError::Sign)
}
