//! Drafting: a campaign template (or an LLM's personalised text) becomes a message carrying
//! everything the campaign and the law require, and a decision says whether a person must
//! look at it first.
//!
//! Appended blocks, in order: the signature (sender of record; with the postal address, which
//! email requires by CAN-SPAM), the AI disclosure (EU AI Act Art. 50), on the first step the
//! first-contact notice (GDPR Art. 14, with the right to object of Art. 21(4)), and on every
//! message the opt-out line.

mod approval;
mod placeholders;

pub use approval::{needs_approval, ApprovalNeed};

use reachspark_domain::campaign::{CampaignSettings, Template};
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::event::Actor;
use reachspark_domain::lead::Step;
use reachspark_domain::sender_account::Channel;

use crate::actors::OUTREACH;
use crate::profile::Profile;
use crate::rules::{self, round2};

/// The line that tells every recipient how to object; [`rules::analyze_reply`] recognises the
/// word it asks for.
pub const OPT_OUT_LINE: &str =
    "If you would rather not hear from us, reply \"unsubscribe\" and we will not contact you again.";

/// Whom the message is for, as the lead's record has it (personal data, used only in the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient<'a> {
    /// Full name; may be blank when only an address is known.
    pub name: &'a str,
    /// Job title.
    pub position: &'a str,
    /// Employer.
    pub company: &'a str,
}

impl<'a> Recipient<'a> {
    /// The recipient as a profile describes them.
    pub fn from_profile(profile: &'a Profile) -> Self {
        Self { name: &profile.name, position: &profile.position, company: &profile.company }
    }
}

/// Who wrote the text before the compliance blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorship<'a> {
    /// The campaign's template text, filled in by the rules engine. Written by a person.
    Template,
    /// A language model's personalised text (placeholders are still filled). Machine-written.
    Llm {
        /// Provider name.
        provider: &'a str,
        /// Model name.
        model: &'a str,
        /// SHA-256 of the prompt, hex.
        prompt_hash: &'a str,
        /// SHA-256 of the response, hex.
        response_hash: &'a str,
        /// The model's text.
        text: &'a str,
    },
}

/// Why a draft could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    /// The text names a placeholder we do not know.
    #[error("unknown placeholder {{{0}}}")]
    UnknownPlaceholder(String),
    /// A brace without its partner, or a placeholder name with other than letters, digits, `_`.
    #[error("malformed placeholder")]
    MalformedPlaceholder,
    /// Nothing to send.
    #[error("the message text is empty")]
    EmptyText,
    /// CAN-SPAM: email needs a sender of record.
    #[error("email needs the campaign's sender identity")]
    MissingSenderIdentity,
    /// CAN-SPAM: email needs a physical postal address.
    #[error("email needs the campaign's postal address")]
    MissingPostalAddress,
    /// EU AI Act Art. 50.
    #[error("the campaign has no AI disclosure text")]
    MissingAiDisclosure,
    /// GDPR Art. 14.
    #[error("the campaign has no first-contact notice")]
    MissingFirstContactNotice,
}

/// A rendered message, ready for `draftMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// The full text (personal data).
    pub body: String,
    /// The template it follows.
    pub template_id: String,
    /// Where it goes.
    pub channel: Channel,
    /// Which message of the sequence.
    pub step: Step,
    /// Machine-written (EU AI Act Art. 50); true exactly when a model wrote the text.
    pub ai_generated: bool,
    /// The model, when machine-written.
    pub model: Option<String>,
    /// SHA-256 of the prompt, when machine-written.
    pub prompt_hash: Option<String>,
    /// Kind `Draft`, no personal data.
    pub decision: Decision,
}

/// Confidence lost for each placeholder that had to fall back to a generic value.
const FALLBACK_PENALTY: f64 = 0.25;

