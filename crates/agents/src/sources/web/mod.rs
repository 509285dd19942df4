//! The web source: a conference speaker page or a company team page, fetched with reqwest and
//! read with a real HTML parser (`scraper`, on html5ever) into candidate profiles.
//!
//! Pages differ, so several strategies run and their finds are merged by name:
//! schema.org JSON-LD ([`jsonld`]), schema.org microdata and class-named cards ([`cards`]).
//! Every candidate's evidence is the page's URL; a speaker's talk becomes the facts
//! `talk_title` and `recent_talk`, which the rules engine reads.

mod cards;
mod fetch;
mod found;
mod jsonld;
mod text;

use scraper::{Html, Selector};
use url::Url;

pub use fetch::{WebSource, WebSourceError};
pub use found::{FoundBy, WebCandidate};

/// The people on a page, from its HTML and its address (links are resolved against it, and it
/// is every candidate's evidence). A page with no people gives an empty list.
pub fn extract_people(html: &str, page_url: &Url) -> Vec<WebCandidate> {
    let doc = Html::parse_document(html);
    let page = Page::read(&doc, page_url);
    let mut found = jsonld::people(&doc, &page);
    found.extend(cards::people(&doc, &page));
    found::merge(found).into_iter().filter_map(|f| f.into_candidate(&page)).collect()
}

/// What the page says about itself.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    url: Url,
    /// `og:site_name`, or the name of a JSON-LD organisation: the employer on a team page.
    site_name: Option<String>,
    /// `og:title` or `<title>`: the event on a speaker page.
    title: Option<String>,
}

fn meta(doc: &Html, property: &str) -> Option<String> {
    let selector = Selector::parse(&format!("meta[property=\"{property}\"], meta[name=\"{property}\"]")).ok()?;
    doc.select(&selector).find_map(|m| m.attr("content")).map(text::clean).filter(|s| !s.is_empty())
}

impl Page {
    fn read(doc: &Html, url: &Url) -> Self {
        let title_tag = Selector::parse("title").ok().and_then(|s| doc.select(&s).next().map(|t| text::of(&t)));
        let title = meta(doc, "og:title").or(title_tag).filter(|t| !t.is_empty());
        let site_name = meta(doc, "og:site_name").or_else(|| jsonld::organisation_name(doc));
        Self { url: url.clone(), site_name, title }
    }
}

#[cfg(test)]
mod tests;
