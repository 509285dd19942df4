//! Unit tests for auth: tokens as an attacker would craft them, the matrix role by role, and
//! the extractor through a real router. No database.

mod config;
mod extract;
mod matrix;
mod tokens;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::SecretString;
use serde_json::Value;

use super::{AgentName, AuthConfig, Authenticator, Claims, Role};

pub(super) const SECRET: &str = "test-secret-that-is-comfortably-over-32-bytes";
pub(super) const RSA_PRIVATE_PEM: &str = include_str!("../../../tests/fixtures/rs256-test-private.pem");
pub(super) const RSA_PUBLIC_PEM: &str = include_str!("../../../tests/fixtures/rs256-test-public.pem");

pub(super) fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_owned())
}

pub(super) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs()
}

pub(super) fn hs256_auth() -> Authenticator {
    Authenticator::new(AuthConfig::hs256(&secret(SECRET)).expect("valid secret"))
}

pub(super) fn rs256_auth() -> Authenticator {
    Authenticator::new(AuthConfig::rs256_pem(RSA_PUBLIC_PEM).expect("valid public key"))
}

pub(super) fn claims(role: Role, agent: Option<AgentName>) -> Claims {
    let iat = now();
    Claims { sub: "ada".to_owned(), role, agent, scope: vec![], exp: iat + 3600, iat }
}

/// Signs any JSON with HS256, so tests can produce claims `issue_hs256` would refuse.
pub(super) fn sign_hs256(claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key)).expect("sign")
}

pub(super) fn sign_rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE_PEM.as_bytes()).expect("test private key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign")
}

/// The JSON of well-formed claims, to edit before signing.
pub(super) fn claims_json(role: &str) -> Value {
    let iat = now();
    serde_json::json!({ "sub": "ada", "role": role, "scope": [], "iat": iat, "exp": iat + 3600 })
}

/// A compact JWT with the given header and claims and no signature, e.g. `alg: none`.
pub(super) fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"));
    format!("{}.{}.", part(header), part(claims))
}
