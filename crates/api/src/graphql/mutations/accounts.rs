//! Sender accounts: registration with their budgets, budget changes, and giving slots back.

use async_graphql::{Context, InputObject, Object, ID};
use reachspark_domain::sender_account::{ChangeLimits, RegisterSenderAccount, ReleaseSlot, SendingLimits};
use reachspark_domain::SenderAccount;

use super::command::{CommandResult, Issuer};
use super::inputs::{text, uuid, Channel, ReleaseReason};
use crate::auth::{AgentName, Permission};
use crate::graphql::leads::allowed;
use crate::graphql::ApiError;

/// Budgets of a sender account. Omitted fields take the channel's defaults (LinkedIn: about
/// 45 actions a day, 20 invitations a day and 100 a week, 5 minutes apart, 21 days of ramp-up;
/// email: 350 a day, a minute apart).
#[derive(InputObject, Debug, Default)]
pub(crate) struct SendingLimitsInput {
    daily_invitations: Option<i32>,
    daily_messages: Option<i32>,
    daily_profile_views: Option<i32>,
    daily_emails: Option<i32>,
    weekly_invitations: Option<i32>,
    daily_total: Option<i32>,
    min_spacing_seconds: Option<i32>,
    ramp_up_days: Option<i32>,
    ramp_up_start_percent: Option<i32>,
}

impl SendingLimitsInput {
    fn over(self, mut limits: SendingLimits) -> Result<SendingLimits, ApiError> {
        let fields = [
            ("limits.dailyInvitations", self.daily_invitations, &mut limits.daily_invitations),
            ("limits.dailyMessages", self.daily_messages, &mut limits.daily_messages),
            ("limits.dailyProfileViews", self.daily_profile_views, &mut limits.daily_profile_views),
            ("limits.dailyEmails", self.daily_emails, &mut limits.daily_emails),
            ("limits.weeklyInvitations", self.weekly_invitations, &mut limits.weekly_invitations),
            ("limits.dailyTotal", self.daily_total, &mut limits.daily_total),
            ("limits.minSpacingSeconds", self.min_spacing_seconds, &mut limits.min_spacing_seconds),
            ("limits.rampUpDays", self.ramp_up_days, &mut limits.ramp_up_days),
            ("limits.rampUpStartPercent", self.ramp_up_start_percent, &mut limits.ramp_up_start_percent),
        ];
        for (field, value, slot) in fields {
            if let Some(value) = value {
                *slot = u32::try_from(value).map_err(|_| ApiError::validation(field, "must not be negative"))?;
            }
        }
        Ok(limits)
    }
}

fn defaults(channel: reachspark_domain::sender_account::Channel) -> SendingLimits {
    match channel {
        reachspark_domain::sender_account::Channel::LinkedIn => SendingLimits::linkedin(),
        reachspark_domain::sender_account::Channel::Email => SendingLimits::email(),
    }
}

#[derive(Default, Debug)]
pub(crate) struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Registers a sender account with its budgets; ramp-up starts today. `createdId` is its id.
    async fn register_sender_account(
        &self,
        ctx: &Context<'_>,
        channel: Channel,
        #[graphql(desc = "The provider that sends for it, e.g. `sandbox`, `smtp`, `unipile`.")] provider: String,
        limits: Option<SendingLimitsInput>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::ManageAccounts;
        let issuer = Issuer::new(ctx, perm, "registerSenderAccount", Some(0), idempotency_key)?;
        text("provider", &provider, 100)?;
        let channel: reachspark_domain::sender_account::Channel = channel.into();
        let limits = limits.unwrap_or_default().over(defaults(channel))?;
        let account_id = issuer.new_id("sender_account");
        let command = RegisterSenderAccount { channel, provider, limits, at: issuer.now };
        Ok(issuer.run::<SenderAccount>(account_id, command.into()).await?.created(account_id))
    }

    /// Replaces some or all budgets of an account; omitted fields keep their current value.
    async fn change_limits(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        limits: SendingLimitsInput,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::ManageAccounts, "changeLimits", expected_version, idempotency_key)?;
        let account_id = uuid("accountId", &account_id)?;
        let account = issuer.existing::<SenderAccount>("accountId", account_id).await?;
        let current = account.registration().map(|r| r.limits).unwrap_or_default();
        let command = ChangeLimits { limits: limits.over(current)?, at: issuer.now };
        Ok(issuer.run::<SenderAccount>(account_id, command.into()).await?)
    }

    /// Gives a held slot back (the send failed, the person objected, the lead moved...).
    async fn release_slot(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        reservation_id: ID,
        reason: ReleaseReason,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let principal = allowed(ctx, Permission::AgentCommand(AgentName::Outreach))
            .or_else(|_| allowed(ctx, Permission::ManageAccounts))?;
        let issuer = Issuer::for_principal(ctx, principal, "releaseSlot", None, idempotency_key)?;
        let account_id = uuid("accountId", &account_id)?;
        let reservation_id = uuid("reservationId", &reservation_id)?;
        let command = ReleaseSlot { reservation_id, reason: reason.into(), at: issuer.now };
        Ok(issuer.run::<SenderAccount>(account_id, command.into()).await?)
    }
}
