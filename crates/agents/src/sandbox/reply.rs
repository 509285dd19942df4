//! Drawing a reply from a person's hidden propensities, with a realistic text.
//!
//! Every call takes the same number of draws from the generator whatever the outcome, so two
//! policies that message the same person with generators in the same state see coupled
//! outcomes (common random numbers): a comparison between them measures the policies, not luck.

use std::time::Duration;

use rand::Rng;
use reachspark_domain::lead::{Intent, Sentiment, Step};
use serde::{Deserialize, Serialize};

use super::person::Truth;

/// A reply the sandbox world sends back, with the truth about it for measuring reply analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxReply {
    /// How long after the message the reply arrives.
    pub delay: Duration,
    /// The reply as the person wrote it.
    pub text: String,
    /// The sentiment the person meant.
    pub true_sentiment: Sentiment,
    /// The intent the person meant.
    pub true_intent: Intent,
}

const INTERESTED: &[&str] = &[
    "Sounds great, happy to chat. When works for you?",
    "Yes, I'd be interested. Let's set up a call.",
    "Thanks for reaching out! Count me in, let's talk next week.",
    "Good timing, we were just discussing this. Happy to talk.",
    "Sure, let's find 20 minutes on Thursday.",
    "I'm interested. Book something in my calendar.",
    "Not sure I have much time, but happy to chat briefly.",
];

const INFO_REQUEST: &[&str] = &[
    "Could you send me more details about the event and the audience?",
    "What are the sponsorship packages and pricing?",
    "Can you share more information first? Dates, location, expected attendance.",
    "Who else is speaking? Please send the agenda.",
    "How many attendees do you expect, and what would a talk slot involve?",
];

const NOT_INTERESTED: &[&str] = &[
    "Thanks, but not interested.",
    "Not a fit for us this year, sorry.",
    "We'll pass on this one.",
    "No thanks, we have no budget for events right now.",
    "I'm not the right person for this.",
    "Interesting idea, but we're not interested at the moment.",
];

const OPT_OUT: &[&str] = &[
    "Please remove me from your list.",
    "Unsubscribe.",
    "Stop contacting me.",
    "Do not message me again.",
    "Please take me off your mailing list.",
    "I did not agree to this. Delete my data and don't contact me again.",
];

const OUT_OF_OFFICE: &[&str] = &[
    "I am out of office until Monday with limited access to email.",
    "Automatic reply: I'm on vacation and will return next week.",
    "Thanks for your message. I'm currently on parental leave.",
    "Auto-reply: away at a conference this week, back on the 12th.",
];

fn pick(texts: &[&'static str], draw: u32) -> String {
    let i = usize::try_from(draw).unwrap_or(0) % texts.len();
    texts[i].to_owned()
}

/// Hours to seconds, as a duration.
fn hours(h: f64) -> Duration {
    Duration::from_secs_f64((h * 3600.0).max(60.0))
}

pub(super) fn draw<R: Rng + ?Sized>(truth: &Truth, template_id: &str, step: Step, rng: &mut R) -> Option<SandboxReply> {
    // Always the same five draws, in this order (see the module docs).
    let [u_away, u_reply, u_kind, u_delay]: [f64; 4] = std::array::from_fn(|_| rng.gen());
    let u_text: u32 = rng.gen();
    if u_away < truth.out_of_office {
        let text = pick(OUT_OF_OFFICE, u_text);
        return Some(SandboxReply {
            delay: Duration::from_secs_f64(60.0 + 600.0 * u_delay),
            text,
            true_sentiment: Sentiment::Neutral,
            true_intent: Intent::OutOfOffice,
        });
    }
    if u_reply >= truth.reply_propensity(template_id, step) {
        return None;
    }
    let positive = truth.positive_propensity(template_id);
    // Of the replies that are not interested: an objection, an information request or a "no".
    let rest = 1.0 - positive;
    let (texts, sentiment, intent, delay_hours) = if u_kind < truth.opt_out {
        (OPT_OUT, Sentiment::Negative, Intent::OptOut, 1.0 + 24.0 * u_delay)
    } else if u_kind < truth.opt_out + (1.0 - truth.opt_out) * positive {
        (INTERESTED, Sentiment::Positive, Intent::Interested, 0.5 + 30.0 * u_delay * u_delay)
    } else if u_kind < truth.opt_out + (1.0 - truth.opt_out) * (positive + 0.35 * rest) {
        (INFO_REQUEST, Sentiment::Neutral, Intent::InfoRequest, 1.0 + 48.0 * u_delay)
    } else {
        (NOT_INTERESTED, Sentiment::Negative, Intent::NotInterested, 2.0 + 70.0 * u_delay)
    };
    Some(SandboxReply {
        delay: hours(delay_hours),
        text: pick(texts, u_text),
        true_sentiment: sentiment,
        true_intent: intent,
    })
}