/// Renders `template` for `recipient` under `campaign`'s compliance settings.
pub fn render(
    template: &Template,
    recipient: &Recipient<'_>,
    campaign: &CampaignSettings,
    authorship: Authorship<'_>,
) -> Result<Draft, DraftError> {
    let identity = campaign.sender_identity.as_ref();
    let postal = campaign.postal_address.as_deref().filter(|a| !a.trim().is_empty());
    if template.channel == Channel::Email {
        identity.ok_or(DraftError::MissingSenderIdentity)?;
        postal.ok_or(DraftError::MissingPostalAddress)?;
    }
    if campaign.ai_disclosure.trim().is_empty() {
        return Err(DraftError::MissingAiDisclosure);
    }
    if template.step == Step::First && campaign.first_contact_notice.trim().is_empty() {
        return Err(DraftError::MissingFirstContactNotice);
    }

    let source = match authorship {
        Authorship::Template => template.body.as_str(),
        Authorship::Llm { text, .. } => text,
    };
    let mut fallbacks: Vec<String> = Vec::new();
    let mut values: Vec<(String, String)> = Vec::new();
    for name in placeholders::names(source) {
        let (given, fallback) =
            placeholder(&name, recipient, campaign).ok_or_else(|| DraftError::UnknownPlaceholder(name.clone()))?;
        let value = given.unwrap_or_else(|| {
            fallbacks.push(name.clone());
            fallback.to_owned()
        });
        values.push((name, value));
    }
    let text = placeholders::fill(source, |name| values.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()))?;
    if text.trim().is_empty() {
        return Err(DraftError::EmptyText);
    }

    let mut blocks = vec![text.trim_end().to_owned()];
    let mut signature = Vec::new();
    if let Some(i) = identity {
        signature.push(i.sender_name.clone());
        signature.push(i.organisation.clone());
    }
    if let Some(address) = postal {
        signature.push(address.trim().to_owned());
    }
    if !signature.is_empty() {
        blocks.push(signature.join("\n"));
    }
    blocks.push(campaign.ai_disclosure.trim().to_owned());
    if template.step == Step::First {
        blocks.push(campaign.first_contact_notice.trim().to_owned());
    }
    blocks.push(OPT_OUT_LINE.to_owned());
    let body = blocks.join("\n\n");

    let decision = decision(template, &authorship, &fallbacks, postal.is_some());
    let (ai_generated, model, prompt_hash) = match authorship {
        Authorship::Template => (false, None, None),
        Authorship::Llm { model, prompt_hash, .. } => (true, Some(model.to_owned()), Some(prompt_hash.to_owned())),
    };
    Ok(Draft {
        body,
        template_id: template.id.clone(),
        channel: template.channel,
        step: template.step,
        ai_generated,
        model,
        prompt_hash,
        decision,
    })
}

/// A placeholder's value for this recipient (`None` inside when unknown for them) and the
/// generic text used instead; `None` for a name we do not know.
fn placeholder(
    name: &str,
    recipient: &Recipient<'_>,
    campaign: &CampaignSettings,
) -> Option<(Option<String>, &'static str)> {
    let given = |s: &str| Some(s.trim().to_owned()).filter(|v| !v.is_empty());
    let words: Vec<&str> = recipient.name.split_whitespace().collect();
    let identity = campaign.sender_identity.as_ref();
    Some(match name {
        "first_name" => (words.first().and_then(|w| given(w)), "there"),
        "last_name" => (words.last().filter(|_| words.len() > 1).and_then(|w| given(w)), ""),
        "full_name" => (given(recipient.name), "there"),
        "company" => (given(recipient.company), "your company"),
        "position" => (given(recipient.position), "your role"),
        "sender_name" => (identity.and_then(|i| given(&i.sender_name)), "our team"),
        "organisation" => (identity.and_then(|i| given(&i.organisation)), "our team"),
        _ => return None,
    })
}

fn decision(template: &Template, authorship: &Authorship<'_>, fallbacks: &[String], postal: bool) -> Decision {
    let (engine, base) = match *authorship {
        Authorship::Template => (rules::engine(), 1.0),
        // A model's text has not been read by anyone yet: start below full confidence.
        Authorship::Llm { provider, model, prompt_hash, response_hash, .. } => (
            Engine::Llm {
                provider: provider.to_owned(),
                model: model.to_owned(),
                prompt_hash: prompt_hash.to_owned(),
                response_hash: response_hash.to_owned(),
            },
            0.8,
        ),
    };
    let fallback_count = f64::from(u8::try_from(fallbacks.len()).unwrap_or(u8::MAX));
    let confidence = round2((base - FALLBACK_PENALTY * fallback_count).max(0.0));
    let written_by = if matches!(authorship, Authorship::Template) { "template" } else { "language model" };
    let rationale = format!(
        "{written_by} text for step {:?} on {:?}, {} placeholder fallback(s); compliance blocks appended",
        template.step,
        template.channel,
        fallbacks.len()
    );
    let mut d = Decision::new(DecisionKind::Draft, &template.id, rationale, Actor::agent(OUTREACH), engine)
        .with_confidence(confidence)
        .with_factor("author", written_by, base);
    for name in fallbacks {
        d = d.with_factor(format!("placeholder_fallback:{name}"), "generic", -FALLBACK_PENALTY);
    }
    d = d.with_factor("block:ai_disclosure", "appended", 0.0).with_factor("block:opt_out", "appended", 0.0);
    if template.step == Step::First {
        d = d.with_factor("block:first_contact_notice", "appended", 0.0);
    }
    if postal {
        d = d.with_factor("block:postal_address", "appended", 0.0);
    }
    d
}

#[cfg(test)]
mod tests;
