//! Authentication and authorization for the API.
//!
//! A request carries a JWT (`Authorization: Bearer`, or the WebSocket `connection_init`
//! payload). The [`Authenticator`] verifies it against one configured key (HS256 shared secret
//! or RS256 public key, see [`AuthConfig`]) with the algorithm pinned, `exp` required and 30 s
//! of leeway, and yields a [`Principal`]. Resolvers then ask [`Principal::allows`] for one
//! [`Permission`]; the matrix and its reasons are in the `principal` module's docs and the
//! README. Failures are [`AuthError`]s (`UNAUTHENTICATED`); a missing permission is the
//! resolver's `FORBIDDEN`.
//!
//! [`issue_hs256`] mints tokens for `reachspark token issue`.

mod claims;
mod config;
mod extract;
mod principal;
mod verify;

pub use claims::{AgentName, Claims, Role, UnknownAgent, UnknownRole, PII_SCOPE, SCOPES};
pub use config::{AuthConfig, ConfigError, MIN_SECRET_BYTES, PUBLIC_KEY_ENV, SECRET_ENV};
pub use extract::{bearer_token, principal_from_connection_init};
pub use principal::{Permission, Principal};
pub use verify::{issue_hs256, AuthError, Authenticator, IssueError, LEEWAY_SECS};

#[cfg(test)]
mod tests;
