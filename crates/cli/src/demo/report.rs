//! What the demo prints: the funnel; reply and positive-reply rates of the learned template
//! policy beside a uniform-random policy and the oracle on the same people; classification
//! accuracy against the hidden truth; sends per account per day against the caps; contacts
//! after an opt-out; decisions; and the audit check of the log. Everything is read back from
//! the read models and the log, and graded against the sandbox's hidden truth.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rand::{Rng as _, SeedableRng as _};
use reachspark_agents::bandit::is_reward;
use reachspark_agents::outreach::Outreach;
use reachspark_agents::runtime::Worker;
use reachspark_agents::sandbox::{SandboxPerson, SandboxRng, World};
use reachspark_domain::campaign::Template;
use reachspark_domain::identity::ProfileUrl;
use reachspark_domain::lead::{Intent, LeadClass, Step};
use reachspark_domain::sender_account::Channel;
use reachspark_projections::queries::analytics::{self, Funnel};
use reachspark_store::{Store, VerifyReport};
use uuid::Uuid;

use super::operator::{DAILY_INVITATIONS, DAILY_MESSAGES, DAILY_TOTAL, FIRST_TEMPLATES, WEEKLY_INVITATIONS};
use crate::config::DemoArgs;

/// The goals of issue 5 for this run.
const MIN_ACCURACY: f64 = 0.9;
const MIN_LEARNED_OVER_ORACLE: f64 = 0.85;

/// One policy's first contacts, graded against the hidden truth.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PolicyFigures {
    contacts: u32,
    replies: u32,
    positive: u32,
    expected_positive: f64,
}

impl PolicyFigures {
    fn add(
        &mut self,
        world: &World,
        person: &SandboxPerson,
        template: &str,
        sent_at: DateTime<Utc>,
        end: DateTime<Utc>,
    ) {
        self.contacts += 1;
        self.expected_positive += person.truth().positive_reply_probability(template, Step::First);
        // The same draw the sandbox channel makes for this person's first message.
        let mut rng = world.person_rng(person, 0);
        if let Some(reply) = world.reply(person, template, Step::First, &mut rng) {
            let arrives = sent_at + TimeDelta::from_std(reply.delay).unwrap_or(TimeDelta::MAX);
            if arrives <= end && reply.true_intent != Intent::OutOfOffice {
                self.replies += 1;
                self.positive += u32::from(is_reward(reply.true_intent));
            }
        }
    }

    fn rate(n: u32, of: u32) -> f64 {
        if of == 0 {
            0.0
        } else {
            f64::from(n) / f64::from(of)
        }
    }
}

/// One account's sends on one day.
#[derive(Debug, Default, Clone, Copy)]
struct DaySends {
    invitations: i64,
    messages: i64,
}

pub(super) struct Figures {
    args: (usize, u32, u64),
    funnel: Vec<(String, i64)>,
    learned: PolicyFigures,
    uniform: PolicyFigures,
    oracle: PolicyFigures,
    late: (PolicyFigures, PolicyFigures),
    classified: u32,
    correct: u32,
    confusion: BTreeMap<(String, String), u32>,
    sends: BTreeMap<Uuid, BTreeMap<NaiveDate, DaySends>>,
    cap_violations: Vec<String>,
    after_opt_out: i64,
    decisions: Vec<(String, i64)>,
    approved: usize,
    deferred: usize,
    audit: VerifyReport,
}

