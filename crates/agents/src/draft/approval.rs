//! Whether a draft must wait for a person. The campaign's [`ApprovalPolicy`] decides (the
//! domain owns that rule and the Lead aggregate records its answer); the agent adds one floor
//! of its own from config: a draft it is unsure of goes to a person whatever the policy says
//! ("low confidence goes to a human", ARCHITECTURE.md).

use reachspark_domain::campaign::ApprovalPolicy;

/// The answer, with the reason to show in the approvals queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalNeed {
    /// Whether a person must approve before sending.
    pub required: bool,
    /// Why, in a few words.
    pub reason: &'static str,
}

/// Whether the campaign's next draft (`drafts_so_far` drafted before it) with `confidence`
/// needs approval under `policy`, or because `confidence` is below the agent's `floor`.
pub fn needs_approval(confidence: f64, policy: ApprovalPolicy, drafts_so_far: u32, floor: f64) -> ApprovalNeed {
    if policy.requires_approval(drafts_so_far, confidence) {
        let reason = match policy {
            ApprovalPolicy::Always => "the campaign approves every draft",
            ApprovalPolicy::FirstN(_) => "one of the campaign's first drafts",
            ApprovalPolicy::BelowConfidence(_) => "confidence below the campaign's threshold",
            ApprovalPolicy::Never => "the campaign policy",
        };
        return ApprovalNeed { required: true, reason };
    }
    if confidence.is_nan() || confidence < floor {
        return ApprovalNeed { required: true, reason: "confidence below the agent's floor" };
    }
    ApprovalNeed { required: false, reason: "the campaign policy lets it through" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_campaign_policy_decides_first() {
        assert!(needs_approval(1.0, ApprovalPolicy::Always, 99, 0.0).required);
        assert!(needs_approval(1.0, ApprovalPolicy::FirstN(5), 4, 0.0).required);
        assert!(!needs_approval(1.0, ApprovalPolicy::FirstN(5), 5, 0.0).required);
        assert!(needs_approval(0.7, ApprovalPolicy::BelowConfidence(0.8), 0, 0.0).required);
        assert!(!needs_approval(0.9, ApprovalPolicy::BelowConfidence(0.8), 0, 0.0).required);
    }

    #[test]
    fn the_agents_floor_catches_what_a_lenient_policy_lets_through() {
        let need = needs_approval(0.4, ApprovalPolicy::Never, 0, 0.5);
        assert_eq!(need, ApprovalNeed { required: true, reason: "confidence below the agent's floor" });
        assert!(!needs_approval(0.5, ApprovalPolicy::Never, 0, 0.5).required);
        assert!(needs_approval(f64::NAN, ApprovalPolicy::Never, 0, 0.5).required);
    }
}
