//! `reachspark agents --api URL`: the three agents as their own process, clients of a running
//! API; and the pieces `serve --agents` shares with it: loading the agents' configuration and
//! tokens minted from the server's HS256 secret and renewed before they expire.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use reachspark_agents::client::{FixedToken, Tokens};
use reachspark_agents::config::AgentsConfig;
use reachspark_agents::runtime::{Team, TeamTokens};
use reachspark_api::auth::{issue_hs256, AgentName, Claims, Role, PII_SCOPE, SECRET_ENV};
use secrecy::SecretString;

use crate::config::{AgentOptions, AgentsArgs};

/// How long a minted agent token lives.
const TOKEN_TTL: Duration = Duration::from_secs(3600);
/// A minted token is replaced when less than this is left of it.
const RENEW_BEFORE: Duration = Duration::from_secs(600);

/// Runs the agents until `shutdown` resolves.
pub(crate) async fn run(args: AgentsArgs, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let tokens = TeamTokens {
        lead_finder: token(AgentName::LeadFinder, args.lead_finder_token, args.jwt_secret.as_ref())?,
        sales_manager: token(AgentName::SalesManager, args.sales_manager_token, args.jwt_secret.as_ref())?,
        outreach: token(AgentName::Outreach, args.outreach_token, args.jwt_secret.as_ref())?,
    };
    let team = build(&args.options, &args.api, tokens)?;
    tracing::info!(api = %args.api, state_dir = %args.options.state_dir.display(), "agents starting");
    team.run(shutdown).await;
    tracing::info!("agents stopped");
    Ok(())
}

/// The three workers of the configuration in `options`, clients of `api`.
pub(crate) fn build(options: &AgentOptions, api: &str, tokens: TeamTokens) -> anyhow::Result<Team> {
    let config = AgentsConfig::load(&options.config)
        .with_context(|| format!("agents configuration {}", options.config.display()))?;
    anyhow::ensure!(options.poll_secs > 0, "--poll-secs must be at least 1");
    let poll = Duration::from_secs(options.poll_secs);
    Team::build(&config, api, tokens, &options.state_dir, poll).context("starting the agents")
}

/// Tokens minted with `secret` for each agent.
pub(crate) fn minted(secret: &SecretString) -> anyhow::Result<TeamTokens> {
    Ok(TeamTokens {
        lead_finder: Arc::new(MintedToken::new(AgentName::LeadFinder, secret.clone())?),
        sales_manager: Arc::new(MintedToken::new(AgentName::SalesManager, secret.clone())?),
        outreach: Arc::new(MintedToken::new(AgentName::Outreach, secret.clone())?),
    })
}

/// The given token, else one minted with the secret.
fn token(
    agent: AgentName,
    given: Option<SecretString>,
    secret: Option<&SecretString>,
) -> anyhow::Result<Arc<dyn Tokens>> {
    match (given, secret) {
        (Some(token), _) => Ok(Arc::new(FixedToken(token))),
        (None, Some(secret)) => Ok(Arc::new(MintedToken::new(agent, secret.clone())?)),
        (None, None) => anyhow::bail!(
            "no token for {agent}: set REACHSPARK_AGENT_TOKEN_{} (from `reachspark token issue --role agent \
             --agent {agent} --scope pii`), or {SECRET_ENV} to mint one",
            agent.as_str().to_uppercase()
        ),
    }
}

/// An agent token signed with the API's HS256 secret (role agent, the agent's name, scope
/// `pii`: Outreach writes to people, the Lead Finder reads profiles), minted again when it
/// nears its expiry.
struct MintedToken {
    agent: AgentName,
    secret: SecretString,
    current: Mutex<(SecretString, u64)>,
}

/// Keeps the secret and the token out of `{:?}`.
impl std::fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedToken").field("agent", &self.agent).finish_non_exhaustive()
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl MintedToken {
    /// Mints the first token now, so a bad secret is refused at start.
    fn new(agent: AgentName, secret: SecretString) -> anyhow::Result<Self> {
        let first =
            mint(agent, &secret, now()).with_context(|| format!("minting {agent}'s token with {SECRET_ENV}"))?;
        Ok(Self { agent, secret, current: Mutex::new(first) })
    }
}

fn mint(agent: AgentName, secret: &SecretString, iat: u64) -> anyhow::Result<(SecretString, u64)> {
    let exp = iat + TOKEN_TTL.as_secs();
    let claims = Claims {
        sub: agent.as_str().to_owned(),
        role: Role::Agent,
        agent: Some(agent),
        scope: vec![PII_SCOPE.to_owned()],
        exp,
        iat,
    };
    Ok((SecretString::from(issue_hs256(&claims, secret)?), exp))
}

impl Tokens for MintedToken {
    fn token(&self) -> SecretString {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let now = now();
        if current.1.saturating_sub(now) < RENEW_BEFORE.as_secs() {
            match mint(self.agent, &self.secret, now) {
                Ok(fresh) => *current = fresh,
                // The secret minted before, so this cannot happen short of a broken clock; the
                // old token goes out and the API's refusal says the rest.
                Err(e) => tracing::error!(agent = %self.agent, error = %e, "could not renew the agent token"),
            }
        }
        current.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    const SECRET: &str = "a-unit-test-secret-that-is-long-enough-0123456789";

    #[test]
    fn a_minted_token_is_kept_until_it_nears_expiry_then_renewed() {
        let token = MintedToken::new(AgentName::Outreach, SecretString::from(SECRET)).unwrap();
        let first = token.token();
        assert_eq!(first.expose_secret(), token.token().expose_secret(), "reused while fresh");
        // Pretend it nears its expiry: the next call mints a new one, good for the whole TTL.
        *token.current.lock().unwrap() = (SecretString::from("old"), now() + RENEW_BEFORE.as_secs() - 1);
        let renewed = token.token();
        assert_ne!(renewed.expose_secret(), "old");
        assert!(token.current.lock().unwrap().1 >= now() + TOKEN_TTL.as_secs() - 5);
    }

    #[test]
    fn a_short_secret_is_refused_at_start_and_a_missing_token_is_named() {
        assert!(MintedToken::new(AgentName::LeadFinder, SecretString::from("short")).is_err());
        let err = token(AgentName::SalesManager, None, None).unwrap_err().to_string();
        assert!(err.contains("REACHSPARK_AGENT_TOKEN_SALES_MANAGER"), "{err}");
    }
}
