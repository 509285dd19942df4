use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use reachspark_domain::lead::{FailureKind, Step};
use uuid::Uuid;

use super::*;
use crate::config::SmtpConfig;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn setup(people: usize) -> (Arc<World>, Arc<ManualClock>, SandboxLinkedIn) {
    let world = Arc::new(World::generate(11, people));
    let clock = Arc::new(ManualClock::new(start()));
    let channel = SandboxLinkedIn::new(world.clone(), clock.clone());
    (world, clock, channel)
}

fn message(n: u128, to: &str, template: &str, step: Step) -> OutgoingMessage {
    OutgoingMessage {
        message_id: Uuid::from_u128(n),
        to: to.to_owned(),
        recipient_name: String::new(),
        subject: None,
        body: "Hello".to_owned(),
        template_id: template.to_owned(),
        step,
    }
}

fn url(world: &World, i: usize) -> String {
    world.people()[i].public().profile_url.clone().unwrap()
}

/// Sends a first message to everyone, `message_id` = person index.
async fn send_all(world: &World, channel: &SandboxLinkedIn, order: impl Iterator<Item = usize>) {
    for i in order {
        let n = u128::try_from(i).unwrap();
        channel.send(&message(n, &url(world, i), "speaker-first-v1", Step::First)).await.unwrap();
    }
}

#[tokio::test]
async fn replies_appear_after_their_drawn_delay_and_only_once() {
    let (world, clock, channel) = setup(400);
    send_all(&world, &channel, 0..400).await;
    assert!(channel.poll_replies(start() - TimeDelta::days(1)).await.unwrap().is_empty(), "nothing is instant");
    let hidden = channel.pending_replies();
    assert!(hidden > 10, "400 people answer more than 10 times: {hidden}");

    let first_at = channel.next_reply_at().unwrap();
    clock.set(first_at);
    let first = channel.poll_replies(start()).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].received_at, first_at);
    assert!(first[0].provider_message_id.as_deref().unwrap().starts_with("sandbox-msg-"));

    clock.advance(TimeDelta::days(5));
    let rest = channel.poll_replies(first_at).await.unwrap();
    assert_eq!(rest.len() + 1, hidden, "every drawn reply is visible within five days, none twice");
    assert!(rest.windows(2).all(|w| w[0].received_at <= w[1].received_at), "oldest first");
    assert!(rest.iter().all(|r| r.received_at > first_at && r.reply_id != first[0].reply_id));
    assert_eq!(channel.pending_replies(), 0);
    assert_eq!(channel.next_reply_at(), None);
}

#[tokio::test]
async fn replies_do_not_depend_on_the_order_of_sends() {
    let (world, clock_a, a) = setup(300);
    let clock_b = Arc::new(ManualClock::new(start()));
    let b = SandboxLinkedIn::new(world.clone(), clock_b.clone());
    send_all(&world, &a, 0..300).await;
    send_all(&world, &b, (0..300).rev()).await;
    for clock in [&clock_a, &clock_b] {
        clock.advance(TimeDelta::days(5));
    }
    let since = start() - TimeDelta::days(1);
    let (ra, rb) = (a.poll_replies(since).await.unwrap(), b.poll_replies(since).await.unwrap());
    assert!(!ra.is_empty());
    assert_eq!(ra, rb);
}

#[tokio::test]
async fn sending_a_message_twice_delivers_it_once() {
    let (world, clock, channel) = setup(200);
    // Someone who answers, so that a second delivery would show as a second reply.
    let mut answered = None;
    for i in 0..200 {
        let n = u128::try_from(i).unwrap();
        channel.send(&message(n, &url(&world, i), "speaker-first-v1", Step::First)).await.unwrap();
        if channel.pending_replies() == 1 {
            answered = Some(n);
            break;
        }
    }
    let n = answered.expect("someone among 200 people answers");
    let i = usize::try_from(n).unwrap();
    let again = channel.send(&message(n, &url(&world, i), "speaker-first-v1", Step::First)).await.unwrap();
    assert_eq!(again.provider_message_id, format!("sandbox-msg-{}", Uuid::from_u128(n)));
    assert_eq!(channel.pending_replies(), 1);
    clock.advance(TimeDelta::days(5));
    let replies = channel.poll_replies(start()).await.unwrap();
    assert_eq!(replies.len(), 1);
    assert!(channel.reply_truth(&replies[0].reply_id).is_some());
    assert_eq!(channel.reply_truth("sandbox-reply-unknown"), None);
}

