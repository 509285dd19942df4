//! Guarantee 8: an event stored at an older schema version loads as the current type.

use chrono::Utc;
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::lead::{Lead, LeadEvent};
use reachspark_domain::DomainEvent;
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandBus, NewEvent};
use uuid::Uuid;

use crate::support::domain::{decision, discover};
use crate::support::{append, ctx};

#[tokio::test]
async fn a_version_1_lead_scored_event_loads_as_version_2() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let lead = Uuid::new_v4();
    bus.execute::<Lead>(&ctx(), lead, None, discover("Ada", "linkedin.com/in/ada", Utc::now()).into()).await.unwrap();
    assert_eq!(LeadEvent::schema_version("LeadScored"), 2);
    // As an older release wrote it: the field was called `score`.
    let v1 = NewEvent {
        event_type: "LeadScored".to_owned(),
        schema_version: 1,
        payload: serde_json::json!({ "score": 7, "decision": decision(DecisionKind::Score, "7") }),
    };
    bus.store().append(&ctx(), vec![append(lead, 1, vec![v1])]).await.unwrap();

    let stored = bus.store().read_stream(lead, 1).await.unwrap();
    assert_eq!(stored[0].schema_version, 1, "the stored row is never rewritten");
    assert!(matches!(stored[0].decode::<LeadEvent>().unwrap(), LeadEvent::LeadScored { quality_score: 7, .. }));
    let (state, version) = bus.load::<Lead>(lead).await.unwrap();
    assert_eq!((state.score(), version), (Some(7), 2));
}