pub(super) async fn gather(
    store: &Store,
    world: &World,
    campaign_id: Uuid,
    accounts: &[String],
    approved: usize,
    outreach: &Worker<Outreach>,
    args: &DemoArgs,
) -> anyhow::Result<Figures> {
    let pool = store.pool();
    let end = super::last_instant(args.days);
    let by_url: HashMap<String, &SandboxPerson> = world
        .people()
        .iter()
        .filter_map(|p| Some((ProfileUrl::parse(p.public().profile_url.as_deref()?).ok()?.as_str().to_owned(), p)))
        .collect();
    let person = |url: &Option<String>| {
        url.as_deref().and_then(|u| ProfileUrl::parse(u).ok()).and_then(|u| by_url.get(u.as_str()).copied())
    };

    let last_day = (end - TimeDelta::days(1)).date_naive();
    let days = analytics::pipeline(pool, campaign_id, super::first_day(), last_day).await?;
    let t = Funnel::total(days.iter().map(|d| &d.funnel));
    let funnel = [
        ("discovered", t.discovered),
        ("classified", t.classified),
        ("allocated", t.allocated),
        ("drafted", t.drafted),
        ("sent", t.sent),
        ("responded", t.responded),
        ("positive", t.positive),
        ("qualified", t.qualified),
        ("closed", t.closed),
        ("opted out", t.opted_out),
    ]
    .map(|(stage, n)| (stage.to_owned(), n))
    .to_vec();

    // Classification against the hidden truth.
    let classes: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT linkedin_url, classification FROM read.leads WHERE classification IS NOT NULL")
            .fetch_all(pool)
            .await?;
    let (mut classified, mut correct, mut confusion) = (0, 0, BTreeMap::new());
    for (url, given) in &classes {
        let Some(p) = person(url) else { continue };
        let truth = class_label(p.truth().class);
        classified += 1;
        correct += u32::from(truth == given.as_str());
        *confusion.entry((truth.to_owned(), given.clone())).or_default() += 1;
    }

    // First contacts: the learned policy as it ran, and what the uniform policy and the oracle
    // would have got from the same people at the same times, with the same luck.
    let firsts: Vec<(Option<String>, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT l.linkedin_url, m.template_id, m.sent_at FROM read.lead_messages m JOIN read.leads l USING (lead_id)
         WHERE m.step = 'first' AND m.sent_at IS NOT NULL AND m.template_id IS NOT NULL ORDER BY m.sent_at, m.message_id",
    )
    .fetch_all(pool)
    .await?;
    let templates: Vec<Template> = FIRST_TEMPLATES
        .iter()
        .map(|(id, body)| Template {
            id: (*id).to_owned(),
            channel: Channel::LinkedIn,
            step: Step::First,
            body: (*body).to_owned(),
            weight: 1.0,
        })
        .collect();
    let mut uniform_rng = SandboxRng::seed_from_u64(args.seed ^ 0x0075_6e69_666f_726d);
    let late_from = end - TimeDelta::days(3);
    let [mut learned, mut uniform, mut oracle, mut late_learned, mut late_oracle] = [PolicyFigures::default(); 5];
    for (url, template, sent_at) in &firsts {
        let Some(p) = person(url) else { continue };
        let best = world.oracle_template(p, &templates).map_or(template.as_str(), |t| t.id.as_str());
        let random = templates[uniform_rng.gen_range(0..templates.len())].id.as_str();
        learned.add(world, p, template, *sent_at, end);
        uniform.add(world, p, random, *sent_at, end);
        oracle.add(world, p, best, *sent_at, end);
        if *sent_at >= late_from {
            late_learned.add(world, p, template, *sent_at, end);
            late_oracle.add(world, p, best, *sent_at, end);
        }
    }

    // Sends per account and day, from the messages that went out.
    let sent: Vec<(Uuid, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT account_id, step, sent_at FROM read.lead_messages WHERE sent_at IS NOT NULL AND account_id IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut sends: BTreeMap<Uuid, BTreeMap<NaiveDate, DaySends>> = BTreeMap::new();
    for id in accounts.iter().filter_map(|a| a.parse().ok()) {
        sends.entry(id).or_default();
    }
    for (account, step, at) in &sent {
        let day = sends.entry(*account).or_default().entry(at.date_naive()).or_default();
        if step == "first" {
            day.invitations += 1;
        } else {
            day.messages += 1;
        }
    }
    let cap_violations = cap_violations(&sends);

    let after_opt_out: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM read.lead_timeline s JOIN read.lead_timeline o USING (lead_id)
         WHERE s.event_type = 'MessageSent' AND o.event_type = 'LeadOptedOut' AND s.stream_version > o.stream_version",
    )
    .fetch_one(pool)
    .await?;
    let decisions: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, count(*) FROM read.decisions GROUP BY kind ORDER BY count(*) DESC, kind")
            .fetch_all(pool)
            .await?;
    let audit = store.verify().await?;
    Ok(Figures {
        args: (args.leads, args.days, args.seed),
        funnel,
        learned,
        uniform,
        oracle,
        late: (late_learned, late_oracle),
        classified,
        correct,
        confusion,
        sends,
        cap_violations,
        after_opt_out,
        decisions,
        approved,
        deferred: outreach.agent().deferred_sends(),
        audit,
    })
}

fn class_label(class: LeadClass) -> &'static str {
    match class {
        LeadClass::Speaker => "Speaker",
        LeadClass::Sponsor => "Sponsor",
        LeadClass::Other => "Other",
    }
}

/// Every (account, day) over a cap: invitations per day, invitations in any 7 days, messages
/// per day, and all contacts per day.
fn cap_violations(sends: &BTreeMap<Uuid, BTreeMap<NaiveDate, DaySends>>) -> Vec<String> {
    let mut found = Vec::new();
    for (account, days) in sends {
        for (day, s) in days {
            let week: i64 = days.range(*day - TimeDelta::days(6)..=*day).map(|(_, d)| d.invitations).sum();
            let checks = [
                ("daily invitations", s.invitations, DAILY_INVITATIONS),
                ("weekly invitations", week, WEEKLY_INVITATIONS),
                ("daily messages", s.messages, DAILY_MESSAGES),
                ("daily total", s.invitations + s.messages, DAILY_TOTAL),
            ];
            for (cap, used, limit) in checks {
                if used > limit {
                    found.push(format!("account {account} on {day}: {cap} {used} > {limit}"));
                }
            }
        }
    }
    found
}

