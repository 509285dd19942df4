//! Sentiment and intent of a reply from phrase rules, in a fixed order of precedence:
//! an objection wins over everything (GDPR Art. 21 is absolute, so a doubtful "remove me" is
//! honoured), then an absence notice, then the best-supported of not interested, interested and
//! information request. A reply no rule understands comes out as a low-confidence information
//! request, which sends it to a person.

use reachspark_domain::decision::{Decision, DecisionKind};
use reachspark_domain::event::Actor;
use reachspark_domain::lead::{Intent, Sentiment};

use super::text::{Rule, Words};
use super::{engine, round2};
use crate::actors::OUTREACH;

use Intent::{InfoRequest, Interested, NotInterested, OptOut, OutOfOffice};

const OPT_OUT_PHRASES: &[&str] = &[
    "unsubscribe",
    "remove me",
    "take me off",
    "stop contacting",
    "stop messaging",
    "stop emailing",
    "stop sending",
    "do not contact",
    "dont contact",
    "do not message",
    "dont message",
    "do not email",
    "dont email",
    "never contact",
    "opt out",
    "delete my data",
    "leave me alone",
];

/// Phrases that alone mark an automatic absence notice.
const AWAY_STRONG: &[&str] = &[
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "autoreply",
    "on vacation",
    "on holiday",
    "parental leave",
    "limited access to email",
];
/// Phrases of which two mark one.
const AWAY_WEAK: &[&str] = &["will return", "back on", "away", "on leave", "returning on"];

const INTENT_RULES: &[Rule<Intent>] = &[
    ("not interested", NotInterested, 3.0),
    ("no longer interested", NotInterested, 3.0),
    ("no thanks", NotInterested, 3.0),
    ("no thank you", NotInterested, 3.0),
    ("not a fit", NotInterested, 3.0),
    ("not the right person", NotInterested, 3.0),
    ("pass on", NotInterested, 2.5),
    ("well pass", NotInterested, 2.5),
    ("no budget", NotInterested, 2.0),
    ("not for us", NotInterested, 2.5),
    ("not at this time", NotInterested, 2.0),
    ("not right now", NotInterested, 2.0),
    ("interested", Interested, 2.5),
    ("happy to chat", Interested, 3.0),
    ("happy to talk", Interested, 3.0),
    ("lets talk", Interested, 3.0),
    ("lets find", Interested, 2.0),
    ("set up a call", Interested, 3.0),
    ("book", Interested, 1.5),
    ("calendar", Interested, 1.0),
    ("count me in", Interested, 3.0),
    ("sounds great", Interested, 2.0),
    ("sounds good", Interested, 2.0),
    ("love to", Interested, 2.0),
    ("sure", Interested, 1.5),
    ("yes", Interested, 1.5),
    ("more details", InfoRequest, 2.5),
    ("more information", InfoRequest, 2.5),
    ("more info", InfoRequest, 2.5),
    ("send me", InfoRequest, 1.0),
    ("share more", InfoRequest, 2.0),
    ("what are", InfoRequest, 1.5),
    ("how many", InfoRequest, 1.5),
    ("how much", InfoRequest, 1.5),
    ("pricing", InfoRequest, 2.0),
    ("agenda", InfoRequest, 2.0),
    ("who else", InfoRequest, 2.0),
];

/// Phrases whose presence means an `interested` match is negated.
const NEGATED_INTEREST: &[&str] = &["not interested", "no longer interested"];

const WARM: &[&str] = &["sounds great", "love to", "thanks for reaching out", "great", "excited"];

fn intent_name(intent: Intent) -> &'static str {
    match intent {
        Interested => "Interested",
        NotInterested => "NotInterested",
        InfoRequest => "InfoRequest",
        OptOut => "OptOut",
        OutOfOffice => "OutOfOffice",
    }
}

/// The reply without quoted earlier messages, which may hold our own opt-out line.
pub(crate) fn own_words(text: &str) -> String {
    let mut kept = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let quote_header = (t.starts_with("On ") && t.ends_with("wrote:")) || t.starts_with("-----Original Message");
        if quote_header {
            break;
        }
        if !t.starts_with('>') {
            kept.push(line);
        }
    }
    kept.join("\n")
}

/// Analyses a reply's text. The decision's factors name the phrases that fired (our
/// vocabulary, not the reply's words), signed for or against the chosen intent.
pub fn analyze_reply(text: &str) -> (Sentiment, Intent, Decision) {
    let own = own_words(text);
    let words = Words::new(&own);
    let mut hits: Vec<(String, Intent, f64)> = Vec::new();

    let opt_outs: Vec<&str> = OPT_OUT_PHRASES.iter().copied().filter(|p| words.has(p)).collect();
    let strong: Vec<&str> = AWAY_STRONG.iter().copied().filter(|p| words.has(p)).collect();
    let weak: Vec<&str> = AWAY_WEAK.iter().copied().filter(|p| words.has(p)).collect();
    let negated = NEGATED_INTEREST.iter().any(|p| words.has(p));
    for &(phrase, intent, weight) in INTENT_RULES {
        if words.has(phrase) && !(negated && intent == Interested && phrase == "interested") {
            hits.push((format!("phrase:{phrase}"), intent, weight));
        }
    }
    let question = own.contains('?');

    let (intent, confidence, reason) = if !opt_outs.is_empty() {
        hits = opt_outs.iter().map(|p| (format!("opt_out_phrase:{p}"), OptOut, 5.0)).collect();
        (OptOut, 0.95, "an objection phrase; objections are honoured whatever else the reply says")
    } else if !strong.is_empty() || weak.len() >= 2 {
        hits = strong.iter().chain(&weak).map(|p| (format!("away_phrase:{p}"), OutOfOffice, 3.0)).collect();
        (OutOfOffice, if strong.is_empty() { 0.7 } else { 0.9 }, "an automatic absence notice")
    } else {
        if question {
            hits.push(("question_mark".to_owned(), InfoRequest, 0.5));
        }
        let total = |i: Intent| hits.iter().filter(|h| h.1 == i).map(|h| h.2).sum::<f64>();
        let scores =
            [(NotInterested, total(NotInterested)), (Interested, total(Interested)), (InfoRequest, total(InfoRequest))];
        let (best, best_score) = scores.iter().copied().fold((InfoRequest, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        if best_score == 0.0 {
            (InfoRequest, 0.3, "no rule matched; a person should read it")
        } else {
            let sum: f64 = scores.iter().map(|s| s.1).sum();
            (best, round2((best_score / sum).min(0.95)), "the best-supported intent")
        }
    };

    let sentiment = match intent {
        OptOut | NotInterested => Sentiment::Negative,
        Interested => Sentiment::Positive,
        InfoRequest if WARM.iter().any(|p| words.has(p)) => Sentiment::Positive,
        InfoRequest | OutOfOffice => Sentiment::Neutral,
    };

    hits.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let rationale = format!("{} ({sentiment:?}): {reason}; {} rule(s) fired", intent_name(intent), hits.len());
    let mut decision =
        Decision::new(DecisionKind::ReplyAnalysis, intent_name(intent), rationale, Actor::agent(OUTREACH), engine())
            .with_confidence(confidence);
    for (name, supports, weight) in hits {
        let signed = if supports == intent { weight } else { -weight };
        decision = decision.with_factor(name, intent_name(supports), signed);
    }
    (sentiment, intent, decision)
}

#[cfg(test)]
mod tests;
