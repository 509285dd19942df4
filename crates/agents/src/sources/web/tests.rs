use url::Url;

use super::*;
use crate::profile::ProfileFact;

fn people(html: &str) -> Vec<WebCandidate> {
    extract_people(html, &Url::parse("https://conf.example/speakers").unwrap())
}

fn summary(c: &WebCandidate) -> (&str, &str, &str) {
    (c.profile.name.as_str(), c.profile.position.as_str(), c.profile.company.as_str())
}

#[test]
fn json_ld_and_a_card_for_the_same_person_merge() {
    let html = r#"<html><head><script type="application/ld+json">
        {"@context": "https://schema.org", "@graph": [
          {"@type": "Person", "name": "Ada Lovelace", "jobTitle": "Chief Scientist",
           "worksFor": [{"@type": "Organization", "name": "Analytical Engines Ltd"}]}
        ]}</script></head>
        <body><div class="speaker"><h3>Ada Lovelace</h3><p class="talk-title">Notes on the engine</p>
        <a href="https://www.linkedin.com/in/ada">in</a></div></body></html>"#;
    let found = people(html);
    assert_eq!(found.len(), 1);
    assert_eq!(summary(&found[0]), ("Ada Lovelace", "Chief Scientist", "Analytical Engines Ltd"));
    assert_eq!(found[0].found_by, FoundBy::JsonLd);
    assert_eq!(found[0].profile.profile_url.as_deref(), Some("https://linkedin.com/in/ada"));
    assert!(found[0]
        .profile
        .facts
        .iter()
        .any(|f| f.attribute == ProfileFact::TALK_TITLE && f.value == "Notes on the engine"));
}

#[test]
fn organisation_employees_in_json_ld_work_there() {
    let html = r#"<script type="application/ld+json">
        {"@type": "Corporation", "name": "Helix Robotics",
         "employee": [{"@type": "Person", "name": "Ingrid Halvorsen", "jobTitle": "CEO"}],
         "founder": {"@type": ["Person"], "name": "Kenji Watanabe"}}</script>"#;
    let found: Vec<_> = people(html).iter().map(|c| summary(c).2.to_owned()).collect();
    assert_eq!(found, ["Helix Robotics", "Helix Robotics"]);
}

#[test]
fn microdata_reads_a_nested_employer_and_skips_its_name() {
    let html = r#"<div itemscope itemtype="http://schema.org/Person">
          <h3 itemprop="name">Grace Hopper</h3>
          <span itemprop="jobTitle">Rear Admiral</span>
          <div itemprop="worksFor" itemscope itemtype="http://schema.org/Organization">
            <span itemprop="name">US Navy</span></div>
        </div>"#;
    let found = people(html);
    assert_eq!(found.iter().map(summary).collect::<Vec<_>>(), [("Grace Hopper", "Rear Admiral", "US Navy")]);
    assert_eq!(found[0].found_by, FoundBy::Microdata);
}

#[test]
fn a_speaker_without_a_talk_title_still_spoke_at_the_event() {
    let html = r#"<head><meta property="og:title" content="DevDays 2026"></head>
        <ul class="speaker-list"><li><strong>Alan Turing</strong><span>Fellow, King's College</span></li>
        <li><strong>Joan Clarke</strong><span>Cryptanalyst</span></li></ul>"#;
    let found = people(html);
    assert_eq!(
        found.iter().map(summary).collect::<Vec<_>>(),
        [("Alan Turing", "Fellow", "King's College"), ("Joan Clarke", "Cryptanalyst", "")]
    );
    let recent: Vec<_> = found[0].profile.facts.iter().map(|f| (f.attribute.as_str(), f.value.as_str())).collect();
    assert_eq!(recent, [(ProfileFact::RECENT_TALK, "DevDays 2026")]);
}

#[test]
fn a_heading_styled_as_a_title_is_the_name_not_the_job() {
    let html = r#"<div class="speaker"><h3 class="card-title">Ada Lovelace</h3><p class="job-title">CTO, Engines</p>
        <p class="session-title">Notes</p></div>"#;
    let found = people(html);
    assert_eq!(found.iter().map(summary).collect::<Vec<_>>(), [("Ada Lovelace", "CTO", "Engines")]);
}

#[test]
fn broken_markup_and_empty_pages_give_nobody() {
    assert!(people("").is_empty());
    assert!(people("<div class='speaker'><h3>Speakers</h3></div><p>unclosed <b>tags").is_empty());
    assert!(people(r#"<script type="application/ld+json">{"@type": "Person"}</script>"#).is_empty());
}
