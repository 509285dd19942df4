use rand::SeedableRng;
use reachspark_domain::lead::{Intent, LeadClass, Sentiment, Step};
use reachspark_domain::sender_account::Channel;

use super::*;

fn template(id: &str) -> Template {
    Template { id: id.to_owned(), channel: Channel::LinkedIn, step: Step::First, body: String::new(), weight: 1.0 }
}

#[test]
fn a_seed_always_makes_the_same_world() {
    let (a, b) = (World::generate(7, 300), World::generate(7, 300));
    assert_eq!(a.people(), b.people());
    assert_eq!(a.companies(), b.companies());
    let c = World::generate(8, 300);
    assert_ne!(a.people()[0].public(), c.people()[0].public());
}

#[test]
fn profiles_look_like_linkedin_and_never_hold_real_addresses() {
    let world = World::generate(7, 500);
    for p in world.people() {
        let profile = p.public();
        let url = profile.profile_url.as_deref().unwrap();
        assert!(url.starts_with("https://www.linkedin.com/in/") && url.ends_with(&format!("-{}", p.id())), "{url}");
        if let Some(email) = &profile.email {
            assert!(email.ends_with(".example"), "{email}");
        }
        assert!(!profile.name.is_empty() && !profile.position.is_empty() && !profile.company.is_empty());
        assert!(profile.headline.contains(&profile.position));
        assert_eq!(world.find_by_profile_url(url).map(SandboxPerson::id), Some(p.id()));
    }
    let with_email = world.profiles().filter(|p| p.email.is_some()).count();
    assert!((150..350).contains(&with_email), "{with_email} of 500 have an email");
}

#[test]
fn the_public_view_carries_no_hidden_field() {
    let world = World::generate(7, 1);
    let json = serde_json::to_value(world.people()[0].public()).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    for hidden in ["class", "fit", "base_reply", "base_positive", "style_taste", "opt_out", "seniority"] {
        assert!(!keys.contains(&hidden), "{hidden} leaks into the profile");
    }
}

#[test]
fn every_class_is_well_represented_and_fit_spreads() {
    let world = World::generate(7, 2000);
    for class in [LeadClass::Speaker, LeadClass::Sponsor, LeadClass::Other] {
        let n = world.people().iter().filter(|p| p.truth().class == class).count();
        assert!((300..1100).contains(&n), "{class:?}: {n}");
    }
    let fits: Vec<f64> = world.people().iter().map(|p| p.truth().fit).collect();
    assert!(fits.iter().all(|f| (0.0..=1.0).contains(f)));
    assert!(fits.iter().any(|f| *f < 0.3) && fits.iter().any(|f| *f > 0.7));
}

#[test]
fn a_reply_is_determined_by_the_generator_and_always_uses_the_same_draws() {
    let world = World::generate(7, 50);
    let person = &world.people()[3];
    let draw = |id: &str| {
        let mut rng = world.person_rng(person, 0);
        let reply = world.reply(person, id, Step::First, &mut rng);
        (reply, rand::Rng::gen::<u64>(&mut rng))
    };
    assert_eq!(draw("speaker-first-v1"), draw("speaker-first-v1"));
    // Whatever the template and outcome, the generator ends in the same state.
    assert_eq!(draw("speaker-first-v1").1, draw("sponsor-first-v1").1);
    let first = |salt| rand::RngCore::next_u64(&mut world.person_rng(person, salt));
    assert_ne!(first(0), first(1), "the salt separates streams");
}

#[test]
fn replies_come_in_every_kind_at_plausible_rates() {
    let world = World::generate(11, 3000);
    let mut rng = SandboxRng::seed_from_u64(1);
    let replies: Vec<SandboxReply> =
        world.people().iter().filter_map(|p| world.reply(p, "generic-first-v1", Step::First, &mut rng)).collect();
    let rate = f64::from(u32::try_from(replies.len()).unwrap()) / 3000.0;
    assert!((0.15..0.45).contains(&rate), "reply rate {rate}");
    let count = |i: Intent| replies.iter().filter(|r| r.true_intent == i).count();
    for intent in [Intent::Interested, Intent::InfoRequest, Intent::NotInterested, Intent::OptOut, Intent::OutOfOffice]
    {
        assert!(count(intent) >= 10, "{intent:?}: {}", count(intent));
    }
    assert!(replies.iter().all(|r| r.delay.as_secs() >= 60 && !r.text.is_empty()));
    let positive = replies.iter().filter(|r| r.true_sentiment == Sentiment::Positive).count();
    assert_eq!(positive, count(Intent::Interested));
}

#[test]
fn follow_ups_get_fewer_replies_than_first_messages() {
    let world = World::generate(11, 2000);
    let replies = |step| {
        let mut rng = SandboxRng::seed_from_u64(2);
        world.people().iter().filter(|p| world.reply(p, "generic-first-v1", step, &mut rng).is_some()).count()
    };
    assert!(replies(Step::FollowUp(1)) < replies(Step::First));
}

#[test]
fn the_oracle_picks_the_highest_hidden_chance() {
    let world = World::generate(7, 300);
    let ts: Vec<Template> = ["generic-first-v1", "speaker-first-v1", "sponsor-first-v1"].map(template).to_vec();
    for p in world.people() {
        let best = world.oracle_template(p, &ts).unwrap();
        let chance = |t: &Template| p.truth().positive_reply_probability(&t.id, t.step);
        assert!(ts.iter().all(|t| chance(best) >= chance(t)));
        if p.truth().class == LeadClass::Speaker {
            assert_eq!(best.id, "speaker-first-v1");
        }
    }
    assert_eq!(world.oracle_template(&world.people()[0], &[]), None);
}