impl Figures {
    fn accuracy(&self) -> f64 {
        if self.classified == 0 {
            0.0
        } else {
            f64::from(self.correct) / f64::from(self.classified)
        }
    }

    fn learned_over_oracle(&self) -> f64 {
        PolicyFigures::rate(self.learned.positive, self.oracle.positive)
    }

    /// Whether every goal of the run was met.
    pub(super) fn goals_met(&self) -> bool {
        self.cap_violations.is_empty()
            && self.after_opt_out == 0
            && self.accuracy() >= MIN_ACCURACY
            && self.learned_over_oracle() >= MIN_LEARNED_OVER_ORACLE
            && self.audit.is_intact()
    }

    /// The report, as printed.
    pub(super) fn render(&self, took: Duration) -> String {
        let mut out = String::new();
        let (leads, days, seed) = self.args;
        let _ = writeln!(
            out,
            "\nReachSpark demo — {leads} sandbox people, {days} simulated days, seed {seed} (ran in {took:.0?})"
        );
        let _ = writeln!(out, "\nFunnel (read.pipeline_daily)");
        for (stage, n) in &self.funnel {
            let _ = writeln!(out, "  {stage:<11} {n:>6}");
        }
        let _ = writeln!(
            out,
            "  drafts approved by a person: {}; sends still waiting for budget: {}",
            self.approved, self.deferred
        );

        let _ = writeln!(
            out,
            "\nTemplate policy, first contacts to the same people (positive = interested reply, hidden truth)"
        );
        let _ = writeln!(
            out,
            "  {:<22} {:>8} {:>8} {:>10} {:>9} {:>10} {:>12}",
            "policy", "contacts", "replies", "reply rate", "positive", "pos. rate", "E[positive]"
        );
        for (name, p) in
            [("learned (Thompson)", &self.learned), ("uniform random", &self.uniform), ("oracle", &self.oracle)]
        {
            let _ = writeln!(
                out,
                "  {name:<22} {:>8} {:>8} {:>9.1}% {:>9} {:>9.1}% {:>12.1}",
                p.contacts,
                p.replies,
                100.0 * PolicyFigures::rate(p.replies, p.contacts),
                p.positive,
                100.0 * PolicyFigures::rate(p.positive, p.contacts),
                p.expected_positive,
            );
        }
        let expected = |a: &PolicyFigures, b: &PolicyFigures| {
            if b.expected_positive > 0.0 {
                a.expected_positive / b.expected_positive
            } else {
                0.0
            }
        };
        let _ = writeln!(
            out,
            "  learned/oracle positive replies: {:.2} (goal ≥ {MIN_LEARNED_OVER_ORACLE}); expected {:.2}; uniform/oracle {:.2}; last 3 days expected {:.2}",
            self.learned_over_oracle(),
            expected(&self.learned, &self.oracle),
            PolicyFigures::rate(self.uniform.positive, self.oracle.positive),
            expected(&self.late.0, &self.late.1),
        );

        let _ = writeln!(
            out,
            "\nClassification against the hidden truth: {}/{} correct, accuracy {:.3} (goal ≥ {MIN_ACCURACY})",
            self.correct,
            self.classified,
            self.accuracy()
        );
        for ((truth, given), n) in &self.confusion {
            if truth != given {
                let _ = writeln!(out, "  {truth} classified as {given}: {n}");
            }
        }

        let _ = writeln!(out, "\nSends per account per day: invitations (cap {DAILY_INVITATIONS}/day, {WEEKLY_INVITATIONS} per 7 days) + follow-ups (cap {DAILY_MESSAGES}/day; {DAILY_TOTAL} in all)");
        for (account, days) in &self.sends {
            let row: Vec<String> = days.values().map(|d| format!("{}+{}", d.invitations, d.messages)).collect();
            let short = account.to_string();
            let _ = writeln!(out, "  {}  {}", &short[..8], row.join(" "));
        }
        let _ = writeln!(out, "  cap violations: {}", self.cap_violations.len());
        for v in &self.cap_violations {
            let _ = writeln!(out, "    {v}");
        }
        let _ = writeln!(out, "\nContacts after an opt-out: {}", self.after_opt_out);
        let total: i64 = self.decisions.iter().map(|(_, n)| n).sum();
        let kinds: Vec<String> = self.decisions.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(out, "Decisions recorded: {total} ({})", kinds.join(", "));
        let _ = writeln!(
            out,
            "audit verify: {} events in {} streams, {}",
            self.audit.events,
            self.audit.streams,
            if self.audit.is_intact() { "OK: the log is intact" } else { "FAILED: the log was altered" }
        );
        for problem in self.audit.problems.iter().take(10) {
            let _ = writeln!(out, "  PROBLEM {:?}: {}", problem.kind, problem.detail);
        }
        let _ = writeln!(out, "\nGoals: {}", if self.goals_met() { "all met" } else { "NOT all met" });
        out
    }
}
