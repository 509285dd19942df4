use reachspark_domain::decision::DecisionKind;

use super::*;
use crate::rules::classify;
use crate::sandbox::World;

fn profile(position: &str) -> Profile {
    Profile {
        name: "Grace Hopper".into(),
        position: position.into(),
        company: "Navy Compilers".into(),
        headline: format!("{position} at Navy Compilers"),
        bio: "Always learning.".into(),
        industry: Some("Developer Tools".into()),
        company_size: Some(800),
        location: Some("Germany".into()),
        profile_url: Some("https://www.linkedin.com/in/grace-1".into()),
        email: Some("grace@navy.example".into()),
        facts: Vec::new(),
    }
}

fn points(d: &Decision, name: &str) -> Option<f64> {
    d.factors.iter().find(|f| f.name == name).map(|f| f.contribution)
}

#[test]
fn seniority_reads_from_the_title() {
    for (title, expected) in [
        ("Chief Marketing Officer", Seniority::Executive),
        ("VP Partnerships", Seniority::Executive),
        ("Head of Developer Relations", Seniority::Executive),
        ("Senior Software Engineer", Seniority::Senior),
        ("Principal Engineer", Seniority::Senior),
        ("Junior Data Analyst", Seniority::Junior),
        ("Junior Head of Nothing", Seniority::Junior),
        ("Accountant", Seniority::Mid),
        ("Directory Administrator", Seniority::Mid),
    ] {
        assert_eq!(seniority(title), expected, "{title}");
    }
}

#[test]
fn a_senior_targeted_speaker_with_evidence_scores_high_and_explains_it() {
    let mut p = profile("Head of Developer Relations");
    p.facts.push(ProfileFact { attribute: ProfileFact::RECENT_TALK.into(), value: "x".into(), evidence_url: None });
    let targeting = Targeting {
        classes: vec![LeadClass::Speaker],
        keywords: vec!["Developer Relations".into()],
        ..Targeting::default()
    };
    let (quality, d) = score(&p, LeadClass::Speaker, &targeting);
    d.validate(DecisionKind::Score).unwrap();
    assert_eq!(d.output, quality.to_string());
    assert_eq!(points(&d, "seniority"), Some(2.0));
    assert_eq!(points(&d, "class_targeted"), Some(2.0));
    assert_eq!(points(&d, "evidence"), Some(1.0));
    assert_eq!(points(&d, "targeting_keyword"), Some(1.0));
    assert_eq!(quality, 10);
    // Largest factors first.
    let sizes: Vec<f64> = d.factors.iter().map(|f| f.contribution.abs()).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
}

#[test]
fn the_factors_add_up_to_the_score() {
    let world = World::generate(4, 300);
    let targeting =
        Targeting { classes: vec![LeadClass::Sponsor], locations: vec!["Germany".into()], ..Targeting::default() };
    for p in world.profiles() {
        let (class, _) = classify(p);
        let (quality, d) = score(p, class, &targeting);
        let total = f64::from(BASE) + d.factors.iter().map(|f| f.contribution).sum::<f64>();
        assert_eq!(f64::from(quality), total.clamp(1.0, 10.0), "{}", d.rationale);
        assert!(d.factors.iter().all(|f| f.contribution != 0.0));
    }
}

#[test]
fn leads_outside_the_targeting_score_low() {
    let mut p = profile("Junior Accountant");
    p.email = None;
    p.location = Some("Spain".into());
    let targeting =
        Targeting { classes: vec![LeadClass::Speaker], locations: vec!["Germany".into()], ..Targeting::default() };
    let (quality, d) = score(&p, LeadClass::Other, &targeting);
    assert_eq!(points(&d, "class_not_targeted"), Some(-3.0));
    assert_eq!(points(&d, "location"), Some(-2.0));
    assert_eq!(points(&d, "no_email"), Some(-1.0));
    assert_eq!(points(&d, "seniority"), Some(-1.0));
    assert_eq!(quality, 1, "clamped at the bottom");
}

#[test]
fn missing_inputs_lower_the_confidence() {
    let full = score(&profile("CTO"), LeadClass::Speaker, &Targeting::default()).1.confidence;
    let bare = Profile { position: "CTO".into(), ..Profile::default() };
    let sparse = score(&bare, LeadClass::Speaker, &Targeting::default()).1.confidence;
    assert!((full - 1.0).abs() < 1e-9 && (sparse - 0.5).abs() < 1e-9, "{full} {sparse}");
}

/// Scores must track the hidden fit of the sandbox world they never see.
#[test]
fn scores_follow_the_hidden_fit() {
    let world = World::generate(7, 2000);
    let targeting = Targeting { classes: vec![LeadClass::Speaker, LeadClass::Sponsor], ..Targeting::default() };
    let (mut high, mut low) = (Vec::new(), Vec::new());
    for p in world.people() {
        let (class, _) = classify(p.public());
        match score(p.public(), class, &targeting).0 {
            7.. => high.push(p.truth().fit),
            ..=4 => low.push(p.truth().fit),
            _ => {}
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / f64::from(u32::try_from(v.len()).unwrap());
    assert!(high.len() > 200 && low.len() > 200, "{} high, {} low", high.len(), low.len());
    assert!(mean(&high) > mean(&low) + 0.2, "high {} low {}", mean(&high), mean(&low));
}
