//! What a token says: the role, the agent an agent token speaks for, scopes and lifetime.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The scope that unmasks personal data.
pub const PII_SCOPE: &str = "pii";

/// Every scope a token may carry. Issuing refuses others, so a typo (`ppi`) cannot silently
/// mint a masked token; verifying ignores unknown ones, since an external issuer may add its own.
pub const SCOPES: [&str; 1] = [PII_SCOPE];

/// Who a token speaks for, which decides what it may do (see [`super::Permission`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the installation: everything.
    Admin,
    /// A person working the pipeline: imports, campaigns, accounts, approvals, opt-outs.
    Operator,
    /// One autonomous agent; the token names which ([`AgentName`]).
    Agent,
    /// Checks the log's integrity and replays history; changes nothing.
    Auditor,
    /// Reads analytics over masked data; changes nothing.
    Analyst,
    /// The CRM synchronisation: reads leads and follows the event log.
    CrmSync,
}

impl Role {
    /// Every role, in the order the README lists them.
    pub const ALL: [Role; 6] = [Role::Admin, Role::Operator, Role::Agent, Role::Auditor, Role::Analyst, Role::CrmSync];

    /// The name used in tokens and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Agent => "agent",
            Role::Auditor => "auditor",
            Role::Analyst => "analyst",
            Role::CrmSync => "crm_sync",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`; expected one of: admin, operator, agent, auditor, analyst, crm_sync")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The agents that may hold a token of their own; the name is also their actor id in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentName {
    /// Finds, enriches, classifies and scores leads.
    LeadFinder,
    /// Allocates leads to sender accounts, steers strategy, reports.
    SalesManager,
    /// Drafts, sends, reads replies, follows up.
    Outreach,
}

impl AgentName {
    /// The one list of agents: parsing, tests and docs all go through it.
    pub const ALL: [AgentName; 3] = [AgentName::LeadFinder, AgentName::SalesManager, AgentName::Outreach];

    /// The name used in tokens, on the command line and as the event actor id.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentName::LeadFinder => "lead_finder",
            AgentName::SalesManager => "sales_manager",
            AgentName::Outreach => "outreach",
        }
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An agent name that is not one of [`AgentName::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown agent `{0}`; expected one of: lead_finder, sales_manager, outreach")]
pub struct UnknownAgent(pub String);

impl FromStr for AgentName {
    type Err = UnknownAgent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AgentName::ALL.into_iter().find(|agent| agent.as_str() == s).ok_or_else(|| UnknownAgent(s.to_owned()))
    }
}

/// The claims of a ReachSpark token, as issued and as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The subject: a person's login, an agent's identity, a service name.
    pub sub: String,
    /// What the subject may do.
    pub role: Role,
    /// For the `agent` role, which agent; absent for every other role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentName>,
    /// Extra grants; today only [`PII_SCOPE`].
    #[serde(default)]
    pub scope: Vec<String>,
    /// Expiry, seconds since the Unix epoch. Required: a token that never expires is refused.
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
}

impl Claims {
    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }

    /// The rules serde cannot express. Checked when verifying and again when issuing, so the
    /// CLI never mints a token the server would refuse. The messages never quote claim values:
    /// they reach clients and logs.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        if self.sub.trim().is_empty() {
            return Err("the subject is empty");
        }
        match (self.role, self.agent) {
            (Role::Agent, None) => Err("an agent token must name its agent"),
            (Role::Agent, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err("only an agent token may name an agent"),
        }
    }
}