#[tokio::test]
async fn profile_urls_match_in_any_spelling_and_strangers_are_permanent_failures() {
    let (world, _clock, channel) = setup(50);
    let canonical = url(&world, 3);
    let spelt = format!("{}/?utm_source=x", canonical.replace("https://www.", "http://"));
    channel.send(&message(1, &spelt, "t", Step::First)).await.unwrap();
    for (to, code) in
        [("https://www.linkedin.com/in/nobody-here", "unknown_recipient"), ("not a url", "invalid_address")]
    {
        let e = channel.send(&message(2, to, "t", Step::First)).await.unwrap_err();
        assert_eq!((e.kind, e.code.as_str()), (FailureKind::Permanent, code));
    }
}

#[tokio::test]
async fn reply_counts_follow_the_hidden_propensities() {
    let people = 2000;
    let (world, clock, channel) = setup(people);
    send_all(&world, &channel, 0..people).await;
    clock.advance(TimeDelta::days(10));
    let got = channel.poll_replies(start()).await.unwrap().len();
    let expected: f64 = world
        .people()
        .iter()
        .map(|p| {
            let t = p.truth();
            t.out_of_office + (1.0 - t.out_of_office) * t.reply_propensity("speaker-first-v1", Step::First)
        })
        .sum();
    let sd = expected.sqrt();
    let got = f64::from(u32::try_from(got).unwrap());
    assert!((got - expected).abs() < 4.0 * sd, "got {got} replies, expected {expected:.1} ± {sd:.1}");
}

#[test]
fn a_scaled_clock_runs_faster_than_real_time() {
    let origin = start();
    let started = std::time::Instant::now();
    let clock = ScaledClock::new(origin, started, 3600.0);
    assert_eq!(clock.at(started), origin);
    assert_eq!(clock.at(started + std::time::Duration::from_secs(10)), origin + TimeDelta::hours(10));
    assert_eq!(clock.at(started - std::time::Duration::from_secs(1)), origin, "never before its origin");
}

#[test]
fn the_default_configuration_builds_the_sandbox() {
    let config = AgentsConfig::default();
    let channel = build(&config, Arc::new(World::generate(1, 10)), sandbox_clock(&config)).unwrap();
    assert_eq!(channel.kind(), ChannelKind::Sandbox);
    let scaled = AgentsConfig::from_yaml("channels:\n  sandbox:\n    time_scale: 60\n").unwrap();
    assert!(format!("{:?}", sandbox_clock(&scaled)).contains("ScaledClock"));
}

#[test]
fn real_channels_are_off_unless_enabled_and_need_their_secret() {
    let not_enabled =
        |e: ConfigError| matches!(e, ConfigError::NotEnabled { ref section } if section == "channels.email");
    assert!(not_enabled(Smtp::from_config(&SmtpConfig::default()).unwrap_err()));
    let e = ProviderHttp::from_config(&crate::config::ProviderConfig::default()).unwrap_err();
    assert!(matches!(e, ConfigError::NotEnabled { ref section } if section == "channels.linkedin_provider"));

    // Enabled, but the password's variable is not set: still nothing is built.
    let smtp = SmtpConfig {
        enabled: true,
        host: "smtp.example.com".into(),
        username: "outreach@example.com".into(),
        password_env: "REACHSPARK_TEST_SMTP_PASSWORD_UNSET_7A1".into(),
        from_address: "outreach@example.com".into(),
        ..SmtpConfig::default()
    };
    match Smtp::from_config(&smtp).unwrap_err() {
        ConfigError::MissingApiKey { field, var } => {
            assert_eq!(field, "channels.email.password_env");
            assert_eq!(var, "REACHSPARK_TEST_SMTP_PASSWORD_UNSET_7A1");
        }
        other => panic!("{other:?}"),
    }
    // Enabled without a login: refused before the environment is read.
    let e = Smtp::from_config(&SmtpConfig { username: String::new(), ..smtp }).unwrap_err();
    assert!(matches!(e, ConfigError::Invalid { ref field, .. } if field == "channels.email.username"), "{e:?}");
}

#[test]
fn debug_output_hides_personal_data() {
    let mut m = message(9, "https://www.linkedin.com/in/ada-lovelace", "t", Step::First);
    m.recipient_name = "Ada Lovelace".into();
    m.body = "Dear Ada".into();
    let shown = format!("{m:?}");
    assert!(!shown.contains("ada") && !shown.contains("Ada"), "{shown}");
    let reply = IncomingReply {
        reply_id: "r1".into(),
        provider_message_id: None,
        thread_ref: None,
        text: "Call me on +44 20 7946 0000".into(),
        received_at: start(),
    };
    assert!(!format!("{reply:?}").contains("7946"));
}
