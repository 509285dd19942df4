//! The permission matrix, role by role: every permission is checked for every caller, so a
//! permission granted by accident fails as surely as one withheld.

use reachspark_domain::Actor;

use crate::auth::{AgentName, Permission, Principal, Role};

use Permission::*;

/// Every permission. The match below has no wildcard: a new variant does not compile until it
/// is added here, and then every row of the table must say whether it grants it.
fn all_permissions() -> Vec<Permission> {
    let witness = |p: Permission| match p {
        ReadLeads | ReadPersonalData | ReadDecisions | ReplayHistory | ReadEvents | ReadAnalytics | AuditVerify
        | ReadMetrics | ImportLeads | ManageCampaigns | UpdateStrategy | ManageAccounts | ApproveMessages | OptOut
        | ErasePersonalData | WorkLeads | RetryAgentErrors | AgentCommand(_) => p,
    };
    let mut all = vec![
        ReadLeads,
        ReadPersonalData,
        ReadDecisions,
        ReplayHistory,
        ReadEvents,
        ReadAnalytics,
        AuditVerify,
        ReadMetrics,
        ImportLeads,
        ManageCampaigns,
        UpdateStrategy,
        ManageAccounts,
        ApproveMessages,
        OptOut,
        ErasePersonalData,
        WorkLeads,
        RetryAgentErrors,
    ];
    all.extend(AgentName::ALL.map(AgentCommand));
    all.into_iter().map(witness).collect()
}

fn principal(role: Role, agent: Option<AgentName>, pii: bool) -> Principal {
    Principal { subject: "s".to_owned(), role, agent, pii, expires_at: 0 }
}

const LEAD_FINDER: AgentName = AgentName::LeadFinder;
const SALES_MANAGER: AgentName = AgentName::SalesManager;
const OUTREACH: AgentName = AgentName::Outreach;

#[test]
fn each_role_has_exactly_its_permissions() {
    let everything_but_pii: Vec<Permission> =
        all_permissions().into_iter().filter(|p| *p != ReadPersonalData).collect();
    let operator = [
        ReadLeads,
        ReadDecisions,
        ReplayHistory,
        ReadAnalytics,
        ImportLeads,
        ManageCampaigns,
        UpdateStrategy,
        ManageAccounts,
        ApproveMessages,
        OptOut,
        ErasePersonalData,
        WorkLeads,
        RetryAgentErrors,
    ];
    let agent_reads = [ReadLeads, ReadDecisions, ReadEvents, ReadAnalytics];
    let with = |extra: &[Permission]| agent_reads.iter().chain(extra).copied().collect::<Vec<_>>();
    let auditor = [ReadLeads, ReadDecisions, ReplayHistory, ReadEvents, AuditVerify, ReadMetrics];
    let analyst = [ReadLeads, ReadDecisions, ReadAnalytics];
    let crm_sync = [ReadLeads, ReadEvents];

    let table: Vec<(Principal, Vec<Permission>)> = vec![
        (principal(Role::Admin, None, false), everything_but_pii.clone()),
        (principal(Role::Operator, None, false), operator.to_vec()),
        (principal(Role::Agent, Some(LEAD_FINDER), false), with(&[ImportLeads, AgentCommand(LEAD_FINDER)])),
        (principal(Role::Agent, Some(SALES_MANAGER), false), with(&[UpdateStrategy, AgentCommand(SALES_MANAGER)])),
        (principal(Role::Agent, Some(OUTREACH), false), with(&[OptOut, AgentCommand(OUTREACH)])),
        (principal(Role::Auditor, None, false), auditor.to_vec()),
        (principal(Role::Analyst, None, false), analyst.to_vec()),
        (principal(Role::CrmSync, None, false), crm_sync.to_vec()),
    ];

    for (who, granted) in table {
        for permission in all_permissions() {
            let expected = granted.contains(&permission);
            assert_eq!(who.allows(permission), expected, "{:?}/{:?} {permission:?}", who.role, who.agent);
            // The pii scope unmasks personal data and changes nothing else.
            let with_pii = Principal { pii: true, ..who.clone() };
            let expected_with_pii = expected || (permission == ReadPersonalData && who.role != Role::Analyst);
            assert_eq!(with_pii.allows(permission), expected_with_pii, "{:?}+pii {permission:?}", who.role);
        }
    }
}

#[test]
fn personal_data_is_masked_without_the_pii_scope_for_every_role() {
    for role in Role::ALL {
        let agent = (role == Role::Agent).then_some(OUTREACH);
        assert!(principal(role, agent, false).masks_personal_data(), "{role} without pii");
        let unmasked = !principal(role, agent, true).masks_personal_data();
        assert_eq!(unmasked, role != Role::Analyst, "{role} with pii");
    }
}

#[test]
fn an_agent_may_issue_only_its_own_commands() {
    for own in AgentName::ALL {
        let agent = principal(Role::Agent, Some(own), true);
        for other in AgentName::ALL {
            assert_eq!(agent.allows(AgentCommand(other)), own == other, "{own} issuing {other}'s command");
        }
        assert!(!agent.allows(ApproveMessages), "approvals stay human");
    }
    // An agent role without its agent (verification refuses such tokens) gets no command at all.
    let nameless = principal(Role::Agent, None, false);
    assert!(AgentName::ALL.iter().all(|a| !nameless.allows(AgentCommand(*a))));
    assert!(!nameless.allows(ImportLeads) && !nameless.allows(OptOut));
}

#[test]
fn commands_are_attributed_to_the_agent_or_the_subject() {
    let agent = Principal { subject: "lf-token-1".to_owned(), ..principal(Role::Agent, Some(LEAD_FINDER), false) };
    assert_eq!(agent.actor(), Actor::agent("lead_finder"));
    assert_eq!(principal(Role::Operator, None, false).actor(), Actor::person("s"));
}
