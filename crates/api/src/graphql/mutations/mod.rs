//! Mutations: the domain's commands, one field each. Every mutation checks one permission,
//! validates its input with field-level errors, runs the command through the aggregate (which
//! enforces every rule: opt-out, erasure, budgets, approvals), and answers the stream's new
//! version and the positions written. `expectedVersion` turns a concurrent change into
//! `CONFLICT`; `idempotencyKey` makes a retry return the first result instead of acting twice.

#![allow(clippy::too_many_arguments, reason = "a resolver's parameters are its GraphQL arguments")]

mod accounts;
mod agents;
mod campaigns;
mod command;
mod import;
mod inputs;
mod leads;
mod messages;

use async_graphql::MergedObject;

/// Every mutation, merged from one object per concern.
#[derive(MergedObject, Default, Debug)]
pub struct MutationRoot(
    leads::LeadMutation,
    messages::MessageMutation,
    import::ImportMutation,
    campaigns::CampaignMutation,
    accounts::AccountMutation,
    agents::AgentMutation,
);
