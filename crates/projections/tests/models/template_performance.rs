//! `template_performance`: sends and what came back, per campaign, template and segment.

use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::lead::{
    AllocateLead, AnalyzeResponse, ClassifyLead, Intent, LeadClass, OptOut, OptOutSource, RecordResponse,
    RejectMessage, Sentiment, Step,
};
use reachspark_domain::{Actor, Pii};
use reachspark_projections::models::TemplatePerformance;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::{assert_batch_independent, at, decision, discover, draft, project, register, roomy, World};

const CAMPAIGN: Uuid = Uuid::from_u128(0xC);
const OTHER_CAMPAIGN: Uuid = Uuid::from_u128(0xD);

struct Leads {
    speaker: Uuid,
    late_sponsor: Uuid,
    opted_out: Uuid,
    untemplated: Uuid,
    unsent: Uuid,
    unsent_message: Uuid,
}

async fn classify(world: &World, lead: Uuid, class: LeadClass, minute: u32) {
    let decision = decision(DecisionKind::Classification, "class");
    world.lead(lead, ClassifyLead { class, decision, at: at(3, 8, minute) }).await;
}

/// Discovers and allocates a lead; returns it.
async fn lead(world: &World, campaign: Uuid, account: Uuid) -> Uuid {
    let lead = Uuid::new_v4();
    world.lead(lead, discover(lead, campaign, at(3, 7, 0))).await;
    let allocation = decision(DecisionKind::Allocation, "account");
    world.lead(lead, AllocateLead { account_id: account, priority: 1, decision: allocation, at: at(3, 7, 1) }).await;
    lead
}

/// Drafts and sends a message with `template` at `hour` on 2025-03-04; returns its id.
async fn send(world: &World, lead: Uuid, account: Uuid, template: Option<&str>, step: Step, hour: u32) -> Uuid {
    let message = Uuid::new_v4();
    world.lead(lead, draft(message, template, step, at(4, hour, 0))).await;
    world.send(lead, account, message, at(4, hour, 30)).await;
    message
}

async fn reply(world: &World, lead: Uuid, message: Option<Uuid>, sentiment: Sentiment) {
    let response_id = Uuid::new_v4();
    let text = Pii::new("Thanks".to_owned());
    world.lead(lead, RecordResponse { response_id, message_id: message, text, at: at(5, 9, 0) }).await;
    let decision = decision(DecisionKind::ReplyAnalysis, "analysed");
    let analysis = AnalyzeResponse { response_id, sentiment, intent: Intent::InfoRequest, decision, at: at(5, 9, 5) };
    world.lead(lead, analysis).await;
}

async fn outreach(world: &World) -> Leads {
    let account = Uuid::new_v4();
    world.account(account, register(roomy(), at(1, 0, 0))).await;

    let speaker = lead(world, CAMPAIGN, account).await;
    classify(world, speaker, LeadClass::Speaker, 0).await;
    let message = send(world, speaker, account, Some("intro"), Step::First, 9).await;
    reply(world, speaker, Some(message), Sentiment::Positive).await;

    // Sent while unclassified: the reply counts where the send did.
    let late_sponsor = lead(world, CAMPAIGN, account).await;
    let message = send(world, late_sponsor, account, Some("intro"), Step::First, 10).await;
    classify(world, late_sponsor, LeadClass::Sponsor, 1).await;
    reply(world, late_sponsor, Some(message), Sentiment::Negative).await;

    // The opt-out counts for the last message sent, the follow-up.
    let opted_out = lead(world, CAMPAIGN, account).await;
    classify(world, opted_out, LeadClass::Sponsor, 2).await;
    send(world, opted_out, account, Some("short"), Step::First, 11).await;
    send(world, opted_out, account, Some("follow_up"), Step::FollowUp(1), 12).await;
    let nudge = Uuid::new_v4();
    world.lead(opted_out, draft(nudge, Some("nudge"), Step::FollowUp(2), at(5, 8, 0))).await;
    let by = Actor::person("ops");
    let rejection = Decision::new(DecisionKind::Approval, "rejected", "too pushy", by.clone(), Engine::Human);
    let reason = Pii::new("Too pushy".to_owned());
    world.lead(opted_out, RejectMessage { message_id: nudge, by, reason, decision: rejection, at: at(5, 8, 5) }).await;
    world.lead(opted_out, OptOut { source: OptOutSource::Reply, at: at(6, 8, 0) }).await;

    // A send without a template, and a reply before any send: nothing to attribute.
    let untemplated = lead(world, CAMPAIGN, account).await;
    classify(world, untemplated, LeadClass::Other, 3).await;
    let message = send(world, untemplated, account, None, Step::First, 13).await;
    reply(world, untemplated, Some(message), Sentiment::Negative).await;

    let unsent = lead(world, CAMPAIGN, account).await;
    classify(world, unsent, LeadClass::Other, 4).await;
    let unsent_message = Uuid::new_v4();
    world.lead(unsent, draft(unsent_message, Some("intro"), Step::First, at(4, 14, 0))).await;
    reply(world, unsent, None, Sentiment::Positive).await;

    // The same template id in another campaign is another template.
    let elsewhere = lead(world, OTHER_CAMPAIGN, account).await;
    classify(world, elsewhere, LeadClass::Speaker, 5).await;
    send(world, elsewhere, account, Some("intro"), Step::First, 15).await;

    Leads { speaker, late_sponsor, opted_out, untemplated, unsent, unsent_message }
}

