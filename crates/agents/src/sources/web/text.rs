//! Text helpers: whitespace, plausible names, "Title at Company" lines, labels.

use reachspark_domain::identity::ProfileUrl;
use scraper::ElementRef;
use url::Url;

/// Whitespace collapsed to single spaces, trimmed.
pub(super) fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An element's text, cleaned.
pub(super) fn of(el: &ElementRef<'_>) -> String {
    clean(&el.text().collect::<String>())
}

/// Words that head sections and buttons, never a person's name.
const NOT_NAMES: &[&str] = &[
    "about",
    "agenda",
    "all",
    "and",
    "become",
    "blog",
    "call",
    "careers",
    "contact",
    "details",
    "for",
    "from",
    "get",
    "help",
    "home",
    "how",
    "join",
    "keynote",
    "keynotes",
    "learn",
    "meet",
    "more",
    "news",
    "our",
    "papers",
    "partners",
    "plan",
    "pricing",
    "program",
    "register",
    "sales",
    "schedule",
    "see",
    "speaker",
    "speakers",
    "sponsor",
    "sponsors",
    "talk",
    "team",
    "the",
    "tickets",
    "to",
    "touch",
    "us",
    "view",
    "we",
    "what",
    "why",
    "with",
    "workshop",
    "workshops",
    "your",
];

/// Lower-case words that belong inside names ("Ada van der Berg").
const PARTICLES: &[&str] = &["al", "bin", "da", "de", "del", "della", "der", "di", "du", "la", "le", "van", "von", "y"];

/// Whether `s` reads like a person's name: two to six words, each capitalised (or a name
/// particle), no digits or symbols, no section-heading words.
pub(super) fn plausible_name(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    if !(2..=6).contains(&words.len()) || s.chars().count() > 80 {
        return false;
    }
    if s.chars().any(|c| c.is_ascii_digit() || "@:/|#?!()[]{}<>=+*&_".contains(c)) {
        return false;
    }
    words.iter().all(|w| {
        let lower = w.to_lowercase();
        let first = w.chars().next().unwrap_or(' ');
        !NOT_NAMES.contains(&lower.trim_end_matches([',', '.']))
            && (PARTICLES.contains(&lower.as_str()) || (first.is_alphabetic() && !first.is_lowercase()))
    })
}

/// Splits "VP Engineering at Acme", "CTO @ Acme", "Head of Data, Nordwind GmbH", "CEO | Acme"
/// into the position and the company. Without a separator, the whole line is the position.
pub(super) fn split_position(line: &str) -> (String, Option<String>) {
    for sep in [" at ", " @ ", " | ", " — ", " – ", " - ", ", "] {
        // The last separator: "Head of Sales, EMEA, Acme" works for Acme.
        if let Some(i) = line.rfind(sep) {
            let (position, company) = (line[..i].trim(), line[i + sep.len()..].trim());
            if !position.is_empty() && !company.is_empty() {
                return (position.to_owned(), Some(company.to_owned()));
            }
        }
    }
    (line.trim().to_owned(), None)
}

const LABELS: &[&str] = &["keynote", "talk", "session", "presentation", "workshop", "panel", "topic"];

/// What follows a leading label such as "Keynote:" or "Talk —", if the text starts with one.
pub(super) fn after_label(s: &str) -> Option<&str> {
    let t = s.trim();
    LABELS.iter().find_map(|label| {
        let head = t.get(..label.len())?;
        if !head.eq_ignore_ascii_case(label) {
            return None;
        }
        let rest = t.get(label.len()..)?.trim_start();
        rest.strip_prefix(':')
            .or_else(|| rest.strip_prefix('—'))
            .or_else(|| rest.strip_prefix('-'))
            .map(str::trim_start)
    })
}

/// A talk title without its label and surrounding quotes.
pub(super) fn strip_label(s: &str) -> String {
    let t = after_label(s).unwrap_or(s);
    t.trim_matches(|c: char| "\"'“”‘’«»".contains(c) || c.is_whitespace()).to_owned()
}

/// The canonical LinkedIn profile URL `href` points to (relative links resolved against
/// `base`), if it is one: `linkedin.com/in/<slug>`, not a company or post.
pub(super) fn linkedin_profile(href: &str, base: &Url) -> Option<String> {
    let url = base.join(href.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    if !(host == "linkedin.com" || host.ends_with(".linkedin.com")) || !url.path().starts_with("/in/") {
        return None;
    }
    // Country hosts (de.linkedin.com) show the same profile: one person, one canonical URL.
    Some(ProfileUrl::parse(&format!("https://linkedin.com{}", url.path())).ok()?.as_str().to_owned())
}

/// `href` as an absolute URL when it leads to another page of the same site (a speaker's
/// detail page), not to an anchor on this page or elsewhere.
pub(super) fn same_site_page(href: &str, base: &Url) -> Option<String> {
    let mut url = base.join(href.trim()).ok()?;
    url.set_fragment(None);
    let same_host = url.host_str() == base.host_str() && url.scheme().starts_with("http");
    (same_host && url.path() != base.path()).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for name in ["Ada Lovelace", "Ada van der Berg", "José Núñez", "Dr. Samuel Okafor", "Mary-Jane O'Neil"] {
            assert!(plausible_name(name), "{name}");
        }
        for text in [
            "Speakers",
            "Meet the Team",
            "Read More",
            "Ada",
            "ada lovelace",
            "Track 2: Data",
            "Our Speakers",
            "Talk To Sales",
        ] {
            assert!(!plausible_name(text), "{text}");
        }
    }

    #[test]
    fn positions_and_companies() {
        assert_eq!(split_position("VP Engineering at Acme"), ("VP Engineering".into(), Some("Acme".into())));
        assert_eq!(split_position("CTO @ Quantix"), ("CTO".into(), Some("Quantix".into())));
        assert_eq!(split_position("Head of Sales, EMEA, Acme"), ("Head of Sales, EMEA".into(), Some("Acme".into())));
        assert_eq!(split_position("Founder"), ("Founder".into(), None));
    }

    #[test]
    fn links() {
        let base = Url::parse("https://conf.example/speakers").unwrap();
        let canonical = Some("https://linkedin.com/in/ada-lovelace".to_owned());
        assert_eq!(linkedin_profile("https://www.linkedin.com/in/Ada-Lovelace/?trk=x", &base), canonical);
        assert_eq!(linkedin_profile("https://de.linkedin.com/in/ada-lovelace", &base), canonical);
        assert_eq!(linkedin_profile("https://www.linkedin.com/company/acme", &base), None);
        assert_eq!(linkedin_profile("https://notlinkedin.com/in/x", &base), None);
        assert_eq!(same_site_page("/speakers/ada", &base).as_deref(), Some("https://conf.example/speakers/ada"));
        assert_eq!(same_site_page("#top", &base), None);
        assert_eq!(same_site_page("https://elsewhere.example/ada", &base), None);
    }

    #[test]
    fn labels() {
        assert_eq!(strip_label("Keynote: “Scaling Trust”"), "Scaling Trust");
        assert_eq!(strip_label("Talk — Data contracts in practice"), "Data contracts in practice");
        assert_eq!(strip_label("Talking to machines"), "Talking to machines");
        assert_eq!(strip_label("Ünïcode first: fine"), "Ünïcode first: fine");
        assert_eq!(after_label("Session: Data mesh"), Some("Data mesh"));
        assert_eq!(after_label("Sessions are recorded"), None);
    }
}
