//! Key configuration: exactly one key, long enough, public only.

use std::io::Write as _;

use jsonwebtoken::Algorithm;

use super::*;
use crate::auth::ConfigError;

#[test]
fn exactly_one_key_must_be_configured() {
    assert!(matches!(AuthConfig::from_sources(None, None), Err(ConfigError::NoKey)));
    assert!(matches!(AuthConfig::from_sources(Some(secret(SECRET)), Some(RSA_PUBLIC_PEM)), Err(ConfigError::BothKeys)));
    let hs = AuthConfig::from_sources(Some(secret(SECRET)), None).expect("secret alone");
    assert_eq!(hs.algorithm(), Algorithm::HS256);
    let rs = AuthConfig::from_sources(None, Some(RSA_PUBLIC_PEM)).expect("inline pem");
    assert_eq!(rs.algorithm(), Algorithm::RS256);
}

#[test]
fn a_short_secret_is_refused_with_its_length_and_the_fix() {
    let err = AuthConfig::hs256(&secret("0123456789abcdef0123456789abcde")).expect_err("31 bytes");
    assert!(matches!(err, ConfigError::SecretTooShort { len: 31 }));
    assert!(err.to_string().contains("at least 32"), "{err}");
    assert!(AuthConfig::hs256(&secret("0123456789abcdef0123456789abcdef")).is_ok());
}

#[test]
fn the_public_key_may_be_a_path() {
    let mut file = temp_pem_file();
    file.1.write_all(RSA_PUBLIC_PEM.as_bytes()).expect("write pem");
    let config = AuthConfig::from_sources(None, Some(file.0.to_str().expect("utf-8 path"))).expect("pem file");
    assert_eq!(config.algorithm(), Algorithm::RS256);
    std::fs::remove_file(&file.0).expect("clean up");

    let missing = AuthConfig::from_sources(None, Some("/nonexistent/key.pem")).expect_err("no file");
    assert!(matches!(missing, ConfigError::PublicKeyFile { .. }));
}

#[test]
fn a_private_key_or_garbage_is_not_a_public_key() {
    assert!(matches!(AuthConfig::rs256_pem(RSA_PRIVATE_PEM), Err(ConfigError::PrivateKeyGiven)));
    let garbage = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n";
    assert!(matches!(AuthConfig::rs256_pem(garbage), Err(ConfigError::PublicKeyInvalid(_))));
}

#[test]
fn debug_output_shows_no_key_material() {
    let config = AuthConfig::hs256(&secret(SECRET)).expect("valid");
    let shown = format!("{config:?} {:?}", Authenticator::new(config.clone()));
    assert!(!shown.contains(SECRET) && shown.contains("HS256"), "{shown}");
}

/// A fresh file under the system temp dir; the api crate has no tempfile dependency.
fn temp_pem_file() -> (std::path::PathBuf, std::fs::File) {
    let path = std::env::temp_dir().join(format!("reachspark-auth-test-{}.pem", std::process::id()));
    let file = std::fs::File::create(&path).expect("create temp file");
    (path, file)
}
