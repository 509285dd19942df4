//! Who is calling and what they may do: the permission matrix, in one place.
//!
//! | Permission | admin | operator | agent | auditor | analyst | crm_sync |
//! |---|---|---|---|---|---|---|
//! | `ReadLeads` | ✓ | ✓ | ✓ | ✓ | ✓ (masked) | ✓ |
//! | `ReadPersonalData` | `pii` | `pii` | `pii` | `pii` | never | `pii` |
//! | `ReadDecisions` | ✓ | ✓ | ✓ | ✓ | ✓ | – |
//! | `ReplayHistory` (`leadAsOf`, `explain`) | ✓ | ✓ | – | ✓ | – | – |
//! | `ReadEvents` (`events`, subscriptions) | ✓ | – | ✓ | ✓ | – | ✓ |
//! | `ReadAnalytics` | ✓ | ✓ | ✓ | – | ✓ | – |
//! | `AuditVerify` | ✓ | – | – | ✓ | – | – |
//! | `ReadMetrics` (`/metrics`) | ✓ | – | – | ✓ | – | – |
//! | `ImportLeads` | ✓ | ✓ | lead_finder | – | – | – |
//! | `ManageCampaigns` | ✓ | ✓ | – | – | – | – |
//! | `UpdateStrategy` | ✓ | ✓ | sales_manager | – | – | – |
//! | `ManageAccounts` | ✓ | ✓ | – | – | – | – |
//! | `ApproveMessages` | ✓ | ✓ | – | – | – | – |
//! | `OptOut` | ✓ | ✓ | outreach | – | – | – |
//! | `ErasePersonalData` | ✓ | ✓ | – | – | – | – |
//! | `WorkLeads` (qualify, close, reassign, notes by hand) | ✓ | ✓ | – | – | – | – |
//! | `RetryAgentErrors` (`retryAgentError`) | ✓ | ✓ | – | – | – | – |
//! | `AgentCommand(a)` | ✓ (any) | – | only its own `a` | – | – | – |
//!
//! Why: personal data needs the `pii` scope for everyone, admin included, so a leaked everyday
//! token exposes no one; analysts never see it, their work is aggregate. Operators review
//! decisions (`explain`) because GDPR Art. 22 wants a human who can. Agents read analytics
//! (sender usage, template performance) to allocate and to learn. Approvals stay human.

use reachspark_domain::Actor;

use super::claims::{AgentName, Claims, Role, PII_SCOPE};

/// What a request wants to do. Each query field and mutation checks exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// `lead`, `leads`, `timeline`: lead data with personal data masked.
    ReadLeads,
    /// Unmask personal data (names, emails, message bodies, replies) wherever it appears.
    ReadPersonalData,
    /// `decisions` and the decisions embedded in other answers.
    ReadDecisions,
    /// `leadAsOf` and `explain`: rebuild and explain from the log.
    ReplayHistory,
    /// `events` (the raw log) and the `events` subscription.
    ReadEvents,
    /// `pipeline`, `templatePerformance`, `senderUsage`, `agents`, `projections`.
    ReadAnalytics,
    /// `auditVerify`.
    AuditVerify,
    /// `/metrics`: operational figures, no business data (the scraper gets an auditor token).
    ReadMetrics,
    /// `importLeads` (CSV) and manual lead discovery.
    ImportLeads,
    /// Create campaigns, add or retire templates, pause and resume.
    ManageCampaigns,
    /// Change a campaign's allocation strategy (with a rationale).
    UpdateStrategy,
    /// Register sender accounts and change their limits.
    ManageAccounts,
    /// Approve or reject drafts waiting for a human.
    ApproveMessages,
    /// Record an opt-out.
    OptOut,
    /// Crypto-shred a person's data.
    ErasePersonalData,
    /// A salesperson's own work on a lead: qualify, close, reassign, add a note.
    WorkLeads,
    /// Ask an agent to retry the item behind one of its errors (its dead letters).
    RetryAgentErrors,
    /// A command in one agent's own pipeline (score, allocate, draft, send, ...).
    AgentCommand(AgentName),
}

