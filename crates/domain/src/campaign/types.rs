//! What a campaign is made of: whom it targets, what it says, and who must look before a
//! message goes out. Template text holds placeholders, not personal data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::CampaignError;
use crate::lead::{LeadClass, Step};
use crate::sender_account::Channel;

/// Whom the campaign looks for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Targeting {
    /// Classes worth contacting; empty means all.
    pub classes: Vec<LeadClass>,
    /// Words to look for in position or company.
    pub keywords: Vec<String>,
    /// Regions or countries; empty means anywhere.
    pub locations: Vec<String>,
    /// Leads scoring below this are not contacted (0 = no threshold).
    pub min_score: u8,
}

/// A message template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Stable id, e.g. `speaker-first-v1`.
    pub id: String,
    pub channel: Channel,
    pub step: Step,
    /// The text with placeholders.
    pub body: String,
    /// Relative weight for template choice (a bandit's prior), ≥ 0.
    pub weight: f64,
}

/// How leads are spread over sender accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationStrategy {
    /// In turn.
    RoundRobin,
    /// To the account with the most budget left.
    LeastLoaded,
    /// Best leads to the best-performing accounts.
    ByScore,
}

/// When a draft needs a person's approval before it may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalPolicy {
    /// Every draft.
    Always,
    /// No draft.
    Never,
    /// The campaign's first n drafts, while the team builds trust.
    FirstN(u32),
    /// Drafts whose decision confidence is below the threshold (in [0, 1]).
    BelowConfidence(f64),
}

impl ApprovalPolicy {
    /// Whether the next draft needs approval. A confidence that is not a number needs it.
    pub fn requires_approval(self, drafts_so_far: u32, confidence: f64) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::FirstN(n) => drafts_so_far < n,
            Self::BelowConfidence(threshold) => confidence.is_nan() || confidence < threshold,
        }
    }

    pub(super) fn validate(self) -> Result<(), CampaignError> {
        match self {
            Self::BelowConfidence(t) if !(0.0..=1.0).contains(&t) => Err(CampaignError::InvalidApprovalPolicy),
            _ => Ok(()),
        }
    }
}

/// The sender of record (CAN-SPAM: who the email is from). Our side, not the lead's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderIdentity {
    /// The organisation.
    pub organisation: String,
    /// The person who signs.
    pub sender_name: String,
    /// Where replies go.
    pub reply_to: Option<String>,
}

/// What a strategy update changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StrategyChange {
    /// New targeting criteria.
    Targeting { targeting: Targeting },
    /// New weights for some active templates.
    TemplateWeights { weights: BTreeMap<String, f64> },
    /// New score threshold and approval policy.
    Thresholds { min_score: u8, approval_policy: ApprovalPolicy },
}

pub(super) fn validate_weight(template_id: &str, weight: f64) -> Result<(), CampaignError> {
    if weight.is_finite() && weight >= 0.0 {
        Ok(())
    } else {
        Err(CampaignError::InvalidWeight { template_id: template_id.to_owned() })
    }
}

pub(super) fn validate_min_score(min_score: u8) -> Result<(), CampaignError> {
    if min_score <= 10 {
        Ok(())
    } else {
        Err(CampaignError::InvalidThreshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_policies_decide_as_documented() {
        assert!(ApprovalPolicy::Always.requires_approval(100, 1.0));
        assert!(!ApprovalPolicy::Never.requires_approval(0, 0.0));
        assert!(ApprovalPolicy::FirstN(3).requires_approval(2, 1.0));
        assert!(!ApprovalPolicy::FirstN(3).requires_approval(3, 1.0));
        assert!(ApprovalPolicy::BelowConfidence(0.8).requires_approval(0, 0.79));
        assert!(!ApprovalPolicy::BelowConfidence(0.8).requires_approval(0, 0.8));
        assert!(ApprovalPolicy::BelowConfidence(0.8).requires_approval(0, f64::NAN));
    }

    #[test]
    fn policy_thresholds_must_be_probabilities() {
        assert!(ApprovalPolicy::BelowConfidence(1.5).validate().is_err());
        assert!(ApprovalPolicy::BelowConfidence(f64::NAN).validate().is_err());
        assert!(ApprovalPolicy::BelowConfidence(0.5).validate().is_ok());
    }
}
