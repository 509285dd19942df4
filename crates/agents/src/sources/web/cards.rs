//! People in the markup: schema.org microdata persons and cards whose class names say what
//! they are (`speaker-card`, `team-member`, `person`, or a plain `card` inside a `speakers`
//! section).
//!
//! A card is an element with exactly one plausible name in it; a container of several cards
//! holds several names and is not one. Inside a card, fields are found by `itemprop` first,
//! then by class words (`…-name`, `…-title`/`role`, `company`, `talk`/`session`), then by
//! position (the first heading is the name, the first short line after it the job).

use std::collections::HashSet;

use scraper::{ElementRef, Html};

use super::found::{Found, FoundBy, Kind};
use super::text::{self, linkedin_profile, plausible_name, same_site_page, split_position, strip_label};
use super::Page;

/// Class words of a person's card.
const CARD_WORDS: &[&str] =
    &["speaker", "presenter", "panelist", "panellist", "member", "person", "people", "staff", "employee", "team"];
/// Class words of parts of a card, or of the containers around cards, or of things that
/// are not people: an element with one of these is not a card itself.
const NOT_CARD_WORDS: &[&str] = &[
    "name",
    "title",
    "role",
    "position",
    "job",
    "company",
    "org",
    "photo",
    "image",
    "img",
    "avatar",
    "pic",
    "social",
    "link",
    "talk",
    "session",
    "list",
    "grid",
    "wrap",
    "container",
    "section",
    "row",
    "carousel",
    "slider",
    "head",
    "nav",
    "menu",
    "logo",
    "icon",
    "bio",
    "desc",
    "info",
    "detail",
    "content",
    "body",
    "meta",
    "text",
    "membership",
    "plan",
    "price",
    "pricing",
    "sponsor",
    "partner",
    "product",
    "ticket",
    "package",
    "tier",
    "filter",
    "count",
    "cta",
];
/// Class words of generic cards, which count when inside a speaker or team section.
const GENERIC_CARD_WORDS: &[&str] = &["card", "tile", "item", "box", "entry"];
const SPEAKER_WORDS: &[&str] = &["speaker", "presenter", "panel", "keynote"];
const TEAM_WORDS: &[&str] =
    &["team", "member", "staff", "employee", "people", "leadership", "founder", "advisor", "board"];