type Row = (Uuid, String, String, i64, i64, i64, i64, i64);

fn row(campaign: Uuid, template: &str, segment: &str, counts: [i64; 5]) -> Row {
    let [sent, replies, positive, negative, opt_outs] = counts;
    (campaign, template.to_owned(), segment.to_owned(), sent, replies, positive, negative, opt_outs)
}

#[tokio::test]
async fn replies_sentiments_and_opt_outs_count_for_the_last_template_sent_and_its_segment_then() {
    let world = World::new().await;
    let leads = outreach(&world).await;
    let events = world.envelopes().await;
    project(world.pool(), &TemplatePerformance, "read", &[&events]).await;

    let rows: Vec<Row> = sqlx::query_as(
        "SELECT campaign_id, template_id, segment, sent, replies, positive, negative, opt_outs
         FROM read.template_performance ORDER BY campaign_id, template_id, segment",
    )
    .fetch_all(world.pool())
    .await
    .unwrap();
    //                                                 sent replies positive negative opt_outs
    let expected = vec![
        row(CAMPAIGN, "follow_up", "Sponsor", [1, 0, 0, 0, 1]),
        row(CAMPAIGN, "intro", "Speaker", [1, 1, 1, 0, 0]),
        row(CAMPAIGN, "intro", "Unclassified", [1, 1, 0, 1, 0]),
        row(CAMPAIGN, "short", "Sponsor", [1, 0, 0, 0, 0]),
        row(OTHER_CAMPAIGN, "intro", "Speaker", [1, 0, 0, 0, 0]),
    ];
    assert_eq!(rows, expected);

    let attribution = |lead: Uuid| {
        let pool = world.pool().clone();
        async move {
            sqlx::query_as::<_, (String, Option<String>, Option<String>, Value)>(
                "SELECT segment, last_template_id, last_segment, message_templates
                 FROM read.template_attribution WHERE lead_id = $1",
            )
            .bind(lead)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let some = |s: &str| Some(s.to_owned());
    let none = json!({});
    assert_eq!(attribution(leads.speaker).await, ("Speaker".to_owned(), some("intro"), some("Speaker"), none.clone()));
    let late = ("Sponsor".to_owned(), some("intro"), some("Unclassified"), none.clone());
    assert_eq!(attribution(leads.late_sponsor).await, late);
    let opted = ("Sponsor".to_owned(), some("follow_up"), some("Sponsor"), none.clone());
    assert_eq!(attribution(leads.opted_out).await, opted);
    assert_eq!(attribution(leads.untemplated).await, ("Other".to_owned(), None, None, none));
    let pending = json!({ leads.unsent_message.to_string(): "intro" });
    assert_eq!(attribution(leads.unsent).await, ("Other".to_owned(), None, None, pending));
}

#[tokio::test]
async fn the_same_events_in_two_batches_give_the_same_rows() {
    let world = World::new().await;
    outreach(&world).await;
    let events = world.envelopes().await;
    assert_batch_independent(world.pool(), &TemplatePerformance, &events).await;
}
