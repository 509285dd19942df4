//! What every draft of a campaign must carry before it may be recorded: the first-contact
//! notice on a first message (GDPR Art. 14, with the right to object of Art. 21), the AI
//! disclosure on machine-written text (EU AI Act Art. 50), and on email the sender of record
//! and postal address (CAN-SPAM). Checked by whoever records a draft, from the campaign's state,
//! so that no agent or client can send a message without them.

use super::state::CampaignState;
use crate::lead::Step;
use crate::sender_account::Channel;

/// Why a draft may not be recorded for this campaign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum DraftError {
    /// No such campaign.
    #[error("the campaign does not exist")]
    NotCreated,
    /// A paused campaign starts no new outreach.
    #[error("the campaign is paused")]
    CampaignPaused,
    /// The template is not one of the campaign's.
    #[error("template {0} is unknown")]
    UnknownTemplate(String),
    /// Retired templates stay for history only.
    #[error("template {0} is retired")]
    TemplateRetired(String),
    /// The template is for another channel or step.
    #[error("template {0} is for another channel or step")]
    TemplateMismatch(String),
    /// A first message must carry the campaign's first-contact notice, word for word.
    #[error("a first message must contain the campaign's first-contact notice")]
    MissingFirstContactNotice,
    /// Machine-written text must carry the campaign's AI disclosure, word for word.
    #[error("an AI-generated message must contain the campaign's AI disclosure")]
    MissingAiDisclosure,
    /// An email must name the sender organisation and carry the postal address.
    #[error("an email must contain the sender organisation and the postal address")]
    MissingSenderIdentity,
}

/// A draft as the campaign sees it: no personal data is needed to check it.
#[derive(Debug, Clone, Copy)]
pub struct DraftCheck<'a> {
    pub template_id: Option<&'a str>,
    pub channel: Channel,
    pub step: Step,
    pub body: &'a str,
    pub ai_generated: bool,
}

impl CampaignState {
    /// Whether `draft` carries everything this campaign requires.
    pub fn check_draft(&self, draft: DraftCheck<'_>) -> Result<(), DraftError> {
        let settings = self.settings().ok_or(DraftError::NotCreated)?;
        if self.is_paused() {
            return Err(DraftError::CampaignPaused);
        }
        if let Some(id) = draft.template_id {
            let record = self.template(id).ok_or_else(|| DraftError::UnknownTemplate(id.to_owned()))?;
            if record.retired {
                return Err(DraftError::TemplateRetired(id.to_owned()));
            }
            if record.template.channel != draft.channel || record.template.step != draft.step {
                return Err(DraftError::TemplateMismatch(id.to_owned()));
            }
        }
        if draft.step == Step::First && !draft.body.contains(settings.first_contact_notice.trim()) {
            return Err(DraftError::MissingFirstContactNotice);
        }
        if draft.ai_generated && !draft.body.contains(settings.ai_disclosure.trim()) {
            return Err(DraftError::MissingAiDisclosure);
        }
        if draft.channel == Channel::Email {
            let organisation = settings.sender_identity.as_ref().map(|i| i.organisation.trim());
            let address = settings.postal_address.as_deref().map(str::trim);
            let carries = |text: Option<&str>| text.is_some_and(|t| !t.is_empty() && draft.body.contains(t));
            if !carries(organisation) || !carries(address) {
                return Err(DraftError::MissingSenderIdentity);
            }
        }
        Ok(())
    }
}
