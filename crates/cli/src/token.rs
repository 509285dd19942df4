//! `reachspark token issue`: mints an HS256 API token. The token goes to stdout and nowhere
//! else (no log line carries it), so `TOKEN=$(reachspark token issue ...)` is the whole workflow.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use reachspark_api::auth::{issue_hs256, Claims, SECRET_ENV};

use crate::config::{TokenCommand, TokenIssueArgs};

pub(crate) fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Issue(args) => issue(args),
    }
}

fn issue(args: TokenIssueArgs) -> anyhow::Result<ExitCode> {
    let Some(secret) = args.jwt_secret else {
        anyhow::bail!(
            "{SECRET_ENV} is not set: tokens are signed with the server's HS256 secret. Set the same \
             value the server uses, e.g. `export {SECRET_ENV}=$(openssl rand -base64 48)` before \
             starting both (an RS256 deployment mints its tokens with its own issuer instead)"
        );
    };
    let ttl = args.ttl.as_secs();
    anyhow::ensure!(ttl > 0, "--ttl must be at least one second");
    let iat = SystemTime::now().duration_since(UNIX_EPOCH).context("reading the clock")?.as_secs();
    let claims = Claims {
        sub: args.sub,
        role: args.role,
        agent: args.agent,
        scope: args.scopes,
        exp: iat.saturating_add(ttl),
        iat,
    };
    let token = issue_hs256(&claims, &secret).context("minting the token")?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