const POSITION_WORDS: &[&str] = &["job", "position", "role", "title", "designation", "headline", "occupation"];
const TALK_WORDS: &[&str] = &["talk", "session", "presentation", "topic", "lecture"];
const COMPANY_WORDS: &[&str] = &["company", "organi", "employer", "affiliation", "firm"];
const BLOCK_TAGS: &[&str] = &["div", "p", "ul", "ol", "li", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6"];

fn tokens(el: &ElementRef<'_>) -> Vec<String> {
    let mut t: Vec<String> = el.value().classes().map(str::to_ascii_lowercase).collect();
    t.extend(el.value().id().map(str::to_ascii_lowercase));
    t
}

fn has_word(tokens: &[String], words: &[&str]) -> bool {
    tokens.iter().any(|t| words.iter().any(|w| t.contains(w)))
}

fn itemprop(el: &ElementRef<'_>, name: &str) -> bool {
    el.value().attr("itemprop").is_some_and(|p| p.split_whitespace().any(|p| p.eq_ignore_ascii_case(name)))
}

fn is_microdata_person(el: &ElementRef<'_>) -> bool {
    el.value().attr("itemscope").is_some() && el.value().attr("itemtype").is_some_and(|t| t.ends_with("/Person"))
}

fn is_name_class(t: &str) -> bool {
    let named = t == "name" || t == "fn" || t.ends_with("-name") || t.ends_with("_name") || t.contains("fullname");
    named && !["company", "org", "event", "talk", "session", "job", "user", "file"].iter().any(|w| t.contains(w))
}

fn is_heading(el: &ElementRef<'_>) -> bool {
    matches!(el.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn descendants<'a>(card: &ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> + 'a {
    let id = card.id();
    card.descendent_elements().filter(move |e| e.id() != id)
}

/// The elements of `card` holding a plausible name, best strategy first.
fn names<'a>(card: &ElementRef<'a>) -> Vec<ElementRef<'a>> {
    let plausible = |e: &ElementRef<'_>| plausible_name(&text::of(e));
    let tiers: [&dyn Fn(&ElementRef<'_>) -> bool; 3] = [
        &|e| itemprop(e, "name") && !e.ancestors().filter_map(ElementRef::wrap).any(|a| itemprop(&a, "worksFor")),
        &|e| tokens(e).iter().any(|t| is_name_class(t)),
        &|e| is_heading(e) || matches!(e.value().name(), "strong" | "b"),
    ];
    for tier in tiers {
        let found: Vec<ElementRef<'a>> = descendants(card).filter(|e| tier(e) && plausible(e)).collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

fn is_card(el: &ElementRef<'_>) -> bool {
    if is_microdata_person(el) {
        return true;
    }
    let own = tokens(el);
    if has_word(&own, NOT_CARD_WORDS) {
        return false;
    }
    if has_word(&own, CARD_WORDS) {
        return true;
    }
    let generic = has_word(&own, GENERIC_CARD_WORDS) || el.value().name() == "li";
    generic && el.ancestors().filter_map(ElementRef::wrap).any(|a| has_word(&tokens(&a), CARD_WORDS))
}

fn kind(card: &ElementRef<'_>) -> Kind {
    for el in std::iter::once(*card).chain(card.ancestors().filter_map(ElementRef::wrap)) {
        let t = tokens(&el);
        if has_word(&t, SPEAKER_WORDS) {
            return Kind::Speaker;
        }
        if has_word(&t, TEAM_WORDS) {
            return Kind::Team;
        }
    }
    Kind::Unknown
}

/// A short line of text with no blocks inside: a candidate for the job line.
fn is_line(el: &ElementRef<'_>) -> bool {
    let t = text::of(el);
    !t.is_empty()
        && t.chars().count() <= 120
        && !el.child_elements().any(|c| BLOCK_TAGS.contains(&c.value().name()))
        // Link texts ("LinkedIn", "Read more") are not job lines.
        && !std::iter::once(*el).chain(el.ancestors().filter_map(ElementRef::wrap)).any(|a| a.value().name() == "a")
}

fn inside(el: &ElementRef<'_>, of: &ElementRef<'_>) -> bool {
    el.id() == of.id() || el.ancestors().any(|a| a.id() == of.id())
}

fn value(el: &ElementRef<'_>) -> String {
    if el.value().attr("itemscope").is_some() {
        if let Some(name) = descendants(el).find(|e| itemprop(e, "name")) {
            return text::of(&name);
        }
    }
    el.value().attr("content").map(text::clean).unwrap_or_else(|| text::of(el))
}

/// The card's element for a field, by `itemprop` first, then by class words; never the name
/// (a `card-title` heading holding the name is not the job title).
fn field<'a>(
    card: &ElementRef<'a>,
    name: &ElementRef<'a>,
    props: &[&str],
    words: &[&str],
    not: &[&str],
) -> Option<ElementRef<'a>> {
    let candidates = || descendants(card).filter(|e| !inside(e, name) && !inside(name, e));
    candidates().find(|e| props.iter().any(|p| itemprop(e, p))).or_else(|| {
        candidates().find(|e| {
            let t = tokens(e);
            has_word(&t, words) && !has_word(&t, not) && !text::of(e).is_empty()
        })
    })
}

fn read(card: &ElementRef<'_>, name: &ElementRef<'_>, page: &Page) -> Found {
    let kind = kind(card);
    let talk = field(card, name, &[], TALK_WORDS, &["list"])
        .or_else(|| descendants(card).filter(is_line).find(|e| text::after_label(&text::of(e)).is_some()));
    let company = field(card, name, &["worksFor", "affiliation"], COMPANY_WORDS, &["logo"]);
    let position = field(card, name, &["jobTitle"], POSITION_WORDS, TALK_WORDS).or_else(|| {
        let taken = [Some(name), talk.as_ref(), company.as_ref()];
        descendants(card)
            .filter(|e| is_line(e) && !inside(e, name) && !inside(name, e))
            .find(|e| taken.iter().flatten().all(|t| !inside(e, t) && !inside(t, e)))
    });
    let mut position = position.map(|p| value(&p));
    let mut company = company.map(|c| value(&c));
    if company.is_none() && kind != Kind::Team {
        if let Some((p, c)) = position.as_deref().map(split_position) {
            (position, company) = (Some(p), c);
        }
    }
    let hrefs: Vec<&str> = descendants(card).filter_map(|e| e.value().attr("href")).collect();
    Found {
        name: text::of(name),
        position,
        company,
        talk_title: talk.map(|t| strip_label(&text::of(&t))).filter(|t| !t.is_empty()),
        linkedin: hrefs.iter().find_map(|h| linkedin_profile(h, &page.url)),
        page_link: hrefs.iter().find_map(|h| same_site_page(h, &page.url)),
        kind,
        found_by: if is_microdata_person(card) { FoundBy::Microdata } else { FoundBy::Markup },
    }
}

/// Every card's person, in document order.
pub(super) fn people(doc: &Html, page: &Page) -> Vec<Found> {
    let cards: Vec<(ElementRef<'_>, ElementRef<'_>)> = doc
        .root_element()
        .descendent_elements()
        .filter(is_card)
        .filter_map(|card| match names(&card).as_slice() {
            [name] => Some((card, *name)),
            _ => None,
        })
        .collect();
    // A wrapper around a single card also holds one name: keep the innermost.
    let wrappers: HashSet<_> = cards.iter().flat_map(|(c, _)| c.ancestors().map(|a| a.id())).collect();
    cards.iter().filter(|(c, _)| !wrappers.contains(&c.id())).map(|(card, name)| read(card, name, page)).collect()
}
