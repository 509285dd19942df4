//! The web lead source against pages served on loopback.

use std::time::Duration;

use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use reachspark_agents::profile::{Profile, ProfileFact};
use reachspark_agents::sources::web::{FoundBy, WebCandidate, WebSource, WebSourceError};
use reachspark_domain::lead::LeadClass;

use crate::support::serve;

async fn site() -> String {
    let page = |html: &'static str| get(move || async move { Html(html) });
    let app = Router::new()
        .route("/speakers", page(include_str!("fixtures/speakers.html")))
        .route("/team", page(include_str!("fixtures/team.html")))
        .route("/meetup", page(include_str!("fixtures/meetup.html")))
        .route("/blog/pricing-lessons", page(include_str!("fixtures/blog.html")))
        .route("/2025/speakers", get(|| async { (StatusCode::MOVED_PERMANENTLY, [(LOCATION, "/speakers")]) }))
        .route("/speakers.json", get(|| async { ([(CONTENT_TYPE, "application/json")], "[]").into_response() }));
    format!("http://{}", serve(app).await)
}

fn source() -> WebSource {
    WebSource::new(Duration::from_secs(5)).unwrap()
}

fn fact<'a>(p: &'a Profile, attribute: &str) -> Option<&'a str> {
    p.facts.iter().find(|f| f.attribute == attribute).map(|f| f.value.as_str())
}

/// Name, position, company and LinkedIn URL of each candidate.
fn rows(people: &[WebCandidate]) -> Vec<(&str, &str, &str, Option<&str>)> {
    people
        .iter()
        .map(|c| {
            let p = &c.profile;
            (p.name.as_str(), p.position.as_str(), p.company.as_str(), p.profile_url.as_deref())
        })
        .collect()
}

#[tokio::test]
async fn a_conference_speaker_page_gives_its_speakers_with_their_talks() {
    let base = site().await;
    let people = source().fetch_people(&format!("{base}/speakers")).await.unwrap();
    assert_eq!(
        rows(&people),
        [
            (
                "María González",
                "Chief Technology Officer",
                "Quantix",
                Some("https://linkedin.com/in/maria-gonzalez-quantix")
            ),
            (
                "Lena Fischer",
                "Head of Data Platform",
                "Nordwind Logistik GmbH",
                Some("https://linkedin.com/in/lena-fischer-4a2b1c")
            ),
            ("Tom Okonkwo", "VP Engineering", "Streamline.io", None),
            ("Priya Raman", "Senior Developer Advocate", "Cloudlane", None),
        ],
        "sponsors, headings and buttons are not people"
    );
    let talks: Vec<Option<&str>> = people.iter().map(|c| fact(&c.profile, ProfileFact::TALK_TITLE)).collect();
    assert_eq!(
        talks,
        [
            Some("Scaling Trust in Machine Learning"),
            Some("Data contracts in practice: two years in"),
            Some("Streaming joins without tears"),
            Some("Observability for data pipelines"),
        ]
    );
    let page = format!("{base}/speakers");
    for c in &people {
        assert_eq!(c.evidence_url, page);
        assert_eq!(c.found_by, FoundBy::Markup);
        assert!(c.profile.facts.iter().all(|f| f.evidence_url.as_deref() == Some(page.as_str())));
        assert_eq!(fact(&c.profile, ProfileFact::RECENT_TALK), fact(&c.profile, ProfileFact::TALK_TITLE));
    }
    assert_eq!(
        fact(&people[2].profile, ProfileFact::PROFILE_PAGE),
        Some(format!("{base}/speakers/tom-okonkwo").as_str())
    );
    assert_eq!(people[0].profile.headline, "Chief Technology Officer at Quantix");
    // The talk is evidence the rules engine reads.
    let (class, _) = reachspark_agents::rules::classify(&people[1].profile);
    assert_eq!(class, LeadClass::Speaker);
}

