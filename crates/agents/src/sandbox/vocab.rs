//! The sandbox's word lists. Each class draws mostly from its own lists and sometimes from the
//! ambiguous or the other classes' ones, which is what keeps classification from being trivial.

/// A title and the seniority it implies (0 junior, 1 mid, 2 senior, 3 executive). Plain titles
/// (level 1) may get a "Junior"/"Senior"/"Lead" prefix.
pub(super) type Title = (&'static str, u8);

/// Titles that say "speaker" outright.
pub(super) const SPEAKER_TITLES: &[Title] = &[
    ("Developer Advocate", 1),
    ("Developer Relations Engineer", 1),
    ("Head of Developer Relations", 3),
    ("Technical Evangelist", 2),
    ("Conference Speaker & Trainer", 2),
    ("Keynote Speaker", 2),
    ("Author & Educator", 2),
    ("DevRel Lead", 2),
];

/// Titles that speakers often have, but so do many who never take a stage.
pub(super) const TECH_LEADER_TITLES: &[Title] = &[
    ("Principal Engineer", 2),
    ("Staff Engineer", 2),
    ("Distinguished Engineer", 3),
    ("Chief Technology Officer", 3),
    ("Research Scientist", 2),
    ("Software Architect", 2),
];

/// Titles that say "sponsor" outright.
pub(super) const SPONSOR_TITLES: &[Title] = &[
    ("VP Partnerships", 3),
    ("Head of Sponsorships", 3),
    ("Director of Partner Marketing", 3),
    ("Head of Events", 3),
    ("Event Marketing Manager", 1),
    ("Head of Developer Marketing", 3),
    ("Community Partnerships Lead", 2),
];

/// Titles that sponsors often have, but so do marketers who never sponsor anything.
pub(super) const MARKETING_TITLES: &[Title] = &[
    ("Marketing Director", 3),
    ("Chief Marketing Officer", 3),
    ("Business Development Director", 3),
    ("Brand Manager", 1),
    ("VP Marketing", 3),
    ("Head of Growth", 3),
];

/// Everyone else.
pub(super) const OTHER_TITLES: &[Title] = &[
    ("Software Engineer", 1),
    ("Accountant", 1),
    ("HR Business Partner", 1),
    ("Product Manager", 1),
    ("Sales Representative", 1),
    ("Operations Manager", 1),
    ("Data Analyst", 1),
    ("Recruiter", 1),
    ("Customer Success Manager", 1),
    ("Office Manager", 1),
    ("QA Engineer", 1),
    ("Project Manager", 1),
    ("Backend Developer", 1),
    ("IT Administrator", 1),
    ("Financial Analyst", 1),
    ("Head of Finance", 3),
    ("Engineering Manager", 2),
];

/// Industries and whether companies in them tend to sponsor developer events.
pub(super) const INDUSTRIES: &[(&str, bool)] = &[
    ("Cloud Infrastructure", true),
    ("Developer Tools", true),
    ("Cybersecurity", true),
    ("Data & AI", true),
    ("SaaS", true),
    ("Fintech", true),
    ("Consulting", false),
    ("Retail", false),
    ("Healthcare", false),
    ("Manufacturing", false),
    ("Education", false),
    ("Logistics", false),
    ("Media", false),
];

pub(super) const COUNTRIES: &[&str] =
    &["Germany", "United Kingdom", "United States", "France", "Netherlands", "Poland", "Spain", "Sweden"];

pub(super) const TOPICS: &[&str] = &[
    "Rust",
    "Kubernetes",
    "distributed systems",
    "machine learning",
    "web performance",
    "observability",
    "platform engineering",
    "security",
    "event sourcing",
    "developer experience",
];

pub(super) const EVENTS: &[&str] =
    &["DevSummit", "CloudConf", "DataWeek", "RustFest", "KubeDays", "SecOps Live", "FrontendNation", "AI Forum"];

/// Bio sentences of people who speak. `{topic}` and `{event}` are filled in.
pub(super) const SPEAKER_BIO: &[&str] = &[
    "I speak at conferences about {topic}.",
    "Keynote speaker at {event}.",
    "Gave a talk on {topic} at {event} last year.",
    "Regular meetup speaker and workshop host.",
    "Author of a book on {topic}.",
    "I love teaching {topic} on stage and in workshops.",
];

/// Bio sentences of people who decide on sponsorships.
pub(super) const SPONSOR_BIO: &[&str] = &[
    "I build partnerships with developer communities.",
    "Our team sponsors events like {event}.",
    "Responsible for our events and sponsorship budget.",
    "Connecting our brand with the {topic} community.",
    "Always looking for events where we can meet developers.",
    "Leading partner marketing for EMEA.",
];

/// Bio sentences anyone may write.
pub(super) const NEUTRAL_BIO: &[&str] = &[
    "Passionate about {topic}.",
    "Coffee lover and hiker.",
    "Ten years in the industry.",
    "Parent of two, runner.",
    "Opinions are my own.",
    "Building great teams.",
    "Always learning.",
    "Attended {event} last year.",
    "Interested in {topic}.",
];

/// Sentences that mislead a keyword reader: they mention talks or sponsorship without making
/// the writer a speaker or a sponsor.
pub(super) const CONFUSER_BIO: &[&str] = &[
    "Big fan of conference talks on {topic}.",
    "I organise the office book club and the occasional speaker lunch.",
    "Our company sponsors the local football team.",
    "Enjoyed every keynote at {event}.",
    "Working with partners across Europe.",
];
