use rand::SeedableRng;
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::lead::Step;

use super::*;
use crate::sandbox::{SandboxRng, World};

#[test]
fn phrasings_map_to_intents() {
    use Sentiment::{Negative, Neutral, Positive};
    for (text, sentiment, intent) in [
        ("Sounds great, happy to chat. When works for you?", Positive, Interested),
        ("Yes, let's talk next week.", Positive, Interested),
        ("Not sure I have much time, but happy to chat briefly.", Positive, Interested),
        ("Could you send me more details about the audience?", Neutral, InfoRequest),
        ("What are the sponsorship packages and pricing?", Neutral, InfoRequest),
        ("Thanks, but not interested.", Negative, NotInterested),
        ("Interesting idea, but we're not interested at the moment.", Negative, NotInterested),
        ("I'm not the right person for this.", Negative, NotInterested),
        ("Please remove me from your list.", Negative, OptOut),
        ("UNSUBSCRIBE", Negative, OptOut),
        ("Stop contacting me.", Negative, OptOut),
        ("Don't contact me again", Negative, OptOut),
        ("I did not agree to this. Delete my data.", Negative, OptOut),
        ("Automatic reply: I'm on vacation until Monday.", Neutral, OutOfOffice),
        ("I'm away this week and will return on the 12th.", Neutral, OutOfOffice),
    ] {
        let (s, i, d) = analyze_reply(text);
        assert_eq!((s, i), (sentiment, intent), "{text}");
        d.validate(DecisionKind::ReplyAnalysis).unwrap();
    }
}

#[test]
fn an_objection_wins_over_everything_else() {
    let (_, intent, d) = analyze_reply("Sounds great, but please remove me from this list, I'm out of office anyway.");
    assert_eq!(intent, OptOut);
    assert!(d.factors.iter().any(|f| f.name == "opt_out_phrase:remove me" && f.contribution > 0.0));
    assert!(d.confidence >= 0.9);
}

#[test]
fn quoted_earlier_messages_are_not_read_as_the_reply() {
    let text =
        "Happy to chat, book a slot!\n\nOn Mon, 3 Mar 2025, Sam wrote:\n> reply \"unsubscribe\" and we will stop";
    assert_eq!(analyze_reply(text).1, Interested);
    let inline = "Sure, let's talk.\n> If you would rather not hear from us, reply \"unsubscribe\".";
    assert_eq!(analyze_reply(inline).1, Interested);
}

#[test]
fn a_reply_no_rule_understands_goes_to_a_person() {
    let (sentiment, intent, d) = analyze_reply("Hmm.");
    assert_eq!((sentiment, intent), (Sentiment::Neutral, InfoRequest));
    assert!(d.confidence < 0.5, "{}", d.confidence);
    assert!(d.factors.is_empty());
}

#[test]
fn decisions_name_phrases_not_the_reply() {
    let (_, _, d) = analyze_reply("Thanks Jane Doe, not interested, we have no budget");
    let json = serde_json::to_string(&d).unwrap();
    assert!(!json.contains("Jane") && json.contains("phrase:not interested"));
}

/// The rules engine reads the sandbox world's replies as their writers meant them.
#[test]
fn sandbox_replies_are_read_as_meant() {
    let world = World::generate(13, 3000);
    let mut rng = SandboxRng::seed_from_u64(5);
    let (mut total, mut right) = (0_u32, 0_u32);
    for p in world.people() {
        for id in ["speaker-first-v1", "generic-first-v1"] {
            if let Some(reply) = world.reply(p, id, Step::First, &mut rng) {
                let (sentiment, intent, _) = analyze_reply(&reply.text);
                total += 1;
                right += u32::from(intent == reply.true_intent && sentiment == reply.true_sentiment);
            }
        }
    }
    let accuracy = f64::from(right) / f64::from(total);
    assert!(total > 500 && accuracy >= 0.95, "{right}/{total}");
}
