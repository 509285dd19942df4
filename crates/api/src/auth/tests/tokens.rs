//! Verification: the good token, and each way a token can be wrong.

use serde_json::json;

use super::*;
use crate::auth::{issue_hs256, AuthError, IssueError, Principal};

#[test]
fn a_valid_hs256_token_yields_its_principal() {
    let mut claims = claims(Role::Operator, None);
    claims.scope = vec!["pii".to_owned()];
    let token = issue_hs256(&claims, &secret(SECRET)).expect("issue");

    let principal = hs256_auth().verify(&token).expect("valid");

    assert_eq!(
        principal,
        Principal { subject: "ada".to_owned(), role: Role::Operator, agent: None, pii: true, expires_at: claims.exp }
    );
    assert_eq!(hs256_auth().verify_claims(&token), Ok(claims));
}

#[test]
fn an_agent_token_names_its_agent() {
    let token = issue_hs256(&claims(Role::Agent, Some(AgentName::Outreach)), &secret(SECRET)).expect("issue");
    let principal = hs256_auth().verify(&token).expect("valid");
    assert_eq!((principal.role, principal.agent, principal.pii), (Role::Agent, Some(AgentName::Outreach), false));
}

#[test]
fn a_token_signed_with_another_key_is_refused() {
    let other = secret("another-secret-that-is-also-over-32-bytes!");
    let token = issue_hs256(&claims(Role::Admin, None), &other).expect("issue");
    assert_eq!(hs256_auth().verify(&token), Err(AuthError::BadSignature));
}

#[test]
fn a_payload_edited_after_signing_is_refused() {
    // Promote an analyst to admin by swapping the payload and keeping the signature.
    let token = issue_hs256(&claims(Role::Analyst, None), &secret(SECRET)).expect("issue");
    let forged = unsigned(&json!({ "alg": "HS256", "typ": "JWT" }), &claims_json("admin"));
    let (head_and_payload, _) = forged.rsplit_once('.').expect("three parts");
    let signature = token.rsplit('.').next().expect("signature");
    assert_eq!(hs256_auth().verify(&format!("{head_and_payload}.{signature}")), Err(AuthError::BadSignature));
}

#[test]
fn alg_none_is_refused_by_both_configurations() {
    let token = unsigned(&json!({ "alg": "none", "typ": "JWT" }), &claims_json("admin"));
    assert_eq!(hs256_auth().verify(&token), Err(AuthError::WrongAlgorithm));
    assert_eq!(rs256_auth().verify(&token), Err(AuthError::WrongAlgorithm));
}

#[test]
fn an_expired_token_is_refused_beyond_the_leeway_only() {
    let mut expired = claims_json("admin");
    expired["exp"] = json!(now() - 120);
    assert_eq!(hs256_auth().verify(&sign_hs256(&expired, SECRET.as_bytes())), Err(AuthError::Expired));

    // Ten seconds of clock skew is within the 30 s leeway.
    let mut skewed = claims_json("admin");
    skewed["exp"] = json!(now() - 10);
    assert!(hs256_auth().verify(&sign_hs256(&skewed, SECRET.as_bytes())).is_ok());
}

#[test]
fn a_token_without_exp_is_refused() {
    let mut claims = claims_json("admin");
    claims.as_object_mut().expect("object").remove("exp");
    let err = hs256_auth().verify(&sign_hs256(&claims, SECRET.as_bytes())).expect_err("no exp");
    assert_eq!(err, AuthError::InvalidClaims("missing required claim `exp`".to_owned()));
}

#[test]
fn an_hs256_token_is_refused_by_an_rs256_authenticator() {
    let token = issue_hs256(&claims(Role::Admin, None), &secret(SECRET)).expect("issue");
    assert_eq!(rs256_auth().verify(&token), Err(AuthError::WrongAlgorithm));

    // The classic confusion attack: HMAC "signed" with the public key, which anyone has.
    let confused = sign_hs256(&claims_json("admin"), RSA_PUBLIC_PEM.as_bytes());
    assert_eq!(rs256_auth().verify(&confused), Err(AuthError::WrongAlgorithm));
}

