//! Guarantee 7: a person's lead id outlives spelling, opt-out and erasure.

use chrono::Utc;
use reachspark_domain::identity::{ProfileUrl, SubjectKey};
use reachspark_domain::lead::{ErasePersonalData, Lead, LeadError, OptOut, OptOutSource};
use reachspark_domain::Actor;
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandBus, CommandContext, CommandError, StoreError};
use serde_json::json;

use crate::support::domain::discover;
use crate::support::{append, ctx};

fn lead_id(bus: &CommandBus, url: &str) -> uuid::Uuid {
    SubjectKey::Profile(ProfileUrl::parse(url).unwrap()).lead_id(&bus.store().lead_id_secret())
}

#[tokio::test]
async fn rediscovery_under_another_spelling_hits_the_same_stream() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let first = lead_id(&bus, "https://www.linkedin.com/in/ada-lovelace");
    bus.execute::<Lead>(
        &ctx(),
        first,
        None,
        discover("Ada", "https://www.linkedin.com/in/ada-lovelace", Utc::now()).into(),
    )
    .await
    .unwrap();
    for spelling in [
        "http://linkedin.com/in/ada-lovelace/",
        "HTTPS://LINKEDIN.COM/IN/ADA-LOVELACE",
        "linkedin.com/in/Ada-Lovelace?trk=x",
    ] {
        let id = lead_id(&bus, spelling);
        assert_eq!(id, first, "{spelling}");
        let again = bus.execute::<Lead>(&ctx(), id, None, discover("Ada L.", spelling, Utc::now()).into()).await;
        assert!(matches!(again, Err(CommandError::Rejected(LeadError::AlreadyDiscovered))), "{again:?}");
    }
}

#[tokio::test]
async fn an_opted_out_person_cannot_be_added_again() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let id = lead_id(&bus, "linkedin.com/in/grace-hopper");
    bus.execute::<Lead>(&ctx(), id, None, discover("Grace", "linkedin.com/in/grace-hopper", Utc::now()).into())
        .await
        .unwrap();
    bus.execute::<Lead>(&ctx(), id, None, OptOut { source: OptOutSource::Reply, at: Utc::now() }.into()).await.unwrap();
    let again = lead_id(&bus, "https://www.linkedin.com/in/grace-hopper/");
    let refused = bus
        .execute::<Lead>(&ctx(), again, None, discover("Grace", "linkedin.com/in/grace-hopper", Utc::now()).into())
        .await;
    assert!(matches!(refused, Err(CommandError::Rejected(LeadError::OptedOut))), "{refused:?}");
}

#[tokio::test]
async fn an_erased_person_cannot_be_added_again_and_the_store_refuses_their_data() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let url = "https://linkedin.com/in/alan-turing";
    let id = lead_id(&bus, url);
    bus.execute::<Lead>(&ctx(), id, None, discover("Alan", url, Utc::now()).into()).await.unwrap();
    let erase = ErasePersonalData { requested_by: Actor::person("dpo"), at: Utc::now() };
    let erased =
        bus.erase_personal_data(&CommandContext::new(Actor::person("dpo"), Utc::now()), id, erase).await.unwrap();
    assert!(erased.state.is_erased());
    assert!(bus.store().is_erased(id).await.unwrap());
    let (state, _) = bus.load::<Lead>(id).await.unwrap();
    assert!(state.person().is_some_and(|p| p.name.is_erased()), "the name reads as erased");

    let refused = bus.execute::<Lead>(&ctx(), id, None, discover("Alan", url, Utc::now()).into()).await;
    assert!(matches!(refused, Err(CommandError::Rejected(LeadError::Erased))), "{refused:?}");
    // Even a client that skips the aggregate cannot write personal data for the subject.
    let raw = reachspark_store::NewEvent {
        event_type: "NoteAdded".to_owned(),
        schema_version: 1,
        payload: json!({"text": {"$pii": "Alan"}}),
    };
    let direct = bus.store().append(&ctx(), vec![append(id, 2, vec![raw])]).await;
    assert!(matches!(direct, Err(StoreError::SubjectErased { .. })), "{direct:?}");
}
