//! What each sender account may still take today: its remaining first-contact budget less the
//! leads already given to it and not yet contacted.

use std::collections::{HashMap, HashSet};

use reachspark_domain::sender_account::Channel;

use crate::client::ops::{self, Leads, SenderUsage};
use crate::client::{ApiClient, ClientError};

/// The account of `channel` with the most `action` budget left for new leads, and how much;
/// `None` when none has any. Ties go to the smaller id, so the choice is deterministic.
pub(super) async fn best_account(
    api: &ApiClient,
    channel: Channel,
    action: &str,
) -> Result<Option<(String, i64)>, ClientError> {
    let label = match channel {
        Channel::LinkedIn => "linkedin",
        Channel::Email => "email",
    };
    let usage = api.run::<SenderUsage>(ops::sender_usage::Variables {}).await?;
    let pending = allocated_not_contacted(api).await?;
    Ok(usage
        .sender_usage
        .iter()
        .filter(|a| a.channel == label)
        .filter_map(|a| {
            let remaining = a.actions.iter().find(|x| x.action_type == action).map(|x| x.remaining)?;
            let left = remaining - pending.get(&a.account_id).copied().unwrap_or(0);
            (left > 0).then(|| (a.account_id.clone(), left))
        })
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0))))
}

/// The channels that have at least one sender account.
pub(super) async fn channels(api: &ApiClient) -> Result<HashSet<Channel>, ClientError> {
    let usage = api.run::<SenderUsage>(ops::sender_usage::Variables {}).await?;
    Ok(usage
        .sender_usage
        .iter()
        .filter_map(|a| match a.channel.as_str() {
            "linkedin" => Some(Channel::LinkedIn),
            "email" => Some(Channel::Email),
            _ => None,
        })
        .collect())
}

/// The `leads` filter for one contact status (and a least score).
pub(super) fn status_filter(status: &str, min_score: Option<i64>) -> ops::leads::LeadsFilter {
    ops::leads::LeadsFilter {
        contact_status: Some(status.to_owned()),
        classification: None,
        min_score,
        max_score: None,
        campaign_id: None,
        assigned_to: None,
        text: None,
    }
}

/// Leads in `Allocated` status (given to an account, nothing sent yet), per account.
async fn allocated_not_contacted(api: &ApiClient) -> Result<HashMap<String, i64>, ClientError> {
    let mut counts = HashMap::new();
    let mut after = None;
    loop {
        let page = api
            .run::<Leads>(ops::leads::Variables {
                filter: Some(status_filter("Allocated", None)),
                first: Some(100),
                after,
            })
            .await?
            .leads;
        for edge in page.edges {
            if let Some(account) = edge.node.assigned_to {
                *counts.entry(account).or_default() += 1;
            }
        }
        if !page.page_info.has_next_page {
            return Ok(counts);
        }
        after = page.page_info.end_cursor;
    }
}