/// A verified caller, as resolvers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject; the actor id for a person's commands.
    pub subject: String,
    /// What the caller may do.
    pub role: Role,
    /// The agent an `agent` token speaks for; `None` for every other role.
    pub agent: Option<AgentName>,
    /// The token carries the `pii` scope (see [`Permission::ReadPersonalData`] for its effect).
    pub pii: bool,
    /// The token's `exp` (seconds since the Unix epoch), so a WebSocket can close when its
    /// token runs out rather than stream forever.
    pub expires_at: u64,
}

impl Principal {
    /// The principal verified claims describe.
    pub fn from_claims(claims: &Claims) -> Self {
        Self {
            subject: claims.sub.clone(),
            role: claims.role,
            agent: claims.agent,
            pii: claims.has_scope(PII_SCOPE),
            expires_at: claims.exp,
        }
    }

    /// Whether this caller may do `permission`. The module docs hold the matrix as a table.
    pub fn allows(&self, permission: Permission) -> bool {
        use Permission as P;
        match (self.role, permission) {
            // The scope gates personal data for every role; the analyst role never unmasks,
            // so an analyst token minted with `pii` by mistake still shows nothing.
            (Role::Analyst, P::ReadPersonalData) => false,
            (_, P::ReadPersonalData) => self.pii,
            (Role::Admin, _) => true,
            (Role::Operator, p) => matches!(
                p,
                P::ReadLeads
                    | P::ReadDecisions
                    | P::ReplayHistory
                    | P::ReadAnalytics
                    | P::ImportLeads
                    | P::ManageCampaigns
                    | P::UpdateStrategy
                    | P::ManageAccounts
                    | P::ApproveMessages
                    | P::OptOut
                    | P::ErasePersonalData
                    | P::WorkLeads
                    | P::RetryAgentErrors
            ),
            (Role::Agent, p) => {
                matches!(p, P::ReadLeads | P::ReadDecisions | P::ReadEvents | P::ReadAnalytics)
                    || self.agent.is_some_and(|agent| agent_owns(agent, p))
            }
            (Role::Auditor, p) => {
                matches!(
                    p,
                    P::ReadLeads
                        | P::ReadDecisions
                        | P::ReplayHistory
                        | P::ReadEvents
                        | P::AuditVerify
                        | P::ReadMetrics
                )
            }
            (Role::Analyst, p) => matches!(p, P::ReadLeads | P::ReadDecisions | P::ReadAnalytics),
            (Role::CrmSync, p) => matches!(p, P::ReadLeads | P::ReadEvents),
        }
    }

    /// Who the events this caller's commands write are attributed to: the agent by its name,
    /// anyone else by the token's subject.
    pub fn actor(&self) -> Actor {
        match self.agent {
            Some(agent) => Actor::agent(agent.as_str()),
            None => Actor::person(self.subject.clone()),
        }
    }

    /// Whether personal data must be masked in answers to this caller.
    pub fn masks_personal_data(&self) -> bool {
        !self.allows(Permission::ReadPersonalData)
    }
}

/// The commands an agent may issue: its own pipeline, plus the one human-facing command its
/// job includes (the Lead Finder imports, the Sales Manager steers strategy, Outreach records
/// an opt-out read in a reply at once, since GDPR Art. 21 allows no delay for a human).
fn agent_owns(agent: AgentName, permission: Permission) -> bool {
    match permission {
        Permission::AgentCommand(target) => target == agent,
        Permission::ImportLeads => agent == AgentName::LeadFinder,
        Permission::UpdateStrategy => agent == AgentName::SalesManager,
        Permission::OptOut => agent == AgentName::Outreach,
        _ => false,
    }
}
