use reachspark_domain::decision::DecisionKind;

use super::*;
use crate::sandbox::World;

fn profile(position: &str, bio: &str) -> Profile {
    Profile {
        name: "Ada Lovelace".into(),
        position: position.into(),
        company: "Analytical Engines Ltd".into(),
        headline: format!("{position} at Analytical Engines Ltd"),
        bio: bio.into(),
        ..Profile::default()
    }
}

fn factor<'a>(d: &'a Decision, name: &str) -> Option<&'a reachspark_domain::Factor> {
    d.factors.iter().find(|f| f.name == name)
}

#[test]
fn a_devrel_title_makes_a_speaker_with_a_signed_factor() {
    let (class, d) = classify(&profile("DevRel Lead", "Coffee lover."));
    assert_eq!(class, Speaker);
    d.validate(DecisionKind::Classification).unwrap();
    assert_eq!(d.output, "Speaker");
    let f = factor(&d, "title_contains:devrel").unwrap();
    assert_eq!((f.value.as_str(), f.contribution), ("Speaker", 3.0));
    assert_eq!(d.engine, engine());
    assert!(d.confidence > 0.8, "{}", d.confidence);
}

#[test]
fn evidence_for_another_class_counts_against_the_choice() {
    let (class, d) = classify(&profile("Developer Advocate", "Connecting our brand with the Rust community."));
    assert_eq!(class, Speaker);
    let against = factor(&d, "bio_contains:our brand").unwrap();
    assert_eq!((against.value.as_str(), against.contribution), ("Sponsor", -1.5));
    assert!(d.confidence < 0.8, "a contested call is less sure: {}", d.confidence);
}

#[test]
fn a_marketer_is_a_sponsor_only_at_a_company_that_sponsors() {
    let mut p = profile("Marketing Director", "Building great teams.");
    p.industry = Some("Cloud Infrastructure".into());
    p.company_size = Some(2000);
    assert_eq!(classify(&p).0, Sponsor);
    p.industry = Some("Retail".into());
    p.company_size = Some(30);
    assert_eq!(classify(&p).0, Other);
}

#[test]
fn hard_evidence_decides_where_the_title_does_not() {
    let mut p = profile("Staff Engineer", "Always learning.");
    assert_eq!(classify(&p).0, Other);
    p.facts.push(ProfileFact {
        attribute: ProfileFact::RECENT_TALK.into(),
        value: "Talk at RustFest".into(),
        evidence_url: None,
    });
    let (class, d) = classify(&p);
    assert_eq!(class, Speaker);
    assert_eq!(factor(&d, "fact:recent_talk").unwrap().contribution, 3.0);
}

#[test]
fn no_evidence_falls_back_to_other_by_the_prior() {
    let (class, d) = classify(&Profile::default());
    assert_eq!(class, Other);
    assert!(d.factors.is_empty());
    assert!(d.rationale.contains("no signal"), "{}", d.rationale);
    // Other 1.0 against 0 and 0: e / (e + 2).
    assert!((d.confidence - 0.58).abs() < 0.01, "{}", d.confidence);
}

#[test]
fn keywords_match_whole_words() {
    let (_, d) = classify(&profile("Director of Operations", ""));
    assert!(factor(&d, "title_contains:cto").is_none());
}

#[test]
fn replaying_a_classification_gives_the_same_decision() {
    let world = World::generate(3, 50);
    for p in world.profiles() {
        assert_eq!(classify(p), classify(p));
    }
}

#[test]
fn decisions_hold_no_personal_data() {
    let world = World::generate(5, 400);
    for p in world.profiles() {
        let (_, d) = classify(p);
        let text = serde_json::to_string(&d).unwrap();
        let personal = [Some(p.name.as_str()), Some(p.company.as_str()), p.email.as_deref(), p.profile_url.as_deref()];
        for value in personal.into_iter().flatten() {
            assert!(!text.contains(value), "{value} in {text}");
        }
    }
}

/// The rules engine against the sandbox's hidden truth. The world is noisy on purpose (shared
/// titles, misleading bios, people with no signal), so a perfect score would mean the profile
/// leaks the truth; the upper bound guards against that.
#[test]
fn accuracy_on_the_sandbox_world_is_high_but_not_perfect() {
    for seed in [7, 8, 9] {
        let world = World::generate(seed, 2000);
        let correct = world.people().iter().filter(|p| classify(p.public()).0 == p.truth().class).count();
        let accuracy = f64::from(u32::try_from(correct).unwrap()) / 2000.0;
        assert!((0.9..=0.97).contains(&accuracy), "seed {seed}: accuracy {accuracy}");
    }
}