#[test]
fn rs256_tokens_verify_and_are_refused_by_an_hs256_authenticator() {
    let token = sign_rs256(&claims_json("auditor"));
    assert_eq!(rs256_auth().verify(&token).map(|p| p.role), Ok(Role::Auditor));
    assert_eq!(hs256_auth().verify(&token), Err(AuthError::WrongAlgorithm));
}

#[test]
fn an_agent_token_without_its_agent_and_a_person_token_with_one_are_refused() {
    let no_agent = claims_json("agent");
    let mut person_as_agent = claims_json("operator");
    person_as_agent["agent"] = json!("outreach");
    let mut unknown_agent = claims_json("agent");
    unknown_agent["agent"] = json!("closer");

    for (claims, why) in [
        (no_agent, "an agent token must name its agent"),
        (person_as_agent, "only an agent token may name an agent"),
        (unknown_agent, "unknown agent"),
    ] {
        let err = hs256_auth().verify(&sign_hs256(&claims, SECRET.as_bytes())).expect_err(why);
        assert_eq!(err, AuthError::InvalidClaims(why.to_owned()));
    }
}

#[test]
fn an_unknown_role_is_refused() {
    let token = sign_hs256(&claims_json("superuser"), SECRET.as_bytes());
    assert_eq!(hs256_auth().verify(&token), Err(AuthError::InvalidClaims("unknown role".to_owned())));
}

#[test]
fn garbage_is_malformed_and_nothing_is_missing() {
    let auth = hs256_auth();
    for garbage in ["abc", "a.b", "a.b.c.d", "!!!.e30.sig", "e30.e30.sig"] {
        assert_eq!(auth.verify(garbage), Err(AuthError::Malformed), "{garbage}");
    }
    assert_eq!(auth.verify("  "), Err(AuthError::Missing));
    assert_eq!(auth.verify(&"a".repeat(10_000)), Err(AuthError::Malformed));
}

#[test]
fn error_messages_never_contain_the_token_or_claim_values() {
    let mut claims = claims_json("superuser-secret-role");
    claims["sub"] = json!("ada.lovelace@example.com");
    let token = sign_hs256(&claims, SECRET.as_bytes());
    let message = hs256_auth().verify(&token).expect_err("unknown role").to_string();
    assert!(!message.contains(&token) && !message.contains("superuser") && !message.contains("ada"), "{message}");
}

#[test]
fn issuing_refuses_what_the_server_would_refuse() {
    let good = claims(Role::Agent, Some(AgentName::LeadFinder));
    assert!(matches!(issue_hs256(&good, &secret("short")), Err(IssueError::Config(_))));
    assert!(matches!(issue_hs256(&claims(Role::Agent, None), &secret(SECRET)), Err(IssueError::InvalidClaims(_))));
    let mut typo = good.clone();
    typo.scope = vec!["ppi".to_owned()];
    assert!(matches!(issue_hs256(&typo, &secret(SECRET)), Err(IssueError::InvalidClaims(_))));
    let mut backwards = good;
    backwards.exp = backwards.iat;
    assert!(matches!(issue_hs256(&backwards, &secret(SECRET)), Err(IssueError::InvalidClaims(_))));
}

#[test]
fn roles_and_agents_round_trip_through_their_names() {
    for role in Role::ALL {
        assert_eq!(role.to_string().parse::<Role>(), Ok(role));
        assert_eq!(serde_json::to_value(role).expect("json"), json!(role.as_str()));
    }
    for agent in AgentName::ALL {
        assert_eq!(agent.to_string().parse::<AgentName>(), Ok(agent));
        assert_eq!(serde_json::to_value(agent).expect("json"), json!(agent.as_str()));
    }
    assert!("root".parse::<Role>().is_err());
    assert!("closer".parse::<AgentName>().is_err());
}