#[tokio::test]
async fn a_team_page_gives_the_site_owner_as_employer() {
    let base = site().await;
    let people = source().fetch_people(&format!("{base}/team")).await.unwrap();
    assert_eq!(
        rows(&people),
        [
            ("Ingrid Halvorsen", "Co-founder & CEO", "Helix Robotics", Some("https://linkedin.com/in/ingridhalvorsen")),
            (
                "Kenji Watanabe",
                "Head of Sales, EMEA",
                "Helix Robotics",
                Some("https://linkedin.com/in/kenji-watanabe-sales")
            ),
            ("Aisha Bello", "Director of Partnerships", "Helix Robotics", None),
            ("Samuel Okafor", "Advisor, former CTO of Mediscan", "Helix Robotics", None),
            ("Claire Dubois", "Board Member", "Helix Robotics", None),
        ]
    );
    let by: Vec<FoundBy> = people.iter().map(|c| c.found_by).collect();
    assert_eq!(by, [FoundBy::Microdata, FoundBy::Microdata, FoundBy::Microdata, FoundBy::Markup, FoundBy::Markup]);
    assert!(people.iter().all(|c| c.profile.facts.iter().all(|f| f.attribute != ProfileFact::RECENT_TALK)));
    assert!(people.iter().all(|c| c.profile.email.is_none()), "a mailto link is not read as consent to email");
}

#[tokio::test]
async fn json_ld_sessions_name_their_speakers_and_talks() {
    let base = site().await;
    let people = source().fetch_people(&format!("{base}/meetup")).await.unwrap();
    assert_eq!(
        rows(&people),
        [
            ("Oskar Lindqvist", "Principal Engineer", "Ericsson", Some("https://linkedin.com/in/oskar-lindqvist")),
            ("Hanna Berg", "Staff Engineer", "Klarna", None),
            ("Jonas Ek", "CTO", "Tidewater AB", None),
        ]
    );
    assert!(people.iter().all(|c| c.found_by == FoundBy::JsonLd));
    let talks: Vec<Option<&str>> = people.iter().map(|c| fact(&c.profile, ProfileFact::TALK_TITLE)).collect();
    assert_eq!(
        talks,
        [
            Some("Async Rust in embedded firmware"),
            Some("Lessons from a year of sqlx in production"),
            Some("Lessons from a year of sqlx in production"),
        ]
    );
    assert_eq!(fact(&people[1].profile, ProfileFact::PROFILE_PAGE), Some(format!("{base}/people/hanna-berg").as_str()));
}

#[tokio::test]
async fn a_page_without_people_gives_none() {
    let base = site().await;
    assert_eq!(source().fetch_people(&format!("{base}/blog/pricing-lessons")).await.unwrap(), []);
}

#[tokio::test]
async fn missing_pages_other_content_and_oversized_pages_are_errors() {
    let base = site().await;
    assert_eq!(source().fetch_people(&format!("{base}/nope")).await, Err(WebSourceError::Status(404)));
    assert_eq!(source().fetch_people(&format!("{base}/speakers.json")).await, Err(WebSourceError::NotHtml));
    let small = source().with_max_bytes(1024);
    assert_eq!(small.fetch_people(&format!("{base}/speakers")).await, Err(WebSourceError::TooLarge(1024)));
    assert_eq!(source().fetch_people("ftp://example.com/speakers").await, Err(WebSourceError::InvalidUrl));
    let closed = format!("http://127.0.0.1:{}/speakers", crate::support::closed_port());
    assert_eq!(source().fetch_people(&closed).await, Err(WebSourceError::Network("connect")));
}

#[tokio::test]
async fn a_moved_page_is_followed_and_the_final_address_is_the_evidence() {
    let base = site().await;
    let people = source().fetch_people(&format!("{base}/2025/speakers")).await.unwrap();
    assert_eq!(people.len(), 4);
    assert_eq!(people[0].evidence_url, format!("{base}/speakers"));
}
