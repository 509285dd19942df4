//! Personalise a template for one recipient. The model sees the template, the channel and the
//! recipient's role, company, headline and facts — not their name or address: it keeps the
//! template's placeholders, which [`draft::render`] fills in. Its text must render: a
//! placeholder we do not know, or none of the text, makes the answer invalid.

use reachspark_domain::campaign::{CampaignSettings, Template};
use serde::Deserialize;
use serde_json::json;

use super::super::client::Prompt;
use super::super::schema::{self, number, object};
use crate::draft::{self, Authorship, DraftError, Recipient};
use crate::profile::Profile;

/// Longest text accepted, in characters (a LinkedIn message holds 8,000; ours stay short).
const MAX_CHARS: usize = 3000;

/// The model's text, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Answer {
    pub(crate) text: String,
    pub(crate) confidence: f64,
}

pub(crate) fn prompt(template: &Template, recipient: &Recipient<'_>, profile: Option<&Profile>) -> Prompt {
    let facts: Vec<_> = profile
        .map(|p| p.facts.iter().map(|f| json!({"attribute": f.attribute, "value": f.value})).collect())
        .unwrap_or_default();
    let case = json!({
        "template": template.body,
        "channel": template.channel,
        "step": template.step,
        "recipient": {
            "position": recipient.position,
            "company": recipient.company,
            "headline": profile.map(|p| p.headline.as_str()),
            "industry": profile.and_then(|p| p.industry.as_deref()),
            "facts": facts,
        },
    });
    let schema =
        object(&[("text", json!({"type": "string", "maxLength": MAX_CHARS})), ("confidence", number(0.0, 1.0))]);
    Prompt {
        task: "draft_personalisation",
        system: "You personalise one outreach message about developer events for one recipient. Keep \
                 the template's purpose, tone and length; use the recipient's context where it helps. \
                 Keep placeholders such as {first_name} and {company} exactly as written; use no other \
                 braces. Write no signature, opt-out line, legal notice or AI disclosure: they are added \
                 after your text. Confidence is how sure you are that the text is accurate and \
                 appropriate. Answer with JSON matching the schema."
            .to_owned(),
        user: case.to_string(),
        schema,
    }
}

/// Checks the answer, including that its text renders for this recipient and campaign.
pub(crate) fn parse(
    content: &str,
    template: &Template,
    recipient: &Recipient<'_>,
    campaign: &CampaignSettings,
) -> Result<Answer, String> {
    let answer: Answer = schema::parse(content)?;
    schema::within("confidence", answer.confidence, 0.0, 1.0)?;
    if answer.text.trim().is_empty() {
        return Err("text is empty".to_owned());
    }
    if answer.text.chars().count() > MAX_CHARS {
        return Err(format!("text is longer than {MAX_CHARS} characters"));
    }
    let trial = Authorship::Llm { provider: "", model: "", prompt_hash: "", response_hash: "", text: &answer.text };
    match draft::render(template, recipient, campaign, trial) {
        Ok(_) => Ok(answer),
        // Not the placeholder's name: it is the model's text.
        Err(DraftError::UnknownPlaceholder(_)) => Err("text uses an unknown placeholder".to_owned()),
        Err(DraftError::MalformedPlaceholder) => Err("text has a stray or malformed brace".to_owned()),
        Err(e) => Err(format!("text does not render: {e}")),
    }
}
