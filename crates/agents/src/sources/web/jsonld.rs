//! schema.org JSON-LD: `Person` objects anywhere in `<script type="application/ld+json">`
//! blocks (top level, `@graph`, an event's `performer`, an organisation's `employee`).
//!
//! A person under an event's `performer` / `speaker` is a speaker; when that event is itself
//! inside another event (a session of a conference), its name is the talk's title. A person
//! under an organisation's `employee` / `member` / `founder` works there.

use scraper::{Html, Selector};
use serde_json::Value;

use super::found::{Found, FoundBy, Kind};
use super::text::{clean, linkedin_profile, same_site_page};
use super::Page;

const PERFORMER_KEYS: &[&str] = &["performer", "performers", "speaker", "speakers", "presenter", "actor"];
const EMPLOYEE_KEYS: &[&str] = &["employee", "employees", "member", "members", "founder", "founders"];
const ORGANISATION_TYPES: &[&str] = &["Organization", "Corporation", "LocalBusiness", "NGO", "EducationalOrganization"];

fn blocks(doc: &Html) -> Vec<Value> {
    let Ok(selector) = Selector::parse("script[type=\"application/ld+json\"]") else { return Vec::new() };
    doc.select(&selector).filter_map(|s| serde_json::from_str(&s.text().collect::<String>()).ok()).collect()
}

/// The object's `@type` names, without a `schema:` or URL prefix.
fn types<'a>(v: &'a Value) -> Vec<&'a str> {
    let short = |t: &'a str| t.rsplit(['/', ':']).next().unwrap_or(t);
    match v.get("@type") {
        Some(Value::String(t)) => vec![short(t)],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(short).collect(),
        _ => Vec::new(),
    }
}

fn is_person(v: &Value) -> bool {
    types(v).contains(&"Person")
}

fn is_event(v: &Value) -> bool {
    types(v).iter().any(|t| t.ends_with("Event"))
}

fn is_organisation(v: &Value) -> bool {
    types(v).iter().any(|t| ORGANISATION_TYPES.contains(t))
}

/// A text value: a string, an object's `name`, or the first of an array.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(clean(s)).filter(|s| !s.is_empty()),
        Value::Object(_) => text(v?.get("name")),
        Value::Array(items) => items.iter().find_map(|i| text(Some(i))),
        _ => None,
    }
}

/// URL values: strings, or objects' `@id` / `url`, alone or in arrays.
fn urls(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().flat_map(|i| urls(Some(i))).collect(),
        Some(o @ Value::Object(_)) => urls(o.get("url").or_else(|| o.get("@id"))),
        _ => Vec::new(),
    }
}

#[derive(Clone, Default)]
struct Context {
    /// Names of the events we are inside, outermost first.
    events: Vec<String>,
    kind: Option<Kind>,
    employer: Option<String>,
}

fn person(v: &Value, ctx: &Context, page: &Page) -> Option<Found> {
    let name = text(v.get("name"))?;
    let links: Vec<String> = urls(v.get("sameAs")).into_iter().chain(urls(v.get("url"))).collect();
    let talk_title = match ctx.kind {
        Some(Kind::Speaker) if ctx.events.len() >= 2 => ctx.events.last().cloned(),
        _ => None,
    };
    Some(Found {
        name,
        position: text(v.get("jobTitle")),
        company: text(v.get("worksFor")).or_else(|| text(v.get("affiliation"))).or_else(|| ctx.employer.clone()),
        talk_title,
        linkedin: links.iter().find_map(|u| linkedin_profile(u, &page.url)),
        page_link: links.iter().find_map(|u| same_site_page(u, &page.url)),
        kind: ctx.kind.unwrap_or(Kind::Unknown),
        found_by: FoundBy::JsonLd,
    })
}

fn walk(v: &Value, ctx: &Context, page: &Page, out: &mut Vec<Found>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| walk(i, ctx, page, out)),
        Value::Object(_) if is_person(v) => out.extend(person(v, ctx, page)),
        Value::Object(map) => {
            let mut inner = Context { kind: None, ..ctx.clone() };
            if is_event(v) {
                inner.events.push(text(v.get("name")).unwrap_or_default());
            }
            for (key, child) in map {
                let mut c = inner.clone();
                if is_event(v) && PERFORMER_KEYS.contains(&key.as_str()) {
                    c.kind = Some(Kind::Speaker);
                } else if is_organisation(v) && EMPLOYEE_KEYS.contains(&key.as_str()) {
                    c.kind = Some(Kind::Team);
                    c.employer = text(v.get("name"));
                } else if key == "@graph" {
                    c = ctx.clone();
                }
                walk(child, &c, page, out);
            }
        }
        _ => {}
    }
}

/// Every JSON-LD person on the page.
pub(super) fn people(doc: &Html, page: &Page) -> Vec<Found> {
    let mut out = Vec::new();
    for block in blocks(doc) {
        walk(&block, &Context::default(), page, &mut out);
    }
    out
}

/// The name of the first organisation described at the top level (or in `@graph`): on a team
/// page, the employer.
pub(super) fn organisation_name(doc: &Html) -> Option<String> {
    blocks(doc).iter().find_map(|block| {
        let top: Vec<&Value> = match block {
            Value::Array(items) => items.iter().collect(),
            other => match other.get("@graph") {
                Some(Value::Array(items)) => items.iter().collect(),
                _ => vec![other],
            },
        };
        top.into_iter().filter(|v| is_organisation(v)).find_map(|v| text(v.get("name")))
    })
}
